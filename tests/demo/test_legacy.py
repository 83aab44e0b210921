"""The legacy network: hand-built routes that respect capacity and needs, with a few slow ones."""

from __future__ import annotations

from collections import Counter

from hts.demo.legacy import (
    OPERATORS_PER_SCHOOL,
    PRICE_PENCE,
    nearest_operators,
    ride_limit_minutes,
    ride_minutes,
)
from tests.demo.conftest import TODAY


def test_every_pupil_rides_one_morning_and_one_afternoon_route_to_their_own_school(small_city):
    rows = small_city.rows("routes")
    school_of = {p.pupil_ref: p.school_urn for p in small_city.pupils}
    for session in ("am", "pm"):
        seen = Counter(ref for row in rows if row[1] == session for ref in row[8].split())
        assert set(seen) == set(school_of) and set(seen.values()) == {1}
    for row in rows:
        assert all(school_of[ref] == row[2] for ref in row[8].split())


def test_the_afternoon_route_mirrors_the_morning_one(small_city):
    rows = {row[0]: row for row in small_city.rows("routes")}
    for code, row in rows.items():
        if row[1] == "am":
            twin = rows[code.replace("-AM", "-PM")]
            assert twin[8].split() == list(reversed(row[8].split()))
            assert twin[3:8] == row[3:8]


def test_routes_fit_their_vehicles_seats_and_wheelchair_spaces(small_city):
    vehicles = {v.registration: v.spec for v in small_city.fleet.vehicles}
    for route, crew in zip(small_city.routes, small_city.fleet.crews, strict=True):
        spec = vehicles[crew.registration]
        assert spec == route.vehicle
        chairs = sum(1 for p in route.pupils if p.wheelchair)
        assert chairs <= spec.wheelchair_spaces
        assert route.occupants <= spec.seats


def test_wheelchair_users_only_ride_vehicles_with_a_wheelchair_space(small_city):
    carrying = [r for r in small_city.routes if any(p.wheelchair for p in r.pupils)]
    assert carrying
    assert all(r.vehicle.vehicle_type == "wav" and r.vehicle.wheelchair_spaces >= 1 for r in carrying)


def test_pupils_who_must_travel_alone_are_alone(small_city):
    solo = [r for r in small_city.routes if any(p.solo for p in r.pupils)]
    assert solo
    assert all(len(r.pupils) == 1 for r in solo)


def test_a_passenger_assistant_of_the_same_operator_rides_when_any_pupil_needs_one(small_city):
    staff = {s.staff_ref: s for s in small_city.fleet.staff}
    vehicles = {v.registration: v for v in small_city.fleet.vehicles}
    for route, crew in zip(small_city.routes, small_city.fleet.crews, strict=True):
        needs = any(p.passenger_assistant for p in route.pupils)
        assert (crew.pa_ref is not None) == needs == route.needs_pa
        assert staff[crew.driver_ref].role == "driver"
        assert staff[crew.driver_ref].operator_ref == route.operator_ref
        assert vehicles[crew.registration].operator_ref == route.operator_ref
        if crew.pa_ref:
            assert staff[crew.pa_ref].role == "passenger_assistant"
            assert staff[crew.pa_ref].operator_ref == route.operator_ref


def test_nobody_drives_or_escorts_two_routes_in_a_session(small_city):
    people = [c.driver_ref for c in small_city.fleet.crews] + [c.pa_ref for c in small_city.fleet.crews if c.pa_ref]
    assert len(set(people)) == len(people)
    plates = [c.registration for c in small_city.fleet.crews]
    assert len(set(plates)) == len(plates)


def test_routes_go_to_one_of_the_nearest_operators_and_are_priced_by_vehicle_type(small_city):
    for route in small_city.routes:
        assert route.operator_ref in nearest_operators(route.school, small_city.operators,
                                                       OPERATORS_PER_SCHOOL)
        assert route.price_pence == PRICE_PENCE[route.vehicle.vehicle_type]
    prices = {row[7] for row in small_city.rows("routes")}
    assert prices <= {f"{p / 100:.2f}" for p in PRICE_PENCE.values()}


def test_most_routes_keep_to_ride_time_limits_but_a_few_run_over(small_city):
    over = 0
    for session in ("am", "pm"):
        for route in small_city.routes:
            order = route.pupils if session == "am" else tuple(reversed(route.pupils))
            minutes = ride_minutes(route.school, order, session)
            over += any(m > ride_limit_minutes(p, TODAY) for m, p in zip(minutes, order, strict=True))
    share = over / (2 * len(small_city.routes))
    assert 0 < share < 0.15


def test_vehicles_are_filled_to_about_two_thirds_not_packed(small_city):
    shared = [r for r in small_city.routes if len(r.pupils) > 1 and r.vehicle.vehicle_type != "wav"]
    fill = sum(r.occupants for r in shared) / sum(r.vehicle.seats for r in shared)
    assert 0.5 <= fill <= 0.85


def test_ride_limits_are_45_minutes_under_11_and_75_from_11(small_city):
    young = next(p for p in small_city.pupils if p.max_ride_minutes is None and p.age_on(TODAY) < 11)
    old = next(p for p in small_city.pupils if p.max_ride_minutes is None and p.age_on(TODAY) >= 11)
    own = next(p for p in small_city.pupils if p.max_ride_minutes is not None)
    assert ride_limit_minutes(young, TODAY) == 45
    assert ride_limit_minutes(old, TODAY) == 75
    assert ride_limit_minutes(own, TODAY) == own.max_ride_minutes
