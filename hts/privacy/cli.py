"""`hts pupils export-data`: the subject access export from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from hts import db


@click.group("pupils")
def pupils_group() -> None:
    """Pupils' personal data (UK GDPR)."""


@pupils_group.command("export-data")
@click.argument("pupil_ref")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@with_appcontext
def export_data(pupil_ref: str, file: str) -> None:
    """Write everything held about a pupil to FILE as JSON ('-' for standard output); logged as a view."""
    from hts.cli import fail
    from hts.privacy.service import export_json, find_pupil, subject_access_export

    session = db.session()
    pupil = find_pupil(session, pupil_ref)
    if pupil is None:
        fail(f"no pupil has the reference '{pupil_ref}': check it on the pupils page or in the pupils file.")
        return
    text = export_json(subject_access_export(session, pupil))
    if file == "-":
        click.echo(text, nl=False)
    else:
        try:
            with open(file, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            db.session.rollback()  # the export is not logged when nothing was written
            fail(f"could not write {file}: {exc.strerror}.")
            return
    db.session.commit()
    click.echo(f"Exported everything held about pupil {pupil.pupil_ref} to {file}.", err=True)


@pupils_group.command("anonymise")
@click.option("--dry-run", is_flag=True, help="Report what would be anonymised; change nothing.")
@click.option("--date", "day", help="Count the retention period back from this day (YYYY-MM-DD, default today).")
@with_appcontext
def anonymise(dry_run: bool, day: str | None) -> None:
    """Anonymise pupils who left transport more than HTS_RETENTION_YEARS ago, printing the counts."""
    import datetime as dt

    from hts.cli import app_config, fail
    from hts.clock import local_today
    from hts.privacy.retention import anonymise_due

    try:
        today = dt.date.fromisoformat(day) if day else local_today()
    except ValueError:
        fail(f"'{day}' is not a date: use YYYY-MM-DD.")
        return
    years = app_config("RETENTION_YEARS")
    try:
        report = anonymise_due(db.session(), today=today, years=years, dry_run=dry_run)
    except ValueError as exc:
        db.session.rollback()
        fail(f"{exc} (HTS_RETENTION_YEARS is {years}).")
        return
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for ref in report.pupils:
        click.echo(f"{'would anonymise' if dry_run else 'anonymised'} {ref}", err=True)
    for ref, why in report.skipped:
        click.echo(f"skipped {ref}: {why}", err=True)
    click.echo(report.summary()[0].upper() + report.summary()[1:] + ".", err=True)
