"""The periodic jobs: each runs in an app context, commits on success, rolls back and logs on failure."""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from flask import Flask, current_app

from hts import db
from hts.audit.log import Actor, acting_as
from hts.clock import local_today

log = logging.getLogger("hts.jobs")
_app: Flask | None = None


def compliance_sweep() -> str:
    """The morning sweep for today."""
    from hts.compliance.rules import policy_from_config
    from hts.compliance.sweep import run_sweep
    from hts.mail.service import deliver_pending, transport_from_config

    report = run_sweep(db.session(), local_today(), policy_from_config(current_app.config))
    db.session.commit()
    sent = deliver_pending(db.session(), transport_from_config(current_app.config), current_app.config["MAIL_FROM"])
    return (f"{report.holders_checked} holders, {len(report.not_compliant)} not compliant, "
            f"{len(report.routes_at_risk)} routes at risk, {report.warnings_queued} warnings, {sent} sent")


def apply_route_versions() -> str:
    """Route changes published for today take effect (run generation also does this)."""
    from hts.routing.versions import apply_due_versions

    changed = apply_due_versions(db.session(), local_today())
    return f"{len(changed)} routes changed" + (f": {', '.join(changed[:20])}" if changed else "")


def generate_tomorrows_runs() -> str:
    """Tomorrow's runs from the published routes (and a refresh of today's), with no non-compliant crew."""
    from hts.compliance.rules import policy_from_config
    from hts.compliance.service import evaluate_all
    from hts.compliance.sweep import take_off_runs
    from hts.operations.runs import generate_runs

    today = local_today()
    policy = policy_from_config(current_app.config)
    done = []
    for day in (today, today + dt.timedelta(days=1)):
        done.append(generate_runs(db.session(), day))
        take_off_runs(db.session(), day, evaluate_all(db.session(), day, policy))
    return "; ".join(f"{r.day}: {r.created} created, {r.updated} refreshed, {r.not_required} not required"
                     for r in done)


def store_sitrep_snapshot() -> str:
    """This evening's SITREP snapshot."""
    from hts.compliance.rules import policy_from_config
    from hts.sitrep.snapshots import store_snapshot

    snapshot = store_snapshot(db.session(), local_today(), policy_from_config(current_app.config))
    return f"stored {snapshot.day}"


def recompute_stale_sitreps() -> str:
    """Recompute days whose data arrived late."""
    from hts.compliance.rules import policy_from_config
    from hts.sitrep.snapshots import recompute_stale

    days = recompute_stale(db.session(), policy_from_config(current_app.config))
    return f"recomputed {len(days)} days" + (f": {', '.join(d.isoformat() for d in days)}" if days else "")


def deliver_mail() -> str:
    """Send what is waiting in the outbox (when SMTP is configured)."""
    from hts.mail.service import deliver_pending, transport_from_config

    sent = deliver_pending(db.session(), transport_from_config(current_app.config), current_app.config["MAIL_FROM"])
    return f"sent {sent}"


def run(job_id: str, app: Flask | None = None) -> bool:
    """Entry point the scheduler calls: run one job in an app context, record the outcome, say if it worked."""
    from hts import create_app
    from hts.scheduler import JOBS, record_outcome

    global _app
    if app is None:
        if _app is None:
            _app = create_app()
        app = _app
    spec = next(s for s in JOBS if s.job_id == job_id)
    function = globals()[spec.function]
    name = job_id
    with app.app_context(), acting_as(Actor(f"job:{name}")):
        started = dt.datetime.now(dt.UTC)
        try:
            summary = function()
            db.session.commit()
        except Exception as exc:  # a failed job is recorded and retried at its next time, never fatal
            db.session.rollback()
            # The log gets the kind of error only; the message and traceback, which may quote
            # records, go to the job status that only admins see.
            log.error("job %s failed: %s", name, type(exc).__name__)
            record_outcome(name, started, ok=False, detail=f"{exc}\n{traceback.format_exc(limit=5)}")
            return False
        log.info("job %s: %s", name, summary.splitlines()[0] if summary else "")  # details: job status
        record_outcome(name, started, ok=True, detail=summary)
        return True


def run_stranded_plans() -> str:
    """Draft plans whose worker never started or stopped."""
    from hts.routing.worker import run_stranded

    return run_stranded(db.session(), current_app.config)


def anonymise_departed_pupils() -> str:
    """Anonymise pupils who left transport more than RETENTION_YEARS ago; the counts are the detail."""
    from hts.privacy.retention import anonymise_due

    report = anonymise_due(db.session(), today=local_today(), years=current_app.config["RETENTION_YEARS"])
    skipped = "".join(f"\nskipped {ref}: {why}" for ref, why in report.skipped)
    return report.summary() + skipped


def heartbeat() -> str:
    """Nothing to do: recording the run is the heartbeat."""
    return "alive"
