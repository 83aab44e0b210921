"""Real `hts` processes against real databases, killed mid-transaction, and the checks after.

The databases here are not the suite's rolled-back session: a killed process and two racing
processes only mean something against committed data. Each test gets its own database, copied
from a small demo city built once per backend (a SQLite file copy, or a PostgreSQL template).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.engine import make_url

import hts.models  # noqa: F401  (every table in the metadata)
from hts.db import Base, make_engine

ROOT = Path(__file__).resolve().parents[2]
HTS = Path(sys.executable).parent / "hts"
#: Seconds a command may take before the harness gives up on it.
COMMAND_TIMEOUT = 300


def hts_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for an `hts` process on `url` (fixed secret: never writes instance/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTS_")}
    env.update({"HTS_DATABASE_URL": url, "HTS_SECRET_KEY": "reliability-tests", "HTS_PLAN_WORKERS": "1",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def run_hts(url: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """Run `hts ARGS` to the end on `url`; fail the test with its output unless it exits `expect`."""
    done = subprocess.run([str(HTS), *args], env=hts_env(url), cwd=ROOT, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)
    assert done.returncode == expect, f"hts {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


# --- databases ------------------------------------------------------------------------------


class Backend:
    """Makes throwaway databases of one kind, each a copy of a base city."""

    name: str

    def create(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of `template`); returns its URL."""
        raise NotImplementedError

    def drop(self, url: str) -> None:
        """Remove a database made by `create`."""
        raise NotImplementedError

    def in_write_transaction(self, url: str) -> bool:
        """True while another connection holds an open transaction that writes (or may write)."""
        raise NotImplementedError


@dataclass
class SqliteBackend(Backend):
    """SQLite files in a folder; copies through the backup API (WAL included)."""

    folder: Path
    name: str = "sqlite"

    def create(self, template: str | None = None) -> str:
        """A new file, empty or copied from `template`."""
        path = self.folder / f"{uuid.uuid4().hex[:10]}.sqlite3"
        if template is not None:
            with sqlite3.connect(_sqlite_path(template)) as source, sqlite3.connect(path) as target:
                source.backup(target)
            source.close()
            target.close()
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Delete the file and its WAL."""
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def in_write_transaction(self, url: str) -> bool:
        """Another connection holds the write lock (hts begins every transaction IMMEDIATE)."""
        connection = sqlite3.connect(_sqlite_path(url), timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        else:
            connection.execute("ROLLBACK")
            return False
        finally:
            connection.close()


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


@dataclass
class PostgresBackend(Backend):
    """Databases on the server of HTS_TEST_DATABASE_URL, copied with CREATE DATABASE ... TEMPLATE."""

    admin_url: str
    name: str = "postgresql"
    engines: dict[str, Engine] = field(default_factory=dict)

    def _admin(self) -> Engine:
        if "admin" not in self.engines:
            self.engines["admin"] = make_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        return self.engines["admin"]

    def create(self, template: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which nobody may be connected to)."""
        name = f"hts_rel_{uuid.uuid4().hex[:10]}"
        clause = f" TEMPLATE {make_url(template).database}" if template else ""
        with self._admin().connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop it, ending any connection still open (PostgreSQL 13+)."""
        with self._admin().connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))

    def in_write_transaction(self, url: str) -> bool:
        """Another backend on the database has an open transaction that has written (has an xid)."""
        with self._admin().connect() as connection:
            return bool(connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
                     "AND backend_xid IS NOT NULL"),
                {"db": make_url(url).database},
            ))


# --- what a database holds ------------------------------------------------------------------


def _tables(connection: Connection) -> list[Table]:
    """The model tables the database has (a model may be ahead of the migrations while being built)."""
    present = set(inspect(connection).get_table_names())
    return [table for table in Base.metadata.sorted_tables if table.name in present]


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the schema."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: connection.scalar(select(func.count()).select_from(table)) or 0
                    for table in _tables(connection)}
    finally:
        engine.dispose()


def integrity_problems(url: str) -> list[str]:
    """Everything wrong with the database as stored: SQLite's own checks, then orphans on any backend."""
    problems: list[str] = []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                result = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
                if result != ["ok"]:
                    problems.extend(f"integrity_check: {line}" for line in result)
                problems.extend(f"foreign_key_check: {tuple(row)}"
                                for row in connection.exec_driver_sql("PRAGMA foreign_key_check"))
            tables = _tables(connection)
            for table in tables:
                for fk in table.foreign_key_constraints:
                    parent = fk.referred_table
                    if parent not in tables:
                        continue
                    pairs = list(zip(fk.column_keys, [e.column.name for e in fk.elements], strict=True))
                    child_cols = " AND ".join(f"c.{child} IS NOT NULL" for child, _ in pairs)
                    join = " AND ".join(f"p.{parent_col} = c.{child}" for child, parent_col in pairs)
                    orphans = connection.scalar(text(
                        f"SELECT count(*) FROM {table.name} c WHERE {child_cols} "
                        f"AND NOT EXISTS (SELECT 1 FROM {parent.name} p WHERE {join})"
                    ))
                    if orphans:
                        problems.append(f"{orphans} rows of {table.name} point at missing {parent.name} rows")
    finally:
        engine.dispose()
    return problems


def noncompliant_crew(url: str, days: Iterable[dt.date]) -> list[str]:
    """Scheduled runs on `days` whose driver, PA or vehicle the compliance rules refuse that day."""
    from hts.compliance.rules import Policy
    from hts.compliance.service import evaluate_all, load_holders
    from hts.operations.models import Run, RunStatus
    from hts.operators.models import Staff, Vehicle

    engine = make_engine(url)
    found: list[str] = []
    try:
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            holders = load_holders(session)
            staff = dict(session.execute(select(Staff.id, Staff.staff_ref)).all())
            vehicles = dict(session.execute(select(Vehicle.id, Vehicle.registration)).all())
            for day in days:
                bad = {(v.holder_type, v.holder_ref) for v in evaluate_all(session, day, Policy(), holders)
                       if not v.verdict.ok}
                runs = session.execute(select(Run.id, Run.driver_id, Run.pa_id, Run.vehicle_id)
                                       .where(Run.run_on == day, Run.status == RunStatus.SCHEDULED))
                for run_id, driver_id, pa_id, vehicle_id in runs:
                    for kind, ref in (("driver", staff.get(driver_id)), ("passenger_assistant", staff.get(pa_id)),
                                      ("vehicle", vehicles.get(vehicle_id))):
                        if ref is not None and (kind, ref) in bad:
                            found.append(f"run {run_id} on {day}: {kind} {ref} is not compliant")
    finally:
        engine.dispose()
    return found


def run_days(url: str) -> list[dt.date]:
    """The days that have runs (today's and the next school day's in the demo city)."""
    from hts.operations.models import Run

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(select(Run.run_on).distinct().order_by(Run.run_on)))
    finally:
        engine.dispose()


def execute(url: str, *statements: str, **params: object) -> None:
    """Run SQL statements in one committed transaction (test setup)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), params)
    finally:
        engine.dispose()


def work_for_a_sweep(url: str, day: dt.date) -> None:
    """Give the sweep of `day` work to do: ten of its drivers' DBS certificates rejected since their
    runs were made, and twelve vehicle insurances reaching their 7-day warning that day."""
    execute(url,
            "UPDATE document SET status = 'rejected' WHERE document_type = 'dbs_enhanced' AND staff_id IN "
            "(SELECT driver_id FROM run WHERE run_on = :day AND driver_id IS NOT NULL ORDER BY id LIMIT 10)",
            "UPDATE document SET expires_on = :soon WHERE id IN (SELECT id FROM document "
            "WHERE document_type = 'vehicle_insurance' ORDER BY id LIMIT 12)",
            day=day, soon=day + dt.timedelta(days=7))


# --- killing a process inside its transaction -----------------------------------------------


@dataclass
class Timing:
    """When, in a clean run, the command's writing transaction was first seen and when it ended."""

    in_transaction_after: float
    finished_after: float

    @property
    def window(self) -> float:
        """Seconds between the transaction being seen and the command ending."""
        return max(self.finished_after - self.in_transaction_after, 0.05)


@dataclass
class Kill:
    """One kill: whether the process was seen inside its transaction, and whether it died by SIGKILL."""

    seen_in_transaction: bool
    killed: bool
    delay: float


def _start(url: str, args: tuple[str, ...]) -> tuple[subprocess.Popen[bytes], Path]:
    """The command running in its own session (so a kill reaches the plan's solver workers too, as a
    power cut would), its standard error going to a file (a pipe nobody reads could stall it)."""
    with tempfile.NamedTemporaryFile(prefix="hts-stderr-", suffix=".log", delete=False) as log:
        process = subprocess.Popen([str(HTS), *args], env=hts_env(url), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=log, start_new_session=True)
    return process, Path(log.name)


def _wait_for_transaction(backend: Backend, url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if backend.in_write_transaction(url):
            return True
        time.sleep(0.005)
    return False


def measure(backend: Backend, url: str, args: tuple[str, ...]) -> Timing:
    """Run the command cleanly, timing when its transaction appears and when it finishes."""
    started = time.monotonic()
    process, log = _start(url, args)
    seen = _wait_for_transaction(backend, url, process)
    seen_at = time.monotonic() - started
    code = process.wait(timeout=COMMAND_TIMEOUT)
    finished_at = time.monotonic() - started
    stderr = log.read_text(errors="replace")[-3000:]
    log.unlink()
    assert code == 0, f"hts {' '.join(args)} failed in its clean run:\n{stderr}"
    assert seen, f"hts {' '.join(args)} never showed a write transaction"
    return Timing(seen_at, finished_at)


def kill_inside(backend: Backend, url: str, args: tuple[str, ...], delay: float) -> Kill:
    """Start the command, wait until it is inside its writing transaction, wait `delay` s, SIGKILL it."""
    process, log = _start(url, args)
    seen = _wait_for_transaction(backend, url, process)
    if seen:
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):  # it finished first
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=COMMAND_TIMEOUT)
    log.unlink()
    if backend.name == "postgresql":
        _wait_until_gone(backend, url)
    return Kill(seen, process.returncode == -signal.SIGKILL, delay)


def _wait_until_gone(backend: Backend, url: str) -> None:
    """PostgreSQL ends a dead client's backend (rolling its transaction back) as soon as it notices."""
    deadline = time.monotonic() + 30
    while backend.in_write_transaction(url) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class Scenario:
    """A command to kill, on a database prepared for it, with what counts as 'the same result'."""

    args: tuple[str, ...]
    #: Tables whose row count may legitimately differ between two clean runs (e.g. a time-limited
    #: solver's number of routes): they need only have grown, or not, with the rest.
    volatile: frozenset[str] = frozenset()
    #: The days whose runs must have no non-compliant crew once the command has completed.
    crew_days: Callable[[str], list[dt.date]] = run_days
    #: False when the "before" state itself has runs with lapsed crew (the sweep's job is to fix that).
    crew_ok_before: bool = True
    #: False for a command that makes something new each time (`hts plan` saves another draft):
    #: after a kill that landed past its commit the work is done, and a person would not re-run it.
    repeatable: bool = True
    #: The exit code of a re-run when the work is already done (`hts routes publish`: 3, refused).
    done_exit_code: int = 0
    #: A further check of the finished state (e.g. "no plan left half-saved").
    finished_check: Callable[[str], list[str]] | None = None


def same_counts(actual: dict[str, int], expected: dict[str, int], before: dict[str, int],
                volatile: frozenset[str] = frozenset()) -> bool:
    """Equal counts; a volatile table need only have grown from `before` exactly when expected did."""
    for table, count in expected.items():
        if table in volatile:
            if (actual[table] > before[table]) != (count > before[table]):
                return False
        elif actual[table] != count:
            return False
    return True
