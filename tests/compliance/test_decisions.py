"""Operator decisions, mobilisation readiness and gateway reviews."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hts.audit.models import AuditEntry
from hts.compliance.decisions import DecisionRefused, decide, history
from hts.compliance.models import DecisionKind, ReviewOutcome
from hts.compliance.readiness import readiness
from hts.compliance.reviews import (
    ReviewRefused,
    complete_review,
    open_review,
    record_item,
    reviews_due,
    sample_size,
)
from hts.compliance.rules import Policy
from hts.operators.models import StaffRole
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle

DAY = dt.date(2026, 11, 25)


def test_suspend_then_reinstate_is_recorded_with_reason_person_and_date(db_session):
    operator = factories.make_operator(db_session)
    decide(db_session, operator, kind="suspended", reason="lapsed insurance", decided_by="J. Smith", decided_on=DAY)
    decide(db_session, operator, kind="reinstated", reason="insurance renewed", decided_by="A. Khan",
           decided_on=DAY + dt.timedelta(days=2))
    assert [(d.kind, d.decided_by) for d in history(db_session, operator)] == [
        (DecisionKind.REINSTATED, "A. Khan"), (DecisionKind.SUSPENDED, "J. Smith")]
    logged = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "operator_decision")).all()
    assert [e.after["reason"] for e in logged] == ["lapsed insurance", "insurance renewed"]


@pytest.mark.parametrize(("steps", "attempt", "message"), [
    ([], "reinstated", "is not suspended"),
    (["suspended"], "suspended", "already suspended"),
    (["terminated"], "reinstated", "needs a new contract"),
])
def test_decisions_that_make_no_sense_are_refused(db_session, steps, attempt, message):
    operator = factories.make_operator(db_session)
    for kind in steps:
        decide(db_session, operator, kind=kind, reason="r", decided_by="J. Smith", decided_on=DAY)
    with pytest.raises(DecisionRefused, match=message):
        decide(db_session, operator, kind=attempt, reason="r", decided_by="J. Smith", decided_on=DAY)


def test_a_decision_needs_a_reason(db_session):
    with pytest.raises(DecisionRefused, match="Give the reason"):
        decide(db_session, factories.make_operator(db_session), kind="suspended", reason=" ",
               decided_by="J. Smith", decided_on=DAY)


def test_terminating_an_operator_unassigns_its_routes_for_re_procurement(db_session):
    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator)
    routes = [factories.make_route(db_session, operator=operator, driver=driver, route_code=f"T-{i}") for i in (2, 1)]
    other = factories.make_route(db_session, operator=compliant_operator(db_session), route_code="T-9")
    outcome = decide(db_session, operator, kind="terminated", reason="failed gateway review",
                     decided_by="J. Smith", decided_on=DAY)
    assert outcome.unassigned_routes == ["T-1", "T-2"]
    assert all(r.operator is None and r.driver is None and r.version == 2 for r in routes)
    assert other.operator is not None


def test_readiness_lists_what_each_route_lacks(db_session):
    operator = compliant_operator(db_session)
    factories.make_route(db_session, pupils=[factories.make_pupil(db_session)], operator=operator,
                                 driver=compliant_staff(db_session, operator),
                                 vehicle=compliant_vehicle(db_session, operator), route_code="READY")
    pupil = factories.make_pupil(db_session, passenger_assistant=True)
    lapsed = compliant_staff(db_session, operator, driver_badge=DAY - dt.timedelta(days=1))
    factories.make_route(db_session, school=pupil.school, pupils=[pupil], operator=operator,
                                   driver=lapsed, route_code="PARTIAL")
    board = readiness(db_session, DAY, Policy(), operator_id=operator.id)
    by_code = {r.route_code: r for r in board.routes}
    assert by_code["READY"].ready
    assert by_code["PARTIAL"].missing == (
        "no vehicle",
        f"driver {lapsed.staff_ref} not compliant: driver badge expired 2026-11-24",
        "no passenger assistant",
    )
    assert board.share_ready == 0.5


def test_readiness_of_no_routes_is_not_a_division_by_zero(db_session):
    assert readiness(db_session, DAY, Policy(), operator_id=-1).share_ready is None


@pytest.mark.parametrize(("count", "share", "size"), [(0, 0.1, 0), (3, 0.1, 1), (10, 0.1, 1), (11, 0.1, 2), (5, 1.0, 5)])
def test_the_sample_is_the_share_rounded_up_and_at_least_one(count, share, size):
    assert sample_size(count, share) == size


def test_a_gateway_review_samples_staff_records_evidence_and_takes_the_worst_outcome(db_session):
    operator = factories.make_operator(db_session)
    for _ in range(12):
        factories.make_staff(db_session, operator=operator, role=StaffRole.DRIVER)
    review = open_review(db_session, operator, reviewer="P. Officer", opened_on=DAY, share=0.1)
    assert len(review.items) == 2
    again = sorted(i.staff.staff_ref for i in review.items)
    with pytest.raises(ReviewRefused, match="every sampled person"):
        complete_review(review, completed_on=DAY)
    record_item(review.items[0], evidence_seen="DBS certificate and badge sighted", outcome="satisfactory")
    record_item(review.items[1], evidence_seen="Badge sighted; DBS not produced", outcome="concerns",
                notes="asked for certificate by Friday")
    complete_review(review, completed_on=DAY + dt.timedelta(days=1), notes="follow up DBS")
    assert review.outcome == ReviewOutcome.CONCERNS
    with pytest.raises(ReviewRefused, match="complete"):
        record_item(review.items[0], evidence_seen="x", outcome="failed")
    assert again == sorted(i.staff.staff_ref for i in review.items)


def test_evidence_must_be_described(db_session):
    operator = factories.make_operator(db_session)
    factories.make_staff(db_session, operator=operator)
    review = open_review(db_session, operator, reviewer="P. Officer", opened_on=DAY, share=0.1)
    with pytest.raises(ReviewRefused, match="Describe the evidence"):
        record_item(review.items[0], evidence_seen="  ", outcome="satisfactory")


def test_reviews_fall_due_a_term_after_the_last_completed_one(db_session):
    operator = factories.make_operator(db_session)
    factories.make_staff(db_session, operator=operator)
    factories.make_operator(db_session)  # no staff: nothing to review
    due = [d for d in reviews_due(db_session, DAY, 122) if d.operator_id == operator.id]
    assert due and due[0].overdue and due[0].last_completed_on is None
    review = open_review(db_session, operator, reviewer="P. Officer", opened_on=DAY, share=0.5)
    for item in review.items:
        record_item(item, evidence_seen="all sighted", outcome="satisfactory")
    complete_review(review, completed_on=DAY)
    assert all(d.operator_id != operator.id for d in reviews_due(db_session, DAY + dt.timedelta(days=121), 122))
    later = [d for d in reviews_due(db_session, DAY + dt.timedelta(days=123), 122) if d.operator_id == operator.id]
    assert later[0].due_on == DAY + dt.timedelta(days=122) and later[0].overdue
