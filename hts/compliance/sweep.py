"""The morning sweep: re-judge every holder, take the non-compliant off today's runs, warn of
expiries, list routes at risk.

Idempotent: expiry warnings are keyed by document, threshold and expiry date, and the day's
result row is only rewritten when what was found has changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts import weekdays
from hts.compliance.models import SweepResult
from hts.compliance.rules import Decision, DocumentFact, Policy, warning_due
from hts.compliance.service import (
    Holder,
    HolderVerdict,
    evaluate_all,
    load_holders,
    standing_decisions,
)
from hts.db import serialise
from hts.mail.service import queue
from hts.operators.models import Document, Operator

LOOKAHEAD_DAYS = 30


@dataclass
class SweepReport:
    """What one sweep did."""

    day: dt.date
    holders_checked: int = 0
    not_compliant: list[dict[str, Any]] = field(default_factory=list)
    lapsing: list[dict[str, Any]] = field(default_factory=list)
    routes_at_risk: list[dict[str, Any]] = field(default_factory=list)
    runs_changed: list[dict[str, Any]] = field(default_factory=list)
    warnings_queued: int = 0
    changed: bool = False


def _key(item: HolderVerdict) -> tuple[str, str]:
    return (item.holder_type, item.holder_ref)


def _change_days(documents: tuple[DocumentFact, ...], day: dt.date, policy: Policy,
                 lookahead: int) -> list[dt.date]:
    """Days in the look-ahead when some document of the holder lapses or ages out."""
    end = day + dt.timedelta(days=lookahead)
    ages = {"dbs_enhanced": policy.dbs_max_age_days, "safeguarding_training": policy.safeguarding_training_max_age_days,
            "dbs_update_check": policy.update_check_max_age_days}
    days: set[dt.date] = set()
    for document in documents:
        if document.expires_on is not None:
            days.add(document.expires_on + dt.timedelta(days=1))
        if document.issued_on is not None and document.document_type in ages:
            days.add(document.issued_on + dt.timedelta(days=ages[document.document_type] + 1))
    return sorted(d for d in days if day < d <= end)


def lapsing_holders(session: Session, day: dt.date, policy: Policy, holders: list[Holder],
                    today: list[HolderVerdict], lookahead: int = LOOKAHEAD_DAYS) -> list[dict[str, Any]]:
    """Holders compliant on `day` who stop being compliant within the look-ahead, earliest first.

    Each holder is judged only on the days its own documents change, not on all 30.
    """
    ok_today = {_key(v) for v in today if v.verdict.ok}
    decisions: dict[dt.date, dict[int, Decision]] = {}
    found = []
    for holder in holders:
        if (holder.holder_type, holder.holder_ref) not in ok_today:
            continue
        for when in _change_days(holder.documents + holder.operator_documents, day, policy, lookahead):
            if when not in decisions:
                decisions[when] = standing_decisions(session, when)
            verdict = holder.judge(when, decisions[when], policy)
            if not verdict.verdict.ok:
                found.append({**verdict.as_dict(), "from": when.isoformat()})
                break
    return sorted(found, key=lambda item: (item["from"], item["holder_type"], item["holder_ref"]))


def next_service_day(route_days: int, after: dt.date) -> dt.date | None:
    """The first day after `after` on which the route runs (within a week)."""
    for offset in range(1, 8):
        candidate = after + dt.timedelta(days=offset)
        if weekdays.includes(route_days, candidate):
            return candidate
    return None


def routes_at_risk(session: Session, day: dt.date, policy: Policy,
                   holders: list[Holder] | None = None) -> list[dict[str, Any]]:
    """Routes whose next service day has no compliant operator, vehicle, driver or needed PA."""
    from hts.compliance.readiness import route_facts

    holders = holders if holders is not None else load_holders(session)
    verdicts_by_day: dict[dt.date, dict[tuple[str, str], HolderVerdict]] = {}
    at_risk = []
    for route in route_facts(session):
        when = next_service_day(route.days, day)
        if when is None:
            continue
        if when not in verdicts_by_day:
            verdicts_by_day[when] = {_key(v): v for v in evaluate_all(session, when, policy, holders)}
        verdicts = verdicts_by_day[when]
        reasons: list[str] = []
        for label, kind, ref, required in (
            ("operator", "operator", route.operator_ref, True),
            ("vehicle", "vehicle", route.registration, True),
            ("driver", "driver", route.driver_ref, True),
            ("passenger assistant", "passenger_assistant", route.pa_ref, route.needs_pa),
        ):
            if ref is None:
                if required:
                    reasons.append(f"no {label} assigned")
                continue
            verdict = verdicts.get((kind, ref))
            if verdict is not None and not verdict.verdict.ok:
                reasons.extend(f"{label} {ref}: {reason}" for reason in verdict.verdict.reasons)
        if reasons:
            at_risk.append({"route_code": route.route_code, "session": route.session,
                            "day": when.isoformat(), "reasons": reasons})
    return at_risk


def take_off_runs(session: Session, day: dt.date, verdicts: list[HolderVerdict]) -> list[dict[str, Any]]:
    """Remove non-compliant drivers, PAs and vehicles from the day's runs that have not started."""
    from hts.operations.models import Run, RunStatus

    bad = {_key(v): v for v in verdicts if not v.verdict.ok}
    changed = []
    # populate_existing: a run regenerated in this session has its crew ids back from the route,
    # while crew objects loaded earlier (taken off by a sweep in the same session) would say none.
    runs = session.scalars(
        select(Run).where(Run.run_on == day, Run.status == RunStatus.SCHEDULED)
        .options(selectinload(Run.route), selectinload(Run.driver), selectinload(Run.pa), selectinload(Run.vehicle))
        .order_by(Run.id).execution_options(populate_existing=True)
    )
    for run in runs:
        removed = []
        for attr, kind, ref in (
            ("driver", "driver", run.driver.staff_ref if run.driver else None),
            ("pa", "passenger_assistant", run.pa.staff_ref if run.pa else None),
            ("vehicle", "vehicle", run.vehicle.registration if run.vehicle else None),
        ):
            verdict = bad.get((kind, ref)) if ref else None  # type: ignore[arg-type]
            if verdict is not None:
                setattr(run, attr, None)
                removed.append({"holder_type": kind, "holder_ref": ref, "reasons": list(verdict.verdict.reasons)})
        if removed:
            changed.append({"route_code": run.route.route_code, "session": run.session, "removed": removed})
    session.flush()
    return changed


def keep_crew_compliant(session: Session, day: dt.date, policy: Policy) -> list[dict[str, Any]]:
    """Take non-compliant crew off the day's unstarted runs; call it whenever runs are (re)generated.

    Generating copies each route's crew onto its runs, including anyone whose documents lapsed
    after they were assigned, and refreshing a run puts back crew the morning sweep took off.
    """
    return take_off_runs(session, day, evaluate_all(session, day, policy))


def queue_expiry_warnings(session: Session, day: dt.date, policy: Policy) -> int:
    """Warn each operator of its documents (and its staff's and vehicles') reaching 30, 14 or 7 days."""
    queued = 0
    horizon = day + dt.timedelta(days=max(policy.warning_days))
    documents = session.scalars(
        select(Document).where(Document.expires_on.is_not(None), Document.expires_on >= day,
                               Document.expires_on <= horizon)
        .options(selectinload(Document.operator), selectinload(Document.staff), selectinload(Document.vehicle))
        .order_by(Document.expires_on, Document.id)
    )
    for document in documents:
        fact = DocumentFact(document.document_type, document.reference, document.issued_on,
                            document.expires_on, document.status)
        threshold = warning_due(fact, day, policy)
        if threshold is None:
            continue
        holder = document.holder
        operator: Operator = holder if isinstance(holder, Operator) else holder.operator  # type: ignore[union-attr,assignment]
        assert document.expires_on is not None
        left = (document.expires_on - day).days
        subject = f"Renewal due: {document.document_type.replace('_', ' ')} for {document.holder_ref} " \
                  f"expires {document.expires_on.isoformat()}"
        body = (
            f"Dear {operator.name},\n\n"
            f"The {document.document_type.replace('_', ' ')} (reference {document.reference}) held by "
            f"{holder} expires on {document.expires_on.isoformat()}, in {left} days.\n"
            "Send the renewed document to the council's compliance team before then: from the day after "
            "it expires the holder cannot be assigned to or run a route.\n\n"
            "Home to School Transport compliance team\n"
        )
        key = f"expiry:{document.id}:{threshold}:{document.expires_on.isoformat()}"
        if queue(session, key=key, to=operator.contact_email, subject=subject, body=body) is not None:
            queued += 1
    return queued


def run_sweep(session: Session, day: dt.date, policy: Policy | None = None) -> SweepReport:
    """Re-judge every holder for `day` and the look-ahead, warn, list routes at risk; flush.

    Two sweeps at once (the scheduler's and a person's) queue up here: the second starts when
    the first has committed and finds its work done, instead of taking crew off twice.
    """
    serialise(session, "compliance-sweep")
    policy = policy or Policy()
    holders = load_holders(session)
    verdicts = evaluate_all(session, day, policy, holders)
    report = SweepReport(day=day, holders_checked=len(verdicts))
    report.not_compliant = [v.as_dict() for v in verdicts if not v.verdict.ok]
    report.lapsing = lapsing_holders(session, day, policy, holders, verdicts)
    report.routes_at_risk = routes_at_risk(session, day, policy, holders)
    report.runs_changed = take_off_runs(session, day, verdicts)
    report.warnings_queued = queue_expiry_warnings(session, day, policy)
    stored = session.scalar(select(SweepResult).where(SweepResult.day == day))
    content = (report.holders_checked, report.not_compliant, report.lapsing, report.routes_at_risk)
    if stored is None:
        session.add(SweepResult(day=day, holders_checked=report.holders_checked, not_compliant=report.not_compliant,
                                lapsing=report.lapsing, routes_at_risk=report.routes_at_risk,
                                runs_changed=report.runs_changed, warnings_queued=report.warnings_queued))
        report.changed = True
    elif (stored.holders_checked, stored.not_compliant, stored.lapsing, stored.routes_at_risk) != content \
            or report.warnings_queued or report.runs_changed:
        stored.holders_checked, stored.not_compliant, stored.lapsing, stored.routes_at_risk = content
        stored.runs_changed = [*stored.runs_changed, *report.runs_changed]
        stored.warnings_queued += report.warnings_queued
        report.changed = True
    session.flush()
    return report
