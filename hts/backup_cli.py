"""`hts backup FILE` and `hts restore FILE --yes` (see docs/backup.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _say_failed(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Back up the database to FILE (SQLite backup API, or pg_dump's custom format)."""
    from hts.backup import BackupError, backup, database_kind

    url = current_app.config["DATABASE_URL"]
    try:
        kind = database_kind(url)
        backup(url, file)
    except BackupError as exc:
        _say_failed(exc.message)
        return
    click.echo(f"Backed up the {kind} database to {file} ({file.stat().st_size:,} bytes).", err=True)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the database is to be replaced.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with the backup in FILE, then bring it up to date."""
    from hts.backup import BackupError, database_kind, restore
    from hts.cli import EXIT_BAD_INPUT
    from hts.db import get_database
    from hts.migrate import current_revision, upgrade

    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.echo(f"Error: restoring {file} replaces everything in the database; "
                   "run again with --yes to go ahead.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    engine = get_database().engine
    assert engine is not None
    try:
        kind = database_kind(url)
        # Pooled connections would hold the old database open across the restore.
        engine.dispose()
        restore(file, url)
    except BackupError as exc:
        _say_failed(exc.message)
        return
    try:
        engine.dispose()
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except Exception as exc:  # reported, not raised: the restore itself has already succeeded
        _say_failed(f"restored {file}, but migrating it failed: {exc}. "
                    "Fix the cause and run `hts init` to finish.")
        return
    note = "already up to date" if before == after else f"migrated from {before or 'empty'}"
    click.echo(f"Restored the {kind} database from {file}; {note} (revision {after}).", err=True)
