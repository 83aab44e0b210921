"""Administrators' view of the scheduler: each job's last run, last success, next run and error."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.scheduler import JOBS, JobStatus, apscheduler_jobs, heartbeat_state

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/jobs")
@roles_required(Role.ADMIN)
def jobs() -> Any:
    """The job table with what each job last did, so a missed or failed job is visible."""
    import datetime as dt

    statuses = {s.job_id: s for s in db.session.scalars(select(JobStatus))}
    next_runs = {row.id: row.next_run_time for row in db.session.execute(
        select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time))}
    rows = []
    for spec in JOBS:
        status = statuses.get(spec.job_id)
        next_run = next_runs.get(spec.job_id)
        rows.append({
            "spec": spec, "status": status,
            "next_run": dt.datetime.fromtimestamp(next_run, dt.UTC) if next_run else None,
            "error": (status.last_detail or "").splitlines()[0] if status and status.last_ok is False else None,
        })
    return render_template("admin/jobs.html", rows=rows, heartbeat=heartbeat_state(db.session()))
