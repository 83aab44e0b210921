"""Back up and restore the database with its own tools (see docs/backup.md).

SQLite: the online backup API (`sqlite3.Connection.backup`), which copies a consistent snapshot
page by page while the app keeps running, WAL included. PostgreSQL: `pg_dump --format=custom` and
`pg_restore`. A backup is written to a temporary file beside the target and renamed into place,
so a failed backup never leaves a truncated file under the name asked for.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

# How long the SQLite copy waits for a writer to finish before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def database_kind(url: str) -> str:
    """'sqlite' or 'postgresql' for a database URL; BackupError for anything else."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; BackupError for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


@contextlib.contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A temporary path in the target's folder, renamed over the target only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def check_sqlite_backup(path: Path) -> str | None:
    """Raise BackupError unless the file is an intact hts SQLite database; return its revision."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        with _sqlite(path) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"{path} is damaged ({verdict}); use another backup")
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if not has_version:
                raise BackupError(f"{path} is not an hts database (it has no alembic_version table)")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite backup ({exc})") from None
    revision = row[0] if row else None
    _check_revision_known(revision, path)
    return revision


def _check_revision_known(revision: str | None, path: Path) -> None:
    """Refuse a backup made by a newer hts, whose schema these migrations cannot follow."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from hts.migrate import alembic_config

    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise BackupError(f"{path} was made by a newer hts (revision {revision}); "
                          "upgrade hts before restoring it") from None


def backup_sqlite(database: Path, target: Path) -> None:
    """Copy a live SQLite database to `target` with the online backup API."""
    if not database.is_file():
        raise BackupError(f"the database {database} does not exist; run `hts init` first")
    with _temporary_beside(target) as partial:
        try:
            with _sqlite(database) as source, _sqlite(partial) as copy:
                source.backup(copy)
                # The copy is a file of its own: leave it in rollback-journal mode so it is a single
                # self-contained file (no -wal or -shm beside it).
                copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise BackupError(f"could not back up {database}: {exc}") from None


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace the SQLite database's contents with a backup, through the backup API."""
    check_sqlite_backup(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _sqlite(backup) as source, _sqlite(database) as live:
            # The backup API writes the whole database in one step under the destination's write
            # lock, so other connections see either the old database or the restored one.
            source.backup(live)
    except sqlite3.Error as exc:
        raise BackupError(f"could not restore {backup} into {database}: {exc}") from None


def find_tool(name: str) -> str | None:
    """The path of a PostgreSQL client program: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> int:
        part = Path(path).parent.parent.name
        return int(part) if part.isdigit() else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    return candidates[0] if candidates else None


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    parsed: URL = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    # Keeping the password out of the command line keeps it out of `ps` and error messages.
    without_password = URL.create("postgresql", username=parsed.username, host=parsed.host,
                                  port=parsed.port, database=parsed.database, query=parsed.query)
    uri = without_password.render_as_string(hide_password=False)
    return uri, environment


def _run(tool: str, arguments: list[str], environment: dict[str, str], what: str) -> None:
    """Run a PostgreSQL client program; BackupError with the end of its stderr if it fails."""
    program = find_tool(tool)
    if program is None:
        raise BackupError(f"{tool} was not found on PATH or in /usr/lib/postgresql/*/bin; "
                          "install the PostgreSQL client (apt-get install postgresql-client)")
    try:
        result = subprocess.run([program, *arguments], env=environment, capture_output=True,
                                text=True, check=False)
    except OSError as exc:
        raise BackupError(f"could not run {program}: {exc}") from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.strip().splitlines()[-3:]) or f"exit code {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def backup_postgres(url: str, target: Path) -> None:
    """Dump a PostgreSQL database to `target` with `pg_dump --format=custom`."""
    uri, environment = libpq_target(url)
    with _temporary_beside(target) as partial:
        _run("pg_dump", ["--format=custom", "--file", str(partial), "--dbname", uri],
             environment, "pg_dump")


# While a PostgreSQL restore runs, the live tables wait here, to be put back if it fails.
HOLDING_SCHEMA = "hts_before_restore"


def restore_postgres(backup: Path, url: str) -> None:
    """Replace a PostgreSQL database's public schema with a custom-format dump, all or nothing.

    `pg_restore --clean` drops only the objects in the dump, and a database migrated since the
    backup holds tables that depend on them, so the restore fails. The live schema is therefore
    set aside (renamed) and the dump restored into an empty `public`; on failure the two swap
    back. When the role may not rename the schema, the dump is restored over it in place.
    """
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist")
    uri, environment = libpq_target(url)
    _run("pg_restore", ["--list", str(backup)], environment, f"reading {backup} as a pg_dump archive")
    arguments = ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--dbname", uri, str(backup)]
    engine = create_engine(url, poolclass=NullPool)
    try:
        set_aside = _set_aside_public(engine)
        try:
            # --single-transaction: if any statement fails, pg_restore changes nothing.
            _run("pg_restore", arguments, environment, "pg_restore")
        except BackupError:
            if set_aside:
                _put_back_public(engine)
            raise
        if set_aside:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{HOLDING_SCHEMA}" CASCADE'))
    except SQLAlchemyError as exc:
        raise BackupError(f"could not restore into {make_url(url).render_as_string()}: "
                          f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()


def _set_aside_public(engine: Engine) -> bool:
    """Rename `public` out of the way and create an empty one; False when not permitted."""
    try:
        with engine.begin() as connection:
            left_over = connection.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": HOLDING_SCHEMA}
            ).first()
            if left_over:
                raise BackupError(f'schema "{HOLDING_SCHEMA}" is left from an interrupted restore and '
                                  "may hold the data from before it; check it, drop it, then restore again")
            connection.execute(text(f'ALTER SCHEMA public RENAME TO "{HOLDING_SCHEMA}"'))
            connection.execute(text("CREATE SCHEMA public"))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
            return False
        raise
    return True


def _put_back_public(engine: Engine) -> None:
    """Undo `_set_aside_public` after a failed restore: the live schema becomes `public` again."""
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text(f'ALTER SCHEMA "{HOLDING_SCHEMA}" RENAME TO public'))


def backup(url: str, target: Path) -> None:
    """Back up the database at `url` to the file `target`."""
    if database_kind(url) == "sqlite":
        backup_sqlite(sqlite_path(url), target)
    else:
        backup_postgres(url, target)


def restore(backup_file: Path, url: str) -> None:
    """Replace the database at `url` with the backup in `backup_file` (migrations not run)."""
    if database_kind(url) == "sqlite":
        restore_sqlite(backup_file, sqlite_path(url))
    else:
        restore_postgres(backup_file, url)
