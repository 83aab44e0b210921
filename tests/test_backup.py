"""`hts backup` and `hts restore`: a restored backup gives back the same SITREP figures.

These tests use databases of their own (not the shared `db_session` fixture, whose outer
transaction would hide the rows from the backup tools): a SQLite file per test, and, when
HTS_TEST_DATABASE_URL names a PostgreSQL server, a scratch database created and dropped on it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hts import create_app
from hts.db import get_database, make_engine
from hts.migrate import current_revision, upgrade
from hts.operations.models import CallDay, Complaint, Run, RunStatus, SafeguardingCase
from hts.sitrep.figures import sitrep
from tests import factories

DAY = dt.date(2026, 11, 25)


def _app(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "backup-test", "DATABASE_URL": url})


def _record_a_day(session: Session) -> None:
    """Runs, calls, complaints and a safeguarding case on DAY, committed."""
    school = factories.make_school(session)
    pupils = [factories.make_pupil(session, school=school) for _ in range(3)]
    for index in range(4):
        route = factories.make_route(session, school=school, pupils=pupils[: index % 3 + 1])
        delivered = index != 3
        session.add(Run(route=route, run_on=DAY, session="am", route_version=1, school_id=school.id,
                        due_at_school=dt.time(9, 0),
                        status=RunStatus.COMPLETED if delivered else RunStatus.CANCELLED,
                        on_time=(index != 1) if delivered else None, pupils_expected=3,
                        pupils_absent=0, pupils_transported=3 if delivered else 0))
    session.add_all([
        CallDay(call_on=DAY, received=120, answered=111),
        Complaint(reference="BK-C1", received_on=DAY - dt.timedelta(days=30), category="late",
                  response_due_on=DAY - dt.timedelta(days=10)),
        Complaint(reference="BK-C2", received_on=DAY - dt.timedelta(days=2), category="driver",
                  response_due_on=DAY + dt.timedelta(days=18)),
        SafeguardingCase(reference="BK-S1", opened_on=DAY - dt.timedelta(days=3), category="conduct"),
    ])
    session.commit()


def _figures(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return sitrep(session, DAY, DAY).as_dict()
    finally:
        engine.dispose()


def _lose_the_day(url: str) -> None:
    """The accident a backup guards against: the day's records deleted."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for model in (Run, CallDay, Complaint, SafeguardingCase):
                session.execute(delete(model))
            session.commit()
    finally:
        engine.dispose()


def _migrated_with_a_day(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            _record_a_day(session)
    finally:
        engine.dispose()


def _back_up_lose_and_restore(url: str, backup_file: Path) -> None:
    before = _figures(url)
    assert before["routes_scheduled"] == 4 and before["calls_received"] == 120
    runner = _app(url).test_cli_runner()

    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0
    assert "Backed up" in result.output

    _lose_the_day(url)
    assert _figures(url) != before

    app = _app(url)
    result = app.test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    get_database(app).engine.dispose()  # type: ignore[union-attr]
    assert _figures(url) == before


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file holding a day of runs, calls and casework."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    _migrated_with_a_day(url)
    return url


def test_a_restored_sqlite_backup_gives_the_same_sitrep_as_before_the_loss(sqlite_url, tmp_path):
    _back_up_lose_and_restore(sqlite_url, tmp_path / "backups" / "nightly.sqlite3")


def test_the_sqlite_backup_is_one_self_contained_file_that_sqlite_can_read(sqlite_url, tmp_path):
    backup_file = tmp_path / "copy.sqlite3"
    result = _app(sqlite_url).test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(backup_file) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("SELECT count(*) FROM run").fetchone()[0] == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")] == []


def test_restore_without_yes_exits_2_and_leaves_the_database_alone(sqlite_url, tmp_path):
    backup_file = tmp_path / "copy.sqlite3"
    runner = _app(sqlite_url).test_cli_runner()
    assert runner.invoke(args=["backup", str(backup_file)]).exit_code == 0
    _lose_the_day(sqlite_url)
    result = runner.invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 2
    assert "replaces everything in the database" in result.output
    assert "--yes" in result.output
    assert _figures(sqlite_url)["routes_scheduled"] == 0


def test_restoring_a_file_that_is_not_a_backup_fails_cleanly_and_changes_nothing(sqlite_url, tmp_path):
    before = _figures(sqlite_url)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("these are not the rows you are looking for\n" * 200)
    runner = _app(sqlite_url).test_cli_runner()
    result = runner.invoke(args=["restore", str(not_a_backup), "--yes"])
    assert result.exit_code == 1
    assert "is not a SQLite backup" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nowhere.sqlite3"), "--yes"])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert _figures(sqlite_url) == before


def test_an_older_backup_is_migrated_up_to_date_after_restoring(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    backup_file = tmp_path / "old.sqlite3"
    app = _app(url)
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    upgrade(make_engine(url))

    result = _app(url).test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "migrated from 0001" in result.output
    engine = make_engine(url)
    head = current_revision(engine)
    engine.dispose()
    assert head is not None and head != "0001"


def test_backing_up_postgresql_without_pg_dump_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr("hts.backup.find_tool", lambda name: None)
    app = _app("postgresql+psycopg://hts:secret@127.0.0.1:1/hts")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "hts.dump")])
    assert result.exit_code == 1
    assert "pg_dump was not found" in result.output
    assert "secret" not in result.output
    assert not (tmp_path / "hts.dump").exists()


def test_the_password_goes_to_pg_dump_in_the_environment_not_on_the_command_line():
    from hts.backup import libpq_target

    uri, environment = libpq_target("postgresql+psycopg://hts:s%40cret@db.example:5433/hts?sslmode=require")
    assert uri == "postgresql://hts@db.example:5433/hts?sslmode=require"
    assert environment["PGPASSWORD"] == "s@cret"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database beside HTS_TEST_DATABASE_URL's, dropped afterwards."""
    base_url = os.environ.get("HTS_TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("HTS_TEST_DATABASE_URL is not set: no PostgreSQL server to test pg_dump against")
    base = make_url(base_url)
    scratch = base.set(database=f"{base.database}_backup")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        admin.dispose()


def test_a_restored_pg_dump_gives_the_same_sitrep_as_before_the_loss(postgres_url, tmp_path):
    _migrated_with_a_day(postgres_url)
    _back_up_lose_and_restore(postgres_url, tmp_path / "nightly.dump")


def test_a_sqlite_backup_from_a_newer_hts_is_refused_before_anything_is_changed(sqlite_url, tmp_path):
    before = _figures(sqlite_url)
    backup_file = tmp_path / "future.sqlite3"
    assert _app(sqlite_url).test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    with sqlite3.connect(backup_file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    _lose_the_day(sqlite_url)
    lost = _figures(sqlite_url)
    result = _app(sqlite_url).test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 1
    assert "made by a newer hts (revision 9999)" in result.output
    assert _figures(sqlite_url) == lost != before


def test_an_older_pg_dump_restores_over_a_database_migrated_since(postgres_url, tmp_path):
    engine = make_engine(postgres_url)
    upgrade(engine, "0001")
    engine.dispose()
    backup_file = tmp_path / "before-release.dump"
    assert _app(postgres_url).test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    _migrated_with_a_day(postgres_url)  # the release: migrated to the head, and a day recorded

    app = _app(postgres_url)
    result = app.test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "migrated from 0001" in result.output
    get_database(app).engine.dispose()  # type: ignore[union-attr]
    assert _figures(postgres_url)["routes_scheduled"] == 0


def test_a_failed_pg_restore_puts_the_live_tables_back(postgres_url, tmp_path, monkeypatch):
    import hts.backup

    _migrated_with_a_day(postgres_url)
    before = _figures(postgres_url)
    backup_file = tmp_path / "nightly.dump"
    assert _app(postgres_url).test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    real_run = hts.backup._run

    def restore_fails(tool, arguments, environment, what):  # type: ignore[no-untyped-def]
        if tool == "pg_restore" and "--list" not in arguments:
            raise hts.backup.BackupError("pg_restore failed: disk full")
        real_run(tool, arguments, environment, what)

    monkeypatch.setattr(hts.backup, "_run", restore_fails)
    app = _app(postgres_url)
    result = app.test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 1
    assert "disk full" in result.output
    get_database(app).engine.dispose()  # type: ignore[union-attr]
    assert _figures(postgres_url) == before
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        schemas = set(connection.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    engine.dispose()
    assert "public" in schemas and hts.backup.HOLDING_SCHEMA not in schemas


def test_a_pg_restore_refuses_while_an_interrupted_restore_has_left_its_schema(postgres_url, tmp_path):
    _migrated_with_a_day(postgres_url)
    before = _figures(postgres_url)
    backup_file = tmp_path / "nightly.dump"
    assert _app(postgres_url).test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text('CREATE SCHEMA "hts_before_restore"'))
    engine.dispose()
    app = _app(postgres_url)
    result = app.test_cli_runner().invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 1
    assert "left from an interrupted restore" in result.output
    get_database(app).engine.dispose()  # type: ignore[union-attr]
    assert _figures(postgres_url) == before
