"""A term of history for the demo city, so the manager's dashboard is alive on first start.

Term dates and inset days, then for every school day before `today`: pupil absences, each
published route's run with what happened to it (close to the figures in domain.md: about 99% of
runs delivered, 99% of those on time, 99.6% of pupil journeys completed), the day's calls, and
the complaints, safeguarding cases and bus pass applications that came in. Then today's and the
next school day's runs through `generate_runs`, so the control room has a live day.

A year of history is about 430,000 runs, so runs, absences, calls and bus passes go in with bulk
Core INSERTs on the tables (the SITREP works from each run's pupil counts, so history days need no
per-pupil rows; and the ORM's bulk INSERT leaves out None values, which splits a day's runs into
many small statements); complaints and safeguarding cases, a few dozen, go through the ORM so
they are audited.

Every day draws from its own generator seeded by (seed, stage, day), so a day's history is the
same whichever window it falls in. Re-running is safe: a day that already has runs with outcomes
is left alone; a day whose runs were generated but never started (the live day of an earlier
demo) is replaced; calendar rows, calls and casework are keyed and only added when missing
(an open case the new draw says has since closed is closed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from hts import weekdays
from hts.demo import terms
from hts.demo.casework import draw_bus_passes, draw_calls, draw_complaints, draw_safeguarding
from hts.operations.calendar import Calendar, load_calendar
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    ClosureKind,
    Complaint,
    PupilAbsence,
    Run,
    RunStatus,
    SafeguardingCase,
    SchoolClosure,
    SchoolTerm,
)
from hts.operations.runs import GenerationReport, generate_runs
from hts.people.models import Pupil, School
from hts.routing.models import Route, RouteStop, route_stop_pupil

#: Generator stages (the city itself uses 1-9, casework 23-26).
STAGE_CALENDAR, STAGE_ABSENCES, STAGE_RUNS = 20, 21, 22
#: Default history: the current term so far, at most this many school days.
DEFAULT_HISTORY_DAYS = 60
#: The longest history asked for: two school years of term weekdays.
MAX_HISTORY_DAYS = 380
#: Who the demo's absences are recorded by.
RECORDED_BY = "demo"

#: Share of pupils absent on a day (drawn per day between these); most for the whole day.
ABSENT_SHARE = (0.025, 0.05)
ABSENCE_SESSIONS = (("both", 0.86), ("am", 0.08), ("pm", 0.06))
ABSENCE_REASONS = ("ill", "ill", "ill", "medical appointment", "family reasons", "school trip")
#: A run's chance of cancellation, by pupils needing it: single-pupil taxis are the ones a sick
#: driver or a broken-down car leaves without cover; bigger vehicles get a spare from the depot.
#: (Every pupil of a cancelled run counts as a journey not completed, so cancellations falling
#: on small runs is what lets about 99.3% delivered sit beside about 99.6% transported.)
CANCEL_CHANCE = {1: 0.016, 2: 0.008}
CANCEL_CHANCE_LARGER = 0.001
CANCEL_REASONS = ("vehicle breakdown", "driver sick")
NO_PA = "no PA available"
#: Share of delivered runs arriving after the bell, and by how many minutes at most.
LATE_SHARE = 0.009
LATE_MINUTES = 12
#: Minutes before the bell an on-time run arrives: at least the first, up to the second.
EARLY_MINUTES = (2, 20)
#: Chance, per pupil needing a run, that the run has one pupil not presented at the door.
NOT_PRESENTED_CHANCE = 0.0005
#: The first school days of a term run rougher: new routes, new drivers, more calls.
TERM_START_DAYS = 5
TERM_START_FACTOR = 1.8


@dataclass(frozen=True)
class RouteFacts:
    """What a run needs from its published route, loaded once."""

    id: int
    code: str
    session: str
    days: int
    school_id: int
    operator_id: int | None
    driver_id: int | None
    pa_id: int | None
    #: The bell the run is due at school by, in minutes after midnight.
    due_minutes: int
    #: Pupil ids in stop order.
    pupils: tuple[int, ...]
    #: Pupil ids travelling on each weekday (Monday first).
    travelling: tuple[tuple[int, ...], ...]
    #: The run's columns that are the same every day.
    columns: dict[str, object] = field(hash=False, compare=False)


def load_routes(session: Session) -> list[RouteFacts]:
    """Every published route with its school's times and its pupils, in two queries, by code."""
    pupils: dict[int, list[tuple[int, int]]] = {}
    for route_id, pupil_id, days in session.execute(
        select(RouteStop.route_id, Pupil.id, Pupil.travel_days)
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .join(Pupil, Pupil.id == route_stop_pupil.c.pupil_id)
        .order_by(RouteStop.route_id, RouteStop.sequence, Pupil.pupil_ref)
    ):
        pupils.setdefault(route_id, []).append((pupil_id, days))
    facts = []
    for r in session.execute(
        select(Route.id, Route.route_code, Route.session, Route.days, Route.version, Route.school_id,
               Route.operator_id, Route.vehicle_id, Route.driver_id, Route.pa_id, School.start_time,
               School.finish_time)
        .join(School, School.id == Route.school_id)
        .where(Route.withdrawn_on.is_(None)).order_by(Route.route_code)
    ):
        session_name = str(r.session)
        due = r.start_time if session_name == "am" else r.finish_time
        on_route = pupils.get(r.id, [])
        facts.append(RouteFacts(
            r.id, r.route_code, session_name, r.days, r.school_id, r.operator_id, r.driver_id, r.pa_id,
            due.hour * 60 + due.minute, tuple(pid for pid, _ in on_route),
            tuple(tuple(pid for pid, days in on_route if weekdays.includes(days, wd)) for wd in range(7)),
            {"route_id": r.id, "session": session_name, "route_version": r.version, "school_id": r.school_id,
             "operator_id": r.operator_id, "vehicle_id": r.vehicle_id, "driver_id": r.driver_id,
             "pa_id": r.pa_id, "due_at_school": due},
        ))
    return facts


def draw_absences(seed: int, day: dt.date, pupil_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Pupil id -> (session, reason) for the pupils absent on `day` (a few percent)."""
    rng = terms.day_rng(seed, STAGE_ABSENCES, day)
    share = rng.uniform(*ABSENT_SHARE)
    draws = rng.random((len(pupil_ids), 3)).tolist()
    names = [name for name, _ in ABSENCE_SESSIONS]
    limits = np.cumsum([weight for _, weight in ABSENCE_SESSIONS]).tolist()
    absent = {}
    for pupil_id, (u_absent, u_session, u_reason) in zip(pupil_ids, draws, strict=True):
        if u_absent < share:
            which = next(i for i, limit in enumerate(limits) if u_session < limit or i == len(limits) - 1)
            absent[pupil_id] = (names[which], ABSENCE_REASONS[int(u_reason * len(ABSENCE_REASONS))])
    return absent


def _cancel_chance(needed: int) -> float:
    return CANCEL_CHANCE.get(needed, CANCEL_CHANCE_LARGER)


def _clock(minutes: int) -> dt.time:
    return dt.time(*divmod(minutes, 60))


def draw_runs(seed: int, day: dt.date, routes: Sequence[RouteFacts], absent: dict[int, tuple[str, str]],
              calendar: Calendar, tolerance_minutes: int = 0) -> list[dict[str, object]]:
    """The day's runs as INSERT rows: not required when closed or nobody travels, else an outcome.

    Every route takes its draws whether it runs or not, so one school's inset day leaves the
    other routes' outcomes as they were.
    """
    rng = terms.day_rng(seed, STAGE_RUNS, day)
    draws = rng.random((len(routes), 6)).tolist()
    rough = TERM_START_FACTOR if terms.term_day_index(day) < TERM_START_DAYS else 1.0
    weekday, now = day.weekday(), dt.datetime.now(dt.UTC)
    away = {name: {pid for pid, (which, _) in absent.items() if which in ("both", name)} for name in ("am", "pm")}
    closed_at: dict[int, str | None] = {}
    rows: list[dict[str, object]] = []
    for route, (u_cancel, u_reason, u_late, u_minutes, u_early, u_missing) in zip(routes, draws, strict=True):
        if not weekdays.includes(route.days, weekday):
            continue
        travelling = route.travelling[weekday]
        absent_n = sum(1 for pid in travelling if pid in away[route.session])
        needed = len(travelling) - absent_n
        row: dict[str, object] = {
            **route.columns, "run_on": day, "pupils_expected": len(travelling), "pupils_absent": absent_n,
            "pupils_transported": 0, "status": RunStatus.NOT_REQUIRED, "reason": None,
            "arrived_at_school": None, "on_time": None, "updated_at": now,
        }
        if route.school_id not in closed_at:
            closed_at[route.school_id] = calendar.closed_reason(route.school_id, day)
        closed = closed_at[route.school_id]
        if closed or needed == 0:
            row["reason"] = closed or "no pupils travelling"
        elif u_cancel < _cancel_chance(needed) * rough:
            reasons = CANCEL_REASONS + ((NO_PA,) if route.pa_id else ())
            row["status"], row["reason"] = RunStatus.CANCELLED, reasons[int(u_reason * len(reasons))]
        else:
            if u_late < LATE_SHARE * rough:
                minutes = tolerance_minutes + 1 + int(u_minutes * LATE_MINUTES)
            else:
                minutes = -(EARLY_MINUTES[0] + int(u_early * (EARLY_MINUTES[1] - EARLY_MINUTES[0])))
            # Bells fall in the daytime, so arrival is the bell plus minutes, and on time means
            # no more than the tolerance after it (as `is_on_time` judges).
            row["status"], row["arrived_at_school"] = RunStatus.COMPLETED, _clock(route.due_minutes + minutes)
            row["on_time"] = minutes <= tolerance_minutes
            row["pupils_transported"] = needed - (1 if u_missing < NOT_PRESENTED_CHANCE * needed else 0)
        rows.append(row)
    return rows


@dataclass
class HistoryReport:
    """What writing the history did."""

    days: int = 0
    days_left_alone: int = 0
    runs: int = 0
    absences: int = 0
    calls: int = 0
    complaints: int = 0
    safeguarding: int = 0
    bus_passes: int = 0
    live: list[GenerationReport] = field(default_factory=list)


def next_weekday(day: dt.date) -> dt.date:
    """The next Monday-to-Friday day after `day`."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def write_calendar(session: Session, seed: int, today: dt.date) -> None:
    """Council term dates for last, this and next school year, their inset days and a few schools' own."""
    year = terms.school_year_of(today)
    have_terms = {tuple(row) for row in session.execute(
        select(SchoolTerm.school_id, SchoolTerm.name, SchoolTerm.starts_on))}
    have_closures = {tuple(row) for row in session.execute(select(SchoolClosure.school_id, SchoolClosure.closed_on))}
    schools = {urn: id_ for urn, id_ in session.execute(select(School.urn, School.id))}
    new_terms, new_closures = [], []
    for y in (year - 1, year, year + 1):
        for half in terms.half_terms(y):
            if (None, half.name, half.starts_on) not in have_terms:
                new_terms.append({"school_id": None, "name": half.name, "starts_on": half.starts_on,
                                  "ends_on": half.ends_on})
        closures = [(None, day, reason) for day, reason in terms.council_inset_days(y)]
        closures += [(schools[urn], day, "staff training") for urn, day in
                     terms.own_inset_days(terms.day_rng(seed, STAGE_CALENDAR, y), y, sorted(schools))]
        for school_id, day, reason in closures:
            if (school_id, day) not in have_closures:
                have_closures.add((school_id, day))
                new_closures.append({"school_id": school_id, "closed_on": day, "kind": ClosureKind.INSET,
                                     "reason": reason})
    if new_terms:
        session.execute(insert(SchoolTerm.__table__), new_terms)
    if new_closures:
        session.execute(insert(SchoolClosure.__table__), new_closures)


def _days_with_runs(session: Session, days: Sequence[dt.date]) -> dict[dt.date, set[str]]:
    found: dict[dt.date, set[str]] = {}
    for start in range(0, len(days), 500):
        for day, status in session.execute(
            select(Run.run_on, Run.status).where(Run.run_on.in_(days[start:start + 500])).distinct()
        ):
            found.setdefault(day, set()).add(str(status))
    return found


def _write_absences(session: Session, day: dt.date, absent: dict[int, tuple[str, str]]) -> int:
    have = {tuple(row) for row in session.execute(
        select(PupilAbsence.pupil_id, PupilAbsence.session).where(PupilAbsence.absent_on == day))}
    rows = [{"pupil_id": pid, "absent_on": day, "session": which, "reason": reason, "recorded_by": RECORDED_BY}
            for pid, (which, reason) in sorted(absent.items()) if (pid, which) not in have]
    if rows:
        session.execute(insert(PupilAbsence.__table__), rows)
    return len(rows)


def _write_casework(session: Session, seed: int, days: Iterable[dt.date], today: dt.date,
                    routes: Sequence[RouteFacts], report: HistoryReport) -> None:
    days = list(days)
    have_calls = set(session.scalars(select(CallDay.call_on)))
    calls = []
    for day in days:
        if day not in have_calls:
            received, answered = draw_calls(seed, day)
            calls.append({"call_on": day, "received": received, "answered": answered})
    if calls:
        session.execute(insert(CallDay.__table__), calls)
    report.calls = len(calls)
    # Complaints and cases are about a route: a city without routes has none.
    for model, draw, counter in ((Complaint, draw_complaints, "complaints"),
                                 (SafeguardingCase, draw_safeguarding, "safeguarding")) if routes else ():
        existing = {row.reference: row for row in session.scalars(select(model))}
        new = []
        for day in days:
            for values in draw(seed, day, today, routes):
                row = existing.get(values["reference"])
                if row is None:
                    new.append(model(**values))
                elif row.closed_on is None and values["closed_on"] is not None:
                    row.closed_on = values["closed_on"]  # closed since an earlier demo (audited)
        session.add_all(new)
        setattr(report, counter, len(new))
    have_passes = {ref: assessed for ref, assessed in session.execute(
        select(BusPassApplication.reference, BusPassApplication.assessed_on))}
    passes = []
    for day in days:
        for values in draw_bus_passes(seed, day, today):
            reference = values["reference"]
            if reference not in have_passes:
                passes.append(values)
            elif have_passes[reference] is None and values["assessed_on"] is not None:
                session.execute(update(BusPassApplication).where(BusPassApplication.reference == reference)
                                .values(assessed_on=values["assessed_on"]))
    for start in range(0, len(passes), 5000):
        session.execute(insert(BusPassApplication.__table__), passes[start:start + 5000])
    report.bus_passes = len(passes)
    session.flush()


def write_history(session: Session, *, seed: int, today: dt.date, days: int | None = None,
                  tolerance_minutes: int = 0) -> HistoryReport:
    """Write the demo's history before `today` and generate today's and the next school day's runs.

    `days` None means the current term so far (at most DEFAULT_HISTORY_DAYS school days), 0 none.
    Flushes; the caller commits.
    """
    report = HistoryReport()
    session.flush()
    write_calendar(session, seed, today)
    history = terms.history_days(today, days, DEFAULT_HISTORY_DAYS)
    routes = load_routes(session)
    pupil_ids = sorted({pid for route in routes for pid in route.pupils})
    calendar = load_calendar(session)
    existing = _days_with_runs(session, history)
    unstarted = {str(RunStatus.SCHEDULED), str(RunStatus.NOT_REQUIRED)}
    for day in history:
        statuses = existing.get(day)
        if statuses and not (statuses <= unstarted and str(RunStatus.SCHEDULED) in statuses):
            report.days_left_alone += 1
            continue
        if statuses:  # generated for a live day that has passed without outcomes: replace
            session.execute(delete(Run.__table__).where(Run.__table__.c.run_on == day))
        absent = draw_absences(seed, day, pupil_ids)
        report.absences += _write_absences(session, day, absent)
        rows = draw_runs(seed, day, routes, absent, calendar, tolerance_minutes)
        if rows:
            session.execute(insert(Run.__table__), rows)
        report.days += 1
        report.runs += len(rows)
    if history:
        _write_casework(session, seed, history, today, routes, report)
    for day in (today, next_weekday(today)):
        report.absences += _write_absences(session, day, draw_absences(seed, day, pupil_ids))
        report.live.append(generate_runs(session, day))
    return report
