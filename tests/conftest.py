"""Fixtures: one migrated database per run, and a session rolled back after every test.

The database is HTS_TEST_DATABASE_URL when set (CI sets a throwaway PostgreSQL), otherwise a
SQLite file in a temporary folder. It is built by running the migrations, as in production.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from hts import create_app
from hts.db import get_database, make_engine
from hts.migrate import upgrade
from tests import factories

TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "WTF_CSRF_ENABLED": False,
}


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database for this test run."""
    url = os.environ.get("HTS_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app, bound to the test database."""
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    application.instance_path = str(instance)
    return application


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """The app's session joined to an outer transaction that is rolled back after the test.

    A view's commit only releases a savepoint, so nothing a test does outlives it.
    """
    database = get_database(app)
    assert database.engine is not None
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    database.pinned = session
    try:
        with app.app_context():
            yield session
    finally:
        database.pinned = None
        session.close()
        outer.rollback()
        connection.close()


class _CommittingClient(FlaskClient):
    """Commits the test's pending rows before each request, as a real caller would see them."""

    session: Session

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        self.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    """A test client sharing the test's session."""
    app.test_client_class = _CommittingClient
    test_client = app.test_client()
    test_client.session = db_session  # type: ignore[attr-defined]
    return test_client


@pytest.fixture
def cli(app: Flask, db_session: Session):  # type: ignore[no-untyped-def]
    """Run an `hts` command against the test database: `cli("import", "pupils", path)`.

    Commits the test's pending rows first (a command's rollback only undoes its own work),
    like `client` does before each request.
    """
    runner = app.test_cli_runner()  # result.output holds stderr too (click 8.2+)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        db_session.commit()
        return runner.invoke(args=list(args))

    return invoke


@pytest.fixture
def login(client: FlaskClient, db_session: Session):  # type: ignore[no-untyped-def]
    """Sign in as a new user of a role: `login("planner")` or `login("operator", operator=op)`."""

    def sign_in(role: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        password = "correct horse battery 9"
        user = factories.make_user(db_session, role=role, password=password, **kwargs)
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def data_dir() -> Path:
    """Sample files used by the tests."""
    return Path(__file__).parent / "data"
