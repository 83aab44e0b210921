"""`hts demo [--seed N] [--pupils N]`: load the demo city through the import code."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from hts import db
from hts.clock import local_today
from hts.demo.generator import DEFAULT_PUPILS, DEFAULT_SEED, MAX_PUPILS, MIN_PUPILS
from hts.demo.history import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS

if TYPE_CHECKING:
    from hts.demo.generator import DemoCity

#: Problems shown when a demo file is rejected (the rest are counted).
SHOWN_PROBLEMS = 10
EXIT_FAILED = 1
#: SQLite page cache for the load, in KiB (the history's indexes fit in it).
SQLITE_CACHE_KIB = 256 * 1024


def _say(message: str, *, nl: bool = True) -> None:
    click.echo(message, err=True, nl=nl)


def _parse_today(value: str | None) -> dt.date:
    if value is None:
        return local_today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date: use YYYY-MM-DD, e.g. 2026-09-01",
                                 param_hint="--today") from None


def _load(folder: Path, city: DemoCity) -> None:
    """Write the files into `folder` and import them in order; exits 1 on a rejected file."""
    from hts.demo.generator import write_files
    from hts.imports.service import run_import
    from hts.people.geocoding import PostcodeTableGeocoder

    session = db.session()
    for kind, path in write_files(city, folder).items():
        rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
        _say(f"Loading {kind}: {rows:,} rows ...", nl=False)
        started = time.perf_counter()
        try:
            # The demo's postcodes exist only in its own table, whatever geocoder is configured.
            report = run_import(session, kind, path, filename=path.name, dry_run=False,
                                geocoder=PostcodeTableGeocoder(session), today=city.today)
        except ValueError as exc:  # the import refuses to start: say why, write nothing
            session.rollback()
            _say(" failed.")
            _say(f"Error: {exc}")
            sys.exit(EXIT_FAILED)
        except SQLAlchemyError as exc:  # e.g. a database older than the code: say so, no traceback
            session.rollback()
            _say(" failed.")
            reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
            _say(f"Error: the database refused the demo data ({reason}); nothing was written. "
                 "Run `hts init` to bring the database up to date and try again.")
            sys.exit(EXIT_FAILED)
        if not report.ok:
            session.rollback()
            _say(" rejected.")
            for problem in report.problems[:SHOWN_PROBLEMS]:
                _say(f"  {path.name}: {problem.text()}")
            if len(report.problems) > SHOWN_PROBLEMS:
                _say(f"  ... and {len(report.problems) - SHOWN_PROBLEMS} more problems.")
            _say("Error: the demo city did not load; nothing was written. If the database already "
                 "holds a demo city of another --seed or --pupils, load this one into a fresh "
                 "database (point HTS_DATABASE_URL at a new file and run `hts init` first).")
            sys.exit(EXIT_FAILED)
        _say(f" done in {time.perf_counter() - started:.1f} s "
             f"({report.created:,} created, {report.updated:,} updated, {report.unchanged:,} unchanged)")


def _history(city: DemoCity, history_days: int | None) -> None:
    """Write the history and the live days' runs; exits 1 (nothing written) if the database refuses."""
    from hts.demo.history import write_history

    session = db.session()
    started = time.perf_counter()
    _say("Writing history and today's runs ...", nl=False)
    try:
        report = write_history(session, seed=city.seed, today=city.today, days=history_days,
                               tolerance_minutes=int(current_app.config.get("ON_TIME_TOLERANCE_MINUTES", 0)))
    except SQLAlchemyError as exc:
        session.rollback()
        _say(" failed.")
        reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
        _say(f"Error: the database refused the demo history ({reason}); nothing was written. "
             "Run `hts init` to bring the database up to date and try again.")
        sys.exit(EXIT_FAILED)
    _say(f" done in {time.perf_counter() - started:.1f} s")
    skipped = f", {report.days_left_alone} days already there left alone" if report.days_left_alone else ""
    _say(f"  history: {report.days} school days, {report.runs:,} runs, {report.absences:,} absences, "
         f"{report.calls} days of calls, {report.complaints} complaints, {report.safeguarding} "
         f"safeguarding cases, {report.bus_passes:,} bus pass applications{skipped}")
    for live in report.live:
        _say(f"  runs for {live.day.isoformat()}: {live.created + live.updated:,} "
             f"({live.not_required:,} not required)")


def _changes(day: dt.date, users: dict[str, Any]) -> None:
    """Route change requests at each stage: published for a later date, submitted, draft."""
    from hts.demo.changes import make_demo_changes

    made = make_demo_changes(db.session(), planner=users["planner"], approver=users["manager"], today=day,
                             config=current_app.config)
    if made.made:
        _say(f"Route change requests: {made.made} (one published for a later date, one waiting for the "
             "manager's approval, one draft)")


def _sweep(day: dt.date) -> None:
    """This morning's compliance sweep, as the scheduler would have run it at 05:30."""
    from hts.compliance.rules import policy_from_config
    from hts.compliance.sweep import keep_crew_compliant, run_sweep
    from hts.demo.history import next_weekday

    started = time.perf_counter()
    policy = policy_from_config(current_app.config)
    report = run_sweep(db.session(), day, policy)
    # The next school day's runs were generated too: nobody non-compliant may be on them either
    # (the scheduler's evening job does the same when it generates them).
    tomorrow = keep_crew_compliant(db.session(), next_weekday(day), policy)
    _say(f"Compliance sweep for {day.isoformat()}: {len(report.not_compliant):,} not compliant, "
         f"{len(report.runs_changed):,} runs lost crew ({len(tomorrow):,} on the next school day), "
         f"{len(report.routes_at_risk):,} routes at risk, "
         f"{report.warnings_queued:,} expiry warnings queued, in {time.perf_counter() - started:.1f} s")


@click.command("demo")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="The same seed always builds the same city.")
@click.option("--pupils", type=click.IntRange(MIN_PUPILS, MAX_PUPILS), default=DEFAULT_PUPILS,
              show_default=True, help="Number of pupils; schools, operators and fleet scale with it.")
@click.option("--keep-files", type=click.Path(file_okay=False, path_type=Path),
              help="Also keep the generated CSV files in this folder.")
@click.option("--today", hidden=True, help="Date the documents are dated against (YYYY-MM-DD).")
@click.option("--history-days", type=click.IntRange(0, MAX_HISTORY_DAYS),
              help="School days of run history before today [default: the current term so far, "
                   f"at most {DEFAULT_HISTORY_DAYS}; 0 for none; 190 is a school year].")
@click.option("--url", help="Where the app will be served, for the sign-in line "
                             "[default: where `make serve` serves without HOST or PORT; "
                             "`make demo` passes its own].")
@with_appcontext
def demo_command(seed: int, pupils: int, keep_files: Path | None, today: str | None,
                 history_days: int | None, url: str | None) -> None:
    """Load the deterministic demo city (through the import code), a term of history, and reset the demo accounts."""
    from hts.demo.accounts import DEMO_URL, new_password, reset_demo_accounts
    from hts.demo.generator import generate

    day = _parse_today(today)
    started = time.perf_counter()
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        # The history's runs go into a table with six indexes; SQLite's default 2 MB page cache
        # makes each insert re-read index pages. This connection, for this command only.
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    city = generate(seed=seed, pupils=pupils, today=day)
    _say(f"Built the demo city (seed {seed}): {len(city.schools):,} schools, "
         f"{len(city.pupils):,} pupils, {len(city.operators):,} operators, "
         f"{len(city.routes):,} routes a session, in {time.perf_counter() - started:.1f} s")
    if keep_files is not None:
        _load(keep_files, city)
    else:
        with tempfile.TemporaryDirectory(prefix="hts-demo-") as folder:
            _load(Path(folder), city)
    _history(city, history_days)
    _sweep(city.today)
    password = new_password()
    users = reset_demo_accounts(db.session(), city.account_operator_ref, password)
    _changes(city.today, {user.role.value: user for user in users})
    db.session.commit()
    _say(f"Demo city loaded in {time.perf_counter() - started:.1f} s.")
    click.echo(f"Sign in at {url or DEMO_URL} with password {password} as:")
    for user in users:
        suffix = f" (operator {city.account_operator_ref})" if user.operator_id else ""
        click.echo(f"  {user.role.value:<11} {user.email}{suffix}")
