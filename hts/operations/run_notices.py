"""Telling operators, through the outbox, that runs of theirs stood down for a closure or came
back on when it was lifted, so no vehicle goes to a shut school and none is missing from an open one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts.db import utcnow
from hts.mail.service import queue
from hts.operations.closures import long_date
from hts.operations.models import Run
from hts.operations.runs import DayRefresh
from hts.operators.models import Operator

#: Route codes named in a notice's subject; the rest are counted (every run is in the body).
SUBJECT_CODES = 5
SESSIONS = {"am": "morning", "pm": "afternoon"}


def _line(run: Run) -> str:
    return f"- Route {run.route.route_code}, {SESSIONS.get(run.session, run.session)} run, {long_date(run.run_on)}"


def operator_notice(operator: Operator, stood_down: Sequence[Run], back_on: Sequence[Run]) -> tuple[str, str]:
    """Subject and body of the notice to one operator (pure: the runs come loaded with their routes)."""
    codes = sorted({run.route.route_code for run in (*stood_down, *back_on)})
    listed = ", ".join(codes[:SUBJECT_CODES]) + (f" and {len(codes) - SUBJECT_CODES} more"
                                                 if len(codes) > SUBJECT_CODES else "")
    what = " and ".join(w for w, runs in (("stood down", stood_down), ("back on", back_on)) if runs)
    subject = f"Runs {what}: {listed}"
    lines = [f"Dear {operator.name},", ""]
    if stood_down:
        lines += ["These runs of yours are not required: please do not send a vehicle or crew.", ""]
        lines += [f"{_line(run)}: {run.reason or 'not required'}" for run in stood_down]
        lines.append("")
    if back_on:
        lines += ["These runs of yours are back on, as planned: the closure that stood them down was lifted.", ""]
        lines += [_line(run) for run in back_on]
        lines.append("")
    lines += ["Please tell your drivers and passenger assistants. Your run sheets show the pupils expected.",
              "Reply to this email or call the transport office if anything here is wrong."]
    return subject, "\n".join(lines) + "\n"


def notify_operators(session: Session, moved: Sequence[DayRefresh]) -> int:
    """Queue one notice per operator whose runs moved; returns how many were queued."""
    ids = {run_id for day in moved for run_id in (*day.stood_down_ids, *day.back_on_ids)}
    if not ids:
        return 0
    off = {run_id for day in moved for run_id in day.stood_down_ids}
    by_operator: dict[int, tuple[list[Run], list[Run]]] = {}
    for run in session.scalars(select(Run).where(Run.id.in_(sorted(ids))).options(selectinload(Run.route))
                               .order_by(Run.run_on, Run.session, Run.id)):
        if run.operator_id is not None:
            by_operator.setdefault(run.operator_id, ([], []))[0 if run.id in off else 1].append(run)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    queued = 0
    for operator in session.scalars(select(Operator).where(Operator.id.in_(sorted(by_operator)))
                                    .order_by(Operator.id)):
        if not operator.contact_email:
            continue
        stood_down, back_on = by_operator[operator.id]
        subject, body = operator_notice(operator, stood_down, back_on)
        # One notice per operator per change of the calendar: the moment keeps later ones apart.
        if queue(session, key=f"runs-moved-{stamp}-operator-{operator.id}", to=operator.contact_email,
                 subject=subject, body=body) is not None:
            queued += 1
    return queued
