"""The assignment gate: refused with reasons for non-compliance, misfit or missing PA."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hts import weekdays
from hts.compliance.gates import AssignmentRefused, assign, service_days
from hts.compliance.models import DecisionKind, OperatorDecision
from hts.compliance.rules import Policy
from hts.operations.models import Run, RunStatus
from hts.operations.runs import generate_runs
from hts.operators.models import StaffRole, VehicleType
from hts.routing import changes, versions
from tests import factories
from tests.routing.test_changes import MONDAY, draft_dropping_last_pupil, no_breaches, publish

TODAY = dt.date(2026, 11, 25)  # a Wednesday
STAFF_DOCS = {
    StaffRole.DRIVER: ("dbs_enhanced", "driving_licence", "driver_badge", "safeguarding_training", "council_id_badge"),
    StaffRole.PASSENGER_ASSISTANT: ("dbs_enhanced", "safeguarding_training", "pa_training", "council_id_badge"),
}


def compliant_staff(session, operator, role=StaffRole.DRIVER, **expiry):
    staff = factories.make_staff(session, operator=operator, role=role)
    for kind in STAFF_DOCS[role]:
        factories.make_document(session, holder=staff, document_type=kind, issued_on=dt.date(2025, 6, 1),
                                expires_on=expiry.get(kind))
    return staff


def compliant_operator(session):
    operator = factories.make_operator(session)
    for kind in ("operator_licence", "public_liability_insurance", "employers_liability_insurance", "contract"):
        factories.make_document(session, holder=operator, document_type=kind, issued_on=dt.date(2025, 6, 1))
    return operator


def compliant_vehicle(session, operator, **kw):
    vehicle = factories.make_vehicle(session, operator=operator, **kw)
    for kind in ("vehicle_licence", "mot", "vehicle_insurance"):
        factories.make_document(session, holder=vehicle, document_type=kind, issued_on=dt.date(2025, 6, 1))
    return vehicle


def test_service_days_are_the_routes_weekdays_in_the_coming_week():
    days = service_days(weekdays.parse("Mon Fri"), TODAY)
    assert days == [dt.date(2026, 11, 27), dt.date(2026, 11, 30)]


def test_a_compliant_crew_that_fits_is_assigned_and_the_route_version_moves(db_session):
    operator = compliant_operator(db_session)
    route = factories.make_route(db_session, pupils=[factories.make_pupil(db_session)])
    driver = compliant_staff(db_session, operator)
    vehicle = compliant_vehicle(db_session, operator)
    assign(db_session, route, today=TODAY, policy=Policy(), operator=operator, vehicle=vehicle, driver=driver)
    assert (route.operator, route.vehicle, route.driver, route.version) == (operator, vehicle, driver, 2)


def test_a_driver_whose_badge_lapses_within_the_week_is_refused(db_session):
    operator = compliant_operator(db_session)
    route = factories.make_route(db_session, pupils=[factories.make_pupil(db_session)])
    driver = compliant_staff(db_session, operator, driver_badge=dt.date(2026, 11, 27))
    with pytest.raises(AssignmentRefused) as refused:
        assign(db_session, route, today=TODAY, policy=Policy(), operator=operator, driver=driver)
    assert refused.value.reasons == [f"driver {driver.staff_ref} on 2026-11-30: driver badge expired 2026-11-27"]
    assert route.driver is None


def test_a_vehicle_too_small_for_a_wheelchair_and_a_missing_pa_are_both_reported(db_session):
    operator = compliant_operator(db_session)
    pupils = [factories.make_pupil(db_session, wheelchair=True, passenger_assistant=True)]
    route = factories.make_route(db_session, school=pupils[0].school, pupils=pupils)
    car = compliant_vehicle(db_session, operator, vehicle_type=VehicleType.CAR, seats=4, wheelchair_spaces=0)
    with pytest.raises(AssignmentRefused) as refused:
        assign(db_session, route, today=TODAY, policy=Policy(), operator=operator, vehicle=car)
    assert refused.value.reasons == [
        f"vehicle {car.registration} has 0 wheelchair spaces; the route needs 1",
        "a pupil on this route needs a passenger assistant and none is assigned",
    ]


def test_staff_of_another_operator_and_the_wrong_role_are_refused(db_session):
    operator, other = compliant_operator(db_session), compliant_operator(db_session)
    route = factories.make_route(db_session, operator=operator)
    stranger = compliant_staff(db_session, other)
    assistant = compliant_staff(db_session, operator, role=StaffRole.PASSENGER_ASSISTANT)
    with pytest.raises(AssignmentRefused) as refused:
        assign(db_session, route, today=TODAY, policy=Policy(), driver=assistant, pa=stranger)
    assert f"{assistant.staff_ref} is a passenger assistant, not a driver" in refused.value.reasons
    assert f"passenger assistant {stranger.staff_ref} belongs to another operator, not {operator.operator_ref}" \
        in refused.value.reasons


def test_a_suspended_operators_driver_is_refused(db_session):
    operator = compliant_operator(db_session)
    route = factories.make_route(db_session, operator=operator)
    driver = compliant_staff(db_session, operator)
    db_session.add(OperatorDecision(operator=operator, kind=DecisionKind.SUSPENDED, reason="lapsed insurance",
                                    decided_by="J. Smith", decided_on=TODAY))
    db_session.flush()
    with pytest.raises(AssignmentRefused) as refused:
        assign(db_session, route, today=TODAY, policy=Policy(), driver=driver)
    assert any("suspended by J. Smith" in r for r in refused.value.reasons)


def test_the_cli_exits_3_and_prints_the_reasons_on_refusal(cli, db_session):
    operator = compliant_operator(db_session)
    route = factories.make_route(db_session, operator=operator, route_code="AM-CLI-1")
    driver = factories.make_staff(db_session, operator=operator)  # no documents at all
    result = cli("routes", "assign", "AM-CLI-1", "--driver", driver.staff_ref, "--date", "2026-11-25")
    assert result.exit_code == 3
    assert "no enhanced DBS on record" in result.output
    assert route.driver is None
    good = compliant_staff(db_session, operator)
    ok = cli("routes", "assign", "AM-CLI-1", "--driver", good.staff_ref, "--date", "2026-11-25")
    assert ok.exit_code == 0, ok.output
    assert "Assigned AM-CLI-1 (version 2)" in ok.output


def test_the_cli_names_an_unknown_reference_with_exit_code_2(cli, db_session):
    factories.make_route(db_session, route_code="AM-CLI-2")
    result = cli("routes", "assign", "AM-CLI-2", "--vehicle", "NO SUCH")
    assert result.exit_code == 2
    assert "no vehicle 'NO SUCH'" in result.output


def test_a_passenger_assistant_takes_one_of_the_seats(db_session):
    operator = compliant_operator(db_session)
    pupils = [factories.make_pupil(db_session, passenger_assistant=(i == 0)) for i in range(4)]
    school = pupils[0].school
    for p in pupils[1:]:
        p.school = school
    route = factories.make_route(db_session, school=school, pupils=pupils)
    car = compliant_vehicle(db_session, operator, seats=4)
    pa = compliant_staff(db_session, operator, role=StaffRole.PASSENGER_ASSISTANT)
    with pytest.raises(AssignmentRefused) as refused:
        assign(db_session, route, today=TODAY, policy=Policy(), operator=operator, vehicle=car, pa=pa)
    assert refused.value.reasons == [f"vehicle {car.registration} has 4 seats; the route needs 5 (with the PA)"]


# --- a crew change and the versions published for later dates ------------------------------------


def _planners(db_session):
    """A planner and a planner who may approve route changes."""
    planner = factories.make_user(db_session, role="planner")
    approver = factories.make_user(db_session, role="planner")
    approver.route_approver = True
    return planner, approver


def _published_for_later(db_session, route, effective):
    """A change dropping the route's first pickup, published today for `effective`."""
    planner, approver = _planners(db_session)
    change = draft_dropping_last_pupil(db_session, planner, route, effective=effective)
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    publish(db_session, change, planner)
    return change


LATER = MONDAY + dt.timedelta(days=14)


def _route(db_session, pupils=3, operator=None):
    school = factories.make_school(db_session)
    return factories.make_route(db_session, school=school, operator=operator,
                                pupils=[factories.make_pupil(db_session, school=school) for _ in range(pupils)])


def _route_with_a_later_change(db_session, pupils=3, operator=None):
    """A route and a change to it published on MONDAY for LATER."""
    route = _route(db_session, pupils, operator)
    _published_for_later(db_session, route, LATER)
    return route


def test_a_crew_change_keeps_a_change_published_for_a_later_date_and_the_change_keeps_the_crew(db_session):
    route = _route_with_a_later_change(db_session)
    assert versions.pending_version(db_session, route.id, LATER).version == 2

    operator = compliant_operator(db_session)
    driver = compliant_staff(db_session, operator)
    assign(db_session, route, today=MONDAY, policy=Policy(), operator=operator, driver=driver)

    assert route.version == 2 and route.driver_id == driver.id and len(route.stops) == 4  # today's route
    pending = versions.pending_version(db_session, route.id, LATER)
    assert pending is not None and pending.version == 3  # still to come, one number up
    assert (pending.snapshot["operator_id"], pending.snapshot["driver_id"]) == (operator.id, driver.id)
    generate_runs(db_session, LATER)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == LATER))
    assert (run.route_version, run.driver_id, run.pupils_expected) == (3, driver.id, 2)


def test_a_later_version_that_hands_the_route_to_another_operator_keeps_that_operator(db_session):
    first = compliant_operator(db_session)
    route = _route_with_a_later_change(db_session, 2, first)
    handover = factories.make_operator(db_session)
    stored = versions.pending_version(db_session, route.id, LATER)
    stored.snapshot = {**stored.snapshot, "operator_id": handover.id}
    db_session.flush()

    driver = compliant_staff(db_session, first)
    assign(db_session, route, today=MONDAY, policy=Policy(), driver=driver)
    snapshot = versions.pending_version(db_session, route.id, LATER).snapshot
    assert snapshot["operator_id"] == handover.id  # published on purpose: kept
    assert snapshot["driver_id"] == driver.id  # it had the old (no) driver: carried forward


def test_a_draft_made_before_a_crew_change_must_be_redrawn(db_session):
    route = _route(db_session)
    planner, approver = _planners(db_session)
    draft = draft_dropping_last_pupil(db_session, planner, route, effective=LATER)
    operator = compliant_operator(db_session)
    assign(db_session, route, today=MONDAY, policy=Policy(), operator=operator, driver=compliant_staff(db_session, operator))
    changes.submit(db_session, draft, planner, check=no_breaches)
    changes.approve(db_session, draft, approver)
    with pytest.raises(changes.ChangeRefused, match="version 2 is published"):
        publish(db_session, draft, planner)  # its snapshot has the crew before the change


def test_runs_already_made_that_have_not_started_take_the_new_crew(db_session):
    operator = compliant_operator(db_session)
    route = _route(db_session, 1, operator)
    tuesday = MONDAY + dt.timedelta(days=1)
    generate_runs(db_session, MONDAY)
    generate_runs(db_session, tuesday)
    started = db_session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == MONDAY))
    started.status = RunStatus.UNDER_WAY
    db_session.flush()

    driver = compliant_staff(db_session, operator)
    assign(db_session, route, today=MONDAY, policy=Policy(), driver=driver)
    runs = {run.run_on: run for run in db_session.scalars(select(Run).where(Run.route_id == route.id))}
    assert runs[MONDAY].driver_id is None  # under way: what happened stands
    assert (runs[tuesday].driver, runs[tuesday].route_version) == (driver, 2)


def test_crew_a_later_version_carries_onto_runs_already_made_is_checked_like_any_generation(db_session):
    first = compliant_operator(db_session)
    route = _route_with_a_later_change(db_session, 2, first)
    newcomer = factories.make_operator(db_session)  # no documents: not compliant
    their_driver = factories.make_staff(db_session, operator=newcomer)
    stored = versions.pending_version(db_session, route.id, LATER)
    stored.snapshot = {**stored.snapshot, "operator_id": newcomer.id, "driver_id": their_driver.id}
    db_session.flush()
    generate_runs(db_session, LATER)  # made, not yet swept

    assign(db_session, route, today=MONDAY, policy=Policy(), driver=compliant_staff(db_session, first))
    run = db_session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == LATER))
    assert (run.operator_id, run.route_version) == (newcomer.id, 3)
    assert run.driver_id is None  # taken off: not compliant on the day
