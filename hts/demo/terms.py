"""The demo council's school year: six half terms, two council-wide inset days, a few schools' own.

Pure and deterministic: dates follow the pattern English councils publish (autumn from early
September with a half term at the end of October, spring from the first week of January, summer
from mid April with a half term over the late May bank holiday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from hts.operations.calendar import bank_holidays

#: Terms that start a school year, each split into two halves around its half-term week.
TERMS = ("Autumn", "Spring", "Summer")
#: What `term_day_index` answers for a day outside every term.
NOT_IN_TERM = 999
#: School-specific inset days per school year, as a share of schools (at least one school).
OWN_INSET_SHARE = 0.05


@dataclass(frozen=True)
class HalfTerm:
    """Half a term, council-wide: e.g. 'Autumn 1 2026' from 1 September to 23 October."""

    term: str
    #: The calendar year the school year starts in.
    year: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


def day_rng(seed: int, stage: int, day: dt.date | int) -> np.random.Generator:
    """The generator of one stage of the demo on one day (or school year): same seed, same draws."""
    return np.random.default_rng([seed, stage, day.toordinal() if isinstance(day, dt.date) else day])


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _friday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def school_year_of(day: dt.date) -> int:
    """The calendar year a day's school year starts in (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def half_terms(year: int) -> list[HalfTerm]:
    """The six half terms of the school year starting in September of `year`."""
    first = dt.date(year, 9, 1)
    # Pupils start on 1 September unless it falls late in the week; then the Monday after.
    autumn = first if first.weekday() <= 2 else _monday_on_or_after(first)
    autumn_break = _monday_of(dt.date(year, 10, 27))
    spring = _monday_on_or_after(dt.date(year + 1, 1, 4))
    spring_break = _monday_of(dt.date(year + 1, 2, 16))
    summer = _monday_on_or_after(dt.date(year + 1, 4, 13))
    may_bank_holiday = _monday_of(dt.date(year + 1, 5, 31))
    dates = [
        ("Autumn", autumn, autumn_break - dt.timedelta(days=3)),
        ("Autumn", autumn_break + dt.timedelta(days=7), _friday_on_or_before(dt.date(year, 12, 20))),
        ("Spring", spring, spring_break - dt.timedelta(days=3)),
        ("Spring", spring_break + dt.timedelta(days=7), _friday_on_or_before(dt.date(year + 1, 3, 31))),
        ("Summer", summer, may_bank_holiday - dt.timedelta(days=3)),
        ("Summer", may_bank_holiday + dt.timedelta(days=7), _friday_on_or_before(dt.date(year + 1, 7, 22))),
    ]
    return [HalfTerm(term, year, f"{term} {1 + i % 2} {year}/{(year + 1) % 100:02d}", start, end)
            for i, (term, start, end) in enumerate(dates)]


def council_inset_days(year: int) -> list[tuple[dt.date, str]]:
    """The council-wide inset days: the first day back after the autumn and spring half terms."""
    halves = half_terms(year)
    return [(halves[1].starts_on, "staff training (all schools)"),
            (halves[3].starts_on, "staff training (all schools)")]


def term_weekdays(halves: list[HalfTerm], start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekdays from `start` to `end` inside a half term, bank holidays left out, in order."""
    days = []
    for half in halves:
        day = max(start, half.starts_on)
        while day <= min(end, half.ends_on):
            if day.weekday() < 5 and day not in bank_holidays(day.year):
                days.append(day)
            day += dt.timedelta(days=1)
    return sorted(days)


def own_inset_days(rng: np.random.Generator, year: int, school_urns: list[str]) -> list[tuple[str, dt.date]]:
    """A few schools' own inset days in the school year: (school URN, date), one each."""
    if not school_urns:
        return []
    halves = half_terms(year)
    days = term_weekdays(halves, halves[0].starts_on, halves[-1].ends_on)
    count = max(1, round(len(school_urns) * OWN_INSET_SHARE))
    chosen = rng.choice(len(school_urns), size=min(count, len(school_urns)), replace=False)
    return [(school_urns[int(i)], days[int(rng.integers(len(days)))]) for i in sorted(chosen)]


def history_days(today: dt.date, requested: int | None, max_default: int) -> list[dt.date]:
    """The school days the demo's history covers, oldest first, all before `today`.

    `requested` None: the current term so far (the latest term that has started), at most
    `max_default` days; otherwise the last `requested` term weekdays, reaching back into the
    previous school year when the current one has too few.
    """
    year = school_year_of(today)
    yesterday = today - dt.timedelta(days=1)
    halves = half_terms(year - 1) + half_terms(year)
    if requested is None:
        started = [h for h in halves if h.starts_on <= yesterday]
        if not started:
            return []
        latest = started[-1]
        term_start = min(h.starts_on for h in halves if (h.term, h.year) == (latest.term, latest.year))
        return term_weekdays(halves, term_start, yesterday)[-max_default:] if max_default else []
    if requested <= 0:
        return []
    return term_weekdays(halves, halves[0].starts_on, yesterday)[-requested:]


def term_day_index(day: dt.date) -> int:
    """How many term weekdays of the day's term came before it (0 on the first day of term)."""
    year = school_year_of(day)
    halves = half_terms(year)
    term = next((h.term for h in halves if h.starts_on <= day <= h.ends_on), None)
    if term is None:  # a holiday: not the start of anything
        return NOT_IN_TERM
    start = min(h.starts_on for h in halves if h.term == term)
    return len(term_weekdays(halves, start, day)) - 1
