"""Demo documents: mostly in order, some expiring, some expired, one operator uninsured."""

from __future__ import annotations

import datetime as dt
import re

from hts.compliance.rules import DocumentFact, HolderFact, evaluate
from hts.demo.fleet import DRIVER_DOCUMENTS, PA_DOCUMENTS, VEHICLE_DOCUMENTS
from hts.operators.models import DOCUMENT_HOLDERS, DOCUMENT_TYPES
from tests.demo.conftest import TODAY


def _facts(documents, holder_ref):
    return [DocumentFact(d.document_type, d.reference, d.issued_on, d.expires_on, d.status)
            for d in documents if d.holder_ref == holder_ref]


def test_exactly_one_operator_has_lapsed_public_liability_insurance(small_city):
    lapsed = {d.holder_ref for d in small_city.documents
              if d.holder_type == "operator" and d.expires_on and d.expires_on < TODAY}
    assert lapsed == {small_city.lapsed_operator_ref}
    assert small_city.lapsed_operator_ref != small_city.account_operator_ref
    verdict = evaluate(HolderFact("operator"), _facts(small_city.documents, small_city.lapsed_operator_ref), TODAY)
    assert not verdict.ok
    assert any("public liability insurance" in reason for reason in verdict.reasons)


def test_the_lapsed_operator_still_runs_routes(small_city):
    assert any(r.operator_ref == small_city.lapsed_operator_ref for r in small_city.routes)


def test_every_holder_has_the_documents_its_role_needs(small_city):
    held: dict[str, set[str]] = {}
    for d in small_city.documents:
        held.setdefault(d.holder_ref, set()).add(d.document_type)
        assert d.document_type in DOCUMENT_TYPES and d.document_type in DOCUMENT_HOLDERS[d.holder_type]
    for person in small_city.fleet.staff:
        needed = DRIVER_DOCUMENTS if person.role == "driver" else PA_DOCUMENTS
        assert {"dbs_enhanced", *needed} <= held[person.staff_ref]
    for vehicle in small_city.fleet.vehicles:
        needed = set(VEHICLE_DOCUMENTS) - ({"vehicle_licence"} if vehicle.spec.seats > 8 else set())
        assert needed <= held[vehicle.registration]
        if vehicle.spec.seats > 8:
            assert "psv_operator_licence" in held[vehicle.operator_ref]


def test_dbs_certificates_carry_12_digit_numbers_and_update_checks_a_result_code(small_city):
    dbs = [d for d in small_city.documents if d.document_type == "dbs_enhanced"]
    assert dbs and all(re.fullmatch(r"\d{12}", d.reference) for d in dbs)
    checks = [d for d in small_city.documents if d.document_type == "dbs_update_check"]
    assert checks
    assert {d.status for d in checks} <= {"BLANK_NO_NEW_INFO", "NON_BLANK_NO_NEW_INFO", "NEW_INFO"}
    assert all(d.issued_on is not None and d.issued_on <= TODAY for d in checks)


def test_most_documents_are_valid_some_expire_within_30_days_and_some_have_expired(small_city):
    dated = [d for d in small_city.documents if d.expires_on is not None]
    soon = [d for d in dated if TODAY <= d.expires_on <= TODAY + dt.timedelta(days=30)]
    gone = [d for d in dated if d.expires_on < TODAY]
    assert soon and gone
    assert len(soon) + len(gone) < 0.15 * len(dated)
    assert all(d.issued_on is None or d.issued_on <= TODAY for d in small_city.documents)


def test_most_staff_are_compliant_but_not_all(small_city):
    verdicts = [evaluate(HolderFact(person.role), _facts(small_city.documents, person.staff_ref), TODAY)
                for person in small_city.fleet.staff]
    compliant = sum(v.ok for v in verdicts) / len(verdicts)
    assert 0.75 <= compliant < 1
