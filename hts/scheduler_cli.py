"""`hts scheduler`: the one long-running scheduler process."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("scheduler")
@click.option("--list", "list_jobs", is_flag=True, help="Show the job table and each job's last run, then exit.")
@click.option("--run", "run_job", metavar="JOB_ID", help="Run one job now (e.g. compliance_sweep), then exit.")
@with_appcontext
def scheduler_command(list_jobs: bool, run_job: str | None) -> None:
    """Run the periodic jobs (compliance sweep, runs, SITREP snapshots, mail) until stopped."""
    from hts import db, jobs
    from hts.scheduler import JOBS, build_scheduler, job_statuses

    if list_jobs:
        statuses = job_statuses(db.session())
        for spec in JOBS:
            status = statuses.get(spec.job_id)
            when = ", ".join(f"{k}={v}" for k, v in spec.options.items())
            last = "never run" if status is None else (
                f"last {'ok' if status.last_ok else 'FAILED'} at {status.last_finished_at:%Y-%m-%d %H:%M}")
            click.echo(f"{spec.job_id:<20} {spec.trigger:<8} {when:<22} {last}  - {spec.description}")
        return
    if run_job:
        if run_job not in {s.job_id for s in JOBS}:
            raise click.BadParameter(f"no job '{run_job}'; see `hts scheduler --list`", param_hint="--run")
        ok = jobs.run(run_job, current_app._get_current_object())  # type: ignore[attr-defined]
        click.echo(f"{run_job}: {'done' if ok else 'FAILED (see `hts scheduler --list`)'}", err=True)
        sys.exit(0 if ok else 1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build_scheduler(current_app.config["DATABASE_URL"])
    click.echo(f"Scheduler running {len(JOBS)} jobs; stop with Ctrl-C.", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
