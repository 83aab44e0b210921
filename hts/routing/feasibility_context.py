"""What the feasibility rules read: facts about pupils, schools, vehicles and crews, loaded once
from the database for any number of route snapshots (hts.routing.feasibility applies the rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from hts.compliance.gates import RouteNeeds, compliance_problems, fit_problems, service_days
from hts.compliance.rules import policy_from_config
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.models import Pupil, School
from hts.routing.matrix import Point, TravelMatrix, TravelProvider, planning_provider
from hts.routing.models import PupilIncompatibility
from hts.routing.planning import (
    PlanInputError,
    VehicleTypeSetting,
    parse_vehicle_types,
    ride_limit_minutes,
)
from hts.routing.timing import TimingSettings


@dataclass(frozen=True)
class PupilFacts:
    """What the rules need to know of a pupil (no names: messages use the reference)."""

    id: int
    ref: str
    school_id: int
    wheelchair: bool = False
    needs_pa: bool = False
    solo: bool = False
    limit_minutes: int = 45
    #: Where the pupil lives (each home address); empty when not known.
    homes: tuple[Point, ...] = ()


@dataclass(frozen=True)
class SchoolFacts:
    """A school's place and times."""

    id: int
    name: str
    point: Point
    start_time: dt.time
    finish_time: dt.time


@dataclass(frozen=True)
class VehicleFacts:
    """An assigned vehicle's capacity."""

    id: int
    registration: str
    seats: int
    wheelchair_spaces: int


@dataclass(frozen=True)
class ArrivalWindow:
    """Arrive at school between `earliest_minutes` and `latest_minutes` before the start time."""

    earliest_minutes: int = 30
    latest_minutes: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ArrivalWindow:
        """The planning window settings (PLAN_ARRIVE_EARLIEST_MINUTES, PLAN_ARRIVE_LATEST_MINUTES)."""
        return cls(int(config.get("PLAN_ARRIVE_EARLIEST_MINUTES", 30)),
                   int(config.get("PLAN_ARRIVE_LATEST_MINUTES", 5)))


CrewKey = tuple[int | None, int | None, int | None, int | None, int]


def crew_key(snapshot: Mapping[str, Any]) -> CrewKey:
    """(operator, vehicle, driver, PA, days): what the compliance gate's verdict depends on."""
    return (snapshot.get("operator_id"), snapshot.get("vehicle_id"), snapshot.get("driver_id"),
            snapshot.get("pa_id"), int(snapshot.get("days") or 0))


@dataclass(frozen=True)
class CheckContext:
    """Everything the rules read, loaded once for any number of snapshots."""

    schools: Mapping[int, SchoolFacts]
    pupils: Mapping[int, PupilFacts]
    #: Incompatible pairs as (lower id, higher id).
    incompatible: frozenset[tuple[int, int]]
    vehicles: Mapping[int, VehicleFacts]
    vehicle_types: Mapping[str, VehicleTypeSetting]
    #: The compliance gate's reasons for each crew (see `crew_key`).
    crew_problems: Mapping[CrewKey, tuple[str, ...]]
    timing: TimingSettings
    window: ArrivalWindow
    provider: TravelProvider
    #: Nearby schools may share a vehicle when this close by road (PLAN_SHARE_SCHOOLS_WITHIN_METRES).
    share_within_metres: int = 0


# --- reading a snapshot ---------------------------------------------------------------------

def pupil_stops(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pickup (am) or drop-off (pm) stops in travel order, without the school stop."""
    return [stop for stop in snapshot["stops"] if stop.get("kind") != "school"]


def school_ids_of(snapshot: Mapping[str, Any]) -> list[int]:
    """The schools the route stops at, in stop order (a school stop with no school is the route's own)."""
    own = snapshot.get("school_id")
    ids = [stop.get("school_id") if stop.get("school_id") is not None else own
           for stop in snapshot.get("stops") or [] if stop.get("kind") == "school"]
    return [int(i) for i in ids if i is not None]


def pupil_ids(snapshot: Mapping[str, Any]) -> list[int]:
    """Every pupil on the route, in stop order."""
    return [int(pid) for stop in pupil_stops(snapshot) for pid in stop.get("pupil_ids", [])]


class MatrixCache:
    """A travel provider that asks its inner provider once for a set of points, then answers from it.

    Trying a pupil at every position of every route times many routes over the same few
    points; with a road-routing server each matrix is a network call.
    """

    def __init__(self, provider: TravelProvider) -> None:
        self.provider = provider
        self._index: dict[Point, int] = {}
        self._matrix: TravelMatrix | None = None

    def prime(self, points: Iterable[Point]) -> None:
        """Fetch one matrix over these points (and any primed before)."""
        wanted = list(dict.fromkeys([*self._index, *points]))
        if len(wanted) == len(self._index):
            return
        self._matrix = self.provider.matrix(wanted)
        self._index = {point: i for i, point in enumerate(wanted)}

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """Distances and times between the points: sliced from the primed matrix when it has them all."""
        if self._matrix is None or any(point not in self._index for point in points):
            return self.provider.matrix(points)
        rows = [self._index[point] for point in points]
        return TravelMatrix(metres=self._matrix.metres[rows][:, rows], seconds=self._matrix.seconds[rows][:, rows])


def snapshot_points(snapshot: Mapping[str, Any]) -> list[Point]:
    """Every stop's point."""
    return [Point(float(s["latitude"]), float(s["longitude"])) for s in snapshot.get("stops") or []]


def vehicle_types_of(config: Mapping[str, Any]) -> dict[str, VehicleTypeSetting]:
    """The vehicle types the council hires (PLAN_VEHICLE_TYPES), by name; none if the setting is unreadable."""
    try:
        return {t.name: t for t in parse_vehicle_types(str(config.get("PLAN_VEHICLE_TYPES", "")))}
    except PlanInputError:
        return {}


def load_context(session: Session, snapshots: Sequence[Mapping[str, Any]], *, today: dt.date,
                 config: Mapping[str, Any], extra_pupil_ids: Iterable[int] = ()) -> CheckContext:
    """Read what the rules need for these snapshots (and extra pupils about to join them).

    `today` is the first day the routes would run as proposed: ride limits go by age on that
    day and the crew must be compliant on each of the route's days in the week from it.
    """
    conf = dict(config)
    school_ids = {int(s["school_id"]) for s in snapshots if s.get("school_id") is not None} | {
        int(stop["school_id"]) for s in snapshots for stop in s.get("stops") or []
        if stop.get("kind") == "school" and stop.get("school_id") is not None}
    ids = {pid for s in snapshots for pid in pupil_ids(s)} | set(extra_pupil_ids)
    pupils = {}
    if ids:
        for pupil in session.scalars(select(Pupil).where(Pupil.id.in_(ids)).options(selectinload(Pupil.addresses))):
            pupils[pupil.id] = PupilFacts(
                id=pupil.id, ref=pupil.pupil_ref, school_id=pupil.school_id, wheelchair=pupil.wheelchair,
                needs_pa=pupil.passenger_assistant, solo=pupil.solo,
                limit_minutes=ride_limit_minutes(pupil, today, conf),
                homes=tuple(Point(a.latitude, a.longitude) for a in pupil.addresses))
    schools = {
        s.id: SchoolFacts(s.id, s.name, Point(s.latitude, s.longitude), s.start_time, s.finish_time)
        for s in session.scalars(select(School).where(School.id.in_(school_ids or {0})))
    }
    pairs = frozenset(
        (min(a, b), max(a, b)) for a, b in session.execute(
            select(PupilIncompatibility.pupil_id, PupilIncompatibility.other_pupil_id).where(
                or_(PupilIncompatibility.pupil_id.in_(ids or {0}),
                    PupilIncompatibility.other_pupil_id.in_(ids or {0}))))
    )
    vehicle_ids = {int(s["vehicle_id"]) for s in snapshots if s.get("vehicle_id") is not None}
    vehicles = {
        v.id: VehicleFacts(v.id, v.registration, v.seats, v.wheelchair_spaces)
        for v in session.scalars(select(Vehicle).where(Vehicle.id.in_(vehicle_ids or {0})))
    }
    provider = MatrixCache(planning_provider(conf))
    return CheckContext(
        schools=schools, pupils=pupils, incompatible=pairs, vehicles=vehicles,
        vehicle_types=vehicle_types_of(conf), crew_problems=_crew_problems(session, snapshots, today, conf),
        timing=TimingSettings.from_config(conf), window=ArrivalWindow.from_config(conf), provider=provider,
        share_within_metres=max(0, int(conf.get("PLAN_SHARE_SCHOOLS_WITHIN_METRES", 0))),
    )


def _crew_problems(session: Session, snapshots: Sequence[Mapping[str, Any]], today: dt.date,
                   config: dict[str, Any]) -> dict[CrewKey, tuple[str, ...]]:
    """The compliance gate's verdict on each distinct operator, vehicle and crew, over the route's days.

    `fit_problems` is asked with no pupils: seats, wheelchair spaces and the PA are this
    module's own rules (they count the proposed pupils); the gate adds crew roles and operators.
    """
    policy = policy_from_config(config)
    out: dict[CrewKey, tuple[str, ...]] = {}
    for snapshot in snapshots:
        key = crew_key(snapshot)
        if key in out:
            continue
        operator_id, vehicle_id, driver_id, pa_id, days = key
        operator = session.get(Operator, operator_id) if operator_id is not None else None
        vehicle = session.get(Vehicle, vehicle_id) if vehicle_id is not None else None
        driver = session.get(Staff, driver_id) if driver_id is not None else None
        pa = session.get(Staff, pa_id) if pa_id is not None else None
        reasons = fit_problems(RouteNeeds(walk_on=0, wheelchairs=0, needs_pa=False), vehicle=vehicle,
                               driver=driver, pa=pa, operator=operator)
        service = service_days(days, today)
        if service and any(h is not None for h in (operator, vehicle, driver, pa)):
            reasons += compliance_problems(session, service, policy, operator=operator, vehicle=vehicle,
                                           driver=driver, pa=pa)
        out[key] = tuple(reasons)
    return out
