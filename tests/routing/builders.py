"""Small routing problems for tests: a school in a city and pupils placed by offsets in km."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hts.routing.matrix import HaversineProvider, Point
from hts.routing.problem import Problem, Request, School, Session, VehicleType, make_problem

CENTRE = Point(52.4800, -1.9000)
KM_LAT = 1 / 111.2  # degrees of latitude per km
KM_LON = 1 / 67.7  # degrees of longitude per km at 52.5 N

TAXI = VehicleType("taxi", seats=4, wheelchair_spaces=0, daily_cost_pence=9000, available=20)
WAV = VehicleType("WAV with PA", seats=4, wheelchair_spaces=1, daily_cost_pence=16000,
                  available=10, has_pa=True)
MINIBUS = VehicleType("minibus", seats=8, wheelchair_spaces=0, daily_cost_pence=14000, available=5)


def at(east_km: float, north_km: float) -> Point:
    """A point this far east and north of the centre."""
    return Point(CENTRE.latitude + north_km * KM_LAT, CENTRE.longitude + east_km * KM_LON)


def pupil(ref: str, stop: int, school: int = 0, *, limit_minutes: int = 45, **kw: object) -> Request:
    """A walk-on pupil with a ride limit in minutes."""
    return Request(ref=ref, stop=stop, school=school, max_ride_seconds=limit_minutes * 60, **kw)  # type: ignore[arg-type]


def school(ref: str, node: int, start: str = "08:45", finish: str = "15:15") -> School:
    """A school arriving 30 to 5 minutes before the start, collected at the finish."""
    def secs(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 3600 + int(m) * 60
    return School(ref, node, secs(start) - 30 * 60, secs(start) - 5 * 60, secs(finish))


def build(
    homes_km: Sequence[tuple[float, float]],
    requests: Sequence[Request],
    *,
    session: Session = "am",
    schools_km: Sequence[tuple[float, float]] = ((0.0, 0.0),),
    vehicle_types: Sequence[VehicleType] = (TAXI, WAV, MINIBUS),
) -> Problem:
    """A problem with the schools first (nodes 0..k-1), then the homes in order."""
    points = [at(*p) for p in schools_km] + [at(*p) for p in homes_km]
    schools = [school(f"S{i}", i) for i in range(len(schools_km))]
    return make_problem(session=session, points=points, provider=HaversineProvider(),
                        schools=schools, vehicle_types=vehicle_types, requests=requests)


def ring(count: int, radius_km: float = 4.0, **kw: object) -> Problem:
    """`count` walk-on pupils on a ring around one school, one per home."""
    import math
    homes = [(radius_km * math.cos(2 * math.pi * i / count), radius_km * math.sin(2 * math.pi * i / count))
             for i in range(count)]
    return build(homes, [pupil(f"P{i}", 1 + i) for i in range(count)], **kw)  # type: ignore[arg-type]


def with_requests(problem: Problem, requests: Sequence[Request]) -> Problem:
    """The same places and fleet with other requests."""
    return replace(problem, requests=tuple(requests))
