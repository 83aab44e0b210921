"""Route rows: crew and vehicle checks, capacity and needs, stops and planned times.

Pure functions over small reference records the service loads in a few queries; the stops and
times come from `hts.routing.timing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hts import weekdays
from hts.imports import fields
from hts.imports.cells import Cells
from hts.imports.report import Problem
from hts.imports.rules import Lookups, Record
from hts.operators.models import StaffRole
from hts.routing.matrix import Point, TravelProvider
from hts.routing.models import Session as RouteSession
from hts.routing.models import StopKind
from hts.routing.timing import StopLoad, TimingError, TimingSettings, time_route


@dataclass(frozen=True)
class SchoolRef:
    """What a route needs to know about its school."""

    id: int
    latitude: float
    longitude: float
    start_time: dt.time
    finish_time: dt.time


@dataclass(frozen=True)
class PupilRef:
    """What a route needs to know about a pupil: school, needs and addresses by weekday."""

    id: int
    pupil_ref: str
    school_id: int
    wheelchair: bool
    passenger_assistant: bool
    solo: bool
    #: (is_main, days mask, latitude, longitude) of each home address.
    addresses: tuple[tuple[bool, int, float, float], ...]

    def point_on(self, day: int) -> Point | None:
        """Where the pupil travels from on a weekday (Monday=0), as `Pupil.address_on`."""
        main = None
        for is_main, days, latitude, longitude in self.addresses:
            if is_main:
                main = Point(latitude, longitude)
            elif weekdays.includes(days, day):
                return Point(latitude, longitude)
        return main


@dataclass
class RouteLookups(Lookups):
    """Lookups plus the schools and pupils a routes file refers to."""

    schools: dict[str, SchoolRef] = field(default_factory=dict)
    pupils: dict[str, PupilRef] = field(default_factory=dict)
    #: pupil id -> [(route_code, session, days)] of routes already in the database.
    assignments: dict[int, list[tuple[str, str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class StopPlan:
    """A stop to write: kind, place, planned time and the pupils there."""

    kind: StopKind
    latitude: float
    longitude: float
    planned_time: dt.time
    school_id: int | None
    pupil_ids: tuple[int, ...]


def _crew(cells: Cells, lookups: RouteLookups, operator_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"vehicle_id": None, "driver_id": None, "pa_id": None}
    vehicle = None
    reg_text = cells.raw("vehicle_registration")
    if reg_text:
        vehicle = lookups.vehicles.get(fields.registration(reg_text))
        if vehicle is None:
            cells.problem("vehicle_registration", f"unknown vehicle '{reg_text}': import the vehicles first")
        elif operator_id is not None and vehicle.operator_id != operator_id:
            cells.problem("vehicle_registration", f"vehicle {reg_text} belongs to another operator")
        else:
            values["vehicle_id"] = vehicle.id
    for column, role, target in (("driver_ref", StaffRole.DRIVER, "driver_id"),
                                 ("pa_ref", StaffRole.PASSENGER_ASSISTANT, "pa_id")):
        ref = cells.raw(column)
        if not ref:
            continue
        person = lookups.staff.get(ref)
        if person is None:
            cells.problem(column, f"unknown member of staff '{ref}': import the staff first")
        elif person.role != role:
            cells.problem(column, f"{ref} is a {person.role.value}, not a {role.value}")
        elif operator_id is not None and person.operator_id != operator_id:
            cells.problem(column, f"{ref} works for another operator")
        else:
            values[target] = person.id
    if cells.raw("driver_ref") and cells.raw("driver_ref") == cells.raw("pa_ref"):
        cells.problem("pa_ref", "the passenger assistant cannot also be the driver")
    if operator_id is None and not cells.raw("operator_ref") and any(
        cells.raw(c) for c in ("vehicle_registration", "driver_ref", "pa_ref")
    ):
        cells.problem("operator_ref", "is blank: a route with a vehicle or crew needs its operator")
    values["_vehicle"] = vehicle
    return values


def _pupils(cells: Cells, lookups: RouteLookups, school_id: int | None) -> list[PupilRef]:
    refs = cells.raw("pupil_refs").replace(",", " ").split()
    if not refs:
        cells.problem("pupil_refs", "is blank: list the route's pupils in pickup order")
        return []
    found: list[PupilRef] = []
    seen: set[str] = set()
    for ref in refs:
        if ref in seen:
            cells.problem("pupil_refs", f"pupil {ref} is listed twice")
            continue
        seen.add(ref)
        pupil = lookups.pupils.get(ref)
        if pupil is None:
            cells.problem("pupil_refs", f"unknown pupil '{ref}': import the pupils first")
        elif school_id is not None and pupil.school_id != school_id:
            cells.problem("pupil_refs", f"pupil {ref} attends another school than the route's")
        else:
            found.append(pupil)
    return found


def _needs(cells: Cells, pupils: Sequence[PupilRef], vehicle: Any, has_pa: bool,
           has_driver: bool, warnings: list[str]) -> None:
    solo = [p.pupil_ref for p in pupils if p.solo]
    if solo and len(pupils) > 1:
        cells.problem("pupil_refs", f"pupil {solo[0]} must travel alone but shares the route with "
                      f"{len(pupils) - 1} other pupil{'s' if len(pupils) > 2 else ''}")
    if vehicle is not None:
        chairs = [p.pupil_ref for p in pupils if p.wheelchair]
        walk_on = len(pupils) - len(chairs) + (1 if has_pa else 0)
        if chairs and vehicle.wheelchair_spaces == 0:
            cells.problem("vehicle_registration", f"pupil {chairs[0]} travels in a wheelchair but "
                          f"the vehicle has no wheelchair space")
        elif len(chairs) > vehicle.wheelchair_spaces:
            cells.problem("vehicle_registration", f"{len(chairs)} wheelchair pupils but the vehicle "
                          f"has {vehicle.wheelchair_spaces} wheelchair spaces")
        if walk_on > vehicle.seats:
            cells.problem("vehicle_registration", f"{walk_on} seated passengers"
                          f"{' (with the PA)' if has_pa else ''} but the vehicle has {vehicle.seats} seats")
    needing = [p.pupil_ref for p in pupils if p.passenger_assistant]
    if needing and has_driver and not has_pa:
        warnings.append(f"line {cells.line}: pupil {needing[0]} needs a passenger assistant but "
                        f"the route has no pa_ref")


def plan_stops(session: str, pupils: Sequence[PupilRef], school: SchoolRef, day: int,
               settings: TimingSettings, provider: TravelProvider) -> tuple[list[StopPlan], int]:
    """Stops in order (pupils at the same place share one; school last am, first pm) and metres."""
    groups: list[tuple[Point, list[PupilRef]]] = []
    for pupil in pupils:
        point = pupil.point_on(day)
        if point is None:
            raise TimingError(f"pupil {pupil.pupil_ref} has no home address")
        if groups and groups[-1][0] == point:
            groups[-1][1].append(pupil)
        else:
            groups.append((point, [pupil]))
    loads = [StopLoad(point, sum(not p.wheelchair for p in group), sum(p.wheelchair for p in group))
             for point, group in groups]
    school_point = Point(school.latitude, school.longitude)
    anchor = school.start_time if session == "am" else school.finish_time
    timing = time_route(session, loads, school_point, anchor, settings, provider)
    times = timing.planned_times
    pickup_kind = StopKind.PICKUP if session == "am" else StopKind.DROPOFF
    offset = 0 if session == "am" else 1
    stops = [StopPlan(pickup_kind, point.latitude, point.longitude, times[i + offset], None,
                      tuple(p.id for p in group)) for i, (point, group) in enumerate(groups)]
    school_stop = StopPlan(StopKind.SCHOOL, school.latitude, school.longitude,
                           times[-1 if session == "am" else 0], school.id, ())
    stops = stops + [school_stop] if session == "am" else [school_stop, *stops]
    return stops, timing.total_metres


def parse_route(cells: Cells, lookups: RouteLookups, settings: TimingSettings,
                provider: TravelProvider, warnings: list[str]) -> Record | None:
    """A route row: checked crew, vehicle, pupils and needs, with its stops planned."""
    code = cells.text("route_code", required=True, max_length=32)
    session = cells.choice("session", ["am", "pm"], required=True, what="session")
    school = None
    urn = cells.text("school_urn", required=True, max_length=16)
    if urn is not None:
        school = lookups.schools.get(urn)
        if school is None:
            cells.problem("school_urn", f"unknown school '{urn}': import the schools first")
    operator_id = None
    operator_ref = cells.raw("operator_ref")
    if operator_ref:
        operator_id = lookups.operator_ids.get(operator_ref)
        if operator_id is None:
            cells.problem("operator_ref", f"unknown operator '{operator_ref}': import the operators first")
    crew = _crew(cells, lookups, operator_id)
    vehicle = crew.pop("_vehicle")
    price = cells.pence("daily_price")
    days = cells.days("days")
    days = weekdays.SCHOOL_DAYS if days is None and not cells.raw("days") else days
    pupils = _pupils(cells, lookups, school.id if school else None)
    _needs(cells, pupils, vehicle, bool(cells.raw("pa_ref")), bool(cells.raw("driver_ref")), warnings)
    if cells.problems or school is None or days is None or session is None:
        return None
    first_day = next(i for i in range(7) if days & (1 << i))
    try:
        stops, metres = plan_stops(session, pupils, school, first_day, settings, provider)
    except TimingError as exc:
        cells.problem("pupil_refs", str(exc))
        return None
    values = dict(route_code=code, session=RouteSession(session), school_id=school.id, operator_id=operator_id,
                  daily_price_pence=price or 0, days=days, distance_metres=metres, **crew)
    return Record(cells.line, code, values, [{"stops": stops, "pupil_refs": [p.pupil_ref for p in pupils]}])


def pupil_clashes(records: Iterable[Record], lookups: RouteLookups) -> list[Problem]:
    """A problem for each pupil put on two routes of the same session on a shared weekday."""
    in_file = {r.key for r in records}
    taken: dict[int, list[tuple[str, str, int, int]]] = {}
    for pupil_id, routes in lookups.assignments.items():
        for code, session, days in routes:
            if code not in in_file:
                taken.setdefault(pupil_id, []).append((code, session, days, 0))
    problems = []
    for record in records:
        session, days = record.values["session"], record.values["days"]
        for stop in record.children[0]["stops"]:
            for pupil_id in stop.pupil_ids:
                clash = next((t for t in taken.get(pupil_id, [])
                              if t[1] == session and t[2] & days), None)
                if clash is not None:
                    ref = next(p for p, info in lookups.pupils.items() if info.id == pupil_id)
                    where = f"line {clash[3]}" if clash[3] else "the database"
                    problems.append(Problem(record.line, "pupil_refs",
                                            f"pupil {ref} is already on {session} route {clash[0]} "
                                            f"({where}) on {weekdays.format_mask(clash[2] & days)}"))
                taken.setdefault(pupil_id, []).append((record.key, session, days, record.line))
    return problems
