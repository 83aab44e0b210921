"""Each school day's runs from the published routes, and what happens to them during the day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hts import weekdays
from hts.clock import LONDON, local_today
from hts.compliance.rules import Policy
from hts.compliance.sweep import keep_crew_compliant
from hts.operations.calendar import load_calendar
from hts.operations.models import (
    DELIVERED,
    PupilAbsence,
    Run,
    RunEvent,
    RunPupil,
    RunPupilStatus,
    RunStatus,
)
from hts.people.models import Pupil, School
from hts.routing import versions
from hts.routing.models import Route, RouteStop, RouteVersion, StopKind

EVENT_KINDS = ("departed", "pupil_boarded", "pupil_not_presented", "arrived_at_school", "completed", "cancelled")


class EventRefused(ValueError):
    """An event that cannot apply to the run as it stands, with the reason."""


@dataclass(frozen=True)
class RunSource:
    """What a run copies from its route: the version in force on its day, crew and pupils."""

    version: int
    operator_id: int | None
    vehicle_id: int | None
    driver_id: int | None
    pa_id: int | None
    pupils: list[Pupil]

    @classmethod
    def of_route(cls, route: Route) -> RunSource:
        """The route as it stands today."""
        return cls(route.version, route.operator_id, route.vehicle_id, route.driver_id, route.pa_id, route.pupils)

    @classmethod
    def of_version(cls, version: RouteVersion, pupils: dict[int, Pupil]) -> RunSource:
        """A published version that takes effect later than today's."""
        snap = version.snapshot
        return cls(version.version, snap.get("operator_id"), snap.get("vehicle_id"), snap.get("driver_id"),
                   snap.get("pa_id"), [pupils[i] for i in versions.snapshot_pupil_ids(snap) if i in pupils])


def _pending_versions(session: Session, day: dt.date) -> dict[int, RouteVersion]:
    """Route id -> the version in force on `day` where it is newer than the route's own."""
    rows = session.scalars(
        select(RouteVersion).join(Route, Route.id == RouteVersion.route_id)
        .where(RouteVersion.effective_from <= day, RouteVersion.version > Route.version)
        .order_by(RouteVersion.route_id, RouteVersion.version)
    )
    return {row.route_id: row for row in rows}  # the last (newest) per route wins


@dataclass
class GenerationReport:
    """What generating a day's runs did."""

    day: dt.date
    created: int = 0
    updated: int = 0
    not_required: int = 0
    left_alone: int = 0


def absences(session: Session, day: dt.date) -> dict[int, set[str]]:
    """Pupil id -> the sessions ('am', 'pm') they are recorded absent on `day`."""
    absent: dict[int, set[str]] = {}
    for pupil_id, session_name in session.execute(
        select(PupilAbsence.pupil_id, PupilAbsence.session).where(PupilAbsence.absent_on == day)
    ):
        absent.setdefault(pupil_id, set()).update({"am", "pm"} if session_name == "both" else {session_name})
    return absent


def generate_runs(session: Session, day: dt.date) -> GenerationReport:
    """Create or refresh the runs of `day` (idempotent; runs already under way are left alone).

    Each run follows the route's version in force on `day`: a change published for a later date
    leaves earlier days alone; a route withdrawn from a date has no runs from it.
    """
    report = GenerationReport(day)
    versions.apply_due_versions(session, min(day, local_today()))
    pending = _pending_versions(session, day)
    pending_pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(
        {i for v in pending.values() for i in versions.snapshot_pupil_ids(v.snapshot)})))} if pending else {}
    routes = list(session.scalars(
        select(Route).where(Route.withdrawn_on.is_(None))
        .options(selectinload(Route.school), selectinload(Route.stops).selectinload(RouteStop.pupils))
        .order_by(Route.route_code)
    ))
    calendar = load_calendar(session)
    absent = absences(session, day)
    existing = {run.route_id: run for run in session.scalars(
        select(Run).where(Run.run_on == day).options(selectinload(Run.pupils)))}
    for route in routes:
        version = pending.get(route.id)
        if version is not None and versions.is_withdrawal(version.snapshot):
            continue
        days = version.snapshot.get("days", route.days) if version is not None else route.days
        if not weekdays.includes(days, day) or (route.starts_on is not None and day < route.starts_on):
            continue
        run = existing.get(route.id)
        if run is not None and not is_unstarted(run):
            report.left_alone += 1
            continue
        source = RunSource.of_version(version, pending_pupils) if version is not None else RunSource.of_route(route)
        closed, closed_schools = calendar.route_closures(route.school_id, {p.school_id for p in source.pupils}, day)
        if run is None:
            run = new_run(route, day)
            session.add(run)
            report.created += 1
        else:
            report.updated += 1
        plan_run(run, route, day, absent, source, closed_schools)
        if closed:
            run.status, run.reason = RunStatus.NOT_REQUIRED, closed
            report.not_required += 1
        elif run.pupils_expected == 0 or run.pupils_absent == run.pupils_expected:
            run.status, run.reason = RunStatus.NOT_REQUIRED, "no pupils travelling"
            report.not_required += 1
        else:
            run.status, run.reason = RunStatus.SCHEDULED, None
    session.flush()
    return report


@dataclass(frozen=True)
class DayRefresh:
    """How a day's runs moved when generated again: the ids of runs that were to go and now are
    not required, and of runs that were not required and now are to go."""

    day: dt.date
    stood_down_ids: tuple[int, ...]
    back_on_ids: tuple[int, ...]

    @property
    def stood_down(self) -> int:
        """How many runs stood down."""
        return len(self.stood_down_ids)

    @property
    def back_on(self) -> int:
        """How many runs came back on."""
        return len(self.back_on_ids)


def refresh_generated_days(session: Session, from_day: dt.date, policy: Policy,
                           only: Collection[dt.date] | None = None) -> list[DayRefresh]:
    """Generate again every day from `from_day` (of `only`, when given) that already has runs, so
    runs made before the calendar changed follow it (an inset day or closure stands them down; a
    day back in term brings them back). Runs under way are left alone, as `generate_runs` does,
    and crew who are not compliant under `policy` are taken off again, as after every generation.
    Returns the days whose runs moved."""
    moved = []
    query = select(Run.run_on).where(Run.run_on >= from_day).distinct().order_by(Run.run_on)
    if only is not None:
        query = query.where(Run.run_on.in_(sorted(only)))
    days = list(session.scalars(query))
    for day in days:
        before = dict(session.execute(select(Run.id, Run.status).where(Run.run_on == day)).all())
        generate_runs(session, day)
        keep_crew_compliant(session, day, policy)
        after = session.execute(select(Run.id, Run.status).where(Run.run_on == day)).all()
        stood_down: list[int] = []
        back_on: list[int] = []
        for run_id, status in sorted(after):
            was = before.get(run_id)
            if status == RunStatus.NOT_REQUIRED and was == RunStatus.SCHEDULED:
                stood_down.append(run_id)
            elif status == RunStatus.SCHEDULED and was == RunStatus.NOT_REQUIRED:
                back_on.append(run_id)
        if stood_down or back_on:
            moved.append(DayRefresh(day, tuple(stood_down), tuple(back_on)))
    return moved


def recrew_runs(session: Session, route: Route, from_day: dt.date) -> list[Run]:
    """After the route's crew changed: its runs from `from_day` that have not started take the
    operator, vehicle, driver and PA (and the version number) in force on their day, as generation
    would give them (RunSource). Returns them."""
    runs = [run for run in session.scalars(select(Run).where(Run.route_id == route.id, Run.run_on >= from_day)
                                           .order_by(Run.run_on)) if is_unstarted(run)]
    for run in runs:
        pending = versions.pending_version(session, route.id, run.run_on)
        source = RunSource.of_version(pending, {}) if pending is not None else RunSource.of_route(route)
        run.operator_id, run.vehicle_id, run.driver_id, run.pa_id = (
            source.operator_id, source.vehicle_id, source.driver_id, source.pa_id)
        run.route_version = source.version
        session.expire(run, ["vehicle", "driver", "pa"])  # the objects follow the new ids
    session.flush()
    return runs


def is_unstarted(run: Run) -> bool:
    """Whether nothing has happened on the run yet, so its route may still reshape it."""
    return run.status in (RunStatus.SCHEDULED, RunStatus.NOT_REQUIRED)


def new_run(route: Route, day: dt.date) -> Run:
    """An empty run of a route on a day (not added to the session); `plan_run` fills it in."""
    return Run(route=route, run_on=day, session=str(route.session), school_id=route.school_id)


def plan_run(run: Run, route: Route, day: dt.date, absent: dict[int, set[str]],
             source: RunSource | None = None, closed_schools: Collection[int] = ()) -> None:
    """Copy the route's version, school, crew and due time onto the run, with the pupils travelling.

    `absent` is pupil id -> the sessions they are absent that day (see `absences`). The run's
    status is left to the caller: generation derives it from the calendar, an import from the file.
    `source` is the route's version in force that day when it is not today's (default: the route).
    Pupils of `closed_schools` do not travel; when the route's own school is one of them, the run
    is due at the open school it ends at (am) or starts from (pm) among those it shares.
    """
    source = source or RunSource.of_route(route)
    session_name = str(route.session)
    school = due_school(route, session_name, closed_schools)
    travelling = [p for p in source.pupils
                  if weekdays.includes(p.travel_days, day) and p.school_id not in closed_schools]
    run.session, run.school_id = session_name, school.id
    run.route_version = source.version
    run.operator_id, run.vehicle_id = source.operator_id, source.vehicle_id
    run.driver_id, run.pa_id = source.driver_id, source.pa_id
    run.due_at_school = school.start_time if session_name == "am" else school.finish_time
    wanted = {p.id: i for i, p in enumerate(travelling)}
    run.pupils = [rp for rp in run.pupils if rp.pupil_id in wanted]
    have = {rp.pupil_id for rp in run.pupils}
    for pupil in travelling:
        if pupil.id not in have:
            run.pupils.append(RunPupil(pupil_id=pupil.id, sequence=wanted[pupil.id]))
    for rp in run.pupils:
        rp.sequence = wanted[rp.pupil_id]
        rp.status = RunPupilStatus.ABSENT if session_name in absent.get(rp.pupil_id, set()) \
            else RunPupilStatus.EXPECTED
    run.pupils_expected = len(run.pupils)
    run.pupils_absent = sum(1 for rp in run.pupils if rp.status == RunPupilStatus.ABSENT)


def due_school(route: Route, session_name: str, closed_schools: Collection[int] = ()) -> School:
    """The school a run is due at: the route's own, or, when that is closed and nearby schools share
    the vehicle, the last open school it stops at in the morning (the first in the afternoon)."""
    if route.school_id not in closed_schools:
        return route.school
    open_stops = [stop.school for stop in sorted(route.stops, key=lambda stop: stop.sequence)
                  if stop.kind == StopKind.SCHOOL and stop.school_id is not None
                  and stop.school_id not in closed_schools]
    if not open_stops:
        return route.school
    return open_stops[-1] if session_name == "am" else open_stops[0]


def local_time(moment: dt.datetime) -> dt.time:
    """The wall-clock time in England of a UTC moment (naive values are taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(LONDON).time().replace(microsecond=0)


def is_on_time(due: dt.time, arrived: dt.time, tolerance_minutes: int) -> bool:
    """Arrived no later than the due time plus the tolerance."""
    limit = (dt.datetime.combine(dt.date(2000, 1, 1), due) + dt.timedelta(minutes=tolerance_minutes)).time()
    return arrived <= limit


def record_event(session: Session, run: Run, *, kind: str, occurred_at: dt.datetime, source: str,
                 idempotency_key: str | None = None, pupil_id: int | None = None, reason: str | None = None,
                 tolerance_minutes: int = 0) -> tuple[RunEvent, bool]:
    """Apply an event to a run once; returns (event, created). A repeated key returns the first event."""
    if idempotency_key:
        earlier = session.scalar(select(RunEvent).where(RunEvent.source == source,
                                                        RunEvent.idempotency_key == idempotency_key))
        if earlier is not None:
            return earlier, False
    if kind not in EVENT_KINDS:
        raise EventRefused(f"'{kind}' is not an event; use one of {', '.join(EVENT_KINDS)}")
    _apply(run, kind, occurred_at, pupil_id, reason, tolerance_minutes)
    event = RunEvent(run_id=run.id, kind=kind, occurred_at=occurred_at, pupil_id=pupil_id, reason=reason,
                     source=source, idempotency_key=idempotency_key)
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        # The same key arrived at the same moment from another request: that one counts.
        session.expire(run)
        earlier = session.scalar(select(RunEvent).where(RunEvent.source == source,
                                                        RunEvent.idempotency_key == idempotency_key))
        if earlier is None:
            raise
        return earlier, False
    return event, True


def _apply(run: Run, kind: str, occurred_at: dt.datetime, pupil_id: int | None, reason: str | None,
           tolerance_minutes: int) -> None:
    if run.status in (RunStatus.CANCELLED, RunStatus.NOT_REQUIRED, RunStatus.COMPLETED):
        raise EventRefused(f"the run is {run.status.value.replace('_', ' ')}; no more events can be recorded")
    pupils = {rp.pupil_id: rp for rp in run.pupils}
    if kind in ("pupil_boarded", "pupil_not_presented"):
        if pupil_id not in pupils:
            raise EventRefused("that pupil is not expected on this run")
        pupils[pupil_id].status = RunPupilStatus.BOARDED if kind == "pupil_boarded" else RunPupilStatus.NOT_PRESENTED
        if run.status == RunStatus.SCHEDULED:
            run.status = RunStatus.UNDER_WAY
    elif kind == "departed":
        run.status = RunStatus.UNDER_WAY
    elif kind == "arrived_at_school":
        run.status = RunStatus.ARRIVED
        run.arrived_at_school = local_time(occurred_at)
        run.on_time = is_on_time(run.due_at_school, run.arrived_at_school, tolerance_minutes)
        if run.session == "am":
            _deliver_boarded(run)
    elif kind == "completed":
        _deliver_boarded(run)
        run.status = RunStatus.COMPLETED
    elif kind == "cancelled":
        if not (reason or "").strip():
            raise EventRefused("a cancellation needs a reason")
        run.status, run.reason = RunStatus.CANCELLED, reason.strip()  # type: ignore[union-attr]
        run.on_time = None


def _deliver_boarded(run: Run) -> None:
    for rp in run.pupils:
        if rp.status == RunPupilStatus.BOARDED:
            rp.status = RunPupilStatus.DELIVERED
    run.pupils_transported = sum(1 for rp in run.pupils if rp.status == RunPupilStatus.DELIVERED)


def record_outcome(run: Run, *, status: RunStatus | str, arrived_at_school: dt.time | None = None,
                   pupils_transported: int | None = None, reason: str | None = None,
                   tolerance_minutes: int = 0) -> None:
    """The control room's (or a daily return's) record of how a run went, set directly."""
    status = RunStatus(status)
    if status == RunStatus.CANCELLED and not (reason or "").strip():
        raise EventRefused("a cancellation needs a reason")
    if status in DELIVERED and arrived_at_school is None:
        raise EventRefused("a delivered run needs its arrival time at school")
    needed = run.pupils_expected - run.pupils_absent
    if pupils_transported is not None and not 0 <= pupils_transported <= needed:
        raise EventRefused(f"pupils transported must be between 0 and {needed} (expected less absent)")
    run.status, run.reason = status, (reason or "").strip() or None
    run.arrived_at_school = arrived_at_school if status in DELIVERED else None
    run.on_time = is_on_time(run.due_at_school, arrived_at_school, tolerance_minutes) \
        if status in DELIVERED and arrived_at_school else None
    run.pupils_transported = (pupils_transported if pupils_transported is not None else needed) \
        if status in DELIVERED else 0
