"""`hts compliance ...` commands."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from hts import db
from hts.clock import local_today


def parse_day(value: str | None) -> dt.date:
    """A YYYY-MM-DD option, defaulting to today; bad input exits 2 with a message."""
    if value is None:
        return local_today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date: use YYYY-MM-DD, e.g. 2026-09-01") from None


@click.group("compliance")
def compliance_group() -> None:
    """Compliance of operators, drivers, passenger assistants and vehicles."""


@compliance_group.command("status")
@click.option("--date", "day", help="The day to judge, YYYY-MM-DD (default today).")
@click.option("--json", "json_file", type=click.File("w"), help="Write the verdicts as JSON ('-' for stdout).")
@with_appcontext
def status_command(day: str | None, json_file) -> None:  # type: ignore[no-untyped-def]
    """Every holder's verdict for a day, with reasons."""
    from hts.compliance.rules import policy_from_config
    from hts.compliance.service import evaluate_all

    when = parse_day(day)
    verdicts = evaluate_all(db.session(), when, policy_from_config(current_app.config))
    if json_file is not None:
        json.dump({"date": when.isoformat(), "holders": [v.as_dict() for v in verdicts]}, json_file, indent=2)
        json_file.write("\n")
    else:
        for item in verdicts:
            mark = "ok " if item.verdict.ok else "NO "
            click.echo(f"{mark} {item.holder_type:<20} {item.holder_ref:<14} {item.operator_ref:<10} "
                       + "; ".join(item.verdict.reasons))
    bad = sum(1 for v in verdicts if not v.verdict.ok)
    click.echo(f"{when.isoformat()}: {len(verdicts) - bad} compliant, {bad} not compliant.", err=True)
    sys.stdout.flush()


@compliance_group.command("sweep")
@click.option("--date", "day", help="The day to sweep, YYYY-MM-DD (default today).")
@with_appcontext
def sweep_command(day: str | None) -> None:
    """The morning sweep: re-judge every holder, warn of expiries, list routes at risk (idempotent)."""
    from hts.compliance.rules import policy_from_config
    from hts.compliance.sweep import run_sweep
    from hts.mail.service import deliver_pending, transport_from_config

    when = parse_day(day)
    report = run_sweep(db.session(), when, policy_from_config(current_app.config))
    db.session.commit()
    sent = deliver_pending(db.session(), transport_from_config(current_app.config), current_app.config["MAIL_FROM"])
    db.session.commit()
    click.echo(
        f"{when.isoformat()}: {report.holders_checked} holders checked, {len(report.not_compliant)} not compliant, "
        f"{len(report.lapsing)} lapsing within 30 days, {len(report.runs_changed)} runs lost crew, "
        f"{len(report.routes_at_risk)} routes at risk, "
        f"{report.warnings_queued} expiry warnings queued, {sent} emails sent"
        + ("" if report.changed else " (nothing changed since the last sweep)") + ".",
        err=True,
    )
    for run in report.runs_changed:
        removed = ", ".join(f"{r['holder_type'].replace('_', ' ')} {r['holder_ref']}" for r in run["removed"])
        click.echo(f"TAKEN OFF {run['route_code']} today: {removed}")
    for route in report.routes_at_risk:
        click.echo(f"AT RISK {route['route_code']} {route['day']}: " + "; ".join(route["reasons"]))
