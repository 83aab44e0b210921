"""Keyword-only factories that add a valid row with sensible defaults and flush it."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from hts import weekdays
from hts.auth.models import Role, User
from hts.auth.service import create_user
from hts.operators.models import (
    Document,
    HolderType,
    Operator,
    Staff,
    StaffRole,
    Vehicle,
    VehicleType,
)
from hts.people.models import Pupil, PupilAddress, School
from hts.routing.models import Route, RouteStop, StopKind

_serial = itertools.count(1)


def _next() -> int:
    return next(_serial)


def make_school(session: Session, **kw: Any) -> School:
    """A school in central Birmingham starting at 09:00."""
    n = _next()
    values = dict(
        urn=f"9{n:05d}", name=f"Test School {n}", postcode="B1 1AA", latitude=52.48,
        longitude=-1.90, start_time=dt.time(9, 0), finish_time=dt.time(15, 15),
    )
    values.update(kw)
    school = School(**values)
    session.add(school)
    session.flush()
    return school


def make_pupil(session: Session, *, school: School | None = None, latitude: float = 52.50,
               longitude: float = -1.85, **kw: Any) -> Pupil:
    """A pupil aged about 10 with one home address."""
    n = _next()
    school = school or make_school(session)
    values = dict(
        pupil_ref=f"P{n:06d}", first_name="Sam", last_name=f"Pupil{n}",
        date_of_birth=dt.date(2016, 5, 1), school=school, travel_days=weekdays.SCHOOL_DAYS,
    )
    values.update(kw)
    pupil = Pupil(**values)
    pupil.addresses.append(
        PupilAddress(is_main=True, address=f"{n} Test Road", postcode="B2 2BB",
                     latitude=latitude, longitude=longitude, days=weekdays.SCHOOL_DAYS)
    )
    session.add(pupil)
    session.flush()
    return pupil


def make_operator(session: Session, **kw: Any) -> Operator:
    """An operator with a depot in Birmingham."""
    n = _next()
    values = dict(
        operator_ref=f"OP{n:04d}", name=f"Test Cars {n} Ltd", contact_email=f"ops{n}@example.com",
        depot_postcode="B3 3CC", depot_latitude=52.47, depot_longitude=-1.88,
    )
    values.update(kw)
    operator = Operator(**values)
    session.add(operator)
    session.flush()
    return operator


def make_staff(session: Session, *, operator: Operator | None = None,
               role: StaffRole = StaffRole.DRIVER, **kw: Any) -> Staff:
    """A driver (or passenger assistant) of an operator."""
    n = _next()
    values = dict(
        staff_ref=f"S{n:05d}", operator=operator or make_operator(session), role=role,
        first_name="Alex", last_name=f"Staff{n}", date_of_birth=dt.date(1980, 1, 1),
    )
    values.update(kw)
    staff = Staff(**values)
    session.add(staff)
    session.flush()
    return staff


def make_vehicle(session: Session, *, operator: Operator | None = None, **kw: Any) -> Vehicle:
    """A four-seat car of an operator."""
    n = _next()
    values = dict(
        registration=f"TE{n:02d} ABC", operator=operator or make_operator(session),
        vehicle_type=VehicleType.CAR, seats=4, wheelchair_spaces=0,
    )
    values.update(kw)
    vehicle = Vehicle(**values)
    session.add(vehicle)
    session.flush()
    return vehicle


def make_document(session: Session, *, holder: Operator | Staff | Vehicle, **kw: Any) -> Document:
    """A verified document held by an operator, member of staff or vehicle."""
    n = _next()
    holder_type = {Operator: HolderType.OPERATOR, Staff: HolderType.STAFF, Vehicle: HolderType.VEHICLE}[type(holder)]
    values: dict[str, Any] = dict(
        holder_type=holder_type, document_type="dbs_enhanced", reference=f"{n:012d}",
        issued_on=dt.date(2025, 1, 1), expires_on=None, status="verified",
    )
    values[holder_type.value] = holder
    values.update(kw)
    document = Document(**values)
    session.add(document)
    session.flush()
    return document


def make_route(session: Session, *, school: School | None = None, pupils: list[Pupil] | None = None,
               **kw: Any) -> Route:
    """A morning route picking up the given pupils (one stop each) and arriving at school."""
    n = _next()
    school = school or make_school(session)
    values = dict(route_code=f"R{n:05d}", session="am", school=school, daily_price_pence=10000)
    values.update(kw)
    route = Route(**values)
    minute = 0
    for sequence, pupil in enumerate(pupils or [], start=1):
        address = pupil.addresses[0]
        route.stops.append(RouteStop(sequence=sequence, kind=StopKind.PICKUP, latitude=address.latitude,
                                     longitude=address.longitude, planned_time=dt.time(8, minute),
                                     pupils=[pupil]))
        minute += 5
    route.stops.append(RouteStop(sequence=len(route.stops) + 1, kind=StopKind.SCHOOL, school=school,
                                 latitude=school.latitude, longitude=school.longitude,
                                 planned_time=dt.time(8, 50)))
    session.add(route)
    session.flush()
    return route


def make_shared_route(session: Session) -> tuple[Route, School, School, Pupil, Pupil]:
    """A morning route of one school that also carries a pupil of a nearby school starting earlier:
    it calls there first (8:45), then at its own (9:00). Returns (route, own school, nearby school,
    own pupil, nearby pupil)."""
    own = make_school(session, name="Own School", start_time=dt.time(9, 0))
    other = make_school(session, name="Nearby School", start_time=dt.time(8, 45))
    mine, theirs = make_pupil(session, school=own), make_pupil(session, school=other)
    route = make_route(session, school=own, pupils=[mine, theirs], route_code="SHARED-1")
    own_stop = route.stops[-1]
    own_stop.sequence += 1
    route.stops.insert(-1, RouteStop(sequence=own_stop.sequence - 1, kind=StopKind.SCHOOL, school=other,
                                     latitude=other.latitude, longitude=other.longitude,
                                     planned_time=dt.time(8, 40)))
    session.flush()
    return route, own, other, mine, theirs


def make_user(session: Session, *, role: str | Role = Role.PLANNER, password: str = "correct horse battery 9",
              operator: Operator | None = None, **kw: Any) -> User:
    """An active account of a role; operator accounts get an operator if none is given."""
    n = _next()
    role = Role(role)
    if role == Role.OPERATOR and operator is None:
        operator = make_operator(session)
    return create_user(
        session, email=kw.get("email", f"user{n}@council.example"), name=kw.get("name", f"User {n}"),
        role=role, password=password, operator_ref=operator.operator_ref if operator else None,
    )
