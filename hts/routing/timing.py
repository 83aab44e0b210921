"""Timing a route: planned times at each stop, total distance and each stop's ride time.

Morning runs are timed backwards from the arrival target (the school's start time less
ARRIVAL_BEFORE_START_MINUTES); afternoon runs forwards from the finish time, after every pupil
has boarded at school. Pure functions over integers of seconds and metres.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hts.routing.matrix import Point, TravelProvider

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TimingSettings:
    """The policy numbers that shape planned times (each an app setting)."""

    arrival_before_start_minutes: int = 10
    dwell_walk_on_seconds: int = 120
    dwell_wheelchair_seconds: int = 600

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TimingSettings:
        """Read the settings from the app config (defaults where missing)."""
        return cls(
            arrival_before_start_minutes=int(config.get("ARRIVAL_BEFORE_START_MINUTES", 10)),
            dwell_walk_on_seconds=int(config.get("DWELL_WALK_ON_SECONDS", 120)),
            dwell_wheelchair_seconds=int(config.get("DWELL_WHEELCHAIR_SECONDS", 600)),
        )

    def dwell_seconds(self, walk_on: int, wheelchair: int) -> int:
        """Boarding (or alighting) time for that many pupils."""
        return walk_on * self.dwell_walk_on_seconds + wheelchair * self.dwell_wheelchair_seconds


@dataclass(frozen=True)
class StopLoad:
    """A pupil stop: where it is and how many pupils board (am) or alight (pm) there."""

    point: Point
    walk_on: int = 0
    wheelchair: int = 0


@dataclass(frozen=True)
class RouteTiming:
    """Planned times in stop order (the school stop last for am, first for pm), distances and
    the ride seconds of the pupils at each pupil stop (in the order the stops were given)."""

    planned_seconds: tuple[int, ...]
    leg_metres: tuple[int, ...]
    ride_seconds: tuple[int, ...]

    @property
    def total_metres(self) -> int:
        """The route's length."""
        return sum(self.leg_metres)

    @property
    def planned_times(self) -> tuple[dt.time, ...]:
        """Planned times as clock times (whole seconds)."""
        return tuple(clock(seconds) for seconds in self.planned_seconds)


class TimingError(ValueError):
    """The route cannot be timed inside one day (it would start before midnight)."""


def seconds_of(time: dt.time) -> int:
    """Seconds since midnight."""
    return time.hour * 3600 + time.minute * 60 + time.second


def clock(seconds: int) -> dt.time:
    """A clock time from seconds since midnight."""
    if not 0 <= seconds < DAY_SECONDS:
        raise TimingError("the route's times would run past midnight")
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _legs(provider: TravelProvider, points: Sequence[Point]) -> tuple[list[int], list[int]]:
    matrix = provider.matrix(points)
    metres = [int(matrix.metres[i, i + 1]) for i in range(len(points) - 1)]
    seconds = [int(matrix.seconds[i, i + 1]) for i in range(len(points) - 1)]
    return metres, seconds


@dataclass(frozen=True)
class SchoolStop:
    """A school on the route: where, its start (am) or finish (pm) time, and how many of the
    route's pupils get off (am) or on (pm) there."""

    point: Point
    time: dt.time
    walk_on: int = 0
    wheelchair: int = 0


@dataclass(frozen=True)
class SharedTiming:
    """Planned times in stop order (pupil stops then schools for am, schools then pupil stops
    for pm), distances, and `ride_to[i][j]`: the ride of a pupil at pupil stop i whose school is
    school stop j."""

    planned_seconds: tuple[int, ...]
    leg_metres: tuple[int, ...]
    ride_to: tuple[tuple[int, ...], ...]

    @property
    def total_metres(self) -> int:
        """The route's length."""
        return sum(self.leg_metres)


def time_stops(session: str, stops: Sequence[StopLoad], schools: Sequence[SchoolStop],
               settings: TimingSettings, provider: TravelProvider) -> SharedTiming:
    """Time a route that may stop at several nearby schools (one, unless they share vehicles).

    Morning: pick up in order, then visit the schools in order; the last is reached
    ARRIVAL_BEFORE_START_MINUTES before its start, an earlier one then too or earlier if the
    next needs it (with its pupils' alighting time before moving on). Afternoon: board at each
    school from its finish time (arriving at a later one when the previous is done), then drop
    off in order; a ride counts from the pupil's school's finish time.
    """
    if not schools:
        raise ValueError("a route needs a school stop")
    am = str(session) == "am"
    points = [s.point for s in stops] + [s.point for s in schools] if am else \
        [s.point for s in schools] + [s.point for s in stops]
    metres, travel = _legs(provider, points)
    before = settings.arrival_before_start_minutes * 60
    n, k = len(stops), len(schools)
    if am:
        planned = [0] * (n + k)
        planned[-1] = seconds_of(schools[-1].time) - before
        for j in range(k - 2, -1, -1):  # earlier schools: on time, and early enough for the next
            school = schools[j]
            leave_by = planned[n + j + 1] - travel[n + j]
            planned[n + j] = min(seconds_of(school.time) - before,
                                 leave_by - settings.dwell_seconds(school.walk_on, school.wheelchair))
        for index in range(n - 1, -1, -1):
            stop = stops[index]
            planned[index] = planned[index + 1] - travel[index] - settings.dwell_seconds(stop.walk_on, stop.wheelchair)
        if planned[0] < 0:
            raise TimingError("the route would have to start before midnight")
        rides = tuple(tuple(planned[n + j] - planned[i] for j in range(k)) for i in range(n))
        return SharedTiming(tuple(planned), tuple(metres), rides)
    planned = []
    clock_at = 0
    for j, school in enumerate(schools):
        finish = seconds_of(school.time)
        arrive = finish if j == 0 else clock_at + travel[j - 1]
        planned.append(arrive)
        clock_at = max(arrive, finish) + settings.dwell_seconds(school.walk_on, school.wheelchair)
    finishes = [seconds_of(school.time) for school in schools]
    rides_list = []
    for index, stop in enumerate(stops):
        clock_at += travel[k - 1 + index]
        planned.append(clock_at)
        rides_list.append(tuple(clock_at - finish for finish in finishes))
        clock_at += settings.dwell_seconds(stop.walk_on, stop.wheelchair)
    if planned[-1] >= DAY_SECONDS:
        raise TimingError("the route would run past midnight")
    return SharedTiming(tuple(planned), tuple(metres), tuple(rides_list))


def _one_school(session: str, stops: Sequence[StopLoad], school: Point, school_time: dt.time,
                settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    aboard = SchoolStop(school, school_time, sum(s.walk_on for s in stops), sum(s.wheelchair for s in stops))
    timing = time_stops(session, stops, [aboard], settings, provider)
    return RouteTiming(timing.planned_seconds, timing.leg_metres, tuple(ride[0] for ride in timing.ride_to))


def time_morning(stops: Sequence[StopLoad], school: Point, start: dt.time,
                 settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Pick up in order and arrive at school ARRIVAL_BEFORE_START_MINUTES before `start`.

    A stop's planned time is when the vehicle arrives there; its pupils ride from then until
    the vehicle reaches school.
    """
    return _one_school("am", stops, school, start, settings, provider)


def time_afternoon(stops: Sequence[StopLoad], school: Point, finish: dt.time,
                   settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Board everyone at school from `finish`, then drop off in order.

    The school stop's planned time is the finish time; a drop-off stop's is when the vehicle
    arrives there, and its pupils' ride runs from the finish time until then.
    """
    return _one_school("pm", stops, school, finish, settings, provider)


def time_route(session: str, stops: Sequence[StopLoad], school: Point, school_time: dt.time,
               settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Time an 'am' route from the school's start time or a 'pm' one from its finish time."""
    if str(session) == "am":
        return time_morning(stops, school, school_time, settings, provider)
    if str(session) == "pm":
        return time_afternoon(stops, school, school_time, settings, provider)
    raise ValueError(f"session must be am or pm, not {session!r}")
