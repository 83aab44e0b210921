"""Schemathesis against the operator API: generated requests, a real operator's token, seeded runs.

Every response must be no server error, carry a status code the OpenAPI document lists, and a
body (and content type) that matches the document. HTS_FUZZ_CASES sets the number of generated
cases over all operations (default 300, a bounded sample for CI); docs/reliability.md records a
full run. Generated ids, route codes and pupil references are steered onto the seeded operator's
records for part of the cases, so the API's success paths are fuzzed too, not only its 404s.
"""

from __future__ import annotations

import datetime as dt
import os
import zlib
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from hts.api.openapi import document
from hts.api.tokens import issue
from hts.operations.models import Run
from hts.operations.runs import generate_runs
from hts.operators.models import StaffRole
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle

TOTAL_CASES = int(os.environ.get("HTS_FUZZ_CASES", "300"))
#: No 5xx; status, content type, headers and body as documented; and a request whose token is
#: left out or broken is refused however the rest of it looks (ignored_auth sends it again so).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, ignored_auth]

#: Every operation of the document (a test below checks the list is complete).
OPERATION_LABELS = ["GET /api/runs", "GET /api/runs/{run_id}", "POST /api/runs/{run_id}/events",
                    "POST /api/routes/{route_code}/assignment", "GET /api/openapi.json"]


@pytest.fixture
def seeded(db_session: Any) -> dict[str, Any]:
    """An operator with a compliant crew, two routes of pupils, today's and tomorrow's runs, a token."""
    operator = compliant_operator(db_session)
    other = compliant_operator(db_session)
    school = factories.make_school(db_session)
    pupils = [factories.make_pupil(db_session, school=school, first_name=name)
              for name in ("Ava", "Ben", "Cal", "Dee")]
    driver = compliant_staff(db_session, operator)
    pa = compliant_staff(db_session, operator, role=StaffRole.PASSENGER_ASSISTANT)
    vehicle = compliant_vehicle(db_session, operator, seats=8)
    routes = [factories.make_route(db_session, school=school, pupils=pupils[:2], operator=operator,
                                   route_code="FUZZ-1"),
              factories.make_route(db_session, school=school, pupils=pupils[2:], operator=operator,
                                   route_code="FUZZ-2"),
              factories.make_route(db_session, school=school, pupils=[], operator=other, route_code="THEIRS-1")]
    today = dt.date.today()
    for day in (today, today + dt.timedelta(days=1)):
        generate_runs(db_session, day)
    runs = db_session.scalars(select(Run).where(Run.route_id.in_([r.id for r in routes]))).all()
    _, token = issue(db_session, operator, "fuzz")
    db_session.commit()
    return {"token": token, "run_ids": sorted(r.id for r in runs), "route_codes": ["FUZZ-1", "FUZZ-2", "THEIRS-1"],
            "pupil_refs": [p.pupil_ref for p in pupils], "driver_refs": [driver.staff_ref, pa.staff_ref],
            "registrations": [vehicle.registration]}


def _schema(app: Any) -> Any:
    """The API's own OpenAPI document, loaded through the app in process (WSGI)."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _pick(options: list[Any], seed: Any) -> Any:
    # crc32, not hash(): the same generated value picks the same record on every run.
    return options[zlib.crc32(str(seed).encode()) % len(options)]


def _steer(case: Any, seeded: dict[str, Any]) -> None:
    """Point two cases in three at the seeded records (chosen from the generated values)."""
    path = case.path_parameters or {}
    if "run_id" in path and isinstance(path["run_id"], int) and path["run_id"] % 3:
        path["run_id"] = _pick(seeded["run_ids"], path["run_id"])
    if "route_code" in path and isinstance(path["route_code"], str) and len(path["route_code"]) % 3:
        path["route_code"] = _pick(seeded["route_codes"], path["route_code"])
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("pupil_ref"), str) and len(body["pupil_ref"]) % 3:
            body["pupil_ref"] = _pick(seeded["pupil_refs"], body["pupil_ref"])
        for key, options in (("driver_ref", seeded["driver_refs"]), ("pa_ref", seeded["driver_refs"]),
                             ("registration", seeded["registrations"])):
            if isinstance(body.get(key), str) and len(body[key]) % 3:
                body[key] = _pick(options, body[key])


def test_the_fuzzed_operations_are_every_operation_of_the_document() -> None:
    labels = [f"{method.upper()} {path}" for path, item in document()["paths"].items() for method in item]
    assert sorted(labels) == sorted(OPERATION_LABELS)


#: Valid requests (positive) and requests that break the schema (negative) for each operation;
#: the document itself takes no input to break.
RUNS = [(label, mode) for label in OPERATION_LABELS for mode in GenerationMode
        if not (label == "GET /api/openapi.json" and mode == GenerationMode.NEGATIVE)]


@pytest.mark.parametrize(("label", "mode"), RUNS, ids=[f"{label} {mode.value}" for label, mode in RUNS])
def test_the_operator_api_answers_every_generated_request_as_its_schema_says(
        app: Any, seeded: dict[str, Any], label: str, mode: GenerationMode) -> None:
    method, path = label.split(" ", 1)
    operation = _schema(app)[path][method]
    headers = {"Authorization": f"Bearer {seeded['token']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=max(1, TOTAL_CASES // len(RUNS)), deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), database=None)
    def answers_as_documented(case: Any) -> None:
        _steer(case, seeded)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    statuses: dict[int, int] = {}
    answers_as_documented()
    if os.environ.get("HTS_FUZZ_REPORT"):  # the figures for docs/reliability.md
        with open(os.environ["HTS_FUZZ_REPORT"], "a", encoding="utf-8") as report:
            report.write(f"{label}\t{mode.value}\t{sum(statuses.values())}\t{dict(sorted(statuses.items()))}\n")


def test_a_method_the_document_does_not_list_is_405_json_naming_the_allowed_ones(
        client: Any, seeded: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    for path, item in document()["paths"].items():
        url = path.replace("{run_id}", str(seeded["run_ids"][0])).replace("{route_code}", "FUZZ-1")
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - {m.upper() for m in item}:
            response = client.open(url, method=method, headers=headers)
            assert response.status_code == 405, (method, path)
            assert response.is_json and response.json["error"] == "Method not allowed"
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert {m.upper() for m in item} <= allowed and method not in allowed
