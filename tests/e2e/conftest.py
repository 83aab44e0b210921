"""Browser tests: Debian's Chromium driven by Playwright against the app on a live server.

The server is the real app (CSRF on, real error pages) on its own freshly migrated database:
a SQLite file, or a `<name>_e2e` database beside HTS_TEST_DATABASE_URL on PostgreSQL, so the
browser tests never share rows with the rest of the suite. Every page a test visits is checked
with axe-core (see accessibility.py); on failure a screenshot and the page's HTML are kept in
test-results/.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from hts import create_app
from hts.auth.service import create_user
from hts.db import get_database, make_engine
from hts.migrate import upgrade
from hts.people.models import School
from tests import factories
from tests.e2e.accessibility import assert_clean, submit, track, visit

CHROMIUM = "/usr/bin/chromium"
# Flags for a root, headless, offline machine: no sandbox as root, and no calls home that
# the closed network would refuse (toolchain.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery 9"

_serial = itertools.count(1)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as `e2e`, so `make test` leaves the browser out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any):  # type: ignore[no-untyped-def]
    """Remember whether the test body failed, for the failure screenshot."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the offline flags; never a downloaded browser."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Browser tests need {CHROMIUM}: run `make e2e` (it installs Debian's chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _fresh_postgres_database(url: str) -> str:
    """Create (or recreate) `<database>_e2e` on the server of `url` and return its URL."""
    base = make_url(url)
    target = base.set(database=f"{base.database}_e2e")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app as a user meets it, on a freshly migrated database of its own."""
    url = os.environ.get("HTS_TEST_DATABASE_URL")
    if url:
        url = _fresh_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    instance = tmp_path_factory.mktemp("e2e-instance")
    app = create_app({
        "DATABASE_URL": url,
        "SECRET_KEY": "e2e-secret",
        "WTF_CSRF_ENABLED": True,
        # A cheap hash keeps sign-ins fast; the method is not what these tests are about.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    app.instance_path = str(instance)
    yield app
    database = get_database(app)
    if database.engine is not None:
        database.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The app served over HTTP on a free port of 127.0.0.1, from a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Relative paths in `page.goto` go to the live server."""
    return live_server


@dataclass(frozen=True)
class Account:
    """Sign-in details of an account made for one test."""

    email: str
    password: str
    name: str


@pytest.fixture
def make_account(live_app: Flask) -> Callable[..., Account]:
    """Create and commit an account of a role: `make_account("planner")`."""

    def make(role: str = "planner", **kwargs: Any) -> Account:
        n = next(_serial)
        email = kwargs.pop("email", f"e2e{n}.{role}@council.example")
        name = kwargs.pop("name", f"Tester {n} {role.title()}")
        with live_app.app_context():
            session = get_database(live_app).session_factory()  # type: ignore[misc]
            try:
                create_user(session, email=email, name=name, role=role, password=PASSWORD, **kwargs)
                session.commit()
            finally:
                session.close()
        return Account(email=email, password=PASSWORD, name=name)

    return make


@pytest.fixture
def make_school(live_app: Flask) -> Callable[..., School]:
    """Create and commit a school (the factory's defaults, overridable)."""

    def make(**kwargs: Any) -> School:
        with live_app.app_context():
            session = get_database(live_app).session_factory()  # type: ignore[misc]
            try:
                school = factories.make_school(session, **kwargs)
                session.commit()
            finally:
                session.close()
        return school

    return make


def screenshot(page: Page, name: str, folder: Path | str = "test-results") -> Path:
    """Save a full-page screenshot and the page's HTML as NAME.png and NAME.html, for debugging.

    The folder is pytest-playwright's --output (test-results/ unless told otherwise), which
    that plugin empties at the start of every pytest run.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-")
    picture = folder / f"{safe}.png"
    page.screenshot(path=str(picture), full_page=True)
    picture.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    return picture


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Playwright's page, tracked: unchecked pages and browser errors fail the test."""
    track(page)
    yield page
    if request.node.stash.get(_FAILED, False):
        try:
            saved = screenshot(page, request.node.name, request.config.getoption("--output"))
            print(f"\nScreenshot of the failing page: {saved} (and {saved.with_suffix('.html')})")
        except Exception as exc:  # the browser may be gone; the test's own error matters more
            print(f"\nNo screenshot: {exc}")
        return
    assert_clean(page)


@pytest.fixture
def sign_in(page: Page, make_account: Callable[..., Account]) -> Callable[..., Account]:
    """Make an account of a role and sign in as it through the sign-in page."""

    def do(role: str = "planner", **kwargs: Any) -> Account:
        account = make_account(role, **kwargs)
        visit(page, "/login")
        page.get_by_label("Email address").fill(account.email)
        page.get_by_label("Password").fill(account.password)
        submit(page, page.get_by_role("button", name="Sign in").click)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return account

    return do
