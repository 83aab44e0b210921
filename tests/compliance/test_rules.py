"""Compliance rules, table-driven over document types and boundary dates."""

from __future__ import annotations

import datetime as dt

import pytest

from hts.compliance.rules import (
    Decision,
    DocumentFact,
    HolderFact,
    Policy,
    evaluate,
    expiring,
    warning_due,
)

DAY = dt.date(2026, 11, 25)
D = DocumentFact


def days(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def driver_docs(**replace: DocumentFact | None) -> list[DocumentFact]:
    docs = {
        "dbs_enhanced": D("dbs_enhanced", "001234567890", issued_on=days(-400)),
        "driving_licence": D("driving_licence", "SMITH801010J99AA", issued_on=days(-3000), expires_on=days(2000)),
        "driver_badge": D("driver_badge", "PH1234", issued_on=days(-300), expires_on=days(400)),
        "safeguarding_training": D("safeguarding_training", "SG1", issued_on=days(-200)),
        "council_id_badge": D("council_id_badge", "ID1", issued_on=days(-100), expires_on=days(265)),
    }
    docs.update(replace)
    return [d for d in docs.values() if d is not None]


def test_a_driver_with_every_document_in_force_is_compliant():
    assert evaluate(HolderFact("driver"), driver_docs(), DAY).ok


@pytest.mark.parametrize(
    ("replace", "reason"),
    [
        ({"driving_licence": None}, "no driving licence on record"),
        ({"driver_badge": D("driver_badge", "PH1", issued_on=days(-400), expires_on=days(-1))},
         f"driver badge expired {days(-1).isoformat()}"),
        ({"council_id_badge": D("council_id_badge", "ID", issued_on=days(-10), status="pending")},
         "council ID badge ID is pending, not verified"),
        ({"safeguarding_training": D("safeguarding_training", "SG", issued_on=days(-3 * 365 - 1))},
         f"safeguarding training issued {days(-3 * 365 - 1).isoformat()} is older than 3 years"),
        ({"dbs_enhanced": None}, "no enhanced DBS on record"),
        ({"driving_licence": D("driving_licence", "X", issued_on=days(3))},
         f"driving licence not valid until {days(3).isoformat()}"),
    ],
)
def test_a_driver_missing_one_document_is_refused_with_the_reason(replace, reason):
    verdict = evaluate(HolderFact("driver"), driver_docs(**replace), DAY)
    assert not verdict.ok
    assert verdict.reasons == (reason,)


@pytest.mark.parametrize(("expires", "ok"), [(0, True), (-1, False), (1, True)])
def test_a_document_is_in_force_up_to_and_including_its_expiry_date(expires, ok):
    docs = driver_docs(driver_badge=D("driver_badge", "PH", issued_on=days(-100), expires_on=days(expires)))
    assert evaluate(HolderFact("driver"), docs, DAY).ok is ok


@pytest.mark.parametrize(("age_days", "ok"), [(3 * 365, True), (3 * 365 + 1, False)])
def test_a_dbs_certificate_is_accepted_while_recent(age_days, ok):
    docs = driver_docs(dbs_enhanced=D("dbs_enhanced", "001234567890", issued_on=days(-age_days)))
    verdict = evaluate(HolderFact("driver"), docs, DAY)
    assert verdict.ok is ok
    if not ok:
        assert verdict.reasons == (
            f"enhanced DBS issued {days(-age_days).isoformat()} is older than 3 years and "
            "no Update Service check on record",
        )


@pytest.mark.parametrize(
    ("check_age", "result", "ok"),
    [
        (183, "BLANK_NO_NEW_INFO", True),
        (10, "NON_BLANK_NO_NEW_INFO", True),
        (184, "BLANK_NO_NEW_INFO", False),
    ],
)
def test_an_old_certificate_is_accepted_with_a_recent_clear_update_service_check(check_age, result, ok):
    docs = driver_docs(dbs_enhanced=D("dbs_enhanced", "001234567890", issued_on=days(-2000)))
    docs.append(D("dbs_update_check", "001234567890", issued_on=days(-check_age), status=result))
    verdict = evaluate(HolderFact("driver"), docs, DAY)
    assert verdict.ok is ok
    if not ok:
        assert f"the last Update Service check was on {days(-check_age).isoformat()}" in verdict.reasons[0]


@pytest.mark.parametrize("result", ["NEW_INFO", "NO_MATCH_FOUND"])
def test_new_information_takes_a_person_off_routes_even_with_a_new_certificate(result):
    docs = driver_docs()
    docs.append(D("dbs_update_check", "001234567890", issued_on=days(-1), status=result))
    verdict = evaluate(HolderFact("passenger_assistant"), docs + [D("pa_training", "PA", issued_on=days(-5))], DAY)
    assert not verdict.ok
    assert verdict.reasons[0].startswith(f"DBS Update Service check on {days(-1).isoformat()} returned {result}")


def test_a_check_dated_after_the_day_does_not_count_yet():
    docs = driver_docs()
    docs.append(D("dbs_update_check", "001234567890", issued_on=days(2), status="NEW_INFO"))
    assert evaluate(HolderFact("driver"), docs, DAY).ok


def test_a_passenger_assistant_needs_pa_training_not_a_driving_licence():
    docs = [
        D("dbs_enhanced", "001234567890", issued_on=days(-10)),
        D("safeguarding_training", "SG", issued_on=days(-10)),
        D("council_id_badge", "ID", issued_on=days(-10)),
    ]
    verdict = evaluate(HolderFact("passenger_assistant"), docs, DAY)
    assert verdict.reasons == ("no passenger assistant training on record",)


def test_staff_of_a_suspended_operator_are_not_compliant():
    decision = Decision("suspended", "J. Smith", dt.date(2026, 9, 1), "lapsed insurance")
    verdict = evaluate(HolderFact("driver", operator_decision=decision), driver_docs(), DAY)
    assert verdict.reasons == ("the operator was suspended by J. Smith on 2026-09-01: lapsed insurance",)


def operator_docs() -> list[DocumentFact]:
    return [
        D("operator_licence", "PHO1", issued_on=days(-100), expires_on=days(100)),
        D("public_liability_insurance", "PL1", issued_on=days(-100), expires_on=days(100)),
        D("employers_liability_insurance", "EL1", issued_on=days(-100), expires_on=days(100)),
        D("contract", "C1", issued_on=days(-100)),
    ]


def test_an_operator_with_lapsed_insurance_is_not_compliant():
    docs = [d for d in operator_docs() if d.document_type != "public_liability_insurance"]
    docs.append(D("public_liability_insurance", "PL0", issued_on=days(-400), expires_on=days(-35)))
    verdict = evaluate(HolderFact("operator"), docs, DAY)
    assert verdict.reasons == (f"public liability insurance expired {days(-35).isoformat()}",)


def test_an_operator_may_hold_a_psv_licence_instead_of_a_private_hire_licence():
    docs = [d for d in operator_docs() if d.document_type != "operator_licence"]
    assert not evaluate(HolderFact("operator"), docs, DAY).ok
    docs.append(D("psv_operator_licence", "PSV1", issued_on=days(-10), expires_on=days(1000)))
    assert evaluate(HolderFact("operator"), docs, DAY).ok


def test_a_small_vehicle_needs_a_plate_and_a_minibus_a_psv_licence_or_permit():
    car = [D("mot", "M", issued_on=days(-10), expires_on=days(355)),
           D("vehicle_insurance", "I", issued_on=days(-10), expires_on=days(355))]
    assert evaluate(HolderFact("vehicle", seats=4), car, DAY).reasons == ("no vehicle licence (plate) on record",)
    minibus = evaluate(HolderFact("vehicle", seats=16), car, DAY)
    assert "needs a PSV operator licence or a section 19 permit" in minibus.reasons[0]
    operator_psv = (D("psv_operator_licence", "PSV", issued_on=days(-10), expires_on=days(100)),)
    assert evaluate(HolderFact("vehicle", seats=16, operator_documents=operator_psv), car, DAY).ok


def test_thresholds_are_settings():
    docs = driver_docs(dbs_enhanced=D("dbs_enhanced", "001234567890", issued_on=days(-400)))
    assert not evaluate(HolderFact("driver"), docs, DAY, Policy(dbs_max_age_days=365)).ok


def test_expiry_warnings_fall_due_at_30_14_and_7_days():
    def doc(n):
        return D("mot", "M", issued_on=days(-300), expires_on=days(n))

    assert [warning_due(doc(n), DAY) for n in (31, 30, 15, 14, 8, 7, 0, -1)] == [None, 30, 30, 14, 14, 7, 7, None]
    assert [d.expires_on for d in expiring([doc(30), doc(31), doc(-1)], DAY, 30)] == [days(30)]
