"""The compliance sweep: warnings at 30/14/7 days, routes at risk, lapsing holders, idempotence."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hts.compliance.models import DecisionKind, OperatorDecision, SweepResult
from hts.compliance.rules import Policy
from hts.compliance.sweep import run_sweep
from hts.mail.models import OutboxMessage
from hts.mail.service import deliver_pending
from hts.operators.models import StaffRole
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle

DAY = dt.date(2026, 11, 25)  # Wednesday


def crewed_route(session, *, badge_expires=None):
    operator = compliant_operator(session)
    driver = compliant_staff(session, operator, driver_badge=badge_expires)
    vehicle = compliant_vehicle(session, operator)
    route = factories.make_route(session, pupils=[factories.make_pupil(session)], operator=operator,
                                 driver=driver, vehicle=vehicle)
    return route, driver


def test_a_badge_expiring_in_14_days_queues_one_warning_to_the_operator(db_session):
    route, driver = crewed_route(db_session, badge_expires=DAY + dt.timedelta(days=14))
    report = run_sweep(db_session, DAY, Policy())
    assert report.warnings_queued == 1
    message = db_session.scalar(select(OutboxMessage))
    assert message.to_address == route.operator.contact_email
    assert f"driver badge for {driver.staff_ref} expires 2026-12-09" in message.subject
    assert report.lapsing == [{
        "holder_type": "driver", "holder_ref": driver.staff_ref, "operator_ref": route.operator.operator_ref,
        "compliant": False, "reasons": ["driver badge expired 2026-12-09"], "from": "2026-12-10",
    }]


def test_running_the_sweep_twice_for_a_day_changes_nothing_the_second_time(db_session):
    crewed_route(db_session, badge_expires=DAY + dt.timedelta(days=7))
    first = run_sweep(db_session, DAY, Policy())
    second = run_sweep(db_session, DAY, Policy())
    assert first.changed and not second.changed
    assert second.warnings_queued == 0
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert db_session.scalar(select(func.count()).select_from(SweepResult)) == 1


def test_the_next_threshold_sends_a_new_warning(db_session):
    crewed_route(db_session, badge_expires=DAY + dt.timedelta(days=14))
    run_sweep(db_session, DAY, Policy())
    assert run_sweep(db_session, DAY + dt.timedelta(days=7), Policy()).warnings_queued == 1
    assert run_sweep(db_session, DAY + dt.timedelta(days=8), Policy()).warnings_queued == 0


def test_a_route_whose_driver_lapses_tomorrow_is_at_risk(db_session):
    route, driver = crewed_route(db_session, badge_expires=DAY)
    report = run_sweep(db_session, DAY, Policy())
    risk = next(r for r in report.routes_at_risk if r["route_code"] == route.route_code)
    assert risk["day"] == "2026-11-26"
    assert risk["reasons"] == [f"driver {driver.staff_ref}: driver badge expired 2026-11-25"]


def test_a_route_needing_a_pa_without_one_is_at_risk(db_session):
    operator = compliant_operator(db_session)
    pupil = factories.make_pupil(db_session, passenger_assistant=True)
    route = factories.make_route(db_session, school=pupil.school, pupils=[pupil], operator=operator,
                                 driver=compliant_staff(db_session, operator),
                                 vehicle=compliant_vehicle(db_session, operator))
    reasons = next(r for r in run_sweep(db_session, DAY).routes_at_risk if r["route_code"] == route.route_code)
    assert reasons["reasons"] == ["no passenger assistant assigned"]


def test_the_sweep_never_lifts_a_manual_suspension(db_session):
    route, _ = crewed_route(db_session)
    db_session.add(OperatorDecision(operator=route.operator, kind=DecisionKind.SUSPENDED, reason="spot check failed",
                                    decided_by="J. Smith", decided_on=DAY - dt.timedelta(days=3)))
    db_session.flush()
    run_sweep(db_session, DAY)
    decisions = list(db_session.scalars(select(OperatorDecision).where(OperatorDecision.operator_id == route.operator_id)))
    assert [d.kind for d in decisions] == [DecisionKind.SUSPENDED]
    report = run_sweep(db_session, DAY + dt.timedelta(days=1))
    assert any(r["route_code"] == route.route_code for r in report.routes_at_risk)


def test_pending_mail_is_delivered_when_smtp_works_and_kept_when_it_fails(db_session):
    crewed_route(db_session, badge_expires=DAY + dt.timedelta(days=30))
    run_sweep(db_session, DAY)

    class Broken:
        def deliver(self, message):
            raise OSError("relay down")

    class Working:
        sent: list = []

        def deliver(self, message):
            self.sent.append(message)

    assert deliver_pending(db_session, Broken(), "hts@council.example") == 0
    assert db_session.scalar(select(OutboxMessage)).error == "relay down"
    assert deliver_pending(db_session, Working(), "hts@council.example") == 1
    assert Working.sent[0]["From"] == "hts@council.example"
    assert deliver_pending(db_session, Working(), "hts@council.example") == 0


def test_sweep_command_reports_and_is_idempotent(cli, db_session):
    crewed_route(db_session, badge_expires=DAY + dt.timedelta(days=7))
    first = cli("compliance", "sweep", "--date", "2026-11-25")
    assert first.exit_code == 0, first.output
    assert "1 expiry warnings queued" in first.output
    second = cli("compliance", "sweep", "--date", "2026-11-25")
    assert "nothing changed since the last sweep" in second.output


def test_staff_role_is_judged_by_its_own_documents(db_session):
    operator = compliant_operator(db_session)
    assistant = compliant_staff(db_session, operator, role=StaffRole.PASSENGER_ASSISTANT)
    report = run_sweep(db_session, DAY)
    assert assistant.staff_ref not in {h["holder_ref"] for h in report.not_compliant}


def test_the_sweep_takes_a_lapsed_driver_off_todays_runs_once(db_session):
    from hts.operations.models import Run
    from hts.operations.runs import generate_runs

    route, driver = crewed_route(db_session, badge_expires=DAY - dt.timedelta(days=1))
    generate_runs(db_session, DAY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    assert run.driver_id == driver.id
    first = run_sweep(db_session, DAY)
    assert run.driver_id is None
    assert first.runs_changed == [{"route_code": route.route_code, "session": "am", "removed": [
        {"holder_type": "driver", "holder_ref": driver.staff_ref, "reasons": ["driver badge expired 2026-11-24"]}]}]
    assert route.driver_id == driver.id  # the published route is the planners' to change
    second = run_sweep(db_session, DAY)
    assert second.runs_changed == [] and not second.changed


def test_what_the_sweep_took_off_runs_is_kept_in_the_days_result(db_session):
    from hts.operations.runs import generate_runs

    route, driver = crewed_route(db_session, badge_expires=DAY - dt.timedelta(days=1))
    generate_runs(db_session, DAY)
    run_sweep(db_session, DAY)
    run_sweep(db_session, DAY)
    stored = db_session.scalar(select(SweepResult).where(SweepResult.day == DAY))
    assert [c["route_code"] for c in stored.runs_changed] == [route.route_code]
