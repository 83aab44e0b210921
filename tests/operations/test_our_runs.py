"""An operator's own runs on the web: the day's list, a run's page and the outcome it reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hts.operations.models import ClosureKind, Run, RunEvent, RunStatus, SchoolClosure
from hts.operations.our_runs import report_refusal
from hts.operations.runs import generate_runs
from hts.sitrep.figures import sitrep
from hts.web import local_today
from tests import factories
from tests.operations.conftest import DAY
from tests.operations.test_views import _page


def test_an_operator_may_report_a_run_of_today_or_before_that_nobody_has_closed():
    run = Run(run_on=DAY, status=RunStatus.SCHEDULED)
    assert report_refusal(run, DAY) is None
    assert report_refusal(run, DAY + dt.timedelta(days=3)) is None
    assert "report it on the day or after" in report_refusal(run, DAY - dt.timedelta(days=1))
    run.status = RunStatus.UNDER_WAY
    assert report_refusal(run, DAY) is None
    run.status = RunStatus.ARRIVED  # the afternoon leg or the drop-off may still be reported as completed
    assert report_refusal(run, DAY) is None
    run.status = RunStatus.NOT_REQUIRED
    assert report_refusal(run, DAY) == "The council stood this run down: no outcome is needed"
    for final in (RunStatus.COMPLETED, RunStatus.CANCELLED):
        run.status = final
        assert "call the control room to correct it" in report_refusal(run, DAY)


def test_an_operator_sees_only_its_own_runs_of_the_day(client, login, day_runs):
    login("operator", operator=day_runs["ours"])
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}"))
    assert "Our runs on Wednesday 13 November 2024" in page
    assert "BOARD-OAK" in page and "BOARD-ELM" not in page
    assert "1 run." in page and "2 expected" in page
    assert f"/routes/{day_runs['oak_run'].route_id}/run-sheet?date={DAY.isoformat()}" in page
    assert client.get(f"/our-runs/{day_runs['elm_run'].id}").status_code == 404
    assert client.post(f"/our-runs/{day_runs['elm_run'].id}/report",
                       data={"status": "cancelled", "reason": "x"}).status_code == 404


def test_council_staff_use_the_control_room_not_the_operators_pages(client, login, day_runs):
    for role in ("admin", "operations", "planner", "manager", "compliance"):
        login(role)
        assert client.get("/our-runs").status_code == 403, role
        assert client.get(f"/our-runs/{day_runs['oak_run'].id}").status_code == 403, role


def test_the_navigation_offers_runs_to_an_operator(client, login, day_runs):
    login("operator", operator=day_runs["ours"])
    assert 'href="/our-runs"' in _page(client.get("/"))


def test_a_bad_date_gets_a_message_and_todays_list(client, login, day_runs):
    login("operator", operator=day_runs["ours"])
    response = client.get("/our-runs?date=13/11/2024")
    assert response.status_code == 400
    assert "&#39;13/11/2024&#39; is not a date: use the date picker or YYYY-MM-DD" in _page(response)


def test_the_list_filters_to_the_runs_still_to_report(client, login, db_session, day_runs):
    ours = day_runs["ours"]
    school = day_runs["oak"]
    factories.make_route(db_session, school=school, route_code="BOARD-OAK-2", operator=ours,
                         pupils=[factories.make_pupil(db_session, school=school)])
    generate_runs(db_session, DAY)
    done = db_session.scalar(select(Run).join(Run.route).where(Run.run_on == DAY).filter_by(route_code="BOARD-OAK-2"))
    done.status, done.arrived_at_school, done.on_time = RunStatus.COMPLETED, dt.time(8, 50), True
    db_session.flush()
    login("operator", operator=ours)
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}&show=to_report"))
    assert "Showing: <strong>Still to report</strong>" in page
    assert "BOARD-OAK<" in page and "BOARD-OAK-2" not in page
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}&show=delivered"))
    assert "BOARD-OAK-2" in page and "BOARD-OAK<" not in page


def test_an_operator_reports_a_run_completed_and_the_sitrep_counts_it(client, login, db_session, day_runs):
    user = login("operator", operator=day_runs["ours"])
    run = day_runs["oak_run"]
    assert "Report how the run went" in _page(client.get(f"/our-runs/{run.id}"))
    response = client.post(f"/our-runs/{run.id}/report",
                           data={"status": "completed", "arrived_at_school": "08:52", "pupils_transported": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/our-runs?date={DAY.isoformat()}")
    db_session.expire_all()
    run = db_session.get(Run, run.id)
    assert (run.status, run.arrived_at_school, run.on_time, run.pupils_transported) == \
        (RunStatus.COMPLETED, dt.time(8, 52), True, 2)
    event = db_session.scalar(select(RunEvent).where(RunEvent.run_id == run.id))
    assert event.source == f"operator: {user.email}" and event.kind == "outcome_recorded"
    figures = sitrep(db_session, DAY, DAY)
    assert (figures.routes_delivered, figures.routes_on_time, figures.pupil_journeys_completed) == (1, 1, 2)
    # Recorded: a second report is refused, and the page says whom to call.
    again = client.post(f"/our-runs/{run.id}/report", data={"status": "cancelled", "reason": "oops"})
    assert again.status_code == 409
    assert "The run is already recorded as completed: call the control room to correct it" in _page(again)
    db_session.expire_all()
    assert db_session.get(Run, run.id).status == RunStatus.COMPLETED


def test_a_report_with_bad_input_shows_field_errors_and_saves_nothing(client, login, db_session, day_runs):
    login("operator", operator=day_runs["ours"])
    run = day_runs["oak_run"]
    response = client.post(f"/our-runs/{run.id}/report",
                           data={"status": "completed", "arrived_at_school": "", "pupils_transported": "lots"})
    page = _page(response)
    assert response.status_code == 400
    assert "Enter the time the run reached school" in page and 'href="#arrived_at_school"' in page
    assert "Pupils transported must be a whole number" in page
    response = client.post(f"/our-runs/{run.id}/report",
                           data={"status": "arrived", "arrived_at_school": "08:40", "pupils_transported": "3"})
    assert response.status_code == 400 and "Pupils transported must be between 0 and 2" in _page(response)
    assert "Enter why the run did not go ahead" in _page(client.post(f"/our-runs/{run.id}/report",
                                                                     data={"status": "cancelled"}))
    # Not required is the council's decision, not an operator's.
    response = client.post(f"/our-runs/{run.id}/report", data={"status": "not_required", "reason": "quiet day"})
    assert response.status_code == 400 and "Not a valid choice" in _page(response)
    db_session.expire_all()
    assert db_session.get(Run, run.id).status == RunStatus.SCHEDULED
    assert db_session.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run.id)) == 0


def test_a_run_the_council_stood_down_offers_no_report(client, login, db_session, day_runs):
    run = day_runs["oak_run"]
    run.status, run.reason = RunStatus.NOT_REQUIRED, "closure: heating failure"
    db_session.flush()
    login("operator", operator=day_runs["ours"])
    page = _page(client.get(f"/our-runs/{run.id}"))
    assert "The council stood this run down: no outcome is needed." in page
    assert 'action="/our-runs/' not in page
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}"))
    assert "closure: heating failure" in page and "None needed" in page


def test_the_day_names_closures_of_every_school_and_of_the_operators_schools_only(client, login, db_session,
                                                                                 day_runs):
    for school, reason in ((day_runs["oak"], "boiler"), (day_runs["elm"], "flood"), (None, "snow")):
        db_session.add(SchoolClosure(school=school, closed_on=DAY, kind=ClosureKind.CLOSURE, reason=reason))
    db_session.flush()
    login("operator", operator=day_runs["ours"])  # runs Oak's route, not Elm's
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}"))
    assert "Oak Academy (closure: boiler)" in page and "every school (closure: snow)" in page
    assert "flood" not in page


def test_the_operators_home_counts_todays_runs_still_to_report(client, login, db_session, day_runs):
    ours, school = day_runs["ours"], day_runs["oak"]
    for status in (RunStatus.SCHEDULED, RunStatus.UNDER_WAY, RunStatus.COMPLETED):
        route = factories.make_route(db_session, school=school, operator=ours)
        db_session.add(Run(route_id=route.id, run_on=local_today(), session="am", route_version=1,
                           school_id=school.id, operator_id=ours.id, due_at_school=dt.time(9, 0), status=status))
    db_session.flush()
    login("operator", operator=ours)
    page = _page(client.get("/"))
    card = page[page.index('hts-card__link" href="/our-runs"'):]
    assert card.index(">2</span>") < card.index("Runs to report today") < card.index("</a>")
