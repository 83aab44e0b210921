"""Run sheets: what the crew gets (first names, needs, order, times), from the run or the route,
the CSV, PDF and text renderings, and who may open them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from hts import weekdays
from hts.operations.models import PupilAbsence, Run, RunStatus, SchoolClosure
from hts.operations.runs import generate_runs
from hts.operations.runsheets import (
    build_run_sheet,
    pdf_text,
    run_sheet_csv,
    run_sheet_pdf,
    run_sheet_text,
)
from hts.people.models import PupilAddress
from hts.routing.models import RouteVersion
from hts.routing.versions import snapshot_of
from tests import factories

WEDNESDAY = dt.date(2026, 11, 25)
CONFIG = {"CONTACT_PHONE": "0121 496 0000", "CONTACT_EMAIL": "transport@council.example"}


@pytest.fixture
def route_day(db_session):
    """A morning route of one operator: Ruby (wheelchair, PA) then Sam and Priya at one house."""
    operator = factories.make_operator(db_session, name="Ourtown Cars", contact_email="desk@ourtown.example")
    driver = factories.make_staff(db_session, operator=operator, first_name="Dee", last_name="Driver")
    vehicle = factories.make_vehicle(db_session, operator=operator, registration="WA26 VAN", seats=4,
                                     wheelchair_spaces=1)
    school = factories.make_school(db_session, name="Oakfield Academy", postcode="B1 1AA")
    ruby = factories.make_pupil(db_session, school=school, first_name="Ruby", last_name="Quill", wheelchair=True,
                                passenger_assistant=True, latitude=52.51)
    sam = factories.make_pupil(db_session, school=school, first_name="Sam", last_name="Oddie", solo=False)
    priya = factories.make_pupil(db_session, school=school, first_name="Priya", last_name="Shah", solo=True)
    priya.addresses[0].address, priya.addresses[0].postcode = sam.addresses[0].address, sam.addresses[0].postcode
    route = factories.make_route(db_session, school=school, pupils=[ruby, sam], route_code="R-101",
                                 operator=operator, vehicle=vehicle, driver=driver)
    route.stops[1].pupils.append(priya)
    db_session.flush()
    return {"route": route, "ruby": ruby, "sam": sam, "priya": priya, "operator": operator, "school": school}


def test_the_sheet_lists_stops_in_order_with_times_first_names_and_needs(db_session, route_day):
    sheet = build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG)
    assert [(s.sequence, s.time, s.action) for s in sheet.stops] == [
        (1, "08:00", "Pick up"), (2, "08:05", "Pick up"), (3, "08:50", "Arrive at Oakfield Academy")]
    assert [[p.first_name for p in s.pupils] for s in sheet.stops] == [["Ruby"], ["Sam", "Priya"], []]
    ruby = sheet.stops[0].pupils[0]
    assert ruby.travels_in == "wheelchair space"
    assert ruby.describe() == "Ruby: wheelchair user, in a wheelchair space; needs a passenger assistant"
    priya = next(p for p in sheet.stops[1].pupils if p.first_name == "Priya")
    assert priya.travels_in == "seat" and "travels solo" in priya.needs[0]
    assert sheet.stops[1].postcode == "B2 2BB" and sheet.stops[1].address == route_day["sam"].addresses[0].address
    assert sheet.stops[2].postcode == "B1 1AA"
    assert sheet.source == "route" and sheet.notice is None
    assert sheet.vehicle.startswith("WA26 VAN (CAR, 4 seats, 1 wheelchair space")
    assert sheet.driver.startswith("Dee Driver (")
    assert [c.describe() for c in sheet.contacts] == [
        "Council transport office: 0121 496 0000, transport@council.example",
        "Operator: Ourtown Cars: desk@ourtown.example"]


def test_nothing_more_personal_than_the_crew_needs_reaches_any_rendering(db_session, route_day):
    sheet = build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG)
    for text in (run_sheet_text(sheet), run_sheet_csv(sheet), str(sheet)):
        assert "Ruby" in text
        for secret in ("Quill", "Oddie", "Shah", "2016-05-01", route_day["ruby"].pupil_ref):
            assert secret not in text


def test_the_pupils_address_on_that_weekday_is_used_shared_care_included(db_session, route_day):
    ruby = route_day["ruby"]
    ruby.addresses.append(PupilAddress(is_main=False, address="7 Elm Row", postcode="B5 5EE", latitude=52.46,
                                       longitude=-1.89, days=weekdays.parse("Wed")))
    db_session.flush()
    assert build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG).stops[0].place == \
        "7 Elm Row, B5 5EE"
    thursday = build_run_sheet(db_session, route_day["route"], WEDNESDAY + dt.timedelta(days=1), config=CONFIG)
    assert thursday.stops[0].postcode == "B2 2BB"


def test_without_a_run_absences_are_marked_and_non_travelling_pupils_left_off(db_session, route_day):
    route_day["sam"].travel_days = weekdays.parse("Mon Tue")
    db_session.add(PupilAbsence(pupil_id=route_day["priya"].id, absent_on=WEDNESDAY, session="both",
                                reason="ill", recorded_by="school"))
    db_session.flush()
    sheet = build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG)
    assert [(p.first_name, p.absent) for p in sheet.pupils] == [("Ruby", False), ("Priya", True)]
    assert sheet.pupil_count_words == "1 pupil travelling, 1 absent"
    assert "Priya: seat; travels solo (no other pupils on board) (ABSENT today)" in run_sheet_text(sheet)


def test_the_days_run_is_the_source_when_there_is_one(db_session, route_day):
    generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route_day["route"].id))
    run.pupils = [rp for rp in run.pupils if rp.pupil_id != route_day["sam"].id]
    run.driver_id = None
    run.status, run.reason = RunStatus.CANCELLED, "vehicle broke down"
    db_session.flush()
    sheet = build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG)
    assert sheet.source == "run"
    assert [p.first_name for p in sheet.pupils] == ["Ruby", "Priya"]
    assert sheet.driver == "Not assigned yet"
    assert sheet.notice == "This run is cancelled: vehicle broke down."


def test_a_day_the_route_does_not_run_carries_a_notice(db_session, route_day):
    route = route_day["route"]
    assert build_run_sheet(db_session, route, dt.date(2026, 11, 28), config=CONFIG).notice == \
        "This route does not run on Saturdays."
    db_session.add(SchoolClosure(school_id=route_day["school"].id, closed_on=WEDNESDAY, kind="inset",
                                 reason="training"))
    db_session.flush()
    notice = build_run_sheet(db_session, route, WEDNESDAY, config=CONFIG).notice
    assert notice == "No run on this day: the school is closed (inset: training)."


@pytest.mark.parametrize("with_run", [False, True])
def test_a_shared_route_whose_own_school_is_closed_runs_to_the_open_one_only(db_session, with_run):
    route, own, other, mine, theirs = factories.make_shared_route(db_session)
    db_session.add(SchoolClosure(school_id=own.id, closed_on=WEDNESDAY, kind="inset", reason="training"))
    db_session.flush()
    if with_run:
        generate_runs(db_session, WEDNESDAY)
    sheet = build_run_sheet(db_session, route, WEDNESDAY, config=CONFIG)
    assert (sheet.source, sheet.notice) == ("run" if with_run else "route", None)
    assert (sheet.school_name, sheet.school_time) == ("Nearby School", "08:45")
    assert [s.action for s in sheet.stops] == ["Pick up", "Arrive at Nearby School"]
    assert [p.first_name for p in sheet.pupils] == [theirs.first_name]


def test_a_version_published_for_a_later_day_shapes_that_days_sheet(db_session, route_day):
    route = route_day["route"]
    later = snapshot_of(route)
    later["stops"] = [later["stops"][1], later["stops"][0], later["stops"][2]]
    later["stops"][0]["time"], later["stops"][1]["time"] = "08:02", "08:12"
    db_session.add(RouteVersion(route_id=route.id, version=route.version + 1, effective_from=WEDNESDAY,
                                snapshot=later, published_by="planner"))
    db_session.flush()
    before = build_run_sheet(db_session, route, WEDNESDAY - dt.timedelta(days=1), config=CONFIG)
    after = build_run_sheet(db_session, route, WEDNESDAY, config=CONFIG)
    assert [p.first_name for p in before.pupils][0] == "Ruby"
    assert [p.first_name for p in after.pupils][-1] == "Ruby" and after.stops[0].time == "08:02"
    assert after.version == route.version + 1


def test_formula_like_cells_are_neutralised_in_the_csv(db_session, route_day):
    route_day["sam"].first_name = "=HYPERLINK(\"http://evil\")"
    route_day["sam"].addresses[0].address = "+44 Test Road"
    db_session.flush()
    rows = list(csv.DictReader(io.StringIO(run_sheet_csv(
        build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG)))))
    sam = next(r for r in rows if "HYPERLINK" in r["first_name"])
    assert sam["first_name"].startswith("'=") and sam["address"].startswith("'+44")
    assert [r["stop"] for r in rows] == ["1", "2", "2", "3"]
    assert rows[0]["wheelchair"] == "yes" and rows[0]["travels_in"] == "wheelchair space"
    assert rows[-1]["action"] == "Arrive at Oakfield Academy" and rows[-1]["first_name"] == ""


def test_the_pdf_is_a_pdf_and_survives_names_outside_latin_1(db_session, route_day):
    route_day["ruby"].first_name = "Łucja"
    db_session.flush()
    data = run_sheet_pdf(build_run_sheet(db_session, route_day["route"], WEDNESDAY, config=CONFIG))
    assert data.startswith(b"%PDF")
    assert pdf_text("Łucja “Zoë” – 李") == "Lucja \"Zoë\" - ?"


# --- the web pages -----------------------------------------------------------------------------

def test_the_page_shows_the_sheet_with_links_to_pdf_and_csv(client, login, route_day):
    login("planner")
    route = route_day["route"]
    page = client.get(f"/routes/{route.id}/run-sheet?date=2026-11-25").get_data(as_text=True)
    assert "Run sheet R-101" in page and "Ruby" in page and "Quill" not in page
    assert f"/routes/{route.id}/run-sheet.pdf?date=2026-11-25" in page
    assert f"/routes/{route.id}/run-sheet.csv?date=2026-11-25" in page
    pdf = client.get(f"/routes/{route.id}/run-sheet.pdf?date=2026-11-25")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "run-sheet-R-101-2026-11-25.pdf" in pdf.headers["Content-Disposition"]
    csv_file = client.get(f"/routes/{route.id}/run-sheet.csv?date=2026-11-25")
    assert csv_file.mimetype == "text/csv" and "Ruby" in csv_file.get_data(as_text=True)


def test_the_route_page_links_to_its_run_sheet(client, login, route_day):
    login("operations")
    route = route_day["route"]
    assert f"/routes/{route.id}/run-sheet" in client.get(f"/routes/{route.id}").get_data(as_text=True)


def test_a_bad_date_gets_a_message_not_a_traceback(client, login, route_day):
    login("planner")
    route = route_day["route"]
    page = client.get(f"/routes/{route.id}/run-sheet?date=25/11/2026")
    assert page.status_code == 400 and "is not a date" in page.get_data(as_text=True)
    assert client.get(f"/routes/{route.id}/run-sheet.csv?date=tomorrow").status_code == 400


def test_an_operator_sees_its_own_routes_sheet_and_another_operators_is_404(client, db_session, login, route_day):
    route = route_day["route"]
    login("operator", operator=factories.make_operator(db_session))
    for suffix in ("", ".pdf", ".csv"):
        assert client.get(f"/routes/{route.id}/run-sheet{suffix}").status_code == 404
    client.post("/logout")
    login("operator", operator=route_day["operator"])
    assert client.get(f"/routes/{route.id}/run-sheet.csv").status_code == 200


@pytest.mark.parametrize("role", ["compliance", "manager"])
def test_roles_without_childrens_data_do_not_get_run_sheets(client, login, route_day, role):
    login(role)
    assert client.get(f"/routes/{route_day['route'].id}/run-sheet").status_code == 403


# --- the operator API --------------------------------------------------------------------------

def _token(db_session, operator):
    from hts.api.tokens import issue

    _, token = issue(db_session, operator, "crew tablet")
    return {"Authorization": f"Bearer {token}"}


def test_the_api_run_sheet_comes_as_pdf_or_csv_on_request(client, db_session, route_day):
    generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route_day["route"].id))
    headers = _token(db_session, route_day["operator"])
    as_json = client.get(f"/api/runs/{run.id}", headers=headers)
    assert as_json.mimetype == "application/json" and as_json.json["route_code"] == "R-101"
    as_pdf = client.get(f"/api/runs/{run.id}?format=pdf", headers=headers)
    assert as_pdf.status_code == 200 and as_pdf.data.startswith(b"%PDF")
    as_csv = client.get(f"/api/runs/{run.id}", headers={**headers, "Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv" and as_csv.get_data(as_text=True).startswith("route_code,date")
    refused = client.get(f"/api/runs/{run.id}?format=docx", headers=headers)
    assert refused.status_code == 400 and refused.json["fields"] == {"format": "one of json, pdf, csv"}


def test_another_operators_api_run_sheet_is_404_in_every_format(client, db_session, route_day):
    generate_runs(db_session, WEDNESDAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route_day["route"].id))
    headers = _token(db_session, factories.make_operator(db_session))
    for query in ("", "?format=pdf", "?format=csv"):
        assert client.get(f"/api/runs/{run.id}{query}", headers=headers).status_code == 404


def test_the_openapi_document_offers_the_pdf_and_csv_run_sheet(client):
    operation = client.get("/api/openapi.json").json["paths"]["/api/runs/{run_id}"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "application/pdf", "text/csv"}
    assert any(p["name"] == "format" for p in operation["parameters"])


def test_an_operator_taking_a_route_over_later_sees_only_the_days_it_runs_it(client, db_session, login, route_day):
    route = route_day["route"]
    newcomer = factories.make_operator(db_session)
    later = snapshot_of(route)
    later.update(operator_id=newcomer.id, vehicle_id=None, driver_id=None, vehicle_type="wav")
    db_session.add(RouteVersion(route_id=route.id, version=route.version + 1, effective_from=dt.date(2026, 11, 30),
                                snapshot=later, published_by="planner"))
    db_session.flush()
    login("operator", operator=newcomer)
    assert client.get(f"/routes/{route.id}/run-sheet.csv?date=2026-11-27").status_code == 404
    monday = client.get(f"/routes/{route.id}/run-sheet?date=2026-11-30").get_data(as_text=True)
    assert "Ruby" in monday and "Not assigned yet (contracted: WAV)" in monday
    client.post("/logout")
    login("operator", operator=route_day["operator"])
    assert client.get(f"/routes/{route.id}/run-sheet.csv?date=2026-11-27").status_code == 200
    assert client.get(f"/routes/{route.id}/run-sheet.csv?date=2026-11-30").status_code == 404


def test_a_withdrawn_route_says_it_does_not_run(db_session, route_day):
    route = route_day["route"]
    db_session.add(RouteVersion(route_id=route.id, version=route.version + 1, effective_from=dt.date(2026, 11, 30),
                                snapshot={"withdrawn": True}, published_by="planner"))
    db_session.flush()
    monday = build_run_sheet(db_session, route, dt.date(2026, 11, 30), config=CONFIG)
    assert monday.notice == "A published change withdraws this route before this day: it does not run."
    assert [p.first_name for p in monday.pupils] == ["Ruby", "Sam", "Priya"]  # as it last ran
    route.withdrawn_on = WEDNESDAY
    db_session.flush()
    assert build_run_sheet(db_session, route, WEDNESDAY, config=CONFIG).notice == \
        "This route was withdrawn on 25 November 2026: it does not run."
