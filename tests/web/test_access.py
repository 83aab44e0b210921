"""Every page against every role: the matrix of who may open what.

The URLs come from the app's own url_map, so a new GET page without a row in EXPECTED fails
here instead of escaping the access review. A new page needs: a row in EXPECTED (the roles
that get it), and, if its URL takes arguments, real ids in `_detail_args` (records of other
domains come from the `casework` fixture in conftest.py). The matrix itself is written down in
the docstring of hts/web.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hts.auth.models import Role
from hts.web import NAVIGATION
from tests.web.conftest import Casework, World

ADMIN, PLANNER, COMPLIANCE, MANAGER, OPERATIONS, OPERATOR = (
    "admin", "planner", "compliance", "manager", "operations", "operator"
)
ANONYMOUS = "anonymous"
EVERY_ROLE = frozenset({ADMIN, PLANNER, COMPLIANCE, MANAGER, OPERATIONS, OPERATOR})
PUPIL_DATA = frozenset({ADMIN, PLANNER, OPERATIONS})
SCHOOLS = frozenset({ADMIN, PLANNER, OPERATIONS, MANAGER})
OPERATOR_LIST = frozenset({ADMIN, PLANNER, COMPLIANCE, MANAGER, OPERATIONS})
FLEET = frozenset({ADMIN, PLANNER, COMPLIANCE, OPERATIONS, OPERATOR})
DOCUMENTS = frozenset({ADMIN, COMPLIANCE, OPERATOR})
IMPORTS = frozenset({ADMIN, PLANNER, COMPLIANCE, OPERATIONS})
ADMIN_ONLY = frozenset({ADMIN})
COUNCIL = EVERY_ROLE - {OPERATOR}
CONTROL_ROOM_EDIT = frozenset({ADMIN, OPERATIONS})
CONTROL_ROOM_BOARD = CONTROL_ROOM_EDIT | {PLANNER, MANAGER}
CASEWORK = CONTROL_ROOM_EDIT | {MANAGER}
PLAN_READERS = frozenset({ADMIN, PLANNER, MANAGER})
COMPLIANCE_OFFICERS = frozenset({ADMIN, COMPLIANCE})
COMPLIANCE_OVERSIGHT = COMPLIANCE_OFFICERS | {MANAGER}
COMPLIANCE_HOLDERS = COMPLIANCE_OVERSIGHT | {OPERATOR}
WORKBENCH = PLAN_READERS | {COMPLIANCE}

#: Sentinel rows: pages anyone may open, API endpoints that only an operator's bearer token
#: opens (a browser session gets 401), and endpoints the matrix does not request.
PUBLIC = "public"
TOKEN_ONLY = "token only"
NOT_REQUESTED = "not requested"

#: endpoint -> the signed-in roles that get the page (200); other roles get 403 and anonymous
#: visitors are sent to sign in.
EXPECTED: dict[str, Any] = {
    "web.home": EVERY_ROLE,
    "people.schools": SCHOOLS,
    "people.school": SCHOOLS,
    "people.pupils": PUPIL_DATA,
    "people.pupil": PUPIL_DATA,
    "routing.routes": EVERY_ROLE,
    "routing.route": EVERY_ROLE,
    "runsheets.run_sheet": PUPIL_DATA | {OPERATOR},
    "runsheets.run_sheet_pdf_file": PUPIL_DATA | {OPERATOR},
    "runsheets.run_sheet_csv_file": PUPIL_DATA | {OPERATOR},
    "operators.operators": OPERATOR_LIST,
    "operators.operator": OPERATOR_LIST | {OPERATOR},
    "operators.staff_list": FLEET,
    "operators.staff": FLEET,
    "operators.vehicles": FLEET,
    "operators.vehicle": FLEET,
    "operators.documents": DOCUMENTS,
    "operators.document": DOCUMENTS,
    "imports.upload": IMPORTS,
    "imports.formats": IMPORTS,
    "imports.example": IMPORTS,
    "operations.board": CONTROL_ROOM_BOARD,
    "operations.run": CONTROL_ROOM_BOARD,
    "operations.calls": CASEWORK,
    "operations.complaints": CASEWORK,
    "operations.safeguarding_cases": CASEWORK,
    "operations.bus_passes": CASEWORK,
    "operations.closures_page": CONTROL_ROOM_BOARD,
    "our_runs.runs": frozenset({OPERATOR}),
    "our_runs.run": frozenset({OPERATOR}),
    "operations.new_complaint": CONTROL_ROOM_EDIT,
    "operations.complaint": CONTROL_ROOM_EDIT,
    "operations.new_safeguarding_case": CONTROL_ROOM_EDIT,
    "operations.safeguarding_case": CONTROL_ROOM_EDIT,
    "operations.new_bus_pass": CONTROL_ROOM_EDIT,
    "operations.bus_pass": CONTROL_ROOM_EDIT,
    "plans.plans": PLAN_READERS,
    "plans.plan": PLAN_READERS,
    "plans.progress": PLAN_READERS,
    "changes.change_list": PLAN_READERS,
    "changes.change": PLAN_READERS,
    "changes.new": frozenset({ADMIN, PLANNER}),
    "routing.route_version": PLAN_READERS,
    "workbench.index": WORKBENCH,
    "workbench.edit_route": WORKBENCH,
    "workbench.add_pupil": frozenset({ADMIN, PLANNER}),
    "compliance.dashboard": COMPLIANCE_OVERSIGHT,
    "compliance.not_compliant": COMPLIANCE_OVERSIGHT,
    "compliance.outbox": COMPLIANCE_OVERSIGHT,
    "compliance.at_risk": COMPLIANCE_OVERSIGHT,
    "compliance.runs_without_crew": COMPLIANCE_OVERSIGHT,
    "compliance.reviews": COMPLIANCE_OVERSIGHT,
    "compliance.review": COMPLIANCE_OVERSIGHT,
    "compliance.review_item": COMPLIANCE_OFFICERS,
    "compliance.pending": COMPLIANCE_OFFICERS,
    "compliance.review_document": COMPLIANCE_OFFICERS,
    "compliance.decision": COMPLIANCE_OFFICERS,
    "compliance.readiness_board": COMPLIANCE_OVERSIGHT | {PLANNER},
    "compliance.assign_route": COMPLIANCE_OFFICERS | {PLANNER, OPERATOR},
    "compliance.operator": COMPLIANCE_HOLDERS,
    "compliance.staff": COMPLIANCE_HOLDERS,
    "compliance.vehicle": COMPLIANCE_HOLDERS,
    "compliance.ours": frozenset({OPERATOR}),
    "sitrep.dashboard": COUNCIL,
    "sitrep.figures_csv": COUNCIL,
    "sitrep.trend_csv": COUNCIL,
    "sitrep.week_pdf": COUNCIL,
    "auth.users": ADMIN_ONLY,
    "audit.entries": ADMIN_ONLY,
    "admin.jobs": ADMIN_ONLY,
    "privacy.record_views": ADMIN_ONLY,
    "privacy.export": ADMIN_ONLY,
    "auth.login": PUBLIC,
    "web.healthz": PUBLIC,
    "web.favicon": PUBLIC,
    "api.openapi": PUBLIC,
    "api.runs": TOKEN_ONLY,
    "api.run_sheet": TOKEN_ONLY,
    "static": NOT_REQUESTED,  # files, not pages; served to anyone
}


#: Pages that answer an allowed role with a redirect rather than a page.
REDIRECTS = frozenset({"web.favicon", "compliance.ours"})


def _detail_args(world: World, casework: Casework) -> dict[str, Any]:
    """Real ids for the pages that show one record (all belonging to the operator user's operator)."""
    ours = world.ours
    return {
        "operations.run": {"run_id": casework.run.id},
        "our_runs.run": {"run_id": casework.run.id},
        "operations.complaint": {"complaint_id": casework.complaint.id},
        "operations.safeguarding_case": {"case_id": casework.case.id},
        "operations.bus_pass": {"application_id": casework.bus_pass.id},
        "plans.plan": {"plan_id": casework.plan.id},
        "compliance.review": {"review_id": casework.review.id},
        "compliance.review_item": {"review_id": casework.review.id, "item_id": casework.review.items[0].id},
        "compliance.review_document": {"document_id": ours.document.id},
        "compliance.decision": {"operator_id": ours.operator.id, "action": "suspend"},
        "compliance.assign_route": {"route_id": ours.route.id},
        "compliance.operator": {"operator_id": ours.operator.id},
        "compliance.staff": {"staff_id": ours.driver.id},
        "compliance.vehicle": {"vehicle_id": ours.vehicle.id},
        "plans.progress": {"plan_id": casework.plan.id},
        "changes.change": {"change_id": casework.change.id},
        "workbench.edit_route": {"change_id": casework.change.id, "item_id": casework.change.items[0].id},
        "routing.route_version": {"route_id": ours.route.id, "number": casework.version.version},
        "people.school": {"school_id": world.school.id},
        "people.pupil": {"pupil_id": world.pupil.id},
        "privacy.record_views": {"pupil_id": world.pupil.id},
        "privacy.export": {"pupil_id": world.pupil.id},
        "routing.route": {"route_id": ours.route.id},
        "runsheets.run_sheet": {"route_id": ours.route.id},
        "runsheets.run_sheet_pdf_file": {"route_id": ours.route.id},
        "runsheets.run_sheet_csv_file": {"route_id": ours.route.id},
        "operators.operator": {"operator_id": ours.operator.id},
        "operators.staff": {"staff_id": ours.driver.id},
        "operators.vehicle": {"vehicle_id": ours.vehicle.id},
        "operators.document": {"document_id": ours.document.id},
        "imports.example": {"kind": "schools"},
        "api.run_sheet": {"run_id": 1},  # refused before any lookup: no token
    }


def _get_pages(app: Flask, world: World, casework: Casework) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET page: rules without arguments, and details with real ids."""
    args = _detail_args(world, casework)
    pages = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or set()) or EXPECTED.get(rule.endpoint, NOT_REQUESTED) == NOT_REQUESTED:
                continue  # endpoints missing from the table are reported by their own test
            if rule.arguments:
                assert rule.endpoint in args, f"no test record for the detail page {rule.endpoint}"
                pages.append((rule.endpoint, url_for(rule.endpoint, **args[rule.endpoint])))
            else:
                pages.append((rule.endpoint, url_for(rule.endpoint)))
    return pages


def _expected_status(endpoint: str, role: str) -> int:
    allowed = EXPECTED[endpoint]
    if allowed == TOKEN_ONLY:
        return 401
    if allowed == PUBLIC:
        # The login page sends signed-in users home; the favicon redirects to the static file.
        if endpoint == "auth.login":
            return 200 if role == ANONYMOUS else 302
        return 302 if endpoint in REDIRECTS else 200
    if role == ANONYMOUS:
        return 302
    if role not in allowed:
        return 403
    return 302 if endpoint in REDIRECTS else 200


def test_every_get_endpoint_has_a_row_in_the_access_table(app: Flask) -> None:
    missing = sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and rule.endpoint not in EXPECTED
    )
    assert missing == [], f"add these endpoints to EXPECTED in {__name__}: {missing}"


def test_every_navigation_endpoint_exists_in_the_app(app: Flask) -> None:
    missing = [item.endpoint for item in NAVIGATION if item.endpoint not in app.view_functions]
    assert missing == []


def test_every_view_declares_its_roles(app: Flask) -> None:
    undeclared = sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "_hts_roles", None) is None
    )
    assert undeclared == []


def test_navigation_shows_each_role_only_what_it_may_open(client: FlaskClient, login: Any, world: World) -> None:
    login("manager")
    html = client.get("/").get_data(as_text=True)
    assert ">Schools<" in html and ">Routes<" in html and ">Operators<" in html
    assert ">Pupils<" not in html and ">Documents<" not in html and ">Audit log<" not in html


@pytest.mark.parametrize("role", sorted(EVERY_ROLE) + [ANONYMOUS])
def test_each_role_gets_exactly_the_pages_the_matrix_gives_it(
    role: str, app: Flask, client: FlaskClient, login: Any, world: World, casework: Casework
) -> None:
    if role == OPERATOR:
        login(role, operator=world.ours.operator)
    elif role != ANONYMOUS:
        login(role)
    wrong = []
    for endpoint, url in _get_pages(app, world, casework):
        response = client.get(url)
        expected = _expected_status(endpoint, role)
        if response.status_code != expected:
            wrong.append(f"{url} ({endpoint}): got {response.status_code}, expected {expected}")
        elif role == ANONYMOUS and expected == 302 and EXPECTED[endpoint] not in (PUBLIC, TOKEN_ONLY):
            assert "/login" in response.headers["Location"], url
    assert wrong == []


def test_roles_in_the_table_are_the_app_roles() -> None:
    assert {role.value for role in Role} == EVERY_ROLE
