"""Importing routes: stops, planned times, crew and capacity rules, versions and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hts import weekdays
from hts.audit.models import AuditEntry
from hts.operators.models import StaffRole, VehicleType
from hts.people.models import PupilAddress
from hts.routing.matrix import HaversineProvider, Point
from hts.routing.models import Route, StopKind
from hts.routing.timing import StopLoad, TimingSettings, time_morning
from tests import factories
from tests.imports.conftest import csv_text, problems_of

HEADER = "route_code,session,school_urn,operator_ref,vehicle_registration,driver_ref,pa_ref,daily_price,pupil_refs,days"


@pytest.fixture
def city(db_session):
    """Two schools, pupils (two sharing a front door), an operator with crew and vehicles."""
    school = factories.make_school(db_session, urn="5001", latitude=52.48, longitude=-1.90,
                                   start_time=dt.time(9, 0), finish_time=dt.time(15, 15))
    other = factories.make_school(db_session, urn="5002")
    pupils = {
        "PA": factories.make_pupil(db_session, school=school, pupil_ref="PA", latitude=52.50, longitude=-1.85),
        "PB": factories.make_pupil(db_session, school=school, pupil_ref="PB", latitude=52.50, longitude=-1.85),
        "PC": factories.make_pupil(db_session, school=school, pupil_ref="PC", latitude=52.49, longitude=-1.87),
        "PW": factories.make_pupil(db_session, school=school, pupil_ref="PW", wheelchair=True),
        "PS": factories.make_pupil(db_session, school=school, pupil_ref="PS", solo=True),
        "PX": factories.make_pupil(db_session, school=other, pupil_ref="PX"),
    }
    operator = factories.make_operator(db_session, operator_ref="OP1")
    rival = factories.make_operator(db_session, operator_ref="OP2")
    factories.make_staff(db_session, operator=operator, staff_ref="D1")
    factories.make_staff(db_session, operator=operator, staff_ref="D2")
    factories.make_staff(db_session, operator=operator, staff_ref="A1", role=StaffRole.PASSENGER_ASSISTANT)
    factories.make_staff(db_session, operator=rival, staff_ref="A2", role=StaffRole.PASSENGER_ASSISTANT)
    factories.make_vehicle(db_session, operator=operator, registration="CAR 1", seats=4)
    factories.make_vehicle(db_session, operator=operator, registration="WAV 1", seats=4,
                           wheelchair_spaces=1, vehicle_type=VehicleType.WAV)
    factories.make_vehicle(db_session, operator=rival, registration="CAR 2", seats=4)
    factories.make_vehicle(db_session, operator=operator, registration="SMALL 1", seats=2)
    return {"school": school, "pupils": pupils}


def _route(db_session, code):
    return db_session.scalar(select(Route).where(Route.route_code == code))


def test_a_morning_route_gets_shared_stops_planned_times_and_its_price(city, load, db_session):
    report = load("routes", csv_text(HEADER, "AM1,am,5001,OP1,car 1,D1,,86.50,PA PB PC,"))
    assert report.ok, [p.text() for p in report.problems]
    route = _route(db_session, "AM1")
    assert [s.kind for s in route.stops] == [StopKind.PICKUP, StopKind.PICKUP, StopKind.SCHOOL]
    assert [sorted(p.pupil_ref for p in s.pupils) for s in route.stops] == [["PA", "PB"], ["PC"], []]
    assert route.daily_price_pence == 8650 and route.days == weekdays.SCHOOL_DAYS and route.version == 1
    expected = time_morning([StopLoad(Point(52.50, -1.85), walk_on=2), StopLoad(Point(52.49, -1.87), walk_on=1)],
                            Point(52.48, -1.90), dt.time(9, 0), TimingSettings(), HaversineProvider())
    assert [s.planned_time for s in route.stops] == list(expected.planned_times)
    assert route.stops[-1].planned_time == dt.time(8, 50)
    assert route.distance_metres == expected.total_metres > 0


def test_an_afternoon_route_starts_at_school_and_drops_off(city, load, db_session):
    assert load("routes", csv_text(HEADER, "PM1,pm,5001,OP1,WAV 1,D1,A1,0,PC PW,Mon Wed")).ok
    route = _route(db_session, "PM1")
    assert [s.kind for s in route.stops] == [StopKind.SCHOOL, StopKind.DROPOFF, StopKind.DROPOFF]
    assert route.stops[0].planned_time == dt.time(15, 15)
    assert route.days == 0b00101


def test_a_pupils_stop_is_their_address_on_the_routes_first_day(city, load, db_session):
    pupil = city["pupils"]["PC"]
    pupil.addresses[0].days = 0b00111
    pupil.addresses.append(PupilAddress(is_main=False, address="Dad's", postcode="B5 5EE", latitude=52.45,
                                        longitude=-1.80, days=0b11000))
    db_session.flush()
    assert load("routes", csv_text(HEADER, "AM2,am,5001,OP1,CAR 1,D1,,50,PC,Thu Fri")).ok
    first = _route(db_session, "AM2").stops[0]
    assert (first.latitude, first.longitude) == (52.45, -1.80)


def test_reimporting_a_route_changes_nothing_and_changing_pupils_bumps_the_version(city, load, db_session,
                                                                                  audit_count):
    load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D1,,86.50,PA PB PC,"))
    before = audit_count()
    again = load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D1,,86.50,PA PB PC,"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert audit_count() == before and _route(db_session, "AM1").version == 1
    changed = load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D1,,86.50,PC PA,"))
    assert changed.updated == 1
    route = _route(db_session, "AM1")
    assert route.version == 2 and [p.pupil_ref for p in route.pupils] == ["PC", "PA"]
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "route",
                                                          AuditEntry.entity_id == route.id)
                                 .order_by(AuditEntry.id))
    pupils = [(e.before, e.after) for e in entries if "pupils" in (e.after or {})]
    assert pupils == [({"pupils": ""}, {"pupils": "PA PB PC"}), ({"pupils": "PA PB PC"}, {"pupils": "PC PA"})]


def test_a_new_driver_bumps_the_version_but_a_new_price_does_not(city, load, db_session):
    load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D1,,86.50,PA,"))
    load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D1,,90,PA,"))
    assert _route(db_session, "AM1").version == 1
    load("routes", csv_text(HEADER, "AM1,am,5001,OP1,CAR 1,D2,,90,PA,"))
    assert _route(db_session, "AM1").version == 2


def test_route_rows_are_checked(city, load):
    report = load("routes", csv_text(
        HEADER,
        "R2,am,9999,OP1,,,,10,PA,",
        "R3,am,5001,OP1,CAR 2,,,10,PA,",
        "R4,am,5001,OP1,CAR 1,A1,D1,10,PA,",
        "R5,am,5001,OP1,WAV 1,D1,A2,10,PA,",
        "R6,am,5001,OP1,CAR 1,D1,,10,PW,",
        "R7,am,5001,OP1,CAR 1,D1,,10,PS PA,",
        "R8,am,5001,OP1,CAR 1,D1,,10,PX,",
        "R9,am,5001,OP1,CAR 1,D1,,ten,NOBODY,",
        "R10,noon,5001,,CAR 1,,,10,PB,",
        "R11,am,5001,OP1,CAR 1,D1,A1,10,PW,",
        "R12,am,5001,OP1,SMALL 1,D1,A1,10,PA PC,",
    ))
    assert problems_of(report) == [
        (2, "school_urn"), (3, "vehicle_registration"), (4, "driver_ref"), (4, "pa_ref"), (5, "pa_ref"),
        (6, "vehicle_registration"), (7, "pupil_refs"), (8, "pupil_refs"), (9, "daily_price"),
        (9, "pupil_refs"), (10, "operator_ref"), (10, "session"), (11, "vehicle_registration"),
        (12, "vehicle_registration"),
    ]
    text = {(p.line, p.column): p.message for p in report.problems}
    assert text[(3, "vehicle_registration")] == "vehicle CAR 2 belongs to another operator"
    assert text[(4, "driver_ref")] == "A1 is a passenger_assistant, not a driver"
    assert text[(5, "pa_ref")] == "A2 works for another operator"
    assert "travels in a wheelchair" in text[(6, "vehicle_registration")]
    assert "must travel alone" in text[(7, "pupil_refs")]
    assert "attends another school" in text[(8, "pupil_refs")]
    assert text[(12, "vehicle_registration")] == "3 seated passengers (with the PA) but the vehicle has 2 seats"


def test_a_pupil_cannot_ride_two_routes_of_the_same_session_on_the_same_day(city, load, db_session):
    factories.make_route(db_session, school=city["school"], pupils=[city["pupils"]["PC"]], route_code="OLD")
    report = load("routes", csv_text(
        HEADER,
        "AM1,am,5001,OP1,CAR 1,D1,,10,PA,Mon Tue",
        "AM2,am,5001,OP1,CAR 1,D1,,10,PA,Tue Wed",
        "AM3,am,5001,OP1,CAR 1,D1,,10,PB,Mon",
        "PM1,pm,5001,OP1,CAR 1,D1,,10,PB,Mon",
        "AM4,am,5001,OP1,CAR 1,D1,,10,PC,Fri",
        "AM1,am,5001,OP1,CAR 1,D1,,10,PS,",
    ))
    assert problems_of(report) == [(3, "pupil_refs"), (6, "pupil_refs"), (7, "route_code")]
    text = {p.line: p.message for p in report.problems}
    assert "already on am route AM1 (line 2) on Tue" in text[3]
    assert "already on am route OLD (the database) on Fri" in text[6]
    assert _route(db_session, "AM3") is None


def test_a_route_whose_crew_is_not_compliant_is_loaded_with_a_warning(db_session, app):
    """The file is the network as it stands; the planner is told what the gate would refuse."""
    import io

    from hts.imports.service import run_import

    operator = factories.make_operator(db_session, operator_ref="OPW")
    school = factories.make_school(db_session, urn="555001")
    pupil = factories.make_pupil(db_session, school=school, pupil_ref="PW1")
    driver = factories.make_staff(db_session, operator=operator, staff_ref="SW1")  # no documents
    text = ("route_code,session,school_urn,operator_ref,vehicle_registration,driver_ref,pa_ref,daily_price,pupil_refs\n"
            "RW-1,am,555001,OPW,,SW1,,95,PW1\n")
    report = run_import(db_session, "routes", io.BytesIO(text.encode()), filename="r.csv", config=app.config)
    assert report.ok, report.problems
    warning = next(w for w in report.warnings if w.startswith("route RW-1 is at risk"))
    assert "no vehicle assigned" in warning
    assert f"driver {driver.staff_ref}: no enhanced DBS on record" in warning
    assert pupil.pupil_ref == "PW1"
