"""Compliance on the web: who may open each page, forms that refuse bad input and write
nothing, decisions, renewals, DBS checks, readiness, gateway reviews and the assignment gate."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import func, select

from hts.compliance.models import DecisionKind, GatewayReview, OperatorDecision, SweepResult
from hts.mail.models import OutboxMessage
from hts.operators.models import Document, StaffRole
from hts.web import local_today
from tests import factories

STAFF_DOCS = {
    StaffRole.DRIVER: ("dbs_enhanced", "driving_licence", "driver_badge", "safeguarding_training", "council_id_badge"),
    StaffRole.PASSENGER_ASSISTANT: ("dbs_enhanced", "safeguarding_training", "pa_training", "council_id_badge"),
}
ISSUED = dt.date(2025, 6, 1)


def compliant_operator(session, **kw):
    operator = factories.make_operator(session, **kw)
    for kind in ("operator_licence", "public_liability_insurance", "employers_liability_insurance", "contract"):
        factories.make_document(session, holder=operator, document_type=kind, issued_on=ISSUED)
    return operator


def compliant_staff(session, operator, role=StaffRole.DRIVER, skip=()):
    staff = factories.make_staff(session, operator=operator, role=role)
    for kind in STAFF_DOCS[role]:
        if kind not in skip:
            factories.make_document(session, holder=staff, document_type=kind, issued_on=ISSUED)
    return staff


def compliant_vehicle(session, operator, **kw):
    vehicle = factories.make_vehicle(session, operator=operator, **kw)
    for kind in ("vehicle_licence", "mot", "vehicle_insurance"):
        factories.make_document(session, holder=vehicle, document_type=kind, issued_on=ISSUED)
    return vehicle


def document_count(session) -> int:
    return session.scalar(select(func.count(Document.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("compliance", 200), ("admin", 200), ("manager", 200), ("planner", 403), ("operations", 403), ("operator", 403),
])
def test_the_dashboard_is_for_the_compliance_team_admins_and_managers(client, login, role, status):
    login(role)
    assert client.get("/compliance").status_code == status


def test_a_manager_sees_the_dashboard_without_the_sweep_button_and_cannot_run_it(client, login, db_session):
    login("manager")
    page = text(client.get("/compliance"))
    assert "Routes at risk" in page and "Run the sweep now" not in page
    assert client.post("/compliance/sweep").status_code == 403
    assert db_session.scalar(select(func.count(SweepResult.id))) == 0


def test_the_dashboard_counts_holders_not_compliant_and_links_to_their_reasons(client, login, db_session):
    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator, skip=("driver_badge",))
    login("compliance")
    page = text(client.get("/compliance"))
    assert 'href="/compliance/holders?type=driver"' in page
    listing = text(client.get("/compliance/holders?type=driver"))
    assert driver.staff_ref in listing and "no driver badge on record" in listing


@pytest.mark.parametrize("role", ["compliance", "admin", "manager"])
def test_council_roles_open_every_holder_page(client, login, db_session, role):
    operator = compliant_operator(db_session)
    staff = compliant_staff(db_session, operator)
    vehicle = compliant_vehicle(db_session, operator)
    login(role)
    for url in (f"/compliance/operators/{operator.id}", f"/compliance/staff/{staff.id}",
                f"/compliance/vehicles/{vehicle.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Compliant" in text(response)


def test_a_planner_cannot_open_holder_pages(client, login, db_session):
    staff = compliant_staff(db_session, compliant_operator(db_session))
    login("planner")
    assert client.get(f"/compliance/staff/{staff.id}").status_code == 403


def test_an_operator_sees_its_own_holders_and_another_operators_are_not_found(client, login, db_session):
    own = compliant_operator(db_session)
    other = compliant_operator(db_session)
    own_driver = compliant_staff(db_session, own)
    other_driver = compliant_staff(db_session, other)
    other_vehicle = compliant_vehicle(db_session, other)
    login("operator", operator=own)
    assert client.get("/compliance/ours").headers["Location"].endswith(f"/compliance/operators/{own.id}")
    assert own_driver.staff_ref in text(client.get(f"/compliance/operators/{own.id}"))
    assert client.get(f"/compliance/staff/{own_driver.id}").status_code == 200
    assert client.get(f"/compliance/operators/{other.id}").status_code == 404
    assert client.get(f"/compliance/staff/{other_driver.id}").status_code == 404
    assert client.get(f"/compliance/vehicles/{other_vehicle.id}").status_code == 404
    before = document_count(db_session)
    response = client.post(f"/compliance/staff/{other_driver.id}/documents", data={
        "document_type": "council_id_badge", "reference": "ID-1", "issued_on": "2026-11-01"})
    assert response.status_code == 404 and document_count(db_session) == before


# --- verdicts ----------------------------------------------------------------------------------


def test_a_holder_page_gives_every_reason_today_and_the_verdict_for_a_chosen_date(client, login, db_session):
    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator, skip=("council_id_badge",))
    soon = local_today() + dt.timedelta(days=10)
    factories.make_document(db_session, holder=driver, document_type="council_id_badge", reference="B-1",
                            issued_on=ISSUED, expires_on=soon)
    factories.make_document(db_session, holder=driver, document_type="driving_licence", reference="DL-PENDING",
                            issued_on=ISSUED, status="pending")
    login("compliance")
    today = text(client.get(f"/compliance/staff/{driver.id}"))
    assert "Not compliant" not in today.split("Check another date")[0]
    later = soon + dt.timedelta(days=1)
    page = text(client.get(f"/compliance/staff/{driver.id}?date={later.isoformat()}"))
    assert f"council ID badge expired {soon.isoformat()}" in page
    assert "Review" in page  # the pending licence can be reviewed from here


def test_a_bad_date_on_a_holder_page_is_explained_not_a_traceback(client, login, db_session):
    operator = compliant_operator(db_session)
    login("compliance")
    response = client.get(f"/compliance/operators/{operator.id}?date=31-02-2026")
    assert response.status_code == 200
    assert "is not a date" in text(response)


# --- recording documents -----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ({"document_type": "dbs_enhanced", "reference": "12345", "issued_on": "2026-01-01"},
     "A DBS certificate number is 12 digits"),
    ({"document_type": "mot", "reference": "M-1", "issued_on": "2026-01-01"},
     "Choose one of the listed document types"),
    ({"document_type": "driving_licence", "reference": "", "issued_on": "2026-01-01"},
     "Enter the document&#39;s reference"),
    ({"document_type": "driving_licence", "reference": "DL-1", "issued_on": "2026-02-30"},
     "must be a real date"),
    ({"document_type": "driving_licence", "reference": "DL-1", "issued_on": "2026-03-01", "expires_on": "2026-02-01"},
     "The expiry date must be on or after the date of issue"),
    ({"document_type": "dbs_update_check", "reference": "001234567890", "issued_on": "2026-03-01",
      "status": "verified"}, "Choose the result the DBS Update Service gave"),
])
def test_a_bad_document_is_refused_field_by_field_and_nothing_is_written(client, login, db_session, data, message):
    staff = compliant_staff(db_session, compliant_operator(db_session))
    login("compliance")
    before = document_count(db_session)
    response = client.post(f"/compliance/staff/{staff.id}/documents", data={"status": "verified", **data})
    assert response.status_code == 400
    assert message in text(response)
    assert "govuk-error-message" in text(response)
    assert document_count(db_session) == before


def test_an_officer_records_a_verified_document_and_the_holder_becomes_compliant(client, login, db_session):
    driver = compliant_staff(db_session, compliant_operator(db_session), skip=("council_id_badge",))
    user = login("compliance")
    response = client.post(f"/compliance/staff/{driver.id}/documents", data={
        "document_type": "council_id_badge", "reference": "CID-77", "issued_on": "2026-09-01",
        "expires_on": "2029-08-31", "status": "verified"})
    assert response.status_code == 302
    document = db_session.scalar(select(Document).where(Document.reference == "CID-77"))
    assert (document.status, document.recorded_by, document.staff_id) == ("verified", user.email, driver.id)
    assert "Not compliant" not in text(client.get(f"/compliance/staff/{driver.id}")).split("Check another date")[0]


def test_an_operators_renewal_lands_pending_and_the_operator_cannot_verify_it(client, login, db_session):
    operator = compliant_operator(db_session)
    vehicle = compliant_vehicle(db_session, operator)
    user = login("operator", operator=operator)
    response = client.post(f"/compliance/vehicles/{vehicle.id}/documents", data={
        "document_type": "mot", "reference": "MOT-2027", "issued_on": "2026-11-20", "expires_on": "2027-11-19",
        "status": "verified"})  # an operator cannot choose the status, whatever it sends
    assert response.status_code == 302
    document = db_session.scalar(select(Document).where(Document.reference == "MOT-2027"))
    assert (document.status, document.recorded_by) == ("pending", user.email)
    assert client.get(f"/compliance/documents/{document.id}/review").status_code == 403
    assert client.post(f"/compliance/documents/{document.id}/review", data={"decision": "verified"}).status_code == 403
    db_session.refresh(document)
    assert document.status == "pending"


def test_an_operator_cannot_submit_an_update_service_result(client, login, db_session):
    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator)
    login("operator", operator=operator)
    before = document_count(db_session)
    response = client.post(f"/compliance/staff/{driver.id}/documents", data={
        "document_type": "dbs_update_check", "reference": "001234567890", "issued_on": "2026-11-20"})
    assert response.status_code == 400 and document_count(db_session) == before


def test_an_officer_verifies_a_pending_renewal(client, login, db_session):
    vehicle = compliant_vehicle(db_session, compliant_operator(db_session))
    document = factories.make_document(db_session, holder=vehicle, document_type="mot", reference="MOT-NEW",
                                       issued_on=dt.date(2026, 11, 20), status="pending")
    login("compliance")
    assert "Review mot certificate MOT-NEW" in text(client.get(f"/compliance/documents/{document.id}/review"))
    response = client.post(f"/compliance/documents/{document.id}/review", data={"decision": "verified"})
    assert response.status_code == 302
    db_session.refresh(document)
    assert document.status == "verified"


def test_a_rejection_needs_a_reason_and_then_tells_the_operator(client, login, db_session):
    operator = compliant_operator(db_session)
    vehicle = compliant_vehicle(db_session, operator)
    document = factories.make_document(db_session, holder=vehicle, document_type="vehicle_insurance",
                                       reference="INS-9", issued_on=dt.date(2026, 11, 20), status="pending")
    login("compliance")
    refused = client.post(f"/compliance/documents/{document.id}/review", data={"decision": "rejected"})
    assert refused.status_code == 400 and "Say why the document is rejected" in text(refused)
    db_session.refresh(document)
    assert document.status == "pending"
    client.post(f"/compliance/documents/{document.id}/review",
                data={"decision": "rejected", "reason": "The certificate names another vehicle"})
    db_session.refresh(document)
    assert document.status == "rejected"
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"document-rejected:{document.id}"))
    assert message.to_address == operator.contact_email
    assert "The certificate names another vehicle" in message.body
    assert "Document rejected" in text(client.get("/compliance/outbox"))


# --- DBS Update Service checks -----------------------------------------------------------------


class _UpdateService(BaseHTTPRequestHandler):
    answer = (200, b"<statusCheckResult><statusCheckResultType>SUCCESS</statusCheckResultType>"
                   b"<status>BLANK_NO_NEW_INFO</status></statusCheckResult>")

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def update_service(app) -> Iterator[type[_UpdateService]]:
    """A local server answering in the Update Service's format, configured as the app's endpoint."""
    handler = type("Handler", (_UpdateService,), {})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config[k] for k in ("DBS_UPDATE_SERVICE_URL", "DBS_ORGANISATION_NAME")}
    app.config.update(DBS_UPDATE_SERVICE_URL=f"http://127.0.0.1:{server.server_port}",
                      DBS_ORGANISATION_NAME="Test City Council")
    try:
        yield handler
    finally:
        app.config.update(saved)
        server.shutdown()
        thread.join(timeout=5)


def test_an_officer_records_a_dbs_update_service_check(client, login, db_session, update_service):
    driver = compliant_staff(db_session, compliant_operator(db_session))
    login("compliance", name="Jo Smith")
    response = client.post(f"/compliance/staff/{driver.id}/dbs-check", data={"certificate_number": "001234567890"})
    assert response.status_code == 302
    check = db_session.scalar(select(Document).where(Document.staff_id == driver.id,
                                                     Document.document_type == "dbs_update_check"))
    assert (check.status, check.reference, check.recorded_by) == ("BLANK_NO_NEW_INFO", "001234567890", "Jo Smith")


def test_a_failed_dbs_check_shows_the_services_error_and_records_nothing(client, login, db_session, update_service):
    update_service.answer = (503, b"Service unavailable for maintenance")
    driver = compliant_staff(db_session, compliant_operator(db_session))
    login("compliance")
    before = document_count(db_session)
    response = client.post(f"/compliance/staff/{driver.id}/dbs-check", data={"certificate_number": "001234567890"})
    assert response.status_code == 502
    assert "the Update Service refused the check (503): Service unavailable for maintenance" in text(response)
    assert document_count(db_session) == before


def test_a_dbs_check_needs_a_twelve_digit_number(client, login, db_session, update_service):
    driver = compliant_staff(db_session, compliant_operator(db_session))
    login("compliance")
    response = client.post(f"/compliance/staff/{driver.id}/dbs-check", data={"certificate_number": "12-34"})
    assert response.status_code == 400 and "12 digits" in text(response)


# --- decisions ---------------------------------------------------------------------------------


def test_an_officer_suspends_then_reinstates_an_operator_and_a_second_suspension_is_refused(client, login,
                                                                                          db_session):
    operator = compliant_operator(db_session)
    login("compliance", name="Jo Smith")
    form = text(client.get(f"/compliance/operators/{operator.id}/suspend"))
    assert 'value="Jo Smith"' in form
    today = local_today().isoformat()
    response = client.post(f"/compliance/operators/{operator.id}/suspend", data={
        "reason": "lapsed insurance", "decided_by": "Jo Smith", "decided_on": today})
    assert response.status_code == 302
    page = text(client.get(f"/compliance/operators/{operator.id}"))
    assert "operator suspended by Jo Smith" in page and "lapsed insurance" in page
    again = client.post(f"/compliance/operators/{operator.id}/suspend", data={
        "reason": "again", "decided_by": "Jo Smith", "decided_on": today})
    assert again.status_code == 400 and "is already suspended" in text(again)
    client.post(f"/compliance/operators/{operator.id}/reinstate", data={
        "reason": "insurance renewed", "decided_by": "Jo Smith", "decided_on": today})
    kinds = db_session.scalars(select(OperatorDecision.kind).where(OperatorDecision.operator_id == operator.id)
                               .order_by(OperatorDecision.id)).all()
    assert kinds == [DecisionKind.SUSPENDED, DecisionKind.REINSTATED]


def test_a_decision_without_a_reason_is_refused_and_nothing_is_written(client, login, db_session):
    operator = compliant_operator(db_session)
    login("compliance")
    response = client.post(f"/compliance/operators/{operator.id}/suspend", data={
        "reason": "  ", "decided_by": "Jo Smith", "decided_on": "not a date"})
    assert response.status_code == 400
    assert "Give the reason for the decision" in text(response) and "must be a real date" in text(response)
    assert db_session.scalar(select(func.count(OperatorDecision.id))) == 0


def test_termination_asks_for_confirmation_then_lists_the_routes_for_re_procurement(client, login, db_session):
    operator = compliant_operator(db_session)
    route = factories.make_route(db_session, operator=operator)
    login("compliance")
    data = {"reason": "contract breached", "decided_by": "Jo Smith", "decided_on": local_today().isoformat()}
    unconfirmed = client.post(f"/compliance/operators/{operator.id}/terminate", data=data)
    assert unconfirmed.status_code == 400 and "Confirm that the operator is to be terminated" in text(unconfirmed)
    db_session.refresh(route)
    assert route.operator_id == operator.id
    done = client.post(f"/compliance/operators/{operator.id}/terminate", data={**data, "confirm": "y"})
    assert done.status_code == 200
    assert "Routes for re-procurement" in text(done) and route.route_code in text(done)
    db_session.refresh(route)
    assert route.operator_id is None


@pytest.mark.parametrize("role", ["manager", "planner", "operator"])
def test_only_officers_make_decisions(client, login, db_session, role):
    operator = compliant_operator(db_session)
    login(role, **({"operator": operator} if role == "operator" else {}))
    assert client.get(f"/compliance/operators/{operator.id}/suspend").status_code == 403
    assert client.post(f"/compliance/operators/{operator.id}/suspend", data={
        "reason": "x", "decided_by": "x", "decided_on": "2026-11-25"}).status_code == 403
    assert db_session.scalar(select(func.count(OperatorDecision.id))) == 0


# --- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_button_runs_the_sweep_and_running_it_again_changes_nothing(client, login, db_session):
    operator = compliant_operator(db_session)
    compliant_staff(db_session, operator, skip=("driver_badge",))
    factories.make_route(db_session, operator=operator)
    login("compliance")
    first = client.post("/compliance/sweep", follow_redirects=True)
    assert "Sweep run:" in text(first) and "routes at risk" in text(first)
    stored = db_session.scalar(select(SweepResult).where(SweepResult.day == local_today()))
    snapshot = (stored.ran_at, stored.not_compliant, stored.routes_at_risk)
    outbox = db_session.scalar(select(func.count(OutboxMessage.id)))
    second = client.post("/compliance/sweep", follow_redirects=True)
    assert "nothing has changed since the last sweep today" in text(second)
    db_session.refresh(stored)
    assert (stored.ran_at, stored.not_compliant, stored.routes_at_risk) == snapshot
    assert db_session.scalar(select(func.count(SweepResult.id))) == 1
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == outbox
    page = text(client.get("/compliance"))
    assert "From today's sweep" in page


# --- assignments through the gate --------------------------------------------------------------


def _crewed_route(session):
    operator = compliant_operator(session)
    driver = compliant_staff(session, operator)
    vehicle = compliant_vehicle(session, operator)
    route = factories.make_route(session, pupils=[factories.make_pupil(session)])
    return operator, driver, vehicle, route


def test_a_planner_assigns_a_compliant_crew_through_the_web(client, login, db_session):
    operator, driver, vehicle, route = _crewed_route(db_session)
    login("planner")
    assert "Assign the operator, vehicle and crew" in text(client.get(f"/routes/{route.id}"))
    response = client.post(f"/compliance/routes/{route.id}/assign", data={
        "operator_id": str(operator.id), "vehicle": vehicle.registration.lower().replace(" ", ""),
        "driver": driver.staff_ref, "pa": ""})
    assert response.status_code == 302
    db_session.refresh(route)
    assert (route.operator_id, route.vehicle_id, route.driver_id) == (operator.id, vehicle.id, driver.id)


def test_after_a_suspension_on_the_web_the_operators_driver_is_refused_with_the_reason(client, login, db_session):
    operator, driver, vehicle, route = _crewed_route(db_session)
    login("compliance", name="Jo Smith")
    client.post(f"/compliance/operators/{operator.id}/suspend", data={
        "reason": "lapsed insurance", "decided_by": "Jo Smith", "decided_on": local_today().isoformat()})
    client.post("/logout")
    login("planner")
    response = client.post(f"/compliance/routes/{route.id}/assign", data={
        "operator_id": str(operator.id), "vehicle": vehicle.registration, "driver": driver.staff_ref})
    assert response.status_code == 409
    page = text(response)
    assert "The assignment was refused" in page
    assert f"driver {driver.staff_ref} on " in page
    assert "the operator was suspended by Jo Smith" in page and "lapsed insurance" in page
    db_session.refresh(route)
    assert (route.operator_id, route.driver_id, route.version) == (None, None, 1)


def test_an_unknown_reference_is_a_field_error_and_nothing_changes(client, login, db_session):
    operator, _, _, route = _crewed_route(db_session)
    login("planner")
    response = client.post(f"/compliance/routes/{route.id}/assign", data={
        "operator_id": str(operator.id), "driver": "NOBODY", "vehicle": "ZZ99 ZZZ"})
    assert response.status_code == 400
    assert "No driver has the reference NOBODY" in text(response)
    assert "No vehicle is registered as ZZ99 ZZZ" in text(response)
    db_session.refresh(route)
    assert route.operator_id is None


@pytest.mark.parametrize(("role", "status"), [("compliance", 200), ("admin", 200), ("manager", 403),
                                               ("operations", 403), ("operator", 404)])
def test_the_assignment_form_is_for_planners_the_compliance_team_and_the_routes_own_operator(
        client, login, db_session, role, status):
    route = factories.make_route(db_session)  # no operator: an operator's user does not see it
    login(role)
    assert client.get(f"/compliance/routes/{route.id}/assign").status_code == status


def test_the_assignment_page_says_why_the_crew_as_it_stands_would_be_refused(client, login, db_session):
    operator, driver, vehicle, route = _crewed_route(db_session)
    badgeless = compliant_staff(db_session, operator, skip=("driver_badge",))
    route.operator, route.vehicle, route.driver = operator, vehicle, badgeless
    db_session.flush()
    login("planner")
    page = text(client.get(f"/compliance/routes/{route.id}/assign"))
    assert "As the route stands, the compliance gate would refuse it:" in page
    assert f"driver {badgeless.staff_ref} on " in page and "no driver badge on record" in page
    route.driver = driver
    db_session.flush()
    assert "would refuse it" not in text(client.get(f"/compliance/routes/{route.id}/assign"))


def test_an_operator_assigns_its_own_crew_but_not_another_operators_nor_another_operator(client, login, db_session):
    operator, driver, vehicle, route = _crewed_route(db_session)
    route.operator = operator
    other, other_driver, _, _ = _crewed_route(db_session)
    db_session.flush()
    login("operator", operator=operator)
    page = text(client.get(f"/compliance/routes/{route.id}/assign"))
    assert "Handing the route to another operator is the council" in page and 'name="operator_id"' not in page
    response = client.post(f"/compliance/routes/{route.id}/assign", data={"driver": other_driver.staff_ref})
    assert response.status_code == 400
    assert f"No driver of yours has the reference {other_driver.staff_ref}" in text(response)
    response = client.post(f"/compliance/routes/{route.id}/assign", data={
        "operator_id": str(other.id), "vehicle": vehicle.registration, "driver": driver.staff_ref})
    assert response.status_code == 302
    db_session.refresh(route)
    assert (route.operator_id, route.vehicle_id, route.driver_id) == (operator.id, vehicle.id, driver.id)


# --- readiness and gateway reviews -------------------------------------------------------------


def test_the_readiness_board_shows_the_share_ready_and_what_is_missing(client, login, db_session):
    operator, driver, vehicle, ready = _crewed_route(db_session)
    ready.operator, ready.vehicle, ready.driver = operator, vehicle, driver
    missing = factories.make_route(db_session, operator=operator)
    login("planner")
    response = client.get(f"/compliance/readiness?operator={operator.id}&date=2026-12-01")
    page = text(response)
    assert response.status_code == 200
    assert "50.00%" in page and "1 of 2 routes" in page
    assert missing.route_code in page and "no vehicle" in page
    only_missing = text(client.get(f"/compliance/readiness?operator={operator.id}&date=2026-12-01&show=missing"))
    assert missing.route_code in only_missing and f">{ready.route_code}<" not in only_missing


def test_an_operator_cannot_open_the_readiness_board_or_the_reviews(client, login):
    login("operator")
    assert client.get("/compliance/readiness").status_code == 403
    assert client.get("/compliance/reviews").status_code == 403


def test_a_gateway_review_is_opened_recorded_and_completed_on_the_web(client, login, db_session, app):
    operator = compliant_operator(db_session)
    staff = [compliant_staff(db_session, operator) for _ in range(3)]
    login("compliance", name="Jo Smith")
    assert operator.name in text(client.get("/compliance/reviews"))  # never reviewed: due
    opened = client.post("/compliance/reviews", data={"operator_id": str(operator.id), "reviewer": "Jo Smith",
                                                      "opened_on": "2026-11-20"})
    assert opened.status_code == 302
    review = db_session.scalar(select(GatewayReview).where(GatewayReview.operator_id == operator.id))
    assert len(review.items) == 1  # 10% of three staff, at least one
    item = review.items[0]
    assert item.staff in staff
    early = client.post(f"/compliance/reviews/{review.id}/complete", data={"completed_on": "2026-11-21"})
    assert early.status_code == 400 and "Record the evidence for every sampled person first" in text(early)
    blank = client.post(f"/compliance/reviews/{review.id}/items/{item.id}", data={"evidence_seen": "", "outcome": ""})
    assert blank.status_code == 400 and "Describe the evidence seen" in text(blank)
    client.post(f"/compliance/reviews/{review.id}/items/{item.id}",
                data={"evidence_seen": "DBS certificate sighted", "outcome": "concerns", "notes": "badge worn"})
    done = client.post(f"/compliance/reviews/{review.id}/complete", data={"completed_on": "2026-11-21",
                                                                          "notes": "one concern"})
    assert done.status_code == 302
    db_session.refresh(review)
    assert (review.outcome.value, review.completed_on) == ("concerns", dt.date(2026, 11, 21))


def test_a_second_review_of_an_operator_in_review_is_refused(client, login, db_session):
    operator = compliant_operator(db_session)
    compliant_staff(db_session, operator)
    login("compliance")
    data = {"operator_id": str(operator.id), "reviewer": "Jo Smith", "opened_on": "2026-11-20"}
    client.post("/compliance/reviews", data=data)
    again = client.post("/compliance/reviews", data=data)
    assert again.status_code == 400 and "already has a review in progress" in text(again)
    assert db_session.scalar(select(func.count(GatewayReview.id))) == 1


def test_a_manager_reads_reviews_but_cannot_open_one(client, login, db_session):
    operator = compliant_operator(db_session)
    compliant_staff(db_session, operator)
    login("manager")
    page = text(client.get("/compliance/reviews"))
    assert "Open a review" not in page
    assert client.post("/compliance/reviews", data={"operator_id": str(operator.id), "reviewer": "M",
                                                    "opened_on": "2026-11-20"}).status_code == 403


# --- the dashboard's lists ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "roles_allowed"), [
    ("/compliance/holders", {"compliance", "admin", "manager"}),
    ("/compliance/at-risk", {"compliance", "admin", "manager"}),
    ("/compliance/outbox", {"compliance", "admin", "manager"}),
    ("/compliance/pending", {"compliance", "admin"}),
])
@pytest.mark.parametrize("role", ["compliance", "admin", "manager", "planner", "operations", "operator"])
def test_the_dashboards_lists_open_only_for_their_roles(client, login, url, roles_allowed, role):
    login(role)
    assert client.get(url).status_code == (200 if role in roles_allowed else 403)


def test_a_renewal_waits_on_the_pending_list_for_an_officer(client, login, db_session):
    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator)
    login("operator", operator=operator)
    client.post(f"/compliance/staff/{driver.id}/documents", data={
        "document_type": "safeguarding_training", "reference": "SG-2026", "issued_on": "2026-11-01"})
    client.post("/logout")
    login("compliance")
    assert "SG-2026" in text(client.get("/compliance/pending"))
    assert "1 document sent by operators waits for review" in text(client.get("/compliance"))


def test_the_at_risk_list_shows_todays_sweep_with_the_reasons(client, login, db_session):
    operator = compliant_operator(db_session)
    factories.make_route(db_session, operator=operator)
    login("compliance")
    assert "has not run yet" in text(client.get("/compliance/at-risk"))
    client.post("/compliance/sweep")
    page = text(client.get("/compliance/at-risk"))
    assert "no vehicle assigned" in page and "no driver assigned" in page


def test_a_manager_sees_a_holder_page_without_any_form(client, login, db_session):
    operator = compliant_operator(db_session)
    staff = compliant_staff(db_session, operator)
    login("manager")
    for url in (f"/compliance/operators/{operator.id}", f"/compliance/staff/{staff.id}"):
        page = text(client.get(url))
        assert "<form method=\"post\" action=\"/compliance" not in page
        assert "Suspend" not in page and "Run the status check" not in page
    assert "Assign the operator, vehicle and crew" not in text(client.get(f"/routes/{factories.make_route(db_session).id}"))


def test_an_officer_records_an_update_service_result_by_hand(client, login, db_session):
    driver = compliant_staff(db_session, compliant_operator(db_session))
    login("compliance")
    response = client.post(f"/compliance/staff/{driver.id}/documents", data={
        "document_type": "dbs_update_check", "reference": "001234567890", "issued_on": local_today().isoformat(),
        "status": "NEW_INFO"})
    assert response.status_code == 302
    page = text(client.get(f"/compliance/staff/{driver.id}"))
    assert "returned NEW_INFO: off routes until a compliance officer reviews it" in page
