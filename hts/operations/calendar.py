"""School days: term dates, inset days and closures per school, and English bank holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import holidays
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hts.operations.models import SchoolClosure, SchoolTerm


@cache
def bank_holidays(year: int) -> dict[dt.date, str]:
    """England's bank holidays for a year (from the `holidays` package)."""
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year))


@dataclass(frozen=True)
class Calendar:
    """Term dates and closures loaded once, to answer 'is this a school day here?' quickly."""

    #: (school_id or None for all, starts_on, ends_on)
    terms: tuple[tuple[int | None, dt.date, dt.date], ...]
    #: (school_id or None) -> closed dates with reasons
    closures: dict[int | None, dict[dt.date, str]] = field(default_factory=dict)

    def closed_reason(self, school_id: int, day: dt.date) -> str | None:
        """Why the school is closed on `day`, or None when it is a school day."""
        if day.weekday() >= 5:
            return "weekend"
        holiday = bank_holidays(day.year).get(day)
        if holiday:
            return f"bank holiday: {holiday}"
        own_terms = [t for t in self.terms if t[0] == school_id]
        terms = own_terms or [t for t in self.terms if t[0] is None]
        if terms and not any(start <= day <= end for _, start, end in terms):
            return "school holiday"
        for key in (school_id, None):
            reason = self.closures.get(key, {}).get(day)
            if reason:
                return reason
        return None

    def is_school_day(self, school_id: int, day: dt.date) -> bool:
        """Whether the school is open on `day`."""
        return self.closed_reason(school_id, day) is None

    def route_closures(self, school_id: int, pupil_school_ids: Iterable[int],
                       day: dt.date) -> tuple[str | None, frozenset[int]]:
        """For a route of `school_id` carrying pupils of these schools on `day`: why it does not run
        (None unless every one of its schools is closed; then its own school's reason), and the
        schools closed that day, whose pupils do not travel.

        Nearby schools may share a vehicle, and each keeps its own calendar: an inset day at one
        must not leave the other's pupils without their run, nor count its own pupils as missed.
        """
        schools = {school_id, *pupil_school_ids}
        reasons = {s: reason for s in schools if (reason := self.closed_reason(s, day))}
        return (reasons[school_id] if len(reasons) == len(schools) else None), frozenset(reasons)


def load_calendar(session: Session, school_ids: Iterable[int] | None = None) -> Calendar:
    """Terms and closures for the given schools (and council-wide ones)."""
    ids = list(school_ids) if school_ids is not None else None
    term_query = select(SchoolTerm.school_id, SchoolTerm.starts_on, SchoolTerm.ends_on)
    closure_query = select(SchoolClosure)
    if ids is not None:
        term_query = term_query.where(or_(SchoolTerm.school_id.is_(None), SchoolTerm.school_id.in_(ids)))
        closure_query = closure_query.where(or_(SchoolClosure.school_id.is_(None), SchoolClosure.school_id.in_(ids)))
    terms = tuple((row[0], row[1], row[2]) for row in session.execute(term_query))
    closures: dict[int | None, dict[dt.date, str]] = {}
    for closure in session.scalars(closure_query):
        closures.setdefault(closure.school_id, {})[closure.closed_on] = f"{closure.kind.value}: {closure.reason}"
    return Calendar(terms=terms, closures=closures)
