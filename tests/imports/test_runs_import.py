"""Daily returns (`hts import runs`) and call counts: runs from routes, outcomes, counts, stale days."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from hts.imports.exports import write_export
from hts.operations.models import CallDay, Run, RunEvent, RunPupilStatus, RunStatus
from hts.operations.runs import generate_runs, record_event
from hts.operators.models import StaffRole
from hts.sitrep.models import SitrepSnapshot
from tests import factories
from tests.imports.conftest import csv_text, problems_of

RUN_HEADER = "date,route_code,session,status,arrival_time,pupils_expected,pupils_absent,pupils_transported"
MONDAY = dt.date(2026, 9, 7)
TUESDAY = dt.date(2026, 9, 8)


def _route(db_session, code="RET-1", pupils=2, **kw):
    school = factories.make_school(db_session, start_time=dt.time(9, 0), finish_time=dt.time(15, 0))
    operator = factories.make_operator(db_session)
    crew = dict(operator=operator, vehicle=factories.make_vehicle(db_session, operator=operator),
                driver=factories.make_staff(db_session, operator=operator),
                pa=factories.make_staff(db_session, operator=operator, role=StaffRole.PASSENGER_ASSISTANT))
    children = [factories.make_pupil(db_session, school=school) for _ in range(pupils)]
    return factories.make_route(db_session, school=school, pupils=children, route_code=code,
                                **{**crew, **kw})


def _run(db_session, route, day=MONDAY) -> Run:
    return db_session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == day))


def _snapshot(db_session, day) -> SitrepSnapshot:
    snapshot = SitrepSnapshot(day=day, figures={}, stale=False)
    db_session.add(snapshot)
    db_session.flush()
    return snapshot


def _events(db_session, run) -> int:
    return db_session.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run.id))


def test_a_delivered_return_makes_the_run_from_its_route_and_records_the_outcome(load, db_session):
    route = _route(db_session, version=3)
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,1,1"))
    assert report.ok and report.created == 1, [p.text() for p in report.problems]
    run = _run(db_session, route)
    assert (run.route_version, run.school_id, run.operator_id, run.vehicle_id, run.driver_id, run.pa_id) == \
        (3, route.school_id, route.operator_id, route.vehicle_id, route.driver_id, route.pa_id)
    assert (run.status, run.arrived_at_school, run.on_time, run.due_at_school) == \
        (RunStatus.COMPLETED, dt.time(8, 58), True, dt.time(9, 0))
    assert (run.pupils_expected, run.pupils_absent, run.pupils_transported) == (2, 1, 1)
    assert sorted(rp.pupil_id for rp in run.pupils) == sorted(p.id for p in route.pupils)
    event = db_session.scalar(select(RunEvent).where(RunEvent.run_id == run.id))
    assert (event.kind, event.source) == ("outcome_recorded", "daily return import")


def test_a_blank_transported_count_means_everyone_expected_and_not_absent_travelled(load, db_session):
    route = _route(db_session, pupils=3)
    assert load("runs", csv_text(RUN_HEADER, "07/09/2026,RET-1,am,delivered,09:07,3,1,")).ok
    run = _run(db_session, route)
    assert (run.pupils_transported, run.on_time) == (2, False)


def test_the_on_time_tolerance_setting_applies_to_returns(load, db_session):
    route = _route(db_session)
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,09:04,2,0,2"),
                  config={"ON_TIME_TOLERANCE_MINUTES": 5})
    assert report.ok and _run(db_session, route).on_time is True


def test_cancelled_and_not_required_returns_set_the_status_with_a_reason(load, db_session):
    first = _route(db_session, code="RET-1")
    second = _route(db_session, code="RET-2")
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,cancelled,,2,0,0",
                                   "2026-09-07,RET-2,am,not_required,,2,2,"))
    assert report.ok and report.created == 2
    cancelled, not_required = _run(db_session, first), _run(db_session, second)
    assert (cancelled.status, cancelled.reason, cancelled.pupils_transported, cancelled.on_time) == \
        (RunStatus.CANCELLED, "cancelled (daily return)", 0, None)
    assert (not_required.status, not_required.reason, not_required.pupils_absent) == \
        (RunStatus.NOT_REQUIRED, "not required (daily return)", 2)
    assert db_session.scalar(select(RunEvent.kind).where(RunEvent.run_id == cancelled.id)) == "cancelled"


def test_a_generated_run_is_updated_with_the_files_counts(load, db_session):
    route = _route(db_session)
    generate_runs(db_session, MONDAY)
    run = _run(db_session, route)
    assert (run.status, run.pupils_expected) == (RunStatus.SCHEDULED, 2)
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:50,2,1,1"))
    assert (report.created, report.updated) == (0, 1)
    assert db_session.scalar(select(func.count()).select_from(Run).where(Run.route_id == route.id)) == 1
    assert (run.status, run.pupils_absent, run.pupils_transported) == (RunStatus.COMPLETED, 1, 1)


def test_a_run_already_under_way_keeps_its_crew_and_a_cancellation_keeps_its_reason(load, db_session):
    route = _route(db_session)
    generate_runs(db_session, MONDAY)
    run = _run(db_session, route)
    run.driver_id = None  # taken off on the day
    record_event(db_session, run, kind="cancelled", reason="vehicle broke down",
                 occurred_at=dt.datetime(2026, 9, 7, 7, 30, tzinfo=dt.UTC), source="op")
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,cancelled,,2,0,0"))
    assert report.ok and (report.updated, report.unchanged) == (0, 1)
    assert (run.status, run.reason, run.driver_id) == (RunStatus.CANCELLED, "vehicle broke down", None)


def test_importing_the_same_returns_again_changes_nothing_and_flags_nothing(load, db_session):
    route = _route(db_session)
    text = csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,0,2",
                    "2026-09-08,RET-1,am,not_required,,2,2,0")
    assert load("runs", text).created == 2
    run = _run(db_session, route)
    snapshot = _snapshot(db_session, MONDAY)
    updated_at = run.updated_at
    again = load("runs", text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    db_session.refresh(snapshot)
    assert snapshot.stale is False and run.updated_at == updated_at and _events(db_session, run) == 1


def test_a_changed_return_updates_the_run_and_marks_its_day_stale(load, db_session):
    route = _route(db_session)
    load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,0,2"))
    monday, tuesday = _snapshot(db_session, MONDAY), _snapshot(db_session, TUESDAY)
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,09:20,2,0,1"))
    assert report.updated == 1
    db_session.refresh(monday)
    db_session.refresh(tuesday)
    assert monday.stale is True and tuesday.stale is False
    run = _run(db_session, route)
    assert (run.arrived_at_school, run.on_time, run.pupils_transported) == (dt.time(9, 20), False, 1)
    assert _events(db_session, run) == 2


def test_return_rows_are_checked(load, db_session):
    _route(db_session, code="RET-1")
    _route(db_session, code="RET-MWF", days=0b10101)
    _route(db_session, code="RET-OLD", withdrawn_on=dt.date(2026, 9, 1))
    future = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())  # next Monday
    report = load("runs", csv_text(
        RUN_HEADER,
        "2026-09-07,RET-1,am,delivered,08:50,2,0,2",
        "2026-09-07,NOPE,am,delivered,08:50,1,0,1",
        "2026-09-08,RET-1,pm,delivered,08:50,2,0,2",
        "7th Sept,RET-1,am,delivered,08:50,2,0,2",
        "2026-09-15,RET-1,am,delivered,,2,0,2",
        "2026-09-08,RET-1,am,delivered,08:50,2,3,0",
        "2026-09-09,RET-1,am,delivered,08:50,2,1,2",
        "2026-09-10,RET-1,am,cancelled,08:50,2,0,0",
        "2026-09-11,RET-1,am,cancelled,,2,0,1",
        "2026-09-08,RET-MWF,am,delivered,08:50,2,0,2",
        "2026-09-07,RET-OLD,am,delivered,08:50,2,0,2",
        f"{future.isoformat()},RET-1,am,delivered,08:50,2,0,2",
        "2026-09-14,RET-1,am,finished,,2,0,2",
        "2026-09-07,RET-1,am,not_required,,2,0,0",
    ))
    assert problems_of(report) == [
        (3, "route_code"), (4, "session"), (5, "date"), (6, "arrival_time"), (7, "pupils_absent"),
        (8, "pupils_transported"), (9, "arrival_time"), (10, "pupils_transported"), (11, "date"),
        (12, "date"), (13, "date"), (14, "status"), (15, "date")]
    messages = {p.line: p.message for p in report.problems}
    assert messages[3] == "unknown route 'NOPE': import the routes first"
    assert messages[4] == "route RET-1 is an am route, not pm"
    assert "not a date" in messages[5]
    assert messages[6] == "is blank: a delivered run needs its arrival time at school"
    assert messages[7] == "3 absent is more than the 2 expected"
    assert messages[8] == "2 transported is more than the 1 expected less absent"
    assert messages[9] == "a cancelled run has no arrival time: leave it blank"
    assert messages[10] == "a cancelled run transports no pupils: write 0 or leave it blank"
    assert messages[11] == "2026-09-08 is a Tuesday: route RET-MWF runs on Mon Wed Fri"
    assert messages[12] == "route RET-OLD was withdrawn on 2026-09-01"
    assert "is in the future" in messages[13]
    assert messages[15] == "duplicate key: line 2 has the same date"


def test_a_rejected_return_file_writes_no_run(load, db_session):
    _route(db_session)
    report = load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,0,2",
                                   "2026-09-08,RET-1,am,delivered,08:58,2,0,5"))
    assert problems_of(report) == [(3, "pupils_transported")]
    assert db_session.scalar(select(func.count()).select_from(Run)) == 0
    assert db_session.scalar(select(func.count()).select_from(RunEvent)) == 0


def test_runs_export_only_runs_with_an_outcome_and_import_back_unchanged(load, db_session):
    route = _route(db_session)
    generate_runs(db_session, TUESDAY)  # scheduled: no outcome yet, not exported
    load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,1,1"))
    out = io.StringIO()
    assert write_export(db_session, "runs", out) == 1
    assert out.getvalue().splitlines() == [RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,1,1"]
    again = load("runs", out.getvalue())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert _run(db_session, route, TUESDAY).status == RunStatus.SCHEDULED


def test_pupils_on_a_run_made_by_a_return_follow_recorded_absences(load, db_session):
    from hts.operations.models import PupilAbsence

    route = _route(db_session)
    ill = route.pupils[0]
    db_session.add(PupilAbsence(pupil=ill, absent_on=MONDAY, session="am", reason="ill", recorded_by="x"))
    load("runs", csv_text(RUN_HEADER, "2026-09-07,RET-1,am,delivered,08:58,2,1,1"))
    statuses = {rp.pupil_id: rp.status for rp in _run(db_session, route).pupils}
    assert statuses[ill.id] == RunPupilStatus.ABSENT


CALL_HEADER = "date,received,answered"


def test_calls_are_upserted_by_day_and_their_days_marked_stale(load, db_session):
    monday, tuesday = _snapshot(db_session, MONDAY), _snapshot(db_session, TUESDAY)
    first = load("calls", csv_text(CALL_HEADER, "2026-09-07,131,122"))
    assert first.created == 1
    db_session.refresh(monday)
    assert monday.stale is True
    monday.stale = False
    db_session.flush()
    again = load("calls", csv_text(CALL_HEADER, "07/09/2026,131,122", "2026-09-08,90,90"))
    assert (again.created, again.unchanged) == (1, 1)
    db_session.refresh(monday)
    db_session.refresh(tuesday)
    assert (monday.stale, tuesday.stale) == (False, True)
    assert db_session.scalar(select(CallDay.answered).where(CallDay.call_on == TUESDAY)) == 90


def test_call_rows_are_checked_and_a_bad_file_writes_nothing(load, db_session):
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    report = load("calls", csv_text(CALL_HEADER, "2026-09-07,100,90", "2026-09-11,100,101", f"{future},10,5",
                                    "2026-09-08,-1,0", "2026-09-09,ten,5", "2026-09-10,10,", "07/09/2026,5,5"))
    assert problems_of(report) == [(3, "answered"), (4, "date"), (5, "received"), (6, "received"),
                                   (7, "answered"), (8, "date")]
    assert report.problems[0].message == "101 answered is more than the 100 received"
    assert report.problems[-1].message == "duplicate key: line 2 has the same date"
    assert db_session.scalar(select(func.count()).select_from(CallDay)) == 0
