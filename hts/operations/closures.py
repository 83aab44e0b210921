"""School closures recorded by the control room: an inset day or an unplanned closure (snow, a
heating failure) for one school or for all, from today on.

The school calendar import loads the year's terms and planned inset days; this is for the day
itself. Recording or removing a closure generates the runs already made for its days again, so
they stand down (or come back on) at once; runs already under way are left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, selectinload

from hts.compliance.rules import Policy
from hts.operations.models import ClosureKind, Run, SchoolClosure
from hts.operations.runs import DayRefresh, refresh_generated_days
from hts.weekdays import weekdays_between

#: The most weekdays one closure may cover; a longer break is a holiday, for the calendar import.
MAX_CLOSURE_WEEKDAYS = 20

Errors = dict[str, str]


class ClosureRefused(ValueError):
    """A closure that cannot be recorded or removed, with the reason for each field."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ClosureInput:
    """A closure as entered: for one school (or None, every school), a first and a last day."""

    school_id: int | None
    first_day: dt.date
    last_day: dt.date | None
    kind: ClosureKind
    reason: str


def long_date(day: dt.date) -> str:
    """A date as people write it: Thursday 26 November 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def runs_count(count: int) -> str:
    """'1 run', '2 runs'."""
    return f"{count} run{'s' if count != 1 else ''}"


def closure_days(data: ClosureInput, today: dt.date, taken: dict[dt.date, str]) -> tuple[list[dt.date], Errors]:
    """The weekdays the closure covers, and the reasons it cannot be recorded (none when it can).

    `taken` holds the days already closed for the same school (or for all), with why.
    """
    errors: Errors = {}
    last = data.last_day or data.first_day
    if data.first_day < today:
        errors["first_day"] = ("The first day must be today or later: a past day's runs are recorded "
                               "on the runs board")
    if last < data.first_day:
        errors["last_day"] = "The last day must be the same as the first day or after it"
    if errors:
        return [], errors
    days = weekdays_between(data.first_day, last)
    if not days:
        errors["first_day"] = "Those days are a weekend: schools are shut at weekends anyway"
    elif len(days) > MAX_CLOSURE_WEEKDAYS:
        errors["last_day"] = (f"A closure covers at most {MAX_CLOSURE_WEEKDAYS} weekdays; a longer break "
                              f"is a school holiday: load it with the school calendar import")
    clashes = [day for day in days if day in taken]
    if clashes and not errors:
        first = clashes[0]
        more = f", and {len(clashes) - 1} more of these days" if len(clashes) > 1 else ""
        errors["first_day"] = f"Already closed on {long_date(first)} ({taken[first]}){more}"
    return days, errors


def _shutting(school_id: int | None) -> ColumnElement[bool]:
    """Closures that shut a school: its own and every school's (for None, every school's alone:
    one school's closure does not stand in the way of closing them all)."""
    if school_id is None:
        return SchoolClosure.school_id.is_(None)
    return or_(SchoolClosure.school_id == school_id, SchoolClosure.school_id.is_(None))


def record_closure(session: Session, data: ClosureInput, today: dt.date,
                   policy: Policy) -> tuple[list[SchoolClosure], list[DayRefresh]]:
    """Store one row per weekday and bring the runs already made for those days in line (crew
    checked against `policy`, as after every generation).

    Raises ClosureRefused (nothing written) when `closure_days` finds a reason.
    """
    reason = data.reason.strip()
    if not reason:
        raise ClosureRefused({"reason": "Enter why the school is closed, for example heating failure"})
    taken = {row.closed_on: f"{row.kind.value}: {row.reason}" for row in session.scalars(
        select(SchoolClosure).where(_shutting(data.school_id), SchoolClosure.closed_on >= data.first_day))}
    days, errors = closure_days(data, today, taken)
    if errors:
        raise ClosureRefused(errors)
    rows = [SchoolClosure(school_id=data.school_id, closed_on=day, kind=data.kind, reason=reason) for day in days]
    session.add_all(rows)
    session.flush()
    return rows, refresh_generated_days(session, today, policy, only=days)


def remove_closure(session: Session, closure: SchoolClosure, today: dt.date, policy: Policy) -> list[DayRefresh]:
    """Remove one day's closure (recorded in error, or the school reopened) and put its runs back on."""
    if closure.closed_on < today:
        raise ClosureRefused({"closure": "A past day's closure stays: that day's runs are already recorded"})
    day = closure.closed_on
    session.delete(closure)
    session.flush()
    return refresh_generated_days(session, today, policy, only=[day])


def upcoming(today: dt.date, school_id: int | None = None) -> Select[tuple[SchoolClosure]]:
    """Closures from today on (those that shut `school_id`, when given: its own and every
    school's), soonest first, every school's before one school's on the same day."""
    query = select(SchoolClosure).where(SchoolClosure.closed_on >= today)
    if school_id is not None:
        query = query.where(_shutting(school_id))
    return query.options(selectinload(SchoolClosure.school)).order_by(
        SchoolClosure.closed_on, SchoolClosure.school_id.is_not(None), SchoolClosure.id)


def on_day(session: Session, day: dt.date, *, operator_id: int | None = None) -> list[SchoolClosure]:
    """The closures recorded for one day, every school's first; with `operator_id`, only those of
    every school and of the schools that operator has runs for that day."""
    query = select(SchoolClosure).where(SchoolClosure.closed_on == day)
    if operator_id is not None:
        served = select(Run.school_id).where(Run.run_on == day, Run.operator_id == operator_id)
        query = query.where(or_(SchoolClosure.school_id.is_(None), SchoolClosure.school_id.in_(served)))
    return list(session.scalars(query.order_by(SchoolClosure.school_id.is_not(None), SchoolClosure.id)))
