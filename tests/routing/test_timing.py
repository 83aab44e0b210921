"""Planned times of a route, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from hts.routing.matrix import HaversineProvider, Point
from hts.routing.timing import (
    StopLoad,
    TimingError,
    TimingSettings,
    seconds_of,
    time_afternoon,
    time_morning,
    time_route,
)

SCHOOL = Point(52.48, -1.90)
A = Point(52.50, -1.85)
B = Point(52.49, -1.87)
SETTINGS = TimingSettings(arrival_before_start_minutes=10, dwell_walk_on_seconds=120,
                          dwell_wheelchair_seconds=600)
PROVIDER = HaversineProvider(detour_factor=1.3, speed_kmh=25.0)


def _leg(a: Point, b: Point) -> tuple[int, int]:
    return PROVIDER.leg(a, b)


def test_a_morning_route_arrives_the_set_minutes_before_the_start_time():
    timing = time_morning([StopLoad(A, walk_on=1)], SCHOOL, dt.time(9, 0), SETTINGS, PROVIDER)
    assert timing.planned_times[-1] == dt.time(8, 50)


def test_a_morning_route_works_backwards_through_travel_and_boarding():
    stops = [StopLoad(A, walk_on=2), StopLoad(B, wheelchair=1)]
    timing = time_morning(stops, SCHOOL, dt.time(9, 0), SETTINGS, PROVIDER)
    arrival = seconds_of(dt.time(8, 50))
    b_school = _leg(B, SCHOOL)[1]
    a_b = _leg(A, B)[1]
    at_b = arrival - b_school - 600
    at_a = at_b - a_b - 240
    assert timing.planned_seconds == (at_a, at_b, arrival)
    assert timing.ride_seconds == (arrival - at_a, arrival - at_b)
    assert timing.total_metres == _leg(A, B)[0] + _leg(B, SCHOOL)[0]


def test_an_afternoon_route_leaves_after_everyone_has_boarded_then_drops_off_in_order():
    stops = [StopLoad(A, walk_on=1), StopLoad(B, wheelchair=1)]
    timing = time_afternoon(stops, SCHOOL, dt.time(15, 15), SETTINGS, PROVIDER)
    finish = seconds_of(dt.time(15, 15))
    at_a = finish + 120 + 600 + _leg(SCHOOL, A)[1]
    at_b = at_a + 120 + _leg(A, B)[1]
    assert timing.planned_seconds == (finish, at_a, at_b)
    assert timing.ride_seconds == (at_a - finish, at_b - finish)
    assert timing.planned_times[0] == dt.time(15, 15)


def test_settings_come_from_the_app_config_with_defaults():
    settings = TimingSettings.from_config({"ARRIVAL_BEFORE_START_MINUTES": 5})
    assert settings == TimingSettings(5, 120, 600)
    assert settings.dwell_seconds(walk_on=2, wheelchair=1) == 840


def test_time_route_picks_the_anchor_by_session_and_refuses_others():
    stops = [StopLoad(A, walk_on=1)]
    am = time_route("am", stops, SCHOOL, dt.time(9, 0), SETTINGS, PROVIDER)
    pm = time_route("pm", stops, SCHOOL, dt.time(15, 0), SETTINGS, PROVIDER)
    assert am.planned_times[-1] == dt.time(8, 50) and pm.planned_times[0] == dt.time(15, 0)
    with pytest.raises(ValueError):
        time_route("noon", stops, SCHOOL, dt.time(12, 0), SETTINGS, PROVIDER)


def test_a_route_that_would_start_before_midnight_is_refused():
    far = Point(50.0, -5.0)
    with pytest.raises(TimingError):
        time_morning([StopLoad(far, walk_on=1)], SCHOOL, dt.time(0, 30), SETTINGS, PROVIDER)
