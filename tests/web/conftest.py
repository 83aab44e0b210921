"""A small world of records for the web tests: two operators, each with a route and its crew."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from hts import weekdays
from hts.audit.log import Actor, set_actor
from hts.compliance.models import GatewayReview, GatewayReviewItem
from hts.operations.models import BusPassApplication, Complaint, Run, SafeguardingCase
from hts.operators.models import Document, Operator, Staff, StaffRole, Vehicle, VehicleType
from hts.people.models import Pupil, PupilAddress, School
from hts.routing import versions
from hts.routing.models import (
    ChangeAction,
    ChangeRequest,
    DraftPlan,
    Route,
    RouteChange,
    RouteVersion,
)
from hts.routing.models import Session as RouteSession
from tests import factories


@dataclass
class Fleet:
    """One operator with a driver, a passenger assistant, a vehicle, documents and a route."""

    operator: Operator
    driver: Staff
    pa: Staff
    vehicle: Vehicle
    document: Document
    route: Route


@dataclass
class World:
    """A school, a pupil with a shared-care address, and two operators' fleets."""

    school: School
    pupil: Pupil
    ours: Fleet
    theirs: Fleet


def _fleet(session: Session, school: School, pupil: Pupil, name: str, code: str) -> Fleet:
    operator = factories.make_operator(session, name=name)
    driver = factories.make_staff(session, operator=operator, first_name="Dee", last_name=f"Driver {name}")
    pa = factories.make_staff(session, operator=operator, role=StaffRole.PASSENGER_ASSISTANT,
                              first_name="Pat", last_name=f"Assistant {name}")
    vehicle = factories.make_vehicle(session, operator=operator, vehicle_type=VehicleType.WAV,
                                     seats=6, wheelchair_spaces=1)
    document = factories.make_document(session, holder=driver, reference=f"{code}DBS0000001")
    factories.make_document(session, holder=operator, document_type="public_liability_insurance",
                            reference=f"{code}-PLI", expires_on=dt.date(2099, 1, 1))
    factories.make_document(session, holder=vehicle, document_type="mot", reference=f"{code}-MOT",
                            expires_on=dt.date(2099, 1, 1))
    route = factories.make_route(session, school=school, pupils=[pupil], route_code=code,
                                 operator=operator, vehicle=vehicle, driver=driver, pa=pa)
    return Fleet(operator, driver, pa, vehicle, document, route)


@pytest.fixture(autouse=True)
def neutral_audit_actor() -> None:
    """Start each test with a neutral audit actor.

    A request in an earlier test leaves its signed-in user as this thread's actor; that user
    was rolled back, so rows made before this test's first request would point at nobody.
    """
    set_actor(Actor("tests"))


@pytest.fixture
def world(db_session: Session) -> World:
    """Records every page can show; `ours` is the operator the operator user belongs to."""
    school = factories.make_school(db_session, name="Oakfield Academy")
    pupil = factories.make_pupil(db_session, school=school, first_name="Ruby", last_name="Quill",
                                 wheelchair=True, max_ride_minutes=45)
    pupil.addresses.append(
        PupilAddress(is_main=False, address="7 Elm Row", postcode="B5 5EE", latitude=52.46,
                     longitude=-1.89, days=weekdays.parse("Thu Fri"))
    )
    db_session.flush()
    ours = _fleet(db_session, school, pupil, "Ourtown Cars", "ROUTE-OURS")
    theirs = _fleet(db_session, school, pupil, "Theirville Taxis", "ROUTE-THEIRS")
    return World(school, pupil, ours, theirs)


@dataclass
class Casework:
    """One record for each page of another domain that shows a single record."""

    run: Run
    complaint: Complaint
    case: SafeguardingCase
    bus_pass: BusPassApplication
    plan: DraftPlan
    review: GatewayReview
    change: ChangeRequest
    version: RouteVersion


@pytest.fixture
def casework(db_session: Session, world: World) -> Casework:
    """A run of our route, a complaint, a safeguarding case, a bus pass application, a draft plan
    and a gateway review of our operator."""
    route = world.ours.route
    day = dt.date(2026, 3, 2)
    run = Run(route_id=route.id, run_on=day, session=str(route.session), route_version=route.version,
              school_id=route.school_id, operator_id=route.operator_id, due_at_school=dt.time(9, 0))
    complaint = Complaint(reference="C-TEST-1", received_on=day, category="late",
                          response_due_on=day + dt.timedelta(days=10), route_id=route.id)
    case = SafeguardingCase(reference="S-TEST-1", opened_on=day, category="conduct", route_id=route.id)
    bus_pass = BusPassApplication(reference="B-TEST-1", received_on=day)
    plan = DraftPlan(session=RouteSession.AM, weekday=0, school_urns=[world.school.urn], time_limit_seconds=1,
                     requested_by="planner@council.example")
    review = GatewayReview(operator_id=world.ours.operator.id, opened_on=day, reviewer="compliance@council.example")
    review.items.append(GatewayReviewItem(staff_id=world.ours.driver.id))
    change = ChangeRequest(title="Move a pupil", effective_date=day)
    change.items.append(RouteChange(route=route, action=ChangeAction.MODIFY, route_code=route.route_code,
                                    proposed=versions.snapshot_of(route), open_key=f"route:{route.id}"))
    version = RouteVersion(route_id=route.id, version=route.version, effective_from=day,
                           snapshot=versions.snapshot_of(route), published_by="planner@council.example")
    db_session.add_all([run, complaint, case, bus_pass, plan, review, change, version])
    db_session.flush()
    return Casework(run, complaint, case, bus_pass, plan, review, change, version)
