"""The control room's pages: the board, a run's forms, and casework, per role and with bad input."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hts.operations.casework import call_day_errors, casework_days, dated_case_errors
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    Complaint,
    PupilAbsence,
    Run,
    RunEvent,
    RunPupilStatus,
    RunStatus,
    SafeguardingCase,
)
from hts.sitrep.figures import sitrep
from hts.sitrep.models import SitrepSnapshot
from hts.sitrep.snapshots import store_snapshot
from tests import factories
from tests.operations.conftest import DAY
from tests.sitrep.test_figures import add_run


def _page(response):
    return response.get_data(as_text=True)


# --- Pure rules ------------------------------------------------------------------------------

def test_calls_answered_may_not_exceed_calls_received():
    today = dt.date(2026, 1, 10)
    assert call_day_errors(call_on=dt.date(2026, 1, 9), received=10, answered=11, today=today) == \
        {"answered": "Calls answered must be no more than calls received (10)"}
    assert call_day_errors(call_on=dt.date(2026, 1, 11), received=10, answered=10, today=today) == \
        {"call_on": "The date must be today or in the past"}
    assert call_day_errors(call_on=today, received=0, answered=0, today=today) == {}


def test_a_case_cannot_close_before_it_opened_or_be_dated_in_the_future():
    today = dt.date(2026, 1, 10)
    errors = dated_case_errors(opened=dt.date(2026, 1, 5), closed=dt.date(2026, 1, 4), today=today,
                               opened_field="received_on", closed_field="closed_on",
                               due=dt.date(2026, 1, 1), due_field="response_due_on")
    assert errors == {"closed_on": "The date closed must be on or after 5 January 2026",
                      "response_due_on": "The response due date must be on or after 5 January 2026"}
    assert dated_case_errors(opened=dt.date(2026, 1, 11), closed=None, today=today,
                             opened_field="opened_on", closed_field="closed_on") == \
        {"opened_on": "The date must be today or in the past"}


def test_a_case_change_touches_every_past_day_it_was_open_on_either_side():
    today = dt.date(2026, 1, 10)
    closed_now = casework_days(today, (dt.date(2026, 1, 5), None), (dt.date(2026, 1, 5), dt.date(2026, 1, 7)))
    assert min(closed_now) == dt.date(2026, 1, 5) and max(closed_now) == dt.date(2026, 1, 9)
    assert casework_days(today, (dt.date(2026, 1, 2), dt.date(2026, 1, 4)),
                         (dt.date(2026, 1, 2), dt.date(2026, 1, 3))) == \
        {dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4)}


# --- Access ----------------------------------------------------------------------------------

def _every_page(day_runs):
    run_id = day_runs["oak_run"].id
    return [
        ("get", "/operations"), ("get", f"/operations/runs/{run_id}"), ("get", "/operations/calls"),
        ("get", "/operations/complaints"), ("get", "/operations/complaints/new"), ("get", "/operations/safeguarding"),
        ("get", "/operations/safeguarding/new"), ("get", "/operations/bus-passes"), ("get", "/operations/bus-passes/new"),
        ("post", "/operations/generate"), ("post", f"/operations/runs/{run_id}/outcome"),
        ("post", f"/operations/runs/{run_id}/cancel"), ("post", f"/operations/runs/{run_id}/absence"),
        ("post", "/operations/calls"),
    ]


def test_an_operator_user_is_refused_every_control_room_page(client, login, day_runs):
    login("operator", operator=day_runs["ours"])
    for method, url in _every_page(day_runs):
        assert getattr(client, method)(url).status_code == 403, url


def test_a_compliance_officer_is_refused_the_control_room(client, login, day_runs):
    login("compliance")
    assert client.get("/operations").status_code == 403
    assert client.get("/operations/complaints").status_code == 403


def test_operations_and_admin_open_every_control_room_page(client, login, day_runs):
    for role in ("operations", "admin"):
        client.post("/logout")
        login(role)
        for method, url in _every_page(day_runs):
            if method == "get":
                assert client.get(url).status_code == 200, (role, url)


def test_planners_may_look_at_runs_but_not_record_or_open_casework(client, login, day_runs):
    login("planner")
    run = day_runs["oak_run"]
    page = _page(client.get(f"/operations/runs/{run.id}"))
    assert "Ava Stone" in page and "Record the outcome" not in page
    assert client.post(f"/operations/runs/{run.id}/outcome", data={"status": "cancelled", "reason": "x"}).status_code == 403
    assert client.get("/operations/complaints").status_code == 403


def test_managers_read_runs_without_childrens_names_and_casework_without_forms(client, login, day_runs):
    login("manager")
    page = _page(client.get(f"/operations/runs/{day_runs['oak_run'].id}"))
    assert "BOARD-OAK" in page and "Ava" not in page and "Pupil 1" in page
    assert "Record the outcome" not in page
    assert client.get("/operations/complaints").status_code == 200
    assert "Record a complaint" not in _page(client.get("/operations/complaints"))
    assert client.get("/operations/complaints/new").status_code == 403
    assert client.post("/operations/calls", data={"call_on": "2024-11-13", "received": "1", "answered": "1"}).status_code == 403


def test_the_navigation_shows_control_room_and_sitrep_to_operations(client, login):
    login("operations")
    page = " ".join(_page(client.get("/")).split())
    assert 'href="/operations"> Control room </a>' in page and 'href="/sitrep"> SITREP </a>' in page


# --- The board -------------------------------------------------------------------------------

def test_the_board_lists_the_days_runs_with_their_status_and_filters_by_school_and_operator(client, login, day_runs):
    login("operations")
    page = _page(client.get(f"/operations?date={DAY.isoformat()}"))
    assert "BOARD-OAK" in page and "BOARD-ELM" in page and "Scheduled" in page
    by_school = _page(client.get(f"/operations?date={DAY.isoformat()}&school={day_runs['elm'].id}"))
    assert "BOARD-ELM" in by_school and "BOARD-OAK" not in by_school
    by_operator = _page(client.get(f"/operations?date={DAY.isoformat()}&operator={day_runs['ours'].id}"))
    assert "BOARD-OAK" in by_operator and "BOARD-ELM" not in by_operator


def test_the_board_shows_a_cancelled_run_with_its_reason_and_a_late_one_as_late(client, login, db_session, day_runs):
    day_runs["oak_run"].status, day_runs["oak_run"].reason = RunStatus.CANCELLED, "driver ill"
    elm = day_runs["elm_run"]
    elm.status, elm.arrived_at_school, elm.on_time, elm.pupils_transported = \
        RunStatus.COMPLETED, dt.time(9, 5), False, 1
    login("operations")
    page = _page(client.get(f"/operations?date={DAY.isoformat()}"))
    assert "Cancelled" in page and "driver ill" in page and "Completed late" in page


def test_a_day_without_runs_offers_to_generate_them_and_generating_makes_them(client, login, db_session, day_runs):
    later = DAY + dt.timedelta(days=1)
    login("operations")
    page = _page(client.get(f"/operations?date={later.isoformat()}"))
    assert "Generate the runs for" in page
    response = client.post("/operations/generate", data={"day": later.isoformat()})
    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Run).where(Run.run_on == later)) == 2
    assert "Generate the runs for" not in _page(client.get(f"/operations?date={later.isoformat()}"))


def test_planners_are_not_offered_generation(client, login, day_runs):
    login("planner")
    page = _page(client.get(f"/operations?date={(DAY + dt.timedelta(days=1)).isoformat()}"))
    assert "There are no runs for this day yet" in page and "Generate the runs" not in page


def test_the_board_pages_through_many_runs(app, client, login, db_session):
    school = factories.make_school(db_session)
    for n in range(app.config["PAGE_SIZE"] + 3):
        add_run(db_session, factories.make_route(db_session, school=school, route_code=f"PAGE-{n:03d}"),
                day=dt.date(2003, 5, 7), status=RunStatus.SCHEDULED)
    login("operations")
    first = _page(client.get("/operations?date=2003-05-07"))
    assert f"Showing 1 to {app.config['PAGE_SIZE']} of {app.config['PAGE_SIZE'] + 3} runs" in first
    second = _page(client.get("/operations?date=2003-05-07&page=2"))
    assert "PAGE-052" in second and "PAGE-000" not in second


# --- Recording outcomes ----------------------------------------------------------------------

def test_recording_an_outcome_by_hand_changes_the_sitrep_figures(client, login, db_session, day_runs):
    before = sitrep(db_session, DAY, DAY)
    assert (before.routes_scheduled, before.routes_delivered, before.pupil_journeys_completed) == (2, 0, 0)
    login("operations")
    oak = day_runs["oak_run"]
    response = client.post(f"/operations/runs/{oak.id}/outcome",
                           data={"status": "completed", "arrived_at_school": "08:55", "pupils_transported": "2"})
    assert response.status_code == 302
    elm = day_runs["elm_run"]
    client.post(f"/operations/runs/{elm.id}/outcome", data={"status": "arrived", "arrived_at_school": "08:50"})
    db_session.expire_all()
    after = sitrep(db_session, DAY, DAY)
    assert (after.routes_delivered, after.routes_on_time, after.pupil_journeys_completed) == (2, 1, 3)
    assert after.routes_delivered_pct == 100.0 and after.routes_on_time_pct == 50.0
    assert db_session.get(Run, elm.id).on_time is False  # 08:50 at a school starting 08:45
    event = db_session.scalar(select(RunEvent).where(RunEvent.run_id == oak.id))
    assert event.kind == "outcome_recorded" and event.source.startswith("control room: ")


def test_an_outcome_with_bad_input_shows_field_errors_and_saves_nothing(client, login, db_session, day_runs):
    login("operations")
    run = day_runs["oak_run"]
    response = client.post(f"/operations/runs/{run.id}/outcome",
                           data={"status": "completed", "arrived_at_school": "", "pupils_transported": "lots"})
    page = _page(response)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert "Enter the time the run reached school" in page and 'href="#arrived_at_school"' in page
    assert "Pupils transported must be a whole number" in page
    response = client.post(f"/operations/runs/{run.id}/outcome",
                           data={"status": "completed", "arrived_at_school": "08:40", "pupils_transported": "5"})
    assert response.status_code == 400
    assert "Pupils transported must be between 0 and 2" in _page(response)
    response = client.post(f"/operations/runs/{run.id}/outcome", data={"status": "cancelled"})
    assert "Enter why the run did not go ahead" in _page(response)
    db_session.expire_all()
    assert db_session.get(Run, run.id).status == RunStatus.SCHEDULED
    assert db_session.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run.id)) == 0


def test_cancelling_needs_a_reason_and_records_it(client, login, db_session, day_runs):
    login("operations")
    run = day_runs["oak_run"]
    response = client.post(f"/operations/runs/{run.id}/cancel", data={"reason": "  "})
    assert response.status_code == 400 and "Enter why the run is cancelled" in _page(response)
    assert 'href="#cancel-reason"' in _page(response)
    assert client.post(f"/operations/runs/{run.id}/cancel", data={"reason": "vehicle broke down"}).status_code == 302
    db_session.expire_all()
    cancelled = db_session.get(Run, run.id)
    assert (cancelled.status, cancelled.reason) == (RunStatus.CANCELLED, "vehicle broke down")
    assert sitrep(db_session, DAY, DAY).routes_delivered == 0


def test_marking_a_pupil_absent_records_the_absence_and_updates_the_days_runs(client, login, db_session, day_runs):
    login("operations")
    run, ava = day_runs["oak_run"], day_runs["ava"]
    response = client.post(f"/operations/runs/{run.id}/absence",
                           data={"pupil_id": str(ava.id), "sessions": "both", "reason": "ill"})
    assert response.status_code == 302
    db_session.expire_all()
    run = db_session.get(Run, run.id)
    assert (run.pupils_expected, run.pupils_absent) == (2, 1)
    assert {rp.pupil_id: rp.status for rp in run.pupils}[ava.id] == RunPupilStatus.ABSENT
    absence = db_session.scalar(select(PupilAbsence).where(PupilAbsence.pupil_id == ava.id))
    assert (absence.absent_on, absence.session, absence.reason) == (DAY, "both", "ill")
    assert sitrep(db_session, DAY, DAY).pupil_journeys_needed == 2  # Ben and Cal
    again = client.post(f"/operations/runs/{run.id}/absence",
                        data={"pupil_id": str(ava.id), "sessions": "run", "reason": "ill"})
    assert again.status_code == 400


def test_the_last_pupil_absent_makes_a_scheduled_run_not_required(client, login, db_session, day_runs):
    login("operations")
    run, cal = day_runs["elm_run"], day_runs["cal"]
    client.post(f"/operations/runs/{run.id}/absence", data={"pupil_id": str(cal.id), "sessions": "run", "reason": "trip"})
    db_session.expire_all()
    assert db_session.get(Run, run.id).status == RunStatus.NOT_REQUIRED


def test_an_absence_without_a_reason_or_pupil_is_refused_with_field_errors(client, login, db_session, day_runs):
    login("operations")
    run = day_runs["oak_run"]
    response = client.post(f"/operations/runs/{run.id}/absence", data={"pupil_id": "", "sessions": "run", "reason": ""})
    page = _page(response)
    assert response.status_code == 400
    assert "Choose the pupil who is not travelling" in page and "Enter why the pupil is not travelling" in page
    assert 'href="#absence-reason"' in page
    assert db_session.scalar(select(func.count()).select_from(PupilAbsence)) == 0


def test_changing_a_past_days_run_marks_its_stored_sitrep_stale(client, login, db_session, day_runs):
    snapshot = store_snapshot(db_session, DAY)
    assert snapshot.stale is False
    login("operations")
    client.post(f"/operations/runs/{day_runs['oak_run'].id}/cancel", data={"reason": "snow"})
    db_session.expire_all()
    assert db_session.scalar(select(SitrepSnapshot.stale).where(SitrepSnapshot.day == DAY)) is True


def test_the_board_filter_lists_exactly_the_runs_behind_each_sitrep_figure(client, login, db_session):
    day = dt.date(2003, 3, 5)
    school = factories.make_school(db_session)
    made = {}
    for code, kwargs in {
        "DD-ONTIME": dict(status=RunStatus.COMPLETED, on_time=True, expected=2),
        "DD-LATE": dict(status=RunStatus.ARRIVED, on_time=False, expected=2),
        "DD-SHORT": dict(status=RunStatus.COMPLETED, on_time=True, expected=3, transported=2),
        "DD-CANCEL": dict(status=RunStatus.CANCELLED, expected=1),
        "DD-WAITING": dict(status=RunStatus.SCHEDULED, expected=1),
        "DD-NOTREQ": dict(status=RunStatus.NOT_REQUIRED, expected=1),
    }.items():
        made[code] = add_run(db_session, factories.make_route(db_session, school=school, route_code=code), day=day, **kwargs)
    figures = sitrep(db_session, day, day)
    login("manager")

    def listed(status):
        page = _page(client.get(f"/operations?date={day.isoformat()}&status={status}"))
        return {code for code in made if code in page}

    assert listed("not_delivered") == {"DD-CANCEL", "DD-WAITING"}
    assert len(listed("not_delivered")) == figures.routes_scheduled - figures.routes_delivered
    assert listed("late") == {"DD-LATE"}
    assert len(listed("late")) == figures.routes_delivered - figures.routes_on_time
    assert listed("pupils_missed") == {"DD-SHORT", "DD-CANCEL", "DD-WAITING"}
    assert listed("required") == set(made) - {"DD-NOTREQ"}


# --- Calls -----------------------------------------------------------------------------------

def test_a_days_calls_are_recorded_and_corrected_and_a_past_day_goes_stale(client, login, db_session):
    day = dt.date(2004, 6, 9)
    store_snapshot(db_session, day)
    login("operations")
    assert client.post("/operations/calls", data={"call_on": day.isoformat(), "received": "120", "answered": "100"}).status_code == 302
    assert client.post("/operations/calls", data={"call_on": day.isoformat(), "received": "130", "answered": "117"}).status_code == 302
    db_session.expire_all()
    row = db_session.scalar(select(CallDay).where(CallDay.call_on == day))
    assert (row.received, row.answered) == (130, 117)
    assert db_session.scalar(select(SitrepSnapshot.stale).where(SitrepSnapshot.day == day)) is True
    page = _page(client.get(f"/operations/calls?start={day.isoformat()}&end={day.isoformat()}"))
    assert "117 of 130 calls answered" in page and "90.00" in page


def test_calls_with_bad_input_show_field_errors_and_save_nothing(client, login, db_session):
    login("operations")
    response = client.post("/operations/calls", data={"call_on": "2004-02-30", "received": "ten", "answered": ""})
    page = _page(response)
    assert response.status_code == 400
    assert "must be a real date" in page and "Calls received must be a whole number" in page
    assert "Enter the number of calls answered" in page
    response = client.post("/operations/calls", data={"call_on": "2004-06-10", "received": "10", "answered": "11"})
    assert response.status_code == 400 and "Calls answered must be no more than calls received (10)" in _page(response)
    assert db_session.scalar(select(func.count()).select_from(CallDay).where(
        CallDay.call_on.in_([dt.date(2004, 6, 10)]))) == 0


# --- Complaints, cases, bus passes -----------------------------------------------------------

def _complaint(**changes):
    data = {"reference": "C-2004-001", "received_on": "2004-06-01", "category": "Lateness", "operator_id": "",
            "route_code": "", "response_due_on": "2004-06-29", "closed_on": ""}
    data.update(changes)
    return data


def test_a_complaint_is_recorded_listed_as_overdue_and_closed(client, login, db_session):
    operator = factories.make_operator(db_session, name="Complained Cars")
    route = factories.make_route(db_session, route_code="COMP-1", operator=operator)
    login("operations")
    response = client.post("/operations/complaints/new", data=_complaint(route_code="comp-1"))
    assert response.status_code == 302
    complaint = db_session.scalar(select(Complaint).where(Complaint.reference == "C-2004-001"))
    assert complaint.route_id == route.id and complaint.operator_id == operator.id  # the route's operator
    overdue = _page(client.get("/operations/complaints?state=overdue"))
    assert "C-2004-001" in overdue and "Overdue" in overdue
    assert client.post(f"/operations/complaints/{complaint.id}", data=_complaint(closed_on="2004-06-20",
                       route_code="COMP-1")).status_code == 302
    db_session.expire_all()
    assert db_session.get(Complaint, complaint.id).closed_on == dt.date(2004, 6, 20)
    assert ">C-2004-001</a>" not in _page(client.get("/operations/complaints?state=open"))
    assert ">C-2004-001</a>" in _page(client.get("/operations/complaints?state=closed"))


def test_a_complaint_with_bad_input_gets_a_message_per_field_and_nothing_is_written(client, login, db_session):
    db_session.add(Complaint(reference="C-TAKEN", received_on=dt.date(2004, 1, 5), category="Other",
                             response_due_on=dt.date(2004, 2, 5)))
    login("operations")
    response = client.post("/operations/complaints/new", data=_complaint(
        reference="c-taken", route_code="NO-SUCH-ROUTE", closed_on="2004-05-01", category=""))
    page = _page(response)
    assert response.status_code == 400
    assert "Choose the category of the complaint" in page
    response = client.post("/operations/complaints/new", data=_complaint(
        reference="c-taken", route_code="NO-SUCH-ROUTE", closed_on="2004-05-01"))
    page = _page(response)
    assert "Complaint c-taken already exists" in page and 'href="#reference"' in page
    assert "There is no route NO-SUCH-ROUTE" in page and 'href="#route_code"' in page
    assert "The date closed must be on or after 1 June 2004" in page and 'href="#closed_on"' in page
    response = client.post("/operations/complaints/new", data=_complaint(reference="bad ref!", received_on="yesterday"))
    page = _page(response)
    assert "A reference may contain only letters" in page and "must be a real date" in page
    assert db_session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_a_safeguarding_case_links_staff_and_pupil_by_reference_and_managers_see_no_names(client, login, db_session):
    pupil = factories.make_pupil(db_session, first_name="Dana", last_name="Hollis")
    driver = factories.make_staff(db_session)
    login("operations")
    data = {"reference": "SG-1", "opened_on": "2004-06-01", "category": "Wrong drop-off", "route_code": "",
            "staff_ref": "NOBODY", "pupil_ref": pupil.pupil_ref.lower(), "closed_on": ""}
    response = client.post("/operations/safeguarding/new", data=data)
    assert response.status_code == 400 and "There is no driver or assistant NOBODY" in _page(response)
    assert db_session.scalar(select(func.count()).select_from(SafeguardingCase)) == 0
    assert client.post("/operations/safeguarding/new", data={**data, "staff_ref": driver.staff_ref}).status_code == 302
    case = db_session.scalar(select(SafeguardingCase).where(SafeguardingCase.reference == "SG-1"))
    assert (case.pupil_id, case.staff_id) == (pupil.id, driver.id)
    assert "Dana Hollis" in _page(client.get("/operations/safeguarding"))
    client.post("/logout")
    login("manager")
    page = _page(client.get("/operations/safeguarding"))
    assert "SG-1" in page and "Dana" not in page


def test_a_bus_pass_application_waits_until_assessed(client, login, db_session):
    login("operations")
    assert client.post("/operations/bus-passes/new", data={"reference": "BP-9", "received_on": "2004-06-01",
                                                            "assessed_on": ""}).status_code == 302
    application = db_session.scalar(select(BusPassApplication).where(BusPassApplication.reference == "BP-9"))
    assert "BP-9" in _page(client.get("/operations/bus-passes"))
    response = client.post(f"/operations/bus-passes/{application.id}",
                           data={"reference": "BP-9", "received_on": "2004-06-01", "assessed_on": "2004-05-01"})
    assert response.status_code == 400 and "The date assessed must be on or after 1 June 2004" in _page(response)
    assert client.post(f"/operations/bus-passes/{application.id}",
                       data={"reference": "BP-9", "received_on": "2004-06-01", "assessed_on": "2004-06-03"}).status_code == 302
    assert ">BP-9</a>" not in _page(client.get("/operations/bus-passes?state=open"))
    assert ">BP-9</a>" in _page(client.get("/operations/bus-passes?state=closed"))
