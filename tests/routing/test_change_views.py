"""Route change control through the web: draw up, submit, approve as a second person, publish."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.auth.models import Role
from hts.mail.models import OutboxMessage
from hts.routing import changes, versions
from hts.routing.models import ChangeAction, ChangeRequest, ChangeState, Route, RouteVersion
from tests import factories

PASSWORD = "correct horse battery 9"


def sign_in(client: FlaskClient, user) -> None:
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


@pytest.fixture
def route(db_session: Session) -> Route:
    school = factories.make_school(db_session)
    pupils = [factories.make_pupil(db_session, school=school, latitude=school.latitude + 0.01 * i)
              for i in range(1, 3)]
    operator = factories.make_operator(db_session, contact_email="ops@operator.example")
    route = factories.make_route(db_session, school=school, pupils=pupils, operator=operator, vehicle_type="mpv")
    return route


@pytest.fixture
def people(db_session: Session):
    planner = factories.make_user(db_session, role=Role.PLANNER, password=PASSWORD)
    approver = factories.make_user(db_session, role=Role.MANAGER, password=PASSWORD)
    approver.route_approver = True
    db_session.flush()
    return planner, approver


def test_a_planner_draws_up_a_change_for_a_route_from_its_page(client, db_session, people, route):
    planner, _ = people
    sign_in(client, planner)
    page = client.get(f"/routes/{route.id}").get_data(as_text=True)
    assert f"/changes/new?route={route.id}" in page
    token = csrf(client, f"/changes/new?route={route.id}")
    effective = dt.date.today() + dt.timedelta(days=14)
    response = client.post("/changes", data={
        "csrf_token": token, "title": "Earlier pickup for P1", "reason": "School asked", "requested_by": "Head",
        "effective_date": effective.isoformat(), "route_id": route.id, "action": "modify"})
    assert response.status_code == 302
    change = db_session.scalar(select(ChangeRequest).where(ChangeRequest.title == "Earlier pickup for P1"))
    assert change.state == ChangeState.DRAFT and [i.route_id for i in change.items] == [route.id]
    page = client.get(f"/routes/{route.id}").get_data(as_text=True)
    assert f"change request {change.id}" in page  # the route is held by the open request


def test_a_change_in_the_past_gets_a_field_message_and_nothing_is_saved(client, db_session, people, route):
    planner, _ = people
    sign_in(client, planner)
    token = csrf(client, "/changes/new")
    response = client.post("/changes", data={"csrf_token": token, "title": "", "effective_date": "2020-01-01"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter what is changing" in page
    assert db_session.scalar(select(ChangeRequest.id)) is None


def _draft(db_session, planner, route, days_ahead=14) -> ChangeRequest:
    change = changes.start(db_session, planner, title="Change the vehicle", reason="", requested_by="",
                           effective_date=dt.date.today() + dt.timedelta(days=days_ahead), today=dt.date.today())
    _, snapshot = versions.latest_snapshot(db_session, route)
    snapshot["vehicle_type"] = "wav"
    changes.stage(db_session, change, planner, route=route, proposed=snapshot, action=ChangeAction.MODIFY)
    return change


def test_the_whole_flow_ends_with_a_published_version_and_an_operator_notice(client, db_session, people, route,
                                                                            monkeypatch):
    planner, approver = people
    change = _draft(db_session, planner, route)
    # The rules themselves are tested in test_feasibility; here every route passes them.
    monkeypatch.setattr("hts.routing.change_views.checker", lambda change, today: lambda snapshot: [])
    sign_in(client, planner)
    url = f"/changes/{change.id}"
    response = client.post(f"{url}/submit", data={"csrf_token": csrf(client, url),
                                                  "lock_version": change.lock_version})
    assert response.status_code == 302
    assert change.state == ChangeState.SUBMITTED

    # The author may not approve; the button is not even offered.
    assert "Approve this change" not in client.get(url).get_data(as_text=True)
    client.post(f"{url}/approve", data={"csrf_token": csrf(client, url)})
    assert change.state == ChangeState.SUBMITTED

    sign_in(client, approver)
    assert "Approve this change" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/approve", data={"csrf_token": csrf(client, url)})
    assert change.state == ChangeState.APPROVED
    client.post(f"{url}/publish", data={"csrf_token": csrf(client, url)})
    assert change.state == ChangeState.APPROVED  # a manager approves but does not publish

    sign_in(client, planner)
    response = client.post(f"{url}/publish", data={"csrf_token": csrf(client, url)}, follow_redirects=True)
    assert change.state == ChangeState.PUBLISHED
    assert "1 operator notice queued" in response.get_data(as_text=True)
    version = db_session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id,
                                                           RouteVersion.version == 2))
    assert version.snapshot["vehicle_type"] == "wav" and route.vehicle_type == "mpv"  # not in force yet
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "ops@operator.example"))
    assert route.route_code in message.subject and "Vehicle type: mpv -> wav" in message.body
    assert "Run sheet" in message.body
    page = client.get(f"/routes/{route.id}").get_data(as_text=True)
    assert "Versions" in page and "Change the vehicle" in page


def test_an_approver_rejects_with_a_reason_the_planner_can_read(client, db_session, people, route, monkeypatch):
    planner, approver = people
    change = _draft(db_session, planner, route)
    changes.submit(db_session, change, planner, check=lambda snapshot: [])
    sign_in(client, approver)
    url = f"/changes/{change.id}"
    response = client.post(f"{url}/reject", data={"csrf_token": csrf(client, url), "rejection_reason": ""},
                           follow_redirects=True)
    assert "Enter the reason for rejecting" in response.get_data(as_text=True)
    client.post(f"{url}/reject", data={"csrf_token": csrf(client, url), "rejection_reason": "Wrong pupil"})
    assert change.state == ChangeState.REJECTED
    sign_in(client, planner)
    assert "Wrong pupil" in client.get(url).get_data(as_text=True)


def test_a_stale_page_cannot_overwrite_a_newer_save(client, db_session, people, route):
    planner, _ = people
    change = _draft(db_session, planner, route)
    stale = change.lock_version
    sign_in(client, planner)
    url = f"/changes/{change.id}"
    token = csrf(client, url)
    when = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    first = {"csrf_token": token, "title": "First title", "effective_date": when, "lock_version": stale}
    client.post(f"{url}/details", data=first)
    assert change.title == "First title"
    second = dict(first, title="Second title")
    response = client.post(f"{url}/details", data=second, follow_redirects=True)
    assert "saved by someone else" in response.get_data(as_text=True)
    assert change.title == "First title"


def test_an_operator_never_sees_change_requests(client, db_session, route, people):
    planner, _ = people
    change = _draft(db_session, planner, route)
    operator_user = factories.make_user(db_session, role=Role.OPERATOR, password=PASSWORD,
                                        operator=route.operator)
    sign_in(client, operator_user)
    assert client.get(f"/changes/{change.id}").status_code == 403
    page = client.get(f"/routes/{route.id}").get_data(as_text=True)
    assert "Propose a change" not in page and "Versions" not in page


def test_an_admin_grants_route_approval_but_not_to_themselves_or_an_operator(client, db_session, login):
    planner = factories.make_user(db_session, role=Role.PLANNER)
    operator_user = factories.make_user(db_session, role=Role.OPERATOR)
    admin = login("admin")
    token = csrf(client, "/users")
    client.post(f"/users/{planner.id}/approver", data={"csrf_token": token, "approver": "1"})
    client.post(f"/users/{operator_user.id}/approver", data={"csrf_token": token, "approver": "1"})
    client.post(f"/users/{admin.id}/approver", data={"csrf_token": token, "approver": "1"})
    db_session.refresh(planner)
    db_session.refresh(operator_user)
    db_session.refresh(admin)
    assert (planner.route_approver, operator_user.route_approver, admin.route_approver) == (True, False, False)
