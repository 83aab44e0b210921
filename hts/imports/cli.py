"""`hts import KIND FILE [--dry-run]` and `hts export KIND FILE`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from hts import db
from hts.imports.kinds import KINDS
from hts.imports.report import ImportReport

EXIT_REJECTED = 2


def print_report(report: ImportReport) -> None:
    """The report for people, on standard error: every problem, then the summary."""
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(problem.text(), err=True)
    click.echo(report.summary(), err=True)


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool) -> None:
    """Import a CSV or .xlsx file of KIND; a file with any bad row is rejected whole (exit 2)."""
    from hts.imports.service import run_import

    if not file.is_file():
        click.echo(f"Error: {file} does not exist or is not a file.", err=True)
        sys.exit(EXIT_REJECTED)
    try:
        report = run_import(db.session(), kind, file, filename=file.name, dry_run=dry_run)
    except ValueError as exc:  # a bad geocoder setting: say so, write nothing
        db.session.rollback()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_REJECTED)
    print_report(report)
    if not report.ok or dry_run:
        db.session.rollback()
        if not report.ok:
            sys.exit(EXIT_REJECTED)
        return
    db.session.commit()


@click.command("export")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(kind: str, file: Path) -> None:
    """Write every KIND row to FILE as CSV UTF-8, in the import format ('-' for stdout)."""
    from hts.imports.exports import run_export, write_export

    if str(file) == "-":
        count = write_export(db.session(), kind, sys.stdout)
    else:
        try:
            count = run_export(db.session(), kind, file)
        except OSError as exc:
            click.echo(f"Error: cannot write {file}: {exc.strerror}", err=True)
            sys.exit(EXIT_REJECTED)
    click.echo(f"Exported {count} {kind} rows to {file}.", err=True)
