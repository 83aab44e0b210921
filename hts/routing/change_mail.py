"""Telling operators about a published route change, with the new run sheets (through the outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from hts.mail.service import queue
from hts.operators.models import Operator
from hts.routing.changes import Publication
from hts.routing.models import ChangeAction, ChangeRequest, Route

#: Route codes named in a notice's subject; the rest are counted (every one is in the body).
SUBJECT_CODES = 5


def _routes_for(change: ChangeRequest, operator_id: int) -> list[tuple[Route, list[str], bool]]:
    """(route, summary lines, withdrawn) for each route of the change that concerns the operator."""
    found = []
    for item in change.items:
        route = item.route
        if route is None:
            continue
        proposed = item.proposed or {}
        if operator_id in (route.operator_id, proposed.get("operator_id")):
            found.append((route, list(item.summary), item.action == ChangeAction.WITHDRAW))
    return found


def operator_message(change: ChangeRequest, operator: Operator, routes: list[tuple[Route, list[str], bool]],
                     sheets: Mapping[int, str], warnings: list[str]) -> tuple[str, str]:
    """Subject and body of the notice to one operator (pure: run sheet texts are passed in)."""
    day = change.effective_date
    codes = [r.route_code for r, _, _ in routes]
    listed = ", ".join(codes[:SUBJECT_CODES]) + (f" and {len(codes) - SUBJECT_CODES} more"
                                                 if len(codes) > SUBJECT_CODES else "")
    subject = ("SHORT NOTICE - " if warnings else "") + f"Route change from {day:%-d %B %Y}: {listed}"
    lines = [f"Dear {operator.name},", "",
             f"The council has published a change to your routes, taking effect on {day:%A %-d %B %Y}.",
             f"Change request {change.id}: {change.title}"]
    lines += [f"{warning}." for warning in warnings]
    lines.append("")
    for route, summary, withdrawn in routes:
        lines.append(f"Route {route.route_code}: " + ("withdrawn - it no longer runs from that day." if withdrawn
                                                      else "; ".join(summary)))
    lines += ["", "The new run sheets follow. Please brief your drivers and passenger assistants before the day.",
              ""]
    for route, _, withdrawn in routes:
        if not withdrawn and route.id in sheets:
            lines += [sheets[route.id], ""]
    lines.append("Reply to this email or call the transport office if anything on these sheets is wrong.")
    return subject, "\n".join(lines) + "\n"


def notify_operators(session: Session, change: ChangeRequest, publication: Publication,
                     config: Mapping[str, Any]) -> int:
    """Queue one notice per operator concerned; returns how many were queued (idempotent per change)."""
    from hts.operations.runsheets import build_run_sheet, run_sheet_text

    queued = 0
    for operator_id in sorted(publication.operator_ids):
        operator = session.get(Operator, operator_id)
        if operator is None or not operator.contact_email:
            continue
        routes = _routes_for(change, operator_id)
        if not routes:
            continue
        sheets = {route.id: run_sheet_text(build_run_sheet(session, route, change.effective_date, config=config))
                  for route, _, withdrawn in routes if not withdrawn}
        subject, body = operator_message(change, operator, routes, sheets, publication.warnings)
        if queue(session, key=f"route-change-{change.id}-operator-{operator.id}", to=operator.contact_email,
                 subject=subject, body=body) is not None:
            queued += 1
    return queued
