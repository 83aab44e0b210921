"""Judging every holder from the database, and `hts compliance status`."""

from __future__ import annotations

import datetime as dt
import json

from hts.compliance.models import DecisionKind, OperatorDecision
from hts.compliance.service import evaluate_all
from hts.operators.models import StaffRole
from tests import factories

DAY = dt.date(2026, 11, 25)


def _compliant_driver(session, operator):
    driver = factories.make_staff(session, operator=operator, role=StaffRole.DRIVER)
    for kind in ("dbs_enhanced", "driving_licence", "driver_badge", "safeguarding_training", "council_id_badge"):
        factories.make_document(session, holder=driver, document_type=kind, issued_on=dt.date(2025, 6, 1))
    return driver


def _verdict(verdicts, ref):
    return next(v for v in verdicts if v.holder_ref == ref)


def test_a_suspension_makes_the_operators_staff_non_compliant_until_reinstated(db_session):
    operator = factories.make_operator(db_session)
    driver = _compliant_driver(db_session, operator)
    assert _verdict(evaluate_all(db_session, DAY), driver.staff_ref).verdict.ok
    db_session.add(OperatorDecision(operator=operator, kind=DecisionKind.SUSPENDED, reason="lapsed insurance",
                                    decided_by="J. Smith", decided_on=dt.date(2026, 11, 1)))
    db_session.flush()
    verdict = _verdict(evaluate_all(db_session, DAY), driver.staff_ref).verdict
    assert verdict.reasons == ("the operator was suspended by J. Smith on 2026-11-01: lapsed insurance",)
    db_session.add(OperatorDecision(operator=operator, kind=DecisionKind.REINSTATED, reason="insured again",
                                    decided_by="J. Smith", decided_on=dt.date(2026, 11, 20)))
    db_session.flush()
    assert _verdict(evaluate_all(db_session, DAY), driver.staff_ref).verdict.ok
    # On a day before the reinstatement the suspension still stood.
    assert not _verdict(evaluate_all(db_session, dt.date(2026, 11, 10)), driver.staff_ref).verdict.ok


def test_status_command_writes_every_holder_as_json(app, db_session, tmp_path):
    operator = factories.make_operator(db_session, operator_ref="OPJ")
    driver = _compliant_driver(db_session, operator)
    vehicle = factories.make_vehicle(db_session, operator=operator)
    out = tmp_path / "status.json"
    result = app.test_cli_runner().invoke(args=["compliance", "status", "--date", "2026-11-25", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["date"] == "2026-11-25"
    by_ref = {h["holder_ref"]: h for h in data["holders"]}
    assert by_ref[driver.staff_ref]["compliant"] is True
    assert by_ref[vehicle.registration]["compliant"] is False
    assert "no MOT on record" in by_ref[vehicle.registration]["reasons"]
    assert set(by_ref["OPJ"]) == {"holder_type", "holder_ref", "operator_ref", "compliant", "reasons"}


def test_status_command_refuses_a_bad_date_with_exit_code_2(app, db_session):
    result = app.test_cli_runner().invoke(args=["compliance", "status", "--date", "25/11/2026"])
    assert result.exit_code == 2
    assert "use YYYY-MM-DD" in result.output
