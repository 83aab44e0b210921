"""Feasibility of a proposed route: re-time a route snapshot and list every rule it breaks.

A snapshot is one route as plain data (hts/routing/versions.py). The rules are pure functions
returning `Breach`es; `load_context` (hts.routing.feasibility_context) reads from the database what they need (pupils' needs and
ride limits, vehicles, vehicle types, the compliance gate's verdict on the crew) and
`evaluate` applies them. `check_snapshot` does both for one snapshot: the change service runs
it at submission and the workbench after every edit, so both see the same breaches.

Messages name pupils by pupil_ref only, never by name: they are shown to every role that may
read a change request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hts.routing.feasibility_context import (
    ArrivalWindow,
    CheckContext,
    CrewKey,
    MatrixCache,
    PupilFacts,
    SchoolFacts,
    VehicleFacts,
    crew_key,
    load_context,
    pupil_ids,
    pupil_stops,
    school_ids_of,
    snapshot_points,
    vehicle_types_of,
)
from hts.routing.matrix import Point, TravelProviderError, straight_line_km
from hts.routing.planning import VehicleTypeSetting
from hts.routing.timing import SchoolStop, StopLoad, TimingError, clock, seconds_of, time_stops

#: Re-exported: the facts the rules read and their loader live in hts.routing.feasibility_context.
__all__ = [
    "ArrivalWindow", "Breach", "Capacity", "CheckContext", "CrewKey", "MatrixCache", "PupilFacts", "RouteCheck",
    "SchoolFacts", "VehicleFacts", "breaches", "check_snapshot", "crew_key", "evaluate", "load_context",
    "pupil_ids", "pupil_stops", "school_ids_of", "snapshot_points", "vehicle_types_of",
]

#: A pupil's stop this far from every home address of theirs is somewhere else.
HOME_TOLERANCE_METRES = 100

#: Rule names, in the order breaches are listed.
RULES = ("structure", "sharing", "address", "timing", "capacity", "ride_time", "arrival", "pa", "solo",
         "incompatible", "crew")


@dataclass(frozen=True)
class Breach:
    """One rule the route breaks, readable by a planner; `pupil_id` when it is about one pupil."""

    rule: str
    message: str
    pupil_id: int | None = None


@dataclass(frozen=True)
class Capacity:
    """Seats and wheelchair spaces to plan with, and where they come from ("vehicle AB12 CDE")."""

    seats: int
    wheelchair_spaces: int
    source: str


@dataclass(frozen=True)
class RouteCheck:
    """A proposed route re-timed, its load, and every breach (none means it may be saved)."""

    stops: list[dict[str, Any]]
    distance_metres: int
    ride_minutes: dict[int, float]
    seats_used: int
    wheelchair_used: int
    breaches: list[Breach]
    capacity: Capacity | None = None
    timed: bool = True

    @property
    def ok(self) -> bool:
        """Whether the route breaks no rule."""
        return not self.breaches

    @property
    def longest_ride_minutes(self) -> float:
        """The longest ride on the route (0 with no pupils or no timing)."""
        return max(self.ride_minutes.values(), default=0.0)

    def retimed(self, snapshot: Mapping[str, Any]) -> dict[str, Any]:
        """The snapshot with the re-timed stops and distance (what is saved)."""
        return {**snapshot, "stops": [dict(stop) for stop in self.stops], "distance_metres": self.distance_metres}


def _hhmm(seconds: int) -> str:
    return clock(seconds).strftime("%H:%M")


# --- the rules (pure) -----------------------------------------------------------------------

def layout_breaches(snapshot: Mapping[str, Any]) -> list[Breach]:
    """A known session, the school stops in their place (last for am, first for pm: one, or one
    per school when nearby schools share the route), the right kinds of stop.

    A route that breaks these cannot be timed.
    """
    out: list[Breach] = []
    stops = list(snapshot.get("stops") or [])
    session = str(snapshot.get("session"))
    if session not in ("am", "pm"):
        return [Breach("structure", f"the session must be am or pm, not {session!r}")]
    schools = [i for i, stop in enumerate(stops) if stop.get("kind") == "school"]
    expected = list(range(len(stops) - len(schools), len(stops))) if session == "am" else list(range(len(schools)))
    if not schools or schools != expected:
        out.append(Breach("structure", f"the route must {'end' if session == 'am' else 'start'} "
                                       "at its school, with its school stops "
                                       f"{'last' if session == 'am' else 'first'}"))
    elif len(set(school_ids_of(snapshot))) != len(schools):
        out.append(Breach("structure", "each school stop must be at a different school"))
    elif school_ids_of(snapshot)[-1 if session == "am" else 0] != snapshot.get("school_id"):
        out.append(Breach("structure", f"the route's own school must be its {'last' if session == 'am' else 'first'} "
                                       "school stop"))
    kind = "pickup" if session == "am" else "dropoff"
    if any(stop.get("kind") not in (kind, "school") for stop in stops):
        out.append(Breach("structure", f"every stop but the school's must be a {kind}"))
    if not all(_located(stop) for stop in stops):
        out.append(Breach("structure", "every stop needs a latitude and longitude"))
    return out


def _located(stop: Mapping[str, Any]) -> bool:
    try:
        return -90 <= float(stop["latitude"]) <= 90 and -180 <= float(stop["longitude"]) <= 180
    except (KeyError, TypeError, ValueError):
        return False


def pupil_breaches(snapshot: Mapping[str, Any], pupils: Mapping[int, PupilFacts]) -> list[Breach]:
    """Known pupils of the route's school, each once, boarding at a home stop; no empty stop or route."""
    out: list[Breach] = []
    if any(stop.get("pupil_ids") for stop in snapshot.get("stops") or [] if stop.get("kind") == "school"):
        out.append(Breach("structure", "pupils must board at their home stop, not at the school stop"))
    seen: set[int] = set()
    for pid in pupil_ids(snapshot):
        facts = pupils.get(pid)
        if facts is None:
            out.append(Breach("structure", f"pupil {pid} is not on record", pid))
            continue
        if pid in seen:
            out.append(Breach("structure", f"pupil {facts.ref} is on the route twice", pid))
        seen.add(pid)
        if facts.school_id not in {snapshot.get("school_id"), *school_ids_of(snapshot)}:
            out.append(Breach("structure", f"pupil {facts.ref} goes to another school", pid))
    if any(not stop.get("pupil_ids") for stop in pupil_stops(snapshot)):
        out.append(Breach("structure", "a stop has no pupils: remove it"))
    if not pupil_ids(snapshot):
        out.append(Breach("structure", "the route carries no pupils: withdraw it instead"))
    return out


def sharing_breaches(snapshot: Mapping[str, Any], pupils: Mapping[int, PupilFacts],
                     schools: Mapping[int, SchoolFacts], share_within_metres: int,
                     provider: Any) -> list[Breach]:
    """A route that stops at several schools: only when nearby schools may share a vehicle
    (PLAN_SHARE_SCHOOLS_WITHIN_METRES), every two of them that close by road, each with pupils."""
    ids = list(dict.fromkeys(school_ids_of(snapshot)))
    if len(ids) < 2:
        return []
    names = [schools[i].name if i in schools else f"school {i}" for i in ids]
    if share_within_metres <= 0:
        return [Breach("sharing", f"the route stops at {len(ids)} schools ({', '.join(names)}), but schools do not "
                                  "share vehicles here (the setting PLAN_SHARE_SCHOOLS_WITHIN_METRES is 0)")]
    out: list[Breach] = []
    riding = {pupils[pid].school_id for pid in pupil_ids(snapshot) if pid in pupils}
    out += [Breach("sharing", f"the route stops at {name} but carries none of its pupils")
            for i, name in zip(ids, names, strict=True) if i not in riding]
    known = [i for i in ids if i in schools]
    matrix = provider.matrix([schools[i].point for i in known])
    for a in range(len(known)):
        for b in range(a + 1, len(known)):
            metres = max(int(matrix.metres[a, b]), int(matrix.metres[b, a]))
            if metres > share_within_metres:
                out.append(Breach("sharing", f"{schools[known[a]].name} and {schools[known[b]].name} are "
                                             f"{metres:,} m apart by road, more than the {share_within_metres:,} m "
                                             "within which schools may share a vehicle"))
    return out


def address_breaches(snapshot: Mapping[str, Any], pupils: Mapping[int, PupilFacts],
                     tolerance_metres: int = HOME_TOLERANCE_METRES) -> list[Breach]:
    """Pupils whose stop is not at any of their home addresses (they moved, or the stop is wrong)."""
    out = []
    verb = "picked up" if str(snapshot.get("session")) == "am" else "set down"
    for stop in pupil_stops(snapshot):
        point = Point(float(stop["latitude"]), float(stop["longitude"]))
        for pid in stop.get("pupil_ids", []):
            facts = pupils.get(int(pid))
            if facts is None or not facts.homes:
                continue
            metres = min(straight_line_km(point, home) for home in facts.homes) * 1000
            if metres > tolerance_metres:
                out.append(Breach("address", f"pupil {facts.ref} is {verb} {metres / 1000:.1f} km from their "
                                             "home address", facts.id))
    return out


def route_capacity(snapshot: Mapping[str, Any], vehicles: Mapping[int, VehicleFacts],
                   vehicle_types: Mapping[str, VehicleTypeSetting]) -> tuple[Capacity | None, list[Breach]]:
    """The assigned vehicle's capacity, else the vehicle type's (PLAN_VEHICLE_TYPES); a breach when neither is known."""
    vehicle_id = snapshot.get("vehicle_id")
    if vehicle_id is not None:
        vehicle = vehicles.get(int(vehicle_id))
        if vehicle is None:
            return None, [Breach("capacity", f"vehicle {vehicle_id} is not on record")]
        return Capacity(vehicle.seats, vehicle.wheelchair_spaces, f"vehicle {vehicle.registration}"), []
    name = snapshot.get("vehicle_type")
    if not name:
        return None, [Breach("capacity", "the route has no vehicle and no vehicle type, so its capacity is unknown")]
    setting = vehicle_types.get(str(name))
    if setting is None:
        known = ", ".join(vehicle_types) or "none"
        return None, [Breach("capacity", f"vehicle type {name!r} is not one the council hires ({known})")]
    return Capacity(setting.seats, setting.wheelchair_spaces, f"{setting.name} (vehicle type)"), []


def load_of(riders: Sequence[PupilFacts], *, pa_on_board: bool) -> tuple[int, int]:
    """(seats, wheelchair spaces) used: walk-on pupils and the PA, if one rides or is needed, take seats."""
    wheelchairs = sum(1 for p in riders if p.wheelchair)
    pa = pa_on_board or any(p.needs_pa for p in riders)
    return len(riders) - wheelchairs + (1 if pa else 0), wheelchairs


def capacity_breaches(seats_used: int, wheelchair_used: int, capacity: Capacity, *, with_pa: bool) -> list[Breach]:
    """Seats or wheelchair spaces needed beyond what the vehicle (or type) has."""
    out = []
    if seats_used > capacity.seats:
        out.append(Breach("capacity", f"the route needs {seats_used} seats{' (with the PA)' if with_pa else ''} "
                                      f"but {capacity.source} has {capacity.seats}"))
    if wheelchair_used > capacity.wheelchair_spaces:
        out.append(Breach("capacity", f"the route needs {wheelchair_used} wheelchair spaces "
                                      f"but {capacity.source} has {capacity.wheelchair_spaces}"))
    return out


def ride_time_breaches(ride_minutes: Mapping[int, float], pupils: Mapping[int, PupilFacts]) -> list[Breach]:
    """Pupils whose ride is over their limit (their own, else the primary or secondary limit)."""
    out = []
    for pid, minutes in ride_minutes.items():
        facts = pupils.get(pid)
        if facts is not None and minutes > facts.limit_minutes:
            out.append(Breach("ride_time", f"pupil {facts.ref} rides {minutes:.0f} min, "
                                           f"over their {facts.limit_minutes} min limit", pid))
    return out


def arrival_breaches(session: str, school_stop_seconds: int, school: SchoolFacts,
                     window: ArrivalWindow) -> list[Breach]:
    """A morning route must reach school inside the window; an afternoon one be there by the finish time."""
    if session == "am":
        start = seconds_of(school.start_time)
        earliest, latest = start - window.earliest_minutes * 60, start - window.latest_minutes * 60
        if not earliest <= school_stop_seconds <= latest:
            return [Breach("arrival", f"reaches {school.name} at {_hhmm(school_stop_seconds)}, outside its "
                                      f"arrival window {_hhmm(earliest)} to {_hhmm(latest)}")]
        return []
    if school_stop_seconds > seconds_of(school.finish_time):
        return [Breach("arrival", f"is at {school.name} at {_hhmm(school_stop_seconds)}, after pupils "
                                  f"finish at {school.finish_time:%H:%M}")]
    return []


def pa_breaches(riders: Sequence[PupilFacts], pa_id: int | None) -> list[Breach]:
    """Pupils who need a passenger assistant on a route without one."""
    if pa_id is not None:
        return []
    return [Breach("pa", f"pupil {p.ref} needs a passenger assistant and the route has none", p.id)
            for p in riders if p.needs_pa]


def solo_breaches(riders: Sequence[PupilFacts]) -> list[Breach]:
    """Pupils who must travel alone but share the vehicle."""
    if len(riders) < 2:
        return []
    others = len(riders) - 1
    return [Breach("solo", f"pupil {p.ref} must travel alone but shares the vehicle with "
                           f"{others} other pupil{'s' if others > 1 else ''}", p.id)
            for p in riders if p.solo]


def incompatibility_breaches(riders: Sequence[PupilFacts], pairs: frozenset[tuple[int, int]]) -> list[Breach]:
    """Pairs of pupils who must not travel together but do (the reason stays off the message)."""
    out = []
    ordered = sorted(riders, key=lambda p: p.ref)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if (min(a.id, b.id), max(a.id, b.id)) in pairs:
                out.append(Breach("incompatible", f"pupils {a.ref} and {b.ref} must not travel together", a.id))
    return out


def crew_breaches(problems: Iterable[str]) -> list[Breach]:
    """The compliance gate's reasons, as breaches."""
    return [Breach("crew", reason) for reason in problems]


# --- applying the rules ---------------------------------------------------------------------

def evaluate(snapshot: Mapping[str, Any], context: CheckContext) -> RouteCheck:
    """Re-time the snapshot and apply every rule to it."""
    session = str(snapshot.get("session"))
    layout = layout_breaches(snapshot)
    breaches = layout + pupil_breaches(snapshot, context.pupils)
    if not layout:
        breaches += address_breaches(snapshot, context.pupils)
    riders = [context.pupils[pid] for pid in dict.fromkeys(pupil_ids(snapshot)) if pid in context.pupils]
    school = context.schools.get(int(snapshot.get("school_id") or 0))
    if school is None:
        breaches.append(Breach("structure", f"school {snapshot.get('school_id')} is not on record"))
    visited = school_ids_of(snapshot)
    breaches += [Breach("structure", f"school {i} is not on record") for i in visited
                 if i not in context.schools and i != snapshot.get("school_id")]
    stops = [dict(stop) for stop in snapshot.get("stops") or []]
    distance = int(snapshot.get("distance_metres") or 0)
    rides: dict[int, float] = {}
    timed = False
    if school is not None and not layout and all(i in context.schools for i in visited):
        schools = [context.schools[i] for i in visited]
        breaches += sharing_breaches(snapshot, context.pupils, context.schools, context.share_within_metres,
                                     context.provider)
        try:
            stops, distance, rides, school_seconds = _retime(session, stops, schools, context)
            timed = True
        except (TimingError, TravelProviderError) as exc:
            breaches.append(Breach("timing", f"the route cannot be timed: {exc}"))
        else:
            for facts, seconds in zip(schools, school_seconds, strict=True):
                breaches += arrival_breaches(session, seconds, facts, context.window)
    elif school is not None and layout:
        breaches.append(Breach("timing", "the route cannot be timed until its stops are in order"))

    pa_id = snapshot.get("pa_id")
    seats, wheelchairs = load_of(riders, pa_on_board=pa_id is not None)
    capacity, capacity_problems = route_capacity(snapshot, context.vehicles, context.vehicle_types)
    breaches += capacity_problems
    if capacity is not None:
        with_pa = pa_id is not None or any(p.needs_pa for p in riders)
        breaches += capacity_breaches(seats, wheelchairs, capacity, with_pa=with_pa)
    breaches += ride_time_breaches(rides, context.pupils)
    breaches += pa_breaches(riders, pa_id)
    breaches += solo_breaches(riders)
    breaches += incompatibility_breaches(riders, context.incompatible)
    breaches += crew_breaches(context.crew_problems.get(crew_key(snapshot), ()))
    breaches.sort(key=lambda b: RULES.index(b.rule) if b.rule in RULES else len(RULES))
    return RouteCheck(stops=stops, distance_metres=distance, ride_minutes=rides, seats_used=seats,
                      wheelchair_used=wheelchairs, breaches=breaches, capacity=capacity, timed=timed)


def _retime(session: str, stops: list[dict[str, Any]], schools: Sequence[SchoolFacts],
            context: CheckContext) -> tuple[list[dict[str, Any]], int, dict[int, float], list[int]]:
    """New stop times, distance, ride minutes per pupil and each school stop's time (hts.routing.timing).

    A pupil rides to (am) or from (pm) their own school's stop; the route's own school's when
    theirs is not on it (a breach of its own).
    """
    am = session == "am"
    school_stops = [stop for stop in stops if stop.get("kind") == "school"]
    homes = [stop for stop in stops if stop.get("kind") != "school"]
    index_of = {facts.id: j for j, facts in enumerate(schools)}
    own = len(schools) - 1 if am else 0
    aboard = [[0, 0] for _ in schools]  # walk-on, wheelchair getting off (am) or on (pm) at each school
    loads = []
    for stop in homes:
        ids = [int(pid) for pid in stop.get("pupil_ids", [])]
        wheelchair = sum(1 for pid in ids if pid in context.pupils and context.pupils[pid].wheelchair)
        loads.append(StopLoad(Point(float(stop["latitude"]), float(stop["longitude"])),
                              walk_on=len(ids) - wheelchair, wheelchair=wheelchair))
        for pid in ids:
            facts = context.pupils.get(pid)
            j = index_of.get(facts.school_id, own) if facts is not None else own
            aboard[j][1 if facts is not None and facts.wheelchair else 0] += 1
    school_loads = [
        SchoolStop(Point(float(stop["latitude"]), float(stop["longitude"])),
                   facts.start_time if am else facts.finish_time, walk_on=walk, wheelchair=chairs)
        for stop, facts, (walk, chairs) in zip(school_stops, schools, aboard, strict=True)
    ]
    timing = time_stops(session, loads, school_loads, context.timing, context.provider)
    times = [_hhmm(seconds) for seconds in timing.planned_seconds]
    ordered = homes + school_stops if am else school_stops + homes
    retimed = [{**stop, "time": time} for stop, time in zip(ordered, times, strict=True)]
    rides = {}
    for i, stop in enumerate(homes):
        for pid in stop.get("pupil_ids", []):
            facts = context.pupils.get(int(pid))
            j = index_of.get(facts.school_id, own) if facts is not None else own
            rides[int(pid)] = round(timing.ride_to[i][j] / 60, 1)
    planned = list(timing.planned_seconds)
    school_seconds = planned[len(homes):] if am else planned[:len(schools)]
    return retimed, timing.total_metres, rides, school_seconds


def check_snapshot(session: Session, snapshot: dict[str, Any], *, today: dt.date, config: Mapping[str, Any]) -> RouteCheck:
    """Re-time a proposed route and list every rule it breaks (the entry point for the change service)."""
    context = load_context(session, [snapshot], today=today, config=config)
    if isinstance(context.provider, MatrixCache):
        context.provider.prime(snapshot_points(snapshot))
    return evaluate(snapshot, context)


def breaches(session: Session, snapshot: dict[str, Any], *, today: dt.date, config: Mapping[str, Any]) -> list[Breach]:
    """Only the breaches of `check_snapshot` (what submission refuses on)."""
    return check_snapshot(session, snapshot, today=today, config=config).breaches
