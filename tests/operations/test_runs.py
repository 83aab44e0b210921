"""School calendar, generating a day's runs, events from operators and outcomes by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hts import weekdays
from hts.operations.calendar import Calendar, bank_holidays
from hts.operations.models import (
    ClosureKind,
    PupilAbsence,
    Run,
    RunEvent,
    RunPupilStatus,
    RunStatus,
    SchoolClosure,
    SchoolTerm,
)
from hts.operations.runs import (
    EventRefused,
    generate_runs,
    is_on_time,
    record_event,
    record_outcome,
)
from tests import factories

WEDNESDAY = dt.date(2026, 11, 25)


def at(hour: int, minute: int, day: dt.date = WEDNESDAY) -> dt.datetime:
    # November: London is on GMT, so UTC wall time equals local time.
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def test_bank_holidays_come_from_the_package_not_a_typed_list():
    assert bank_holidays(2026)[dt.date(2026, 8, 31)] == "Late Summer Bank Holiday"


def test_a_school_day_needs_term_time_no_closure_no_weekend_and_no_bank_holiday():
    calendar = Calendar(
        terms=((None, dt.date(2026, 9, 3), dt.date(2026, 12, 18)), (7, dt.date(2026, 9, 8), dt.date(2026, 12, 18))),
        closures={None: {dt.date(2026, 11, 27): "closure: snow"}, 5: {WEDNESDAY: "inset: training"}},
    )
    assert calendar.is_school_day(1, WEDNESDAY)
    assert calendar.closed_reason(5, WEDNESDAY) == "inset: training"
    assert calendar.closed_reason(1, dt.date(2026, 11, 28)) == "weekend"
    assert calendar.closed_reason(1, dt.date(2026, 11, 27)) == "closure: snow"
    assert calendar.closed_reason(1, dt.date(2026, 12, 25)) == "bank holiday: Christmas Day"
    assert calendar.closed_reason(1, dt.date(2027, 1, 4)) == "school holiday"
    assert calendar.closed_reason(7, dt.date(2026, 9, 4)) == "school holiday"  # the school's own term starts later
    assert calendar.is_school_day(1, dt.date(2026, 9, 4))


def route_with(session, pupils, **kw):
    school = pupils[0].school
    return factories.make_route(session, school=school, pupils=pupils, **kw)


def test_runs_are_generated_with_the_pupils_travelling_that_day(db_session):
    school = factories.make_school(db_session, start_time=dt.time(9, 0))
    everyday = factories.make_pupil(db_session, school=school)
    mondays = factories.make_pupil(db_session, school=school, travel_days=weekdays.parse("Mon"))
    absent = factories.make_pupil(db_session, school=school)
    db_session.add(PupilAbsence(pupil=absent, absent_on=WEDNESDAY, session="both", reason="ill", recorded_by="x"))
    route = route_with(db_session, [everyday, mondays, absent], route_code="GEN-1")
    report = generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    assert report.created >= 1
    assert (run.status, run.pupils_expected, run.pupils_absent, run.due_at_school) == \
        (RunStatus.SCHEDULED, 2, 1, dt.time(9, 0))
    assert {rp.pupil_id: rp.status for rp in run.pupils} == \
        {everyday.id: RunPupilStatus.EXPECTED, absent.id: RunPupilStatus.ABSENT}


def test_generating_twice_changes_nothing_and_leaves_started_runs_alone(db_session):
    route = route_with(db_session, [factories.make_pupil(db_session)])
    generate_runs(db_session, WEDNESDAY)
    again = generate_runs(db_session, WEDNESDAY)
    assert again.created == 0
    assert db_session.scalar(select(func.count()).select_from(Run).where(Run.route_id == route.id)) == 1
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    record_event(db_session, run, kind="departed", occurred_at=at(8, 10), source="op")
    assert generate_runs(db_session, WEDNESDAY).left_alone >= 1
    assert run.status == RunStatus.UNDER_WAY


def test_a_closed_school_makes_its_runs_not_required(db_session):
    pupil = factories.make_pupil(db_session)
    db_session.add(SchoolClosure(school_id=pupil.school_id, closed_on=WEDNESDAY, kind=ClosureKind.CLOSURE,
                                 reason="heating failure"))
    db_session.add(SchoolTerm(school_id=None, name="Autumn", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 12, 18)))
    route = route_with(db_session, [pupil])
    generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    assert (run.status, run.reason) == (RunStatus.NOT_REQUIRED, "closure: heating failure")


def test_a_route_is_closed_only_when_every_school_it_carries_pupils_to_is():
    calendar = Calendar(terms=(), closures={5: {WEDNESDAY: "inset: training"}})
    assert calendar.route_closures(5, [5], WEDNESDAY) == ("inset: training", frozenset({5}))
    assert calendar.route_closures(5, [5, 6], WEDNESDAY) == (None, frozenset({5}))
    assert calendar.route_closures(6, [5, 6], WEDNESDAY) == (None, frozenset({5}))
    assert calendar.route_closures(6, [6], WEDNESDAY) == (None, frozenset())


@pytest.mark.parametrize("closed", ["own", "other", "both"])
def test_a_route_shared_by_nearby_schools_runs_for_the_school_that_is_open(db_session, closed):
    route, own, other, mine, theirs = factories.make_shared_route(db_session)
    for school in {"own": [own], "other": [other], "both": [own, other]}[closed]:
        db_session.add(SchoolClosure(school_id=school.id, closed_on=WEDNESDAY, kind=ClosureKind.INSET,
                                     reason=f"training at {school.name}"))
    generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    travelling = {rp.pupil_id: rp.status for rp in run.pupils}
    if closed == "own":  # the nearby school's pupil still goes, and the run is due there
        assert (run.status, run.school_id, run.due_at_school) == (RunStatus.SCHEDULED, other.id, dt.time(8, 45))
        assert travelling == {theirs.id: RunPupilStatus.EXPECTED}
    elif closed == "other":  # its own pupil goes; the closed school's is not counted as missed
        assert (run.status, run.school_id, run.due_at_school) == (RunStatus.SCHEDULED, own.id, dt.time(9, 0))
        assert travelling == {mine.id: RunPupilStatus.EXPECTED}
    else:
        assert (run.status, run.reason) == (RunStatus.NOT_REQUIRED, "inset: training at Own School")
    assert run.pupils_expected == len(travelling)


def scheduled_run(session, *pupils_kw):
    school = factories.make_school(session, start_time=dt.time(9, 0), finish_time=dt.time(15, 0))
    pupils = [factories.make_pupil(session, school=school, **kw) for kw in (pupils_kw or ({},))]
    route = route_with(session, pupils)
    generate_runs(session, WEDNESDAY)
    return session.scalar(select(Run).where(Run.route_id == route.id)), pupils


def test_a_morning_run_reported_by_events_delivers_its_boarded_pupils_on_time(db_session):
    run, (first, second) = scheduled_run(db_session, {}, {})
    record_event(db_session, run, kind="departed", occurred_at=at(8, 0), source="op1", idempotency_key="a")
    record_event(db_session, run, kind="pupil_boarded", occurred_at=at(8, 10), source="op1", pupil_id=first.id)
    record_event(db_session, run, kind="pupil_not_presented", occurred_at=at(8, 20), source="op1", pupil_id=second.id)
    record_event(db_session, run, kind="arrived_at_school", occurred_at=at(8, 58), source="op1")
    assert (run.status, run.on_time, run.arrived_at_school, run.pupils_transported) == \
        (RunStatus.ARRIVED, True, dt.time(8, 58), 1)
    record_event(db_session, run, kind="completed", occurred_at=at(9, 5), source="op1")
    assert run.status == RunStatus.COMPLETED


def test_arriving_after_the_start_time_is_late_unless_within_the_tolerance():
    assert is_on_time(dt.time(9, 0), dt.time(9, 0), 0)
    assert not is_on_time(dt.time(9, 0), dt.time(9, 1), 0)
    assert is_on_time(dt.time(9, 0), dt.time(9, 4), 5)


def test_a_retried_event_with_the_same_key_counts_once(db_session):
    run, (pupil,) = scheduled_run(db_session)
    first, created = record_event(db_session, run, kind="pupil_boarded", occurred_at=at(8, 10), source="op1",
                                  idempotency_key="k-1", pupil_id=pupil.id)
    again, created_again = record_event(db_session, run, kind="pupil_boarded", occurred_at=at(8, 10),
                                        source="op1", idempotency_key="k-1", pupil_id=pupil.id)
    assert created and not created_again and again.id == first.id
    assert db_session.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run.id)) == 1


@pytest.mark.parametrize(("kind", "kw", "message"), [
    ("teleported", {}, "is not an event"),
    ("cancelled", {}, "needs a reason"),
    ("pupil_boarded", {"pupil_id": -1}, "not expected on this run"),
])
def test_bad_events_are_refused_with_a_reason(db_session, kind, kw, message):
    run, _ = scheduled_run(db_session)
    with pytest.raises(EventRefused, match=message):
        record_event(db_session, run, kind=kind, occurred_at=at(8, 0), source="op1", **kw)


def test_no_event_applies_to_a_cancelled_run(db_session):
    run, _ = scheduled_run(db_session)
    record_event(db_session, run, kind="cancelled", occurred_at=at(7, 0), source="op1", reason="driver ill")
    with pytest.raises(EventRefused, match="the run is cancelled"):
        record_event(db_session, run, kind="departed", occurred_at=at(8, 0), source="op1")


def test_outcomes_recorded_by_hand_are_checked(db_session):
    run, _ = scheduled_run(db_session, {}, {})
    with pytest.raises(EventRefused, match="between 0 and 2"):
        record_outcome(run, status="completed", arrived_at_school=dt.time(8, 50), pupils_transported=3)
    with pytest.raises(EventRefused, match="arrival time"):
        record_outcome(run, status="completed")
    record_outcome(run, status="completed", arrived_at_school=dt.time(9, 3), pupils_transported=2)
    assert (run.on_time, run.pupils_transported) == (False, 2)
