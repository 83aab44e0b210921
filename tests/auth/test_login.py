"""Signing in and out, throttling, and the rule that every page needs a role."""

from __future__ import annotations

from hts.auth.models import LoginAttempt
from tests import factories


def test_pages_redirect_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_in_with_the_right_password_opens_the_home_page(client, db_session):
    user = factories.make_user(db_session, role="planner", password="a good long password 1")
    response = client.post("/login", data={"email": user.email.upper(), "password": "a good long password 1"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Transport planner" in page.get_data(as_text=True)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, db_session):
    user = factories.make_user(db_session, role="planner")
    response = client.post("/login", data={"email": user.email, "password": "not the password"})
    assert response.status_code == 401
    assert "email address or password is not right" in response.get_data(as_text=True)


def test_too_many_failures_lock_out_even_the_right_password(client, db_session, app):
    user = factories.make_user(db_session, role="planner", password="a good long password 1")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": user.email, "password": "wrong guess"})
    response = client.post("/login", data={"email": user.email, "password": "a good long password 1"})
    assert response.status_code == 401
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert db_session.query(LoginAttempt).filter_by(email=user.email).count() >= 5


def test_a_locked_account_cannot_sign_in(client, db_session):
    user = factories.make_user(db_session, role="planner", password="a good long password 1")
    user.active = False
    db_session.flush()
    response = client.post("/login", data={"email": user.email, "password": "a good long password 1"})
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)


def test_signing_out_ends_the_session(client, login):
    login("manager")
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_a_next_parameter_pointing_off_site_is_ignored(client, db_session):
    user = factories.make_user(db_session, role="planner", password="a good long password 1")
    response = client.post("/login?next=//evil.example/x",
                           data={"email": user.email, "password": "a good long password 1"})
    assert response.headers["Location"] == "/"


def test_every_response_carries_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_forms_without_a_csrf_token_are_refused(app, database_url):
    from hts import create_app
    from tests.conftest import TEST_CONFIG

    strict = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    response = strict.test_client().post("/login", data={"email": "a@b.example", "password": "x"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_session_cookie_is_http_only_and_same_site(client, db_session):
    user = factories.make_user(db_session, role="planner", password="a good long password 1")
    response = client.post("/login", data={"email": user.email, "password": "a good long password 1"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
