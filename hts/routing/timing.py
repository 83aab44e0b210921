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


def time_morning(stops: Sequence[StopLoad], school: Point, start: dt.time,
                 settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Pick up in order and arrive at school ARRIVAL_BEFORE_START_MINUTES before `start`.

    A stop's planned time is when the vehicle arrives there; its pupils ride from then until
    the vehicle reaches school.
    """
    arrival = seconds_of(start) - settings.arrival_before_start_minutes * 60
    metres, travel = _legs(provider, [s.point for s in stops] + [school])
    planned = [0] * (len(stops) + 1)
    planned[-1] = arrival
    for index in range(len(stops) - 1, -1, -1):
        stop = stops[index]
        depart = planned[index + 1] - travel[index]
        planned[index] = depart - settings.dwell_seconds(stop.walk_on, stop.wheelchair)
    if planned[0] < 0:
        raise TimingError("the route would have to start before midnight")
    rides = tuple(arrival - planned[i] for i in range(len(stops)))
    return RouteTiming(tuple(planned), tuple(metres), rides)


def time_afternoon(stops: Sequence[StopLoad], school: Point, finish: dt.time,
                   settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Board everyone at school from `finish`, then drop off in order.

    The school stop's planned time is the finish time; a drop-off stop's is when the vehicle
    arrives there, and its pupils' ride runs from the finish time until then.
    """
    metres, travel = _legs(provider, [school] + [s.point for s in stops])
    finish_seconds = seconds_of(finish)
    boarding = sum(settings.dwell_seconds(s.walk_on, s.wheelchair) for s in stops)
    planned = [finish_seconds]
    rides = []
    clock_at = finish_seconds + boarding
    for index, stop in enumerate(stops):
        clock_at += travel[index]
        planned.append(clock_at)
        rides.append(clock_at - finish_seconds)
        clock_at += settings.dwell_seconds(stop.walk_on, stop.wheelchair)
    if planned[-1] >= DAY_SECONDS:
        raise TimingError("the route would run past midnight")
    return RouteTiming(tuple(planned), tuple(metres), tuple(rides))


def time_route(session: str, stops: Sequence[StopLoad], school: Point, school_time: dt.time,
               settings: TimingSettings, provider: TravelProvider) -> RouteTiming:
    """Time an 'am' route from the school's start time or a 'pm' one from its finish time."""
    if str(session) == "am":
        return time_morning(stops, school, school_time, settings, provider)
    if str(session) == "pm":
        return time_afternoon(stops, school, school_time, settings, provider)
    raise ValueError(f"session must be am or pm, not {session!r}")
