"""SITREP snapshots, late data, the `hts sitrep` command and the scheduler's job table."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from hts.operations.models import RunStatus
from hts.scheduler import JOBS, JobStatus, build_scheduler
from hts.sitrep.snapshots import mark_stale, recompute_stale, stale_days, store_snapshot
from tests import factories
from tests.sitrep.test_figures import add_run

JSON_KEYS = {
    "routes_scheduled", "routes_delivered", "routes_delivered_pct", "routes_on_time", "routes_on_time_pct",
    "pupil_journeys_needed", "pupil_journeys_completed", "pupils_transported_pct", "calls_received",
    "calls_answered", "calls_answered_pct", "complaints_open", "complaints_overdue", "safeguarding_open",
    "bus_passes_awaiting", "operators_suspended", "holders_not_compliant", "documents_expiring_30d",
    "routes_at_risk",
}


def test_late_data_for_a_stored_day_makes_it_stale_and_recomputing_updates_it(db_session):
    day = dt.date(2005, 3, 9)
    route = factories.make_route(db_session)
    run = add_run(db_session, route, day=day, status=RunStatus.CANCELLED)
    snapshot = store_snapshot(db_session, day)
    assert snapshot.figures["routes_delivered"] == 0
    assert day not in stale_days(db_session)
    run.status, run.on_time, run.pupils_transported = RunStatus.COMPLETED, True, 4
    run.updated_at = snapshot.computed_at + dt.timedelta(microseconds=1)
    db_session.flush()
    assert day in stale_days(db_session)
    assert day in recompute_stale(db_session)
    assert snapshot.figures["routes_delivered"] == 1
    assert day not in stale_days(db_session)
    mark_stale(db_session, {day})
    db_session.expire_all()
    assert day in stale_days(db_session)


def test_sitrep_json_has_exactly_the_contracts_keys(cli, db_session, tmp_path):
    route = factories.make_route(db_session)
    add_run(db_session, route, day=dt.date(2006, 1, 11))
    out = tmp_path / "s.json"
    result = cli("sitrep", "--date", "2006-01-11", "--json", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data) >= JSON_KEYS
    assert data["routes_delivered_pct"] == 100.0
    assert data["calls_answered_pct"] is None


def test_sitrep_refuses_a_week_not_ending_on_friday_and_bad_dates_with_exit_2(cli, db_session):
    assert cli("sitrep", "--week-ending", "2006-01-11").exit_code == 2
    bad = cli("sitrep", "--date", "11/01/2006")
    assert bad.exit_code == 2 and "use YYYY-MM-DD" in bad.output


def test_sitrep_prints_a_readable_table(cli, db_session):
    result = cli("sitrep", "--week-ending", "2006-01-13")
    assert result.exit_code == 0
    assert "Week ending 2006-01-13" in result.output
    assert "Routes delivered %" in result.output and "n/a" in result.output


def test_the_scheduler_holds_every_job_of_the_table_in_its_persistent_store(tmp_path):
    from hts.db import make_engine
    from hts.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'sched.sqlite3'}"
    upgrade(make_engine(url))
    scheduler = build_scheduler(url, blocking=False)
    scheduler.start(paused=True)
    try:
        assert {job.id for job in scheduler.get_jobs()} == {spec.job_id for spec in JOBS}
    finally:
        scheduler.shutdown(wait=False)
    again = build_scheduler(url, blocking=False)  # restarting replaces, never doubles
    again.start(paused=True)
    try:
        assert len(again.get_jobs()) == len(JOBS)
    finally:
        again.shutdown(wait=False)


def test_running_a_job_records_its_outcome(cli, db_session):
    result = cli("scheduler", "--run", "heartbeat")
    assert result.exit_code == 0, result.output
    status = db_session.scalar(select(JobStatus).where(JobStatus.job_id == "heartbeat"))
    assert status.last_ok and status.runs == 1 and status.last_detail == "alive"
    listing = cli("scheduler", "--list")
    assert "heartbeat" in listing.output and "last ok" in listing.output
    assert cli("scheduler", "--run", "nonsense").exit_code == 2


def test_healthz_reports_the_scheduler_heartbeat(cli, client, db_session):
    assert client.get("/healthz").json == {"database": "ok", "scheduler": {"status": "never", "last_heartbeat": None}}
    cli("scheduler", "--run", "heartbeat")
    assert client.get("/healthz").json["scheduler"]["status"] == "ok"
    status = db_session.get(JobStatus, "heartbeat")
    status.last_success_at = status.last_success_at - dt.timedelta(minutes=10)
    db_session.flush()
    assert client.get("/healthz").json["scheduler"]["status"] == "stale"


def test_admins_see_every_job_with_its_last_run_and_failure(cli, client, login, db_session, monkeypatch):
    import hts.jobs

    cli("scheduler", "--run", "heartbeat")
    monkeypatch.setattr(hts.jobs, "deliver_mail", lambda: (_ for _ in ()).throw(RuntimeError("relay refused")))
    assert cli("scheduler", "--run", "deliver_mail").exit_code == 1
    login("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    for spec in JOBS:
        assert spec.job_id in page
    assert "relay refused" in page and "Failed" in page
    assert "The scheduler is running" in page
    client.post("/logout")
    login("planner")
    assert client.get("/admin/jobs").status_code == 403
