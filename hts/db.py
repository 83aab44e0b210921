"""Database: the declarative base, and one engine and session per app.

Views and jobs use `db.session`; services flush, and the request or job that started the work
commits once at its end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import InsertmanyvaluesSentinelOpts

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as aware UTC (SQLite hands back naive values)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout.

    Statement parameters are kept out of error messages (`hide_parameters`): a failed insert of a
    pupil would otherwise put the child's name and address into the logs and tracebacks.
    """
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN
        # (the recipe in SQLAlchemy's SQLite dialect docs, "Serializable isolation"). IMMEDIATE
        # takes the write lock up front: a deferred transaction that reads and then writes fails
        # at once with "database is locked" when another process wrote in between (the busy
        # timeout does not apply to that upgrade), which several gunicorn workers hit at once.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        # SQLAlchemy does not trust SQLite to hand back a batch INSERT's new ids in order, so
        # the ORM inserted one row per statement (most of `hts demo`'s time). SQLite numbers a
        # multi-row INSERT's rows one after another in VALUES order, and SQLAlchemy matches the
        # returned ids by sorting them, so batches of up to 1,000 rows are safe here.
        engine.dialect.insertmanyvalues_implicit_sentinel = InsertmanyvaluesSentinelOpts.AUTOINCREMENT
    return engine


def serialise(session: Session, name: str) -> None:
    """Let one transaction at a time past this point for `name`, until it commits or rolls back.

    Work that reads, decides and writes (the compliance sweep) would otherwise run twice over when
    two processes start it at once on PostgreSQL. There it takes a transaction-scoped advisory
    lock; SQLite needs none, since every transaction begins IMMEDIATE and so holds the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None


class Database:
    """Holds the engine and the scoped session of one Flask app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.scoped: scoped_session[Session] | None = None
        #: Tests pin one session (joined to an outer transaction) that outlives requests.
        self.pinned: Session | None = None

    def init_app(self, app: Flask) -> None:
        """Create the engine for the app's DATABASE_URL and remove the session after each request."""
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.scoped = scoped_session(self.session_factory)
        app.extensions["hts_db"] = self
        app.teardown_appcontext(self._remove)

    def current(self) -> Session:
        """The session of the current context."""
        if self.pinned is not None:
            return self.pinned
        assert self.scoped is not None
        return self.scoped()

    def _remove(self, _exc: BaseException | None) -> None:
        if self.scoped is not None and self.pinned is None:
            self.scoped.remove()


class _SessionProxy:
    """`db.session` resolves to the current app's scoped session."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current_app.extensions["hts_db"].current(), name)

    def __call__(self) -> Session:
        return current_app.extensions["hts_db"].current()


session: Session = _SessionProxy()  # type: ignore[assignment]


def get_database(app: Flask | None = None) -> Database:
    """The Database of the given app, or of the current one."""
    return (app or current_app).extensions["hts_db"]
