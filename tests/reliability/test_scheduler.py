"""A scheduled job that fails leaves no half-done work, is visible to admins, and re-runs once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

import hts.compliance.sweep
from hts import weekdays
from hts.clock import local_today
from hts.compliance.models import SweepResult
from hts.mail.models import OutboxMessage
from hts.operations.models import Run
from hts.operations.runs import generate_runs
from hts.scheduler import JobStatus
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle

EVERY_DAY = weekdays.parse("Mon Tue Wed Thu Fri Sat Sun")


def _lapsed_driver_on_todays_run(session):  # type: ignore[no-untyped-def]
    """Today's run of a route whose driver's badge expired yesterday, and a badge lapsing in a week."""
    today = local_today()
    operator = compliant_operator(session)
    lapsed = compliant_staff(session, operator, driver_badge=today - dt.timedelta(days=1))
    lapsing = compliant_staff(session, operator, driver_badge=today + dt.timedelta(days=7))
    for driver in (lapsed, lapsing):
        factories.make_route(session, pupils=[factories.make_pupil(session)], operator=operator, driver=driver,
                             vehicle=compliant_vehicle(session, operator), days=EVERY_DAY)
    generate_runs(session, today)
    run = session.scalar(select(Run).where(Run.driver_id == lapsed.id, Run.run_on == today))
    assert run is not None
    return today, run, lapsed


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_failed_sweep_job_is_recorded_with_its_error_and_leaves_nothing_half_done(cli, db_session, monkeypatch):
    today, run, lapsed = _lapsed_driver_on_todays_run(db_session)
    outbox_before = _count(db_session, OutboxMessage)

    def relay_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("mail store unavailable")

    # Fails after the crew has been taken off (flushed), before the warnings are queued.
    monkeypatch.setattr(hts.compliance.sweep, "queue_expiry_warnings", relay_down)
    result = cli("scheduler", "--run", "compliance_sweep")
    assert result.exit_code == 1
    assert "FAILED" in result.output

    status = db_session.get(JobStatus, "compliance_sweep")
    db_session.refresh(status)
    assert status.last_ok is False
    assert status.failures == 1 and status.last_success_at is None
    assert "mail store unavailable" in status.last_detail
    db_session.refresh(run)
    assert run.driver_id == lapsed.id  # the half-done sweep was rolled back
    assert db_session.scalar(select(SweepResult).where(SweepResult.day == today)) is None
    assert _count(db_session, OutboxMessage) == outbox_before


def test_a_failed_sweep_job_run_again_after_the_fault_does_its_work_exactly_once(cli, db_session, monkeypatch):
    today, run, lapsed = _lapsed_driver_on_todays_run(db_session)
    outbox_before = _count(db_session, OutboxMessage)
    with monkeypatch.context() as patch:
        patch.setattr(hts.compliance.sweep, "queue_expiry_warnings",
                      lambda *a, **k: (_ for _ in ()).throw(ConnectionError("mail store unavailable")))
        assert cli("scheduler", "--run", "compliance_sweep").exit_code == 1

    assert cli("scheduler", "--run", "compliance_sweep").exit_code == 0  # the fault has cleared
    status = db_session.get(JobStatus, "compliance_sweep")
    db_session.refresh(status)
    assert status.last_ok is True and status.failures == 1 and status.runs == 2
    assert status.last_success_at is not None
    db_session.refresh(run)
    assert run.driver_id is None
    stored = db_session.scalar(select(SweepResult).where(SweepResult.day == today))
    assert [r["removed"][0]["holder_ref"] for r in stored.runs_changed] == [lapsed.staff_ref]
    warnings = _count(db_session, OutboxMessage) - outbox_before
    assert warnings == 1

    assert cli("scheduler", "--run", "compliance_sweep").exit_code == 0  # and again: nothing more
    db_session.refresh(stored)
    assert [r["removed"][0]["holder_ref"] for r in stored.runs_changed] == [lapsed.staff_ref]
    assert _count(db_session, OutboxMessage) - outbox_before == 1
