"""Run draft plans outside web requests: a separate process per plan, with progress in the database.

The web view queues a plan and calls `launch`; the process runs `python -m hts.routing.worker ID`.
The scheduler also picks up plans left queued (e.g. the process could not start) and marks plans
whose worker died as failed.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import traceback
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.db import as_utc, utcnow
from hts.routing.matrix import TravelProviderError
from hts.routing.models import DraftPlan, PlanStatus
from hts.routing.planning import PlanInputError, run_plan

STALLED_AFTER = dt.timedelta(minutes=10)


def launch(plan_id: int, app: Flask | None = None) -> None:
    """Start a worker process for the plan (it outlives the request that started it)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    env = {**os.environ, "HTS_DATABASE_URL": app.config["DATABASE_URL"], "HTS_SECRET_KEY": app.config["SECRET_KEY"]}
    log = Path(app.instance_path) / "plans.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.Popen(  # noqa: S603 (our own module, no shell)
            [sys.executable, "-m", "hts.routing.worker", str(plan_id)],
            env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True,
        )


def execute(session: Session, plan: DraftPlan, config: dict) -> None:  # type: ignore[type-arg]
    """Run one queued plan to the end, committing progress as it goes; failures are recorded."""
    plan.status = PlanStatus.RUNNING
    plan.progress_message = "Building the problem"
    session.commit()
    try:
        run_plan(session, plan, config, commit_progress=session.commit)
    except (PlanInputError, TravelProviderError) as exc:
        session.rollback()
        _fail(session, plan, str(exc))
        return
    except Exception as exc:  # the planner must see that it failed, whatever the cause
        session.rollback()
        _fail(session, plan, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        return
    session.commit()


def _fail(session: Session, plan: DraftPlan, message: str) -> None:
    plan = session.get(DraftPlan, plan.id)  # type: ignore[assignment]
    plan.status, plan.error, plan.finished_at = PlanStatus.FAILED, message[:4000], utcnow()
    session.commit()


def run_stranded(session: Session, config: dict, now: dt.datetime | None = None) -> str:  # type: ignore[type-arg]
    """Scheduler job: run plans queued for over a minute; fail running plans that stopped moving."""
    now = now or utcnow()
    stalled = 0
    for plan in session.scalars(select(DraftPlan).where(DraftPlan.status == PlanStatus.RUNNING)):
        limit = dt.timedelta(seconds=plan.time_limit_seconds) + STALLED_AFTER
        if as_utc(plan.created_at) + limit < now:  # type: ignore[operator]
            _fail(session, plan, "the planning process stopped before finishing; start the plan again")
            stalled += 1
    queued = list(session.scalars(select(DraftPlan).where(
        DraftPlan.status == PlanStatus.QUEUED, DraftPlan.created_at < now - dt.timedelta(minutes=1))))
    for plan in queued:
        execute(session, plan, config)
    return f"{len(queued)} queued plans run, {stalled} stalled plans failed"


def main(argv: list[str] | None = None) -> int:
    """`python -m hts.routing.worker PLAN_ID`."""
    from hts import create_app, db
    from hts.audit.log import Actor, acting_as

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m hts.routing.worker PLAN_ID", file=sys.stderr)
        return 2
    app = create_app()
    with app.app_context():
        plan = db.session.get(DraftPlan, int(args[0]))
        if plan is None or plan.status != PlanStatus.QUEUED:
            return 0  # already taken by another worker or the scheduler
        with acting_as(Actor(f"plan:{plan.requested_by}")):
            execute(db.session(), plan, app.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
