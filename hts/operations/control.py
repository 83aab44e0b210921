"""The control room's view of the day: runs filtered in SQL, how each reads, and what it records.

The run filters match the SITREP definitions (hts.sitrep.figures) one for one, so a figure's
drill-down lists exactly the runs behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from hts.operations.models import (
    DELIVERED,
    PupilAbsence,
    Run,
    RunEvent,
    RunPupil,
    RunPupilStatus,
    RunStatus,
)
from hts.operations.runs import EventRefused, record_outcome
from hts.people.models import Pupil
from hts.routing.models import Route

_DELIVERED = [s.value for s in DELIVERED]

#: A pupil expected on the run (not absent) needs a passenger assistant.
_NEEDS_PA = exists().where(RunPupil.run_id == Run.id, RunPupil.status != RunPupilStatus.ABSENT.value,
                           RunPupil.pupil_id == Pupil.id, Pupil.passenger_assistant.is_(True))
#: No driver or no vehicle, or no PA while a pupil on the run needs one (the compliance sweep
#: takes crew who are not compliant off runs that have not started).
_CREW_INCOMPLETE = or_(Run.driver_id.is_(None), Run.vehicle_id.is_(None), and_(Run.pa_id.is_(None), _NEEDS_PA))
#: A run not yet started that may not go as it stands.
CREW_MISSING = and_(Run.status == RunStatus.SCHEDULED.value, _CREW_INCOMPLETE)
#: A run reported delivered that had no assured crew on record: a concern for compliance.
WENT_WITHOUT_CREW = and_(Run.status.in_(_DELIVERED), _CREW_INCOMPLETE)
#: Tag shown beside a run's status in lists -> the condition that earns it.
CREW_FLAGS = {"Crew missing": CREW_MISSING, "Went without full crew": WENT_WITHOUT_CREW}

#: Board filter -> (label, SQL condition). The first group are the SITREP's own run sets.
RUN_FILTERS: dict[str, tuple[str, ColumnElement[bool]]] = {
    "required": ("Scheduled (all but not required)", Run.status != RunStatus.NOT_REQUIRED.value),
    "delivered": ("Delivered", Run.status.in_(_DELIVERED)),
    "not_delivered": ("Not delivered",
                      and_(Run.status.not_in(_DELIVERED), Run.status != RunStatus.NOT_REQUIRED.value)),
    "on_time": ("Delivered on time", and_(Run.status.in_(_DELIVERED), Run.on_time.is_(True))),
    "late": ("Delivered late (or arrival not recorded)",
             and_(Run.status.in_(_DELIVERED), or_(Run.on_time.is_(False), Run.on_time.is_(None)))),
    "pupils_missed": ("Pupils not transported",
                      and_(Run.status != RunStatus.NOT_REQUIRED.value,
                           or_(and_(Run.status.in_(_DELIVERED),
                                    Run.pupils_transported < Run.pupils_expected - Run.pupils_absent),
                               and_(Run.status.not_in(_DELIVERED),
                                    Run.pupils_expected - Run.pupils_absent > 0)))),
    **{status.value: (status.value.replace("_", " ").capitalize(), Run.status == status.value)
       for status in RunStatus},
    "crew_missing": ("Crew missing (not yet started)", CREW_MISSING),
    "went_without_crew": ("Went ahead without full crew on record", WENT_WITHOUT_CREW),
}


def crew_gaps(run: Run) -> list[str]:
    """What the run lacks before it may go ('no driver', 'no vehicle', 'no passenger assistant');
    empty when its crew is complete. The SQL twin is _CREW_INCOMPLETE (CREW_MISSING before the run
    starts, WENT_WITHOUT_CREW once it is reported delivered)."""
    gaps = [text for text, missing in (("no driver", run.driver_id is None), ("no vehicle", run.vehicle_id is None))
            if missing]
    if run.pa_id is None and any(rp.pupil.passenger_assistant for rp in run.pupils
                                 if rp.status != RunPupilStatus.ABSENT):
        gaps.append("no passenger assistant")
    return gaps


def crew_flags(session: Session, runs: list[Run]) -> dict[int, str]:
    """Run id -> its CREW_FLAGS tag, for those runs (a page of a list) that earn one, in one query."""
    if not runs:
        return {}
    ids = [run.id for run in runs]
    flag = case(*((condition, label) for label, condition in CREW_FLAGS.items()), else_=None)
    return {run_id: label for run_id, label in session.execute(
        select(Run.id, flag).where(Run.id.in_(ids), or_(*CREW_FLAGS.values()))) if label}


@dataclass(frozen=True)
class RunFilter:
    """What the board shows: a period, and optionally a school, an operator and a run set."""

    start: dt.date
    end: dt.date
    school_id: int | None = None
    operator_id: int | None = None
    status: str | None = None

    @property
    def one_day(self) -> bool:
        """Whether the period is a single day."""
        return self.start == self.end


def _within(query: Select[Any], selected: RunFilter) -> Select[Any]:
    """The query kept to the filter's period, school and operator."""
    query = query.where(Run.run_on.between(selected.start, selected.end))
    if selected.school_id is not None:
        query = query.where(Run.school_id == selected.school_id)
    if selected.operator_id is not None:
        query = query.where(Run.operator_id == selected.operator_id)
    return query


def run_query(selected: RunFilter) -> Select[tuple[Run]]:
    """The runs the filter selects, in time order, with what the board shows loaded in the same query."""
    query = _within(select(Run).join(Route, Route.id == Run.route_id)
                    .options(joinedload(Run.route), joinedload(Run.school)), selected)
    if selected.status in RUN_FILTERS:
        query = query.where(RUN_FILTERS[selected.status][1])
    return query.order_by(Run.run_on, Run.session, Run.due_at_school, Route.route_code)


def _how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def status_counts(session: Session, selected: RunFilter) -> dict[str, int]:
    """Runs per status for the period, school and operator (ignoring the status filter), and how
    many are late, 'crew_missing' (not yet started) and 'went_without_crew' (reported delivered)."""
    query = _within(select(Run.status, func.count(), _how_many(RUN_FILTERS["late"][1]), _how_many(CREW_MISSING),
                           _how_many(WENT_WITHOUT_CREW)), selected)
    counts = {status.value: 0 for status in RunStatus} | {"late": 0, "crew_missing": 0, "went_without_crew": 0}
    for status, count, *flagged in session.execute(query.group_by(Run.status)):
        counts[RunStatus(status).value] = int(count)
        for name, n in zip(("late", "crew_missing", "went_without_crew"), flagged, strict=True):
            counts[name] += int(n or 0)
    return counts


def status_label(run: Run) -> tuple[str, str]:
    """(words, GOV.UK tag colour) for a run; the words carry the meaning, the colour only helps."""
    if run.status in DELIVERED:
        word = "Arrived" if run.status == RunStatus.ARRIVED else "Completed"
        if run.on_time is False:
            return f"{word} late", "red"
        if run.on_time is None:
            return f"{word}, arrival time not recorded", "yellow"
        return word, "green"
    return {
        RunStatus.SCHEDULED: ("Scheduled", "grey"),
        RunStatus.UNDER_WAY: ("Under way", "blue"),
        RunStatus.CANCELLED: ("Cancelled", "red"),
        RunStatus.NOT_REQUIRED: ("Not required", "grey"),
    }[run.status]


def control_room_source(email: str) -> str:
    """The event source recorded for a change made by hand in the control room."""
    return f"control room: {email}"[:100]


def record_outcome_by_hand(session: Session, run: Run, *, status: RunStatus, arrived_at_school: dt.time | None,
                           pupils_transported: int | None, reason: str | None, tolerance_minutes: int,
                           source: str, now: dt.datetime) -> None:
    """Set a run's outcome (hts.operations.runs.record_outcome) and keep an event saying who did it
    (`source`: control_room_source or hts.operations.our_runs.operator_source)."""
    record_outcome(run, status=status, arrived_at_school=arrived_at_school, pupils_transported=pupils_transported,
                   reason=reason, tolerance_minutes=tolerance_minutes)
    if status in DELIVERED:
        for rp in run.pupils:
            # An outcome by hand says how many travelled, not who: only mark the journeys as done
            # when everyone needed travelled, otherwise leave each pupil's record as reported.
            if rp.status in (RunPupilStatus.EXPECTED, RunPupilStatus.BOARDED) and \
                    run.pupils_transported == run.pupils_expected - run.pupils_absent:
                rp.status = RunPupilStatus.DELIVERED
    kind = "cancelled" if status == RunStatus.CANCELLED else "outcome_recorded"
    note = run.reason or f"{status.value.replace('_', ' ')}"
    if status in DELIVERED:
        note = f"{status.value} at {arrived_at_school:%H:%M}, {run.pupils_transported} pupils transported"
    session.add(RunEvent(run_id=run.id, kind=kind, occurred_at=now, reason=note[:300],
                         source=source))
    session.flush()


def absence_choices(run: Run) -> list[RunPupil]:
    """Pupils on the run who may still be marked absent (not yet on board or delivered)."""
    return [rp for rp in run.pupils if rp.status in (RunPupilStatus.EXPECTED, RunPupilStatus.NOT_PRESENTED)]


def mark_absent(session: Session, run: Run, *, pupil_id: int, sessions: str, reason: str, actor_email: str,
                now: dt.datetime) -> list[Run]:
    """Record a pupil as not travelling on the run's day and update the day's runs; returns the runs changed.

    `sessions` is 'both' (the whole day) or the run's own session. A run with nobody left to carry
    and not yet started becomes not required, as generating the day's runs would make it.
    """
    reason = reason.strip()
    if not reason:
        raise EventRefused("Enter why the pupil is not travelling")
    rider = next((rp for rp in run.pupils if rp.pupil_id == pupil_id), None)
    if rider is None:
        raise EventRefused("That pupil is not expected on this run")
    if rider not in absence_choices(run):
        raise EventRefused("That pupil has already boarded or been delivered: they cannot be absent")
    if sessions not in ("both", run.session):
        raise EventRefused("Choose this run only or the whole day")
    taken = session.scalar(select(PupilAbsence.id).where(
        PupilAbsence.pupil_id == pupil_id, PupilAbsence.absent_on == run.run_on,
        PupilAbsence.session.in_({"both", run.session} | ({"am", "pm"} if sessions == "both" else set()))))
    if taken is not None:
        raise EventRefused("That pupil is already recorded as absent on this day")
    try:
        with session.begin_nested():
            session.add(PupilAbsence(pupil_id=pupil_id, absent_on=run.run_on, session=sessions,
                                     reason=reason[:200], recorded_by=actor_email[:254]))
            session.flush()
    except IntegrityError:
        raise EventRefused("That pupil is already recorded as absent on this day") from None
    affected = session.scalars(
        select(Run).join(RunPupil, RunPupil.run_id == Run.id)
        .where(Run.run_on == run.run_on, RunPupil.pupil_id == pupil_id,
               Run.session.in_(["am", "pm"] if sessions == "both" else [sessions]))
    ).unique().all()
    for day_run in affected:
        for rp in day_run.pupils:
            if rp.pupil_id == pupil_id and rp.status in (RunPupilStatus.EXPECTED, RunPupilStatus.NOT_PRESENTED):
                rp.status = RunPupilStatus.ABSENT
        day_run.pupils_absent = sum(1 for rp in day_run.pupils if rp.status == RunPupilStatus.ABSENT)
        needed = day_run.pupils_expected - day_run.pupils_absent
        day_run.pupils_transported = min(day_run.pupils_transported, needed)
        if day_run.status == RunStatus.SCHEDULED and needed == 0:
            day_run.status, day_run.reason = RunStatus.NOT_REQUIRED, "no pupils travelling"
        session.add(RunEvent(run_id=day_run.id, kind="pupil_absent", occurred_at=now, pupil_id=pupil_id,
                             reason=reason[:300], source=control_room_source(actor_email)))
    session.flush()
    return list(affected)
