"""The import page: roles, a good file, a rejected file, check only, and the formats page."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from hts.imports.kinds import KINDS
from hts.people.models import School
from tests import factories

GOOD = KINDS["schools"].example_csv().replace("B23 6SA,,", "B23 6SA,52.53,-1.83")
BAD = GOOD.replace("15:15", "3pm")


def _post(client, kind, content, name="schools.csv", check_only=False):
    data = {"kind": kind, "file": (io.BytesIO(content.encode("utf-8")), name)}
    if check_only:
        data["check_only"] = "y"
    return client.post("/import", data=data, content_type="multipart/form-data")


def _schools(db_session):
    return db_session.scalar(select(func.count()).select_from(School))


def test_a_planner_sees_only_their_kinds(client, login):
    login("planner")
    page = client.get("/import").get_data(as_text=True)
    assert 'value="pupils"' in page and 'value="routes"' in page and 'value="documents"' not in page
    assert 'enctype="multipart/form-data"' in page


def test_a_planner_imports_a_good_file_and_sees_the_success_banner(client, login, db_session):
    login("planner")
    response = _post(client, "schools", GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-notification-banner--success" in page and "2 were created" in page
    assert _schools(db_session) == 2


def test_a_bad_file_gets_400_and_a_table_of_problems_and_nothing_is_saved(client, login, db_session):
    login("planner")
    response = _post(client, "schools", BAD)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file was rejected" in page
    assert "<th scope=\"col\" class=\"govuk-table__header\">Line</th>" in page
    assert "finish_time" in page and "&#39;3pm&#39; is not a time" in page
    assert _schools(db_session) == 0


def test_check_only_reports_without_saving(client, login, db_session):
    login("admin")
    response = _post(client, "schools", GOOD, check_only=True)
    assert response.status_code == 200 and "would be created" in response.get_data(as_text=True)
    assert _schools(db_session) == 0


def test_compliance_may_not_import_pupils(client, login, db_session):
    login("compliance")
    factories.make_school(db_session, urn="103456")
    assert _post(client, "pupils", KINDS["pupils"].example_csv(), name="pupils.csv").status_code == 403
    assert 'value="pupils"' not in client.get("/import").get_data(as_text=True)


def test_roles_without_imports_are_refused(client, login):
    login("manager")
    assert client.get("/import").status_code == 403


def test_operations_import_the_days_returns_calls_and_cases_but_not_reference_data(client, login, db_session):
    login("operations")
    page = client.get("/import").get_data(as_text=True)
    for kind in ("runs", "calls", "complaints", "safeguarding", "bus_passes"):
        assert f'value="{kind}"' in page
    assert 'value="pupils"' not in page and 'value="calendar"' not in page
    response = _post(client, "calls", KINDS["calls"].example_csv(), name="calls.csv")
    assert response.status_code == 200 and "2 were created" in response.get_data(as_text=True)
    assert _post(client, "calendar", KINDS["calendar"].example_csv(), name="c.csv").status_code == 403


def test_planners_import_the_calendar_and_incompatibilities_but_not_returns(client, login):
    login("planner")
    page = client.get("/import").get_data(as_text=True)
    assert 'value="calendar"' in page and 'value="incompatibilities"' in page
    assert _post(client, "runs", KINDS["runs"].example_csv(), name="runs.csv").status_code == 403


def test_a_missing_file_is_asked_for_again(client, login):
    login("planner")
    response = client.post("/import", data={"kind": "schools"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV or Excel (.xlsx) file" in response.get_data(as_text=True)


def test_the_formats_page_lists_every_kind_with_an_example_file(client, login):
    login("compliance")
    page = client.get("/import/formats").get_data(as_text=True)
    for kind in KINDS:
        assert f"/import/formats/{kind}.csv" in page
    example = client.get("/import/formats/routes.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert example.get_data(as_text=True).startswith("route_code,session,school_urn")
    assert client.get("/import/formats/buses.csv").status_code == 404
