"""The operator API: token auth, operator isolation, run sheets, idempotent events, the gate's 409."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hts.api.tokens import issue, revoke
from hts.operations.models import Run, RunEvent
from hts.operations.runs import generate_runs
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff

DAY = dt.date(2026, 11, 25)


@pytest.fixture
def operator_setup(db_session):
    operator = compliant_operator(db_session)
    school = factories.make_school(db_session, name="Oak Special School")
    pupils = [factories.make_pupil(db_session, school=school, first_name=name) for name in ("Ava", "Ben")]
    route = factories.make_route(db_session, school=school, pupils=pupils, operator=operator, route_code="API-1")
    generate_runs(db_session, DAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    _, token = issue(db_session, operator, "driver app")
    return {"operator": operator, "route": route, "run": run, "pupils": pupils,
            "headers": {"Authorization": f"Bearer {token}"}}


def test_requests_without_a_valid_token_get_401_json(client):
    response = client.get("/api/runs")
    assert response.status_code == 401
    assert response.json["error"] == "unauthorised"
    assert client.get("/api/runs", headers={"Authorization": "Bearer hts_nope"}).status_code == 401


def test_a_revoked_token_stops_working(client, db_session, operator_setup):
    assert client.get("/api/runs", headers=operator_setup["headers"]).status_code == 200
    from hts.api.models import ApiToken

    revoke(db_session.scalar(select(ApiToken)))
    assert client.get("/api/runs", headers=operator_setup["headers"]).status_code == 401


def test_an_operator_sees_its_runs_and_a_run_sheet_with_first_names_only(client, operator_setup):
    listing = client.get("/api/runs?date=2026-11-25", headers=operator_setup["headers"]).json
    assert [r["route_code"] for r in listing["runs"]] == ["API-1"]
    sheet = client.get(f"/api/runs/{operator_setup['run'].id}", headers=operator_setup["headers"]).json
    names = [p["first_name"] for stop in sheet["stops"] for p in stop["pupils"]]
    assert names == ["Ava", "Ben"]
    assert "last_name" not in str(sheet) and "date_of_birth" not in str(sheet)
    assert sheet["stops"][-1]["kind"] == "school"


def test_another_operators_run_and_route_are_404(client, db_session, operator_setup):
    other = compliant_operator(db_session)
    _, token = issue(db_session, other, "theirs")
    theirs = {"Authorization": f"Bearer {token}"}
    run_id = operator_setup["run"].id
    assert client.get(f"/api/runs/{run_id}", headers=theirs).status_code == 404
    assert client.post(f"/api/runs/{run_id}/events", json={"kind": "departed"},
                       headers={**theirs, "Idempotency-Key": "x"}).status_code == 404
    assert client.post("/api/routes/API-1/assignment", json={"driver_ref": "S1"}, headers=theirs).status_code == 404
    assert client.get("/api/runs?date=2026-11-25", headers=theirs).json["runs"] == []


def test_the_same_event_posted_twice_with_one_key_counts_once(client, db_session, operator_setup):
    run = operator_setup["run"]
    body = {"kind": "pupil_boarded", "pupil_ref": operator_setup["pupils"][0].pupil_ref,
            "occurred_at": "2026-11-25T08:10:00+00:00"}
    headers = {**operator_setup["headers"], "Idempotency-Key": "evt-1"}
    first = client.post(f"/api/runs/{run.id}/events", json=body, headers=headers)
    second = client.post(f"/api/runs/{run.id}/events", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json["replayed"] is True and second.json["event_id"] == first.json["event_id"]
    assert db_session.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run.id)) == 1


def test_bad_event_input_names_each_field(client, operator_setup):
    response = client.post(f"/api/runs/{operator_setup['run'].id}/events",
                           json={"kind": "pupil_boarded", "pupil_ref": "NOBODY", "occurred_at": "yesterday"},
                           headers=operator_setup["headers"])
    assert response.status_code == 400
    assert set(response.json["fields"]) == {"Idempotency-Key", "pupil_ref", "occurred_at"}
    not_json = client.post(f"/api/runs/{operator_setup['run'].id}/events", data="kind=departed",
                           headers={**operator_setup["headers"], "Idempotency-Key": "k"})
    assert not_json.status_code == 400


def test_an_event_the_run_cannot_take_is_409(client, operator_setup):
    url = f"/api/runs/{operator_setup['run'].id}/events"
    headers = operator_setup["headers"]
    client.post(url, json={"kind": "cancelled", "reason": "vehicle breakdown"}, headers={**headers, "Idempotency-Key": "c"})
    late = client.post(url, json={"kind": "departed"}, headers={**headers, "Idempotency-Key": "d"})
    assert late.status_code == 409
    assert "cancelled" in late.json["message"]


def test_assigning_a_non_compliant_driver_is_409_with_reasons(client, db_session, operator_setup):
    unqualified = factories.make_staff(db_session, operator=operator_setup["operator"])
    response = client.post("/api/routes/API-1/assignment", json={"driver_ref": unqualified.staff_ref},
                           headers=operator_setup["headers"])
    assert response.status_code == 409
    assert any("no enhanced DBS on record" in r for r in response.json["reasons"])
    good = compliant_staff(db_session, operator_setup["operator"])
    ok = client.post("/api/routes/API-1/assignment", json={"driver_ref": good.staff_ref},
                     headers=operator_setup["headers"])
    assert ok.status_code == 200 and ok.json["driver"] == good.staff_ref


def test_the_openapi_document_describes_every_api_route(client, app):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            normalised = rule.rule.replace("<int:", "<")
            assert normalised in documented, f"{rule.rule} is not in the OpenAPI document"


def test_the_api_ignores_csrf_but_the_web_forms_do_not(database_url, db_session, operator_setup):
    from hts import create_app
    from tests.conftest import TEST_CONFIG

    strict = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    strict.extensions["hts_db"].pinned = db_session
    db_session.commit()
    response = strict.test_client().post(
        f"/api/runs/{operator_setup['run'].id}/events", json={"kind": "departed"},
        headers={**operator_setup["headers"], "Idempotency-Key": "csrf-1"})
    assert response.status_code == 201
