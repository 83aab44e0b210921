"""Session and password hardening (OWASP ASVS level 2): CSRF everywhere, cookie flags, new
sessions on sign-in, sign-out and locking end sessions, and common passwords refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, FloatConverter, IntegerConverter

from hts.auth import service
from hts.auth.service import AccountError, common_passwords, create_user, password_problem
from tests import factories

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PASSWORD = "correct horse battery 9"


def _url(app: Flask, rule: Rule, method: str) -> str:
    """A URL for the rule with placeholder arguments (the CSRF check runs before the view)."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # werkzeug's parsed rule: no public accessor
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter | FloatConverter):
            values[name] = 1
        else:
            values[name] = "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def _state_changing_rules(app: Flask) -> list[tuple[Rule, str]]:
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) & STATE_CHANGING)]


def _session_cookie(client: FlaskClient, app: Flask) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def test_the_url_map_has_state_changing_routes_to_check(app: Flask) -> None:
    rules = _state_changing_rules(app)
    assert len([r for r, _ in rules if not r.endpoint.startswith("api.")]) >= 20
    assert ("auth.logout", "POST") in {(r.endpoint, m) for r, m in rules}


def test_every_state_changing_page_refuses_a_request_without_a_csrf_token(
        app: Flask, client: FlaskClient, login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    login("admin")  # signed in, so a refusal is the CSRF check and not a sign-in redirect
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    unprotected = []
    for rule, method in _state_changing_rules(app):
        if rule.endpoint.startswith("api."):
            continue
        response = client.open(_url(app, rule, method), method=method, data={"x": "1"})
        if response.status_code != 400 or "The form had expired" not in response.get_data(as_text=True):
            unprotected.append((rule.rule, method, response.status_code))
    assert unprotected == []
    # The account is still signed in: the refused requests changed nothing, logout included.
    assert client.get("/").status_code == 200


def test_the_operator_api_is_exempt_from_csrf_because_it_takes_only_bearer_tokens(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    api_rules = [(r, m) for r, m in _state_changing_rules(app) if r.endpoint.startswith("api.")]
    assert api_rules
    for rule, method in api_rules:
        response = client.open(_url(app, rule, method), method=method, json={})
        assert response.status_code == 401, (rule.rule, response.status_code)


def test_the_operator_api_ignores_a_signed_in_browser_session(
        app: Flask, client: FlaskClient, login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    login("admin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    # A forged cross-site POST carries the victim's cookie but no bearer token: refused.
    assert client.post("/api/runs/1/events", json={"kind": "departed"}).status_code == 401


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient, db_session: Any) -> None:
    user = factories.make_user(db_session, role="planner", password=PASSWORD)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_when_served_over_https(
        app: Flask, client: FlaskClient, db_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from hts import config

    monkeypatch.setenv("HTS_SECURE_COOKIES", "1")
    loaded = config.load(app.instance_path, {"SECRET_KEY": "k", "DATABASE_URL": "sqlite://"})
    assert loaded["SESSION_COOKIE_SECURE"] is True and loaded["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    user = factories.make_user(db_session, role="planner", password=PASSWORD)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


def test_signing_in_starts_a_new_session_and_drops_what_the_old_one_held(
        app: Flask, client: FlaskClient, db_session: Any) -> None:
    user = factories.make_user(db_session, role="planner", password=PASSWORD)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"  # session fixation: a value set before sign-in
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        first_id = session["_user_id"]
    first_cookie = _session_cookie(client, app)
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert session["_user_id"] != first_id
    assert _session_cookie(client, app) != first_cookie


def test_a_session_cookie_copied_before_sign_out_no_longer_works_after_it(
        app: Flask, client: FlaskClient, login: Any) -> None:
    login("manager")
    stolen = _session_cookie(client, app)
    assert stolen and client.get("/").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.session = client.session  # type: ignore[attr-defined]  (the committing test client)
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_locking_an_account_ends_its_live_session(app: Flask, client: FlaskClient, login: Any,
                                                  db_session: Any) -> None:
    user = login("planner")
    assert client.get("/").status_code == 200
    service.set_active(user, False)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_common_password_list_is_the_offline_one_with_about_twenty_thousand_entries() -> None:
    passwords = common_passwords()
    assert len(passwords) > 19_000
    assert {"password", "123456", "qwertyuiop", "1q2w3e4r5t"} <= passwords


@pytest.mark.parametrize("password", ["password1234", "Password1234", "1q2w3e4r5t", "QWERTYUIOP",
                                      "iloveyou12", " 1234567890 "])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert "most commonly used passwords" in (password_problem(password) or "")


def test_an_uncommon_long_password_is_accepted() -> None:
    assert password_problem(PASSWORD) is None


def test_making_an_account_with_a_common_password_names_the_field(db_session: Any) -> None:
    with pytest.raises(AccountError) as refused:
        create_user(db_session, email="new@council.example", name="New Person", role="planner",
                    password="password123")
    assert refused.value.field == "password"


def test_the_users_command_refuses_a_common_password_with_exit_2(cli: Any) -> None:
    result = cli("users", "create", "--email", "cli@council.example", "--name", "C Li",
                 "--role", "planner", "--password", "qwerty123456")
    assert result.exit_code == 2
    assert "most commonly used passwords" in result.output


def test_the_users_page_shows_the_common_password_message(client: FlaskClient, login: Any) -> None:
    login("admin")
    response = client.post("/users", data={"email": "page@council.example", "name": "Page Person",
                                           "role": "planner", "password": "password1234",
                                           "operator_ref": ""})
    assert response.status_code == 400
    assert "most commonly used passwords" in response.get_data(as_text=True)
