"""The administrator's pages: accounts and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.audit.log import Actor, acting_as
from hts.auth.models import User
from tests import factories
from tests.web.conftest import World


def test_users_page_lists_accounts_with_role_operator_and_status(client: FlaskClient, login: Any,
                                                                 world: World, db_session: Session) -> None:
    factories.make_user(db_session, role="operator", operator=world.ours.operator, email="ops@ourtown.example")
    login("admin")
    html = client.get("/users?q=ourtown").get_data(as_text=True)
    assert "ops@ourtown.example" in html and "Ourtown Cars" in html
    assert "Operator" in html and "Active" in html and "Never" in html
    assert 'Lock<span class="govuk-visually-hidden"> ops@ourtown.example</span>' in html


def test_creating_an_account_with_bad_fields_shows_each_error(client: FlaskClient, login: Any) -> None:
    login("admin")
    response = client.post("/users", data={"name": "", "email": "not-an-email", "role": "planner",
                                           "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#name"' in html and 'href="#email"' in html and 'href="#password"' in html
    assert "Enter the person&#39;s name" in html or "Enter the person's name" in html
    assert 'id="email-error"' in html


def test_creating_an_operator_account_needs_a_known_operator(client: FlaskClient, login: Any) -> None:
    login("admin")
    response = client.post("/users", data={"name": "Olu Op", "email": "olu@example.com", "role": "operator",
                                           "operator_ref": "NOPE", "password": "long enough pass 1"})
    assert response.status_code == 400
    assert 'class="govuk-error-summary' in response.get_data(as_text=True)


def test_creating_an_account_adds_it(client: FlaskClient, login: Any, db_session: Session) -> None:
    login("admin")
    response = client.post("/users", data={"name": "Pia Planner", "email": "pia@council.example",
                                           "role": "planner", "password": "long enough pass 1"})
    assert response.status_code == 302
    assert db_session.scalar(select(User).where(User.email == "pia@council.example")) is not None
    assert "Account created for pia@council.example" in client.get("/users").get_data(as_text=True)


def test_an_admin_can_lock_and_unlock_an_account(client: FlaskClient, login: Any, db_session: Session) -> None:
    other = factories.make_user(db_session, role="planner", email="lockme@council.example")
    login("admin")
    client.post(f"/users/{other.id}/active", data={"active": "0"})
    db_session.refresh(other)
    assert other.active is False
    assert "Locked" in client.get("/users?q=lockme").get_data(as_text=True)
    client.post(f"/users/{other.id}/active", data={"active": "1"})
    db_session.refresh(other)
    assert other.active is True


def test_audit_log_shows_before_and_after_and_filters(client: FlaskClient, login: Any, world: World,
                                                      db_session: Session) -> None:
    with acting_as(Actor("cli:clerk")):
        world.pupil.last_name = "Quillon"
        db_session.flush()
    login("admin")
    html = client.get("/audit?entity_type=pupil&actor=clerk").get_data(as_text=True)
    assert "cli:clerk" in html and "Quill" in html and "Quillon" in html and "changed to" in html
    assert "Create school" not in html
    assert "cli:clerk" not in client.get("/audit?actor=nobody-like-this").get_data(as_text=True)
    assert "Quillon" in client.get("/audit?q=quillon").get_data(as_text=True)


def test_audit_log_refuses_a_bad_day_with_a_message(client: FlaskClient, login: Any) -> None:
    login("admin")
    html = client.get("/audit?day=2026-02-31").get_data(as_text=True)
    assert "Enter a real date" in html and 'href="#day"' in html


def test_audit_log_filters_by_day(client: FlaskClient, login: Any, world: World) -> None:
    from hts.web import local_today

    login("admin")
    today = dt.datetime.now(dt.UTC).date()
    assert "Oakfield Academy" in client.get(f"/audit?day={today.isoformat()}&entity_type=school").get_data(as_text=True)
    earlier = (local_today() - dt.timedelta(days=400)).isoformat()
    assert "Oakfield Academy" not in client.get(f"/audit?day={earlier}&entity_type=school").get_data(as_text=True)
