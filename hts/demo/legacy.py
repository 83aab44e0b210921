"""The legacy network: routes built the way a council's planners build them by hand.

Per school: wheelchair users go in WAVs, pupils who must travel alone get a car each, and the
rest are taken around the school sector by sector (compass quarter, then postcode district,
furthest first) into cars, MPVs and minibuses filled to about two thirds, with no
re-optimisation. Planners check the journey by eye (straight line from the furthest home to the
school), which misses the zig-zag between homes and the time pupils take to board, so a few
routes run over the ride-time limits, as hand-built routes do. This is the honest baseline a
route optimiser is measured against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hts.demo.geography import compass_sector
from hts.demo.people import DemoOperator, DemoPupil, DemoSchool
from hts.routing.matrix import HaversineProvider, Point, haversine_km
from hts.routing.timing import StopLoad, TimingSettings, time_route

#: Daily price of a route by vehicle type, in pence.
PRICE_PENCE = {"car": 9500, "mpv": 12000, "wav": 16000, "minibus": 21000}
#: Vehicle layouts a council contracts: (seats, wheelchair spaces), commonest first.
LAYOUTS = {
    "car": ((4, 0),),
    "mpv": ((6, 0), (7, 0)),
    "wav": ((4, 1), (5, 2)),
    "minibus": ((14, 1), (16, 0)),
}
#: Travel estimate used for ride times (the app's default provider settings).
DETOUR_FACTOR = 1.3
SPEED_KMH = 25.0
#: Planners check routes by eye at a speed traffic rarely allows.
PLANNER_SPEED_KMH = 25.5
WALK_ON_DWELL_SECONDS = 120
WHEELCHAIR_DWELL_SECONDS = 600
PRIMARY_LIMIT_MINUTES = 45
SECONDARY_LIMIT_MINUTES = 75
SECONDARY_FROM_AGE = 11
#: Planners fill a vehicle to about this share of its seats (a PA takes a seat).
FILL_SHARE = (0.6, 0.75)
#: Each school's routes go round robin to this many of the nearest operators' depots.
OPERATORS_PER_SCHOOL = 3
SECTORS = 4
#: The planner starts a minibus when a sector has this many pupils left, an MPV from MPV_FROM.
MINIBUS_FROM = 8
MPV_FROM = 3


@dataclass(frozen=True)
class VehicleSpec:
    """What a route needs: a vehicle type and its layout."""

    vehicle_type: str
    seats: int
    wheelchair_spaces: int


@dataclass(frozen=True)
class LegacyRoute:
    """One vehicle's morning route to a school (the afternoon mirrors it)."""

    number: int
    school: DemoSchool
    pupils: tuple[DemoPupil, ...]
    vehicle: VehicleSpec
    needs_pa: bool
    operator_ref: str

    @property
    def price_pence(self) -> int:
        """Daily price of the route."""
        return PRICE_PENCE[self.vehicle.vehicle_type]

    @property
    def occupants(self) -> int:
        """Seats taken: walk-on pupils and the PA (wheelchair users ride in their spaces)."""
        return sum(1 for p in self.pupils if not p.wheelchair) + (1 if self.needs_pa else 0)


def ride_limit_minutes(pupil: DemoPupil, today: dt.date) -> int:
    """The pupil's own limit, or 45 minutes under 11 and 75 minutes from 11."""
    if pupil.max_ride_minutes is not None:
        return pupil.max_ride_minutes
    return PRIMARY_LIMIT_MINUTES if pupil.age_on(today) < SECONDARY_FROM_AGE else SECONDARY_LIMIT_MINUTES


def ride_minutes(school: DemoSchool, pupils: Sequence[DemoPupil], session: str = "am",
                 provider: HaversineProvider | None = None) -> list[float]:
    """Each pupil's minutes on board, as the route import times them (`hts.routing.timing`).

    `pupils` are in the session's order (pickup am, drop-off pm); pupils at the same address
    share a stop; boarding takes 2 minutes walk-on and 10 minutes for a wheelchair.
    """
    provider = provider or HaversineProvider(detour_factor=DETOUR_FACTOR, speed_kmh=SPEED_KMH)
    stops: list[tuple[Point, list[DemoPupil]]] = []
    for pupil in pupils:
        point = Point(pupil.home.latitude, pupil.home.longitude)
        if stops and stops[-1][0] == point:
            stops[-1][1].append(pupil)
        else:
            stops.append((point, [pupil]))
    loads = [StopLoad(point, sum(not p.wheelchair for p in group), sum(p.wheelchair for p in group))
             for point, group in stops]
    anchor = school.start_time if session == "am" else school.finish_time
    timing = time_route(session, loads, Point(school.place.latitude, school.place.longitude), anchor,
                        TimingSettings(dwell_walk_on_seconds=WALK_ON_DWELL_SECONDS,
                                       dwell_wheelchair_seconds=WHEELCHAIR_DWELL_SECONDS), provider)
    return [seconds / 60 for (_, group), seconds in zip(stops, timing.ride_seconds, strict=True)
            for _ in group]


def _dwell_seconds(pupil: DemoPupil) -> int:
    return WHEELCHAIR_DWELL_SECONDS if pupil.wheelchair else WALK_ON_DWELL_SECONDS


def _layout(rng: np.random.Generator, vehicle_type: str) -> VehicleSpec:
    options = LAYOUTS[vehicle_type]
    seats, spaces = options[int(rng.integers(len(options)))]
    return VehicleSpec(vehicle_type, seats, spaces)


def _target(rng: np.random.Generator, spec: VehicleSpec) -> int:
    # Rounded up: a planner counts a car of four with three aboard as about three quarters full.
    return max(1, int(np.ceil(spec.seats * rng.uniform(*FILL_SHARE))))


class _Planner:
    """One school's pupils, grouped the hand-built way."""

    def __init__(self, rng: np.random.Generator, school: DemoSchool, pupils: list[DemoPupil],
                 today: dt.date) -> None:
        self.rng = rng
        self.school = school
        self.today = today
        lat = np.array([p.home.latitude for p in pupils])
        lon = np.array([p.home.longitude for p in pupils])
        km = haversine_km(lat, lon, school.place.latitude, school.place.longitude)
        sectors = compass_sector(school.place.latitude, school.place.longitude, lat, lon, SECTORS)
        self.km = {p.pupil_ref: float(d) for p, d in zip(pupils, km, strict=True)}
        self.index = {p.pupil_ref: i for i, p in enumerate(pupils)}
        self.between = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).tolist()
        self.limit = {p.pupil_ref: ride_limit_minutes(p, today) for p in pupils}
        self.sector = {p.pupil_ref: int(s) for p, s in zip(pupils, sectors, strict=True)}
        self.pupils = sorted(pupils, key=self._order)

    def _order(self, pupil: DemoPupil) -> tuple:
        return (self.sector[pupil.pupil_ref], pupil.home.postcode.split()[0],
                -self.km[pupil.pupil_ref], pupil.pupil_ref)

    def _fits_by_eye(self, group: list[DemoPupil], candidate: DemoPupil) -> bool:
        """The planner's check of both runs with the candidate on board, done with an
        optimistic speed: so it passes some routes that the honest estimate says run over."""
        members = self._in_pickup_order([*group, candidate])
        minutes_per_km = DETOUR_FACTOR / PLANNER_SPEED_KMH * 60
        dwell = [_dwell_seconds(p) / 60 for p in members]
        legs = [self.between[self.index[a.pupil_ref]][self.index[b.pupil_ref]] * minutes_per_km
                for a, b in zip(members, members[1:], strict=False)]
        legs.append(self.km[members[-1].pupil_ref] * minutes_per_km)
        # Morning: a pupil rides from boarding at home until school.
        ride = 0.0
        for i in range(len(members) - 1, -1, -1):
            ride += legs[i] + dwell[i]
            if ride > self.limit[members[i].pupil_ref]:
                return False
        # Afternoon, in reverse: everyone boards at school, then the drops nearest first.
        ride = sum(dwell)
        for i in range(len(members) - 1, -1, -1):
            ride += legs[i]
            if ride > self.limit[members[i].pupil_ref]:
                return False
            ride += dwell[i]
        return True

    def _fill(self, queue: list[DemoPupil], seat_limit: int, spaces: int) -> list[DemoPupil]:
        """Take the first pupil, then whoever fits in queue order: from its sector, and if
        seats are left, from the sectors either side (a planner tops up a half-empty car)."""
        first = queue[0]
        group = [first]
        home = self.sector[first.pupil_ref]
        seated = 0 if first.wheelchair else 1
        wheeled = 1 if first.wheelchair else 0
        pa = first.passenger_assistant
        for allowed in ({home}, {home, (home + 1) % SECTORS, (home - 1) % SECTORS}):
            for pupil in queue[1:]:
                if pupil in group or self.sector[pupil.pupil_ref] not in allowed:
                    continue
                if pupil.wheelchair and wheeled >= spaces:
                    continue
                new_seated = seated + (0 if pupil.wheelchair else 1)
                new_pa = pa or pupil.passenger_assistant
                if new_seated + (1 if new_pa else 0) > seat_limit or not self._fits_by_eye(group, pupil):
                    continue
                group.append(pupil)
                seated, pa = new_seated, new_pa
                wheeled += 1 if pupil.wheelchair else 0
        for pupil in group:
            queue.remove(pupil)
        return group

    def groups(self) -> list[tuple[VehicleSpec, list[DemoPupil]]]:
        """(vehicle, pupils in pickup order) for every route of the school."""
        result: list[tuple[VehicleSpec, list[DemoPupil]]] = []
        solo = [p for p in self.pupils if p.solo]
        wheelchair = [p for p in self.pupils if p.wheelchair and not p.solo]
        walk_on = [p for p in self.pupils if not p.wheelchair and not p.solo]
        for pupil in solo:
            result.append((_layout(self.rng, "wav") if pupil.wheelchair else _layout(self.rng, "car"),
                           [pupil]))
        # A WAV collects the sector's wheelchair users first, then walk-on pupils in spare seats.
        while wheelchair:
            # Two wheelchair users left in the sector call for the larger WAV.
            pair = sum(1 for p in wheelchair
                       if self.sector[p.pupil_ref] == self.sector[wheelchair[0].pupil_ref]) >= 2
            spec = VehicleSpec("wav", *LAYOUTS["wav"][1 if pair else 0])
            target = _target(self.rng, spec)
            queue = wheelchair + [p for p in walk_on if self.sector[p.pupil_ref]
                                  == self.sector[wheelchair[0].pupil_ref]][: max(0, target - 1)]
            group = self._fill(queue, target, spec.wheelchair_spaces)
            wheelchair = [p for p in wheelchair if p not in group]
            walk_on = [p for p in walk_on if p not in group]
            result.append((spec, self._in_pickup_order(group)))
        while walk_on:
            left_in_sector = sum(1 for p in walk_on
                                 if self.sector[p.pupil_ref] == self.sector[walk_on[0].pupil_ref])
            kind = "minibus" if left_in_sector >= MINIBUS_FROM else "mpv" if left_in_sector >= MPV_FROM else "car"
            spec = _layout(self.rng, kind)
            group = self._fill(walk_on, _target(self.rng, spec), spec.wheelchair_spaces)
            result.append((self._downsize(spec, group), self._in_pickup_order(group)))
        return result

    def _in_pickup_order(self, group: list[DemoPupil]) -> list[DemoPupil]:
        # The driver starts with the furthest home and works in towards the school.
        return sorted(group, key=lambda p: (-self.km[p.pupil_ref], p.pupil_ref))

    def _downsize(self, spec: VehicleSpec, group: list[DemoPupil]) -> VehicleSpec:
        """The smallest vehicle the group fits at the usual fill, once the planner sees it."""
        occupants = len(group) + (1 if any(p.passenger_assistant for p in group) else 0)
        for kind in ("car", "mpv", "minibus"):
            if kind == spec.vehicle_type:
                return spec
            smaller = _layout(self.rng, kind)
            if int(smaller.seats * FILL_SHARE[1]) >= occupants:
                return smaller
        return spec


def nearest_operators(school: DemoSchool, operators: Sequence[DemoOperator], count: int) -> list[str]:
    """References of the `count` operators whose depots are nearest the school."""
    lat = np.array([o.depot.latitude for o in operators])
    lon = np.array([o.depot.longitude for o in operators])
    km = haversine_km(lat, lon, school.place.latitude, school.place.longitude)
    order = np.lexsort((np.arange(len(operators)), km))[:count]
    return [operators[int(i)].operator_ref for i in order]


def build_legacy_network(rng: np.random.Generator, schools: Sequence[DemoSchool],
                         pupils: Sequence[DemoPupil], operators: Sequence[DemoOperator],
                         today: dt.date) -> list[LegacyRoute]:
    """Every school's hand-built routes, with a nearby operator for each (round robin)."""
    by_school: dict[str, list[DemoPupil]] = {s.urn: [] for s in schools}
    for pupil in pupils:
        by_school[pupil.school_urn].append(pupil)
    routes: list[LegacyRoute] = []
    for school in schools:
        if not by_school[school.urn]:
            continue
        nearby = nearest_operators(school, operators, OPERATORS_PER_SCHOOL)
        planner = _Planner(rng, school, by_school[school.urn], today)
        for number, (spec, group) in enumerate(planner.groups(), start=1):
            routes.append(LegacyRoute(
                number=number, school=school, pupils=tuple(group), vehicle=spec,
                needs_pa=any(p.passenger_assistant for p in group),
                operator_ref=nearby[(number - 1) % len(nearby)],
            ))
    return routes
