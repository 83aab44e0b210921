"""The table of periodic jobs, and the scheduler process that runs them (`hts scheduler`).

APScheduler 3 has no locking between processes, so exactly one scheduler process runs, never
inside web workers or tests. Jobs are referred to as "module:function" with fixed ids and
`replace_existing=True`, in a persistent job store, so a restart neither loses nor doubles them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from hts.db import Base, utcnow

log = logging.getLogger("hts.scheduler")

#: The same columns APScheduler's SQLAlchemyJobStore uses, so Alembic owns the table too.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class JobStatus(Base):
    """The last run of each job, and the scheduler's heartbeat, for admins and /healthz."""

    __tablename__ = "job_status"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok: Mapped[bool | None] = mapped_column()
    last_detail: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class JobSpec:
    """One row of the job table."""

    job_id: str
    function: str  # a name in hts.jobs
    trigger: str  # 'cron' or 'interval'
    options: dict[str, Any]
    description: str


#: Every periodic job, in one place. Times are Europe/London.
JOBS = (
    JobSpec("compliance_sweep", "compliance_sweep", "cron", {"hour": 5, "minute": 30},
            "The morning compliance sweep, before the first run"),
    JobSpec("route_versions", "apply_route_versions", "cron", {"hour": 0, "minute": 5},
            "Bring routes up to the version published for today"),
    JobSpec("generate_runs", "generate_tomorrows_runs", "cron", {"hour": 18, "minute": 0},
            "Tomorrow's runs from the published routes"),
    JobSpec("sitrep_snapshot", "store_sitrep_snapshot", "cron", {"hour": 19, "minute": 30},
            "The evening SITREP snapshot"),
    JobSpec("recompute_sitreps", "recompute_stale_sitreps", "interval", {"minutes": 15},
            "Recompute days whose data arrived late"),
    JobSpec("deliver_mail", "deliver_mail", "interval", {"minutes": 5},
            "Send the outbox when SMTP is configured"),
    JobSpec("stranded_plans", "run_stranded_plans", "interval", {"minutes": 1},
            "Run draft plans left queued; fail plans whose worker stopped"),
    JobSpec("heartbeat", "heartbeat", "interval", {"minutes": 1},
            "Shows the scheduler is alive"),
    JobSpec("retention", "anonymise_departed_pupils", "cron", {"hour": 2, "minute": 15},
            "Anonymise pupils who left transport more than RETENTION_YEARS ago"),
)
HEARTBEAT_JOB = "heartbeat"


def record_outcome(job_id: str, started: dt.datetime, *, ok: bool, detail: str) -> None:
    """Store a job's last run (in its own transaction, so a failed job still leaves a record)."""
    from hts import db

    session = db.session()
    status = session.get(JobStatus, job_id) or JobStatus(job_id=job_id, runs=0, failures=0)
    session.add(status)
    now = utcnow()
    status.last_started_at, status.last_finished_at, status.last_ok = started, now, ok
    status.last_detail = detail[:4000]
    status.runs = (status.runs or 0) + 1
    if ok:
        status.last_success_at = now
    else:
        status.failures = (status.failures or 0) + 1
    session.commit()


#: A heartbeat older than this means the scheduler process is not running.
HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=3)


def heartbeat_state(session, now: dt.datetime | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """'ok' when the scheduler's heartbeat job ran recently, else 'stale' or 'never', with its time."""
    from hts.db import as_utc

    status = session.get(JobStatus, HEARTBEAT_JOB)
    last = as_utc(status.last_success_at) if status is not None else None
    if last is None:
        return {"status": "never", "last_heartbeat": None}
    fresh = (now or utcnow()) - last <= HEARTBEAT_STALE_AFTER
    return {"status": "ok" if fresh else "stale", "last_heartbeat": last.isoformat()}


def job_statuses(session) -> dict[str, JobStatus]:  # type: ignore[no-untyped-def]
    """Every job's last run, by id."""
    return {s.job_id: s for s in session.scalars(select(JobStatus))}


def build_scheduler(database_url: str, *, blocking: bool = True) -> Any:
    """A scheduler (blocking for `hts scheduler`) with a persistent job store holding the job table."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        jobstores={"default": SQLAlchemyJobStore(url=database_url, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="Europe/London",
    )
    for spec in JOBS:
        scheduler.add_job("hts.jobs:run", trigger=spec.trigger, args=[spec.function], id=spec.job_id,
                          name=spec.description, replace_existing=True, **spec.options)
    return scheduler
