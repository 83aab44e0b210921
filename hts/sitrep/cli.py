"""`hts sitrep`: the day's or the week's figures."""

from __future__ import annotations

import datetime as dt
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from hts import db
from hts.clock import local_today

LABELS = (
    ("routes_scheduled", "Routes scheduled"), ("routes_delivered", "Routes delivered"),
    ("routes_delivered_pct", "Routes delivered %"), ("routes_on_time", "Delivered on time"),
    ("routes_on_time_pct", "On time %"), ("pupil_journeys_needed", "Pupil journeys needed"),
    ("pupil_journeys_completed", "Pupil journeys completed"), ("pupils_transported_pct", "Pupils transported %"),
    ("calls_received", "Calls received"), ("calls_answered", "Calls answered"),
    ("calls_answered_pct", "Calls answered %"), ("complaints_open", "Complaints open"),
    ("complaints_overdue", "Complaints overdue"), ("safeguarding_open", "Safeguarding cases open"),
    ("bus_passes_awaiting", "Bus passes awaiting assessment"), ("operators_suspended", "Operators suspended"),
    ("holders_not_compliant", "Staff, vehicles and operators not compliant"),
    ("documents_expiring_30d", "Documents expiring in 30 days"), ("routes_at_risk", "Routes at risk"),
)


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date: use YYYY-MM-DD", param_hint=option) from None


@click.command("sitrep")
@click.option("--date", "day", help="The day (YYYY-MM-DD, default today).")
@click.option("--week-ending", "week_ending", help="A Friday: the week's figures, Monday to Friday.")
@click.option("--json", "json_file", type=click.File("w"), help="Write the figures as JSON ('-' for stdout).")
@with_appcontext
def sitrep_command(day: str | None, week_ending: str | None, json_file) -> None:  # type: ignore[no-untyped-def]
    """The SITREP for a day or for the week ending on a Friday."""
    from hts.compliance.rules import policy_from_config
    from hts.sitrep.figures import sitrep, week_of

    if day and week_ending:
        raise click.UsageError("give --date or --week-ending, not both")
    if week_ending:
        try:
            start, end = week_of(_date(week_ending, "--week-ending"))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--week-ending") from None
    else:
        start = end = _date(day, "--date") if day else local_today()
    figures = sitrep(db.session(), start, end, policy_from_config(current_app.config)).as_dict()
    if json_file is not None:
        json.dump(figures, json_file, indent=2)
        json_file.write("\n")
        return
    title = f"Week ending {end.isoformat()}" if start != end else f"SITREP {end.isoformat()}"
    click.echo(title)
    for key, label in LABELS:
        value = figures[key]
        shown = "n/a" if value is None else (f"{value:.2f}" if key.endswith("_pct") else f"{value:,}")
        click.echo(f"  {label:<46} {shown:>10}")
