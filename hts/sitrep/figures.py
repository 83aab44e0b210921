"""SITREP figures for a day or a week, by SQL aggregates (never by loading rows into Python).

Definitions (domain.md): runs not required are left out of every run figure; percentages are
rounded to two decimals and are None when the denominator is zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hts.compliance.models import SweepResult
from hts.compliance.rules import Policy
from hts.compliance.service import evaluate_all, standing_decisions
from hts.compliance.sweep import routes_at_risk
from hts.operations.models import (
    DELIVERED,
    BusPassApplication,
    CallDay,
    Complaint,
    Run,
    RunStatus,
    SafeguardingCase,
)
from hts.operators.models import Document


def percent(numerator: int, denominator: int) -> float | None:
    """numerator / denominator as a percentage to two decimals, or None for a zero denominator."""
    if not denominator:
        return None
    return round(100 * numerator / denominator, 2)


@dataclass(frozen=True)
class Sitrep:
    """The figures, with the JSON keys of `hts sitrep --json`."""

    period_start: dt.date
    period_end: dt.date
    routes_scheduled: int
    routes_delivered: int
    routes_delivered_pct: float | None
    routes_on_time: int
    routes_on_time_pct: float | None
    pupil_journeys_needed: int
    pupil_journeys_completed: int
    pupils_transported_pct: float | None
    calls_received: int
    calls_answered: int
    calls_answered_pct: float | None
    complaints_open: int
    complaints_overdue: int
    safeguarding_open: int
    bus_passes_awaiting: int
    operators_suspended: int
    holders_not_compliant: int
    documents_expiring_30d: int
    routes_at_risk: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready figures (dates as ISO strings)."""
        data = asdict(self)
        data["period_start"] = self.period_start.isoformat()
        data["period_end"] = self.period_end.isoformat()
        return data


def week_of(week_ending: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Friday of the week ending on a Friday; raises ValueError for another weekday."""
    if week_ending.weekday() != 4:
        raise ValueError(f"{week_ending.isoformat()} is a {week_ending.strftime('%A')}; a week ends on a Friday")
    return week_ending - dt.timedelta(days=4), week_ending


def run_figures(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    """Scheduled, delivered, on time, journeys needed and completed, in one aggregate query."""
    delivered = Run.status.in_([s.value for s in DELIVERED])
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((delivered, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(delivered, Run.on_time.is_(True)), 1), else_=0)), 0),
            func.coalesce(func.sum(Run.pupils_expected - Run.pupils_absent), 0),
            func.coalesce(func.sum(case((delivered, Run.pupils_transported), else_=0)), 0),
        ).where(Run.run_on.between(start, end), Run.status != RunStatus.NOT_REQUIRED.value)
    ).one()
    return dict(zip(("scheduled", "delivered", "on_time", "needed", "completed"), map(int, row), strict=True))


def open_on(opened, closed, day: dt.date):  # type: ignore[no-untyped-def]
    """SQL condition: opened by `day` and not closed by then."""
    return and_(opened <= day, or_(closed.is_(None), closed > day))


def casework_figures(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    """Calls over the period; complaints, cases and bus passes as they stood at its end."""
    calls = session.execute(
        select(func.coalesce(func.sum(CallDay.received), 0), func.coalesce(func.sum(CallDay.answered), 0))
        .where(CallDay.call_on.between(start, end))
    ).one()
    complaints = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Complaint.response_due_on < end, 1), else_=0)), 0))
        .where(open_on(Complaint.received_on, Complaint.closed_on, end))
    ).one()
    safeguarding = session.scalar(
        select(func.count()).where(open_on(SafeguardingCase.opened_on, SafeguardingCase.closed_on, end)))
    passes = session.scalar(
        select(func.count()).where(open_on(BusPassApplication.received_on, BusPassApplication.assessed_on, end)))
    return {
        "calls_received": int(calls[0]), "calls_answered": int(calls[1]),
        "complaints_open": int(complaints[0]), "complaints_overdue": int(complaints[1]),
        "safeguarding_open": int(safeguarding or 0), "bus_passes_awaiting": int(passes or 0),
    }


def documents_expiring(session: Session, day: dt.date, within_days: int = 30) -> int:
    """Verified documents in force on `day` that expire within the next `within_days` days."""
    return session.scalar(
        select(func.count()).select_from(Document).where(
            Document.status == "verified", Document.expires_on >= day,
            Document.expires_on <= day + dt.timedelta(days=within_days),
            or_(Document.issued_on.is_(None), Document.issued_on <= day),
        )
    ) or 0


def compliance_figures(session: Session, day: dt.date, policy: Policy) -> dict[str, int]:
    """Operators suspended, holders not compliant and routes at risk (from the day's sweep), expiring documents."""
    sweep = session.scalar(select(SweepResult).where(SweepResult.day == day))
    if sweep is not None:
        not_compliant, at_risk = len(sweep.not_compliant), len(sweep.routes_at_risk)
    else:  # no sweep stored for the day (e.g. a past day): judge now with the given policy
        not_compliant = sum(1 for v in evaluate_all(session, day, policy) if not v.verdict.ok)
        at_risk = len(routes_at_risk(session, day, policy))
    return {
        "operators_suspended": len(standing_decisions(session, day)),
        "holders_not_compliant": not_compliant,
        "documents_expiring_30d": documents_expiring(session, day),
        "routes_at_risk": at_risk,
    }


def sitrep(session: Session, start: dt.date, end: dt.date, policy: Policy | None = None) -> Sitrep:
    """The figures for a period (one day: start == end)."""
    runs = run_figures(session, start, end)
    casework = casework_figures(session, start, end)
    compliance = compliance_figures(session, end, policy or Policy())
    return Sitrep(
        period_start=start, period_end=end,
        routes_scheduled=runs["scheduled"], routes_delivered=runs["delivered"],
        routes_delivered_pct=percent(runs["delivered"], runs["scheduled"]),
        routes_on_time=runs["on_time"], routes_on_time_pct=percent(runs["on_time"], runs["delivered"]),
        pupil_journeys_needed=runs["needed"], pupil_journeys_completed=runs["completed"],
        pupils_transported_pct=percent(runs["completed"], runs["needed"]),
        calls_received=casework["calls_received"], calls_answered=casework["calls_answered"],
        calls_answered_pct=percent(casework["calls_answered"], casework["calls_received"]),
        complaints_open=casework["complaints_open"], complaints_overdue=casework["complaints_overdue"],
        safeguarding_open=casework["safeguarding_open"], bus_passes_awaiting=casework["bus_passes_awaiting"],
        **compliance,
    )


@dataclass(frozen=True)
class DayTrend:
    """One day's headline percentages, for the trend charts."""

    day: dt.date
    routes_scheduled: int
    routes_delivered_pct: float | None
    routes_on_time_pct: float | None
    pupils_transported_pct: float | None
    calls_answered_pct: float | None


def daily_trend(session: Session, start: dt.date, end: dt.date) -> list[DayTrend]:
    """Per-day percentages over a period in two grouped queries (days with runs or calls only)."""
    delivered = Run.status.in_([s.value for s in DELIVERED])
    runs = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Run.run_on,
                func.count(),
                func.coalesce(func.sum(case((delivered, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(delivered, Run.on_time.is_(True)), 1), else_=0)), 0),
                func.coalesce(func.sum(Run.pupils_expected - Run.pupils_absent), 0),
                func.coalesce(func.sum(case((delivered, Run.pupils_transported), else_=0)), 0),
            )
            .where(Run.run_on.between(start, end), Run.status != RunStatus.NOT_REQUIRED.value)
            .group_by(Run.run_on)
        )
    }
    calls = {
        row[0]: (int(row[1]), int(row[2]))
        for row in session.execute(
            select(CallDay.call_on, CallDay.received, CallDay.answered).where(CallDay.call_on.between(start, end))
        )
    }
    trend = []
    for day in sorted(set(runs) | set(calls)):
        scheduled, delivered_n, on_time, needed, completed = (int(x) for x in runs.get(day, (0, 0, 0, 0, 0)))
        received, answered = calls.get(day, (0, 0))
        trend.append(DayTrend(day, scheduled, percent(delivered_n, scheduled), percent(on_time, delivered_n),
                              percent(completed, needed), percent(answered, received)))
    return trend
