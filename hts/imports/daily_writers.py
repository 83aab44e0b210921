"""Upserting the day's kinds, touching only values that differ, as `hts.imports.writers` does.

Returns, calls and cases change figures that may already be stored in a SITREP snapshot, so
their writers flag the days whose figures change as stale (`hts.sitrep.snapshots.mark_stale`);
a re-import that changes nothing flags nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts.clock import local_today
from hts.db import utcnow
from hts.imports.report import ImportReport
from hts.imports.rules import Record
from hts.imports.writers import assign, chunks, count, load_by
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    ClosureKind,
    Complaint,
    Run,
    RunEvent,
    RunStatus,
    SafeguardingCase,
    SchoolClosure,
    SchoolTerm,
)
from hts.operations.runs import absences, is_unstarted, new_run, plan_run, record_outcome
from hts.routing.models import PupilIncompatibility, Route, RouteStop
from hts.sitrep.snapshots import mark_stale
from hts.weekdays import weekdays_between

#: The source of the run events a daily return records.
RETURN_SOURCE = "daily return import"


def _mark_stale(session: Session, days: set[dt.date]) -> None:
    ordered = sorted(days)
    for chunk in chunks(ordered):
        mark_stale(session, set(chunk))


def _upsert_dated(session: Session, model: Any, column: Any, records: list[Record], report: ImportReport,
                  days_of: Callable[[Any], Iterable[dt.date]]) -> set[dt.date]:
    """Upsert one model per record by `column`; the days (before and after) of each row written."""
    existing = load_by(session, model, column, (r.key for r in records))
    touched: set[dt.date] = set()
    for record in records:
        obj = existing.get(record.key)
        if obj is None:
            obj = model(**record.values)
            session.add(obj)
            touched.update(days_of(obj))
            count(report, True, True)
            continue
        before = set(days_of(obj))
        changed = assign(obj, record.values)
        if changed:
            touched.update(before, days_of(obj))
        count(report, False, changed)
    return touched


def _open_days(opened: dt.date, closed: dt.date | None) -> list[dt.date]:
    # A case counts as open on every day from opening until closing, so each of those days'
    # figures (open, overdue, awaiting) changes with it; the closing day changes too.
    last = closed or max(local_today(), opened)
    return [opened + dt.timedelta(days=n) for n in range((last - opened).days + 1)]


def write_calls(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert call counts by day and flag the days written as stale."""
    _mark_stale(session, _upsert_dated(session, CallDay, CallDay.call_on, records, report,
                                       lambda c: [c.call_on]))


def write_complaints(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert complaints by reference and flag the days they were (or are now) open as stale."""
    _mark_stale(session, _upsert_dated(session, Complaint, Complaint.reference, records, report,
                                       lambda c: _open_days(c.received_on, c.closed_on)))


def write_safeguarding(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert safeguarding cases by reference and flag the days they were open as stale."""
    _mark_stale(session, _upsert_dated(session, SafeguardingCase, SafeguardingCase.reference, records,
                                       report, lambda c: _open_days(c.opened_on, c.closed_on)))


def write_bus_passes(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert bus pass applications by reference and flag the days they awaited assessment as stale."""
    _mark_stale(session, _upsert_dated(session, BusPassApplication, BusPassApplication.reference, records,
                                       report, lambda a: _open_days(a.received_on, a.assessed_on)))


def _run_state(run: Run) -> tuple[Any, ...]:
    columns = ("session", "route_version", "school_id", "operator_id", "vehicle_id", "driver_id", "pa_id",
               "due_at_school", "status", "reason", "arrived_at_school", "on_time", "pupils_expected",
               "pupils_absent", "pupils_transported")
    return tuple(getattr(run, c) for c in columns) + tuple(
        (rp.pupil_id, rp.sequence, rp.status) for rp in run.pupils)


def write_runs(session: Session, records: list[Record], report: ImportReport) -> None:
    """Create or update each return's run from its route, then record its outcome.

    A run nothing has happened to yet takes its crew, times and pupils from the route, as the
    day's run generation does; a run already under way keeps the crew it had on the day. The
    file's pupil counts replace the run's, and the outcome goes through `record_outcome`.
    """
    route_ids = sorted({r.values["route_id"] for r in records})
    days = sorted({r.values["run_on"] for r in records})
    routes: dict[int, Route] = {}
    for chunk in chunks(route_ids):
        query = select(Route).where(Route.id.in_(chunk)).options(
            selectinload(Route.school), selectinload(Route.stops).selectinload(RouteStop.pupils))
        routes.update((route.id, route) for route in session.scalars(query))
    existing: dict[tuple[int, dt.date], Run] = {}
    for chunk in chunks(days):
        # A day has a few thousand runs at most: filter by route here, keeping IN lists short.
        query = select(Run).where(Run.run_on.in_(chunk)).options(selectinload(Run.pupils))
        existing.update(((run.route_id, run.run_on), run) for run in session.scalars(query)
                        if run.route_id in routes)
    absent = {day: absences(session, day) for day in days}
    changed_runs: list[Run] = []
    for record in records:
        route, day = routes[record.values["route_id"]], record.values["run_on"]
        run = existing.get((route.id, day))
        before = None if run is None else _run_state(run)
        if run is None:
            run = new_run(route, day)
            session.add(run)
        if before is None or is_unstarted(run):
            plan_run(run, route, day, absent[day])
        run.pupils_expected, run.pupils_absent = record.values["pupils_expected"], record.values["pupils_absent"]
        outcome = dict(record.children[0])
        if outcome["reason"] and run.status == outcome["status"] and run.reason:
            # Keep the reason the control room, the operator or the calendar gave.
            outcome["reason"] = run.reason
        record_outcome(run, **outcome)
        changed = before is None or _run_state(run) != before
        count(report, before is None, changed)
        if changed:
            changed_runs.append(run)
    session.flush()
    now = utcnow()
    for run in changed_runs:
        session.add(RunEvent(run_id=run.id, kind="cancelled" if run.status == RunStatus.CANCELLED
                             else "outcome_recorded", occurred_at=now, reason=_note(run)[:300],
                             source=RETURN_SOURCE))
    _mark_stale(session, {run.run_on for run in changed_runs})


def _note(run: Run) -> str:
    if run.arrived_at_school is not None:
        return (f"{run.status.value} at {run.arrived_at_school:%H:%M}, {run.pupils_transported} pupils "
                f"transported")
    return run.reason or run.status.value.replace("_", " ")


def _term_key(school_id: int | None, starts_on: dt.date) -> tuple[int | None, dt.date]:
    return (school_id, starts_on)


def write_calendar(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert terms by school and first day; inset and closure ranges as one row per weekday."""
    terms = {_term_key(t.school_id, t.starts_on): t for t in session.scalars(select(SchoolTerm))}
    closure_days = sorted({day for r in records if r.values["kind"] != "term"
                           for day in weekdays_between(r.values["starts_on"], r.values["ends_on"])})
    closures: dict[tuple[int | None, str, dt.date], SchoolClosure] = {}
    for chunk in chunks(closure_days):
        for closure in session.scalars(select(SchoolClosure).where(SchoolClosure.closed_on.in_(chunk))):
            closures[(closure.school_id, closure.kind.value, closure.closed_on)] = closure
    for record in records:
        values = record.values
        if values["kind"] == "term":
            term = terms.get(_term_key(values["school_id"], values["starts_on"]))
            wanted = dict(school_id=values["school_id"], name=values["name"], starts_on=values["starts_on"],
                          ends_on=values["ends_on"])
            if term is None:
                term = SchoolTerm(**wanted)
                session.add(term)
                terms[_term_key(values["school_id"], values["starts_on"])] = term
                count(report, True, True)
            else:
                count(report, False, assign(term, wanted))
            continue
        created = changed = loaded = False
        for day in weekdays_between(values["starts_on"], values["ends_on"]):
            key = (values["school_id"], values["kind"], day)
            closure = closures.get(key)
            if closure is None:
                closures[key] = SchoolClosure(school_id=values["school_id"], closed_on=day,
                                              kind=ClosureKind(values["kind"]), reason=values["name"])
                session.add(closures[key])
                created = True
            else:
                loaded = True
                changed |= assign(closure, {"reason": values["name"]})
        # A range is one row of the file: new only when none of its days was loaded before.
        count(report, created and not loaded, created or changed)


def write_incompatibilities(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert incompatible pairs, stored with the lower pupil id first."""
    pupil_ids = sorted({r.values["pupil_id"] for r in records})
    existing: dict[tuple[int, int], PupilIncompatibility] = {}
    for chunk in chunks(pupil_ids):
        query = select(PupilIncompatibility).where(PupilIncompatibility.pupil_id.in_(chunk))
        existing.update(((pair.pupil_id, pair.other_pupil_id), pair) for pair in session.scalars(query))
    for record in records:
        pair = existing.get((record.values["pupil_id"], record.values["other_pupil_id"]))
        if pair is None:
            session.add(PupilIncompatibility(**record.values))
            count(report, True, True)
        else:
            count(report, False, assign(pair, record.values))


WRITERS: dict[str, Callable[[Session, list[Record], ImportReport], None]] = {
    "calendar": write_calendar,
    "incompatibilities": write_incompatibilities,
    "runs": write_runs,
    "calls": write_calls,
    "complaints": write_complaints,
    "safeguarding": write_safeguarding,
    "bus_passes": write_bus_passes,
}
