"""The routing problem and its solution as plain typed data, in integers with units in the names.

Nothing here knows about OR-Tools or the database: `planning.py` builds a `Problem` from the
database, `solver.solve()` turns it into a `Solution`, and `check.check()` re-verifies one.

Times of day are seconds since midnight; durations are seconds; distances are metres; money is
pence. Node indices refer to `Problem.points` and to the rows of `Problem.travel`.

How a caller (the planning service, the CLI, a background job) uses the engine:

    problem = make_problem(session="am", points=..., provider=HaversineProvider() or
                           OsrmProvider(url), schools=..., vehicle_types=..., requests=...)
    solution = solve_decomposed(problem, time_limit_seconds, workers=2, progress=callback)
    breaches = check(problem, solution)   # must be empty before a plan is saved

`Request.ref` and `School.ref` are the caller's keys (pupil reference, school URN); the
solution speaks in those refs and in node indices, which the caller maps back to addresses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

from hts.routing.matrix import Point, TravelMatrix, TravelProvider

Session = Literal["am", "pm"]

WALK_ON_DWELL_SECONDS = 120
MAX_SCHOOLS_PER_GROUP = 4  # nearby schools that may share vehicles, at most, in one group
WHEELCHAIR_DWELL_SECONDS = 600


@dataclass(frozen=True)
class School:
    """A school: its node, the morning arrival window and the afternoon collection time."""

    ref: str
    node: int
    am_arrive_from_seconds: int
    am_arrive_by_seconds: int
    pm_collect_at_seconds: int


@dataclass(frozen=True)
class VehicleType:
    """A kind of vehicle that can be hired for the day, with or without a passenger assistant."""

    name: str
    seats: int
    wheelchair_spaces: int
    daily_cost_pence: int
    available: int
    has_pa: bool = False


@dataclass(frozen=True)
class Request:
    """One pupil's journey: board at `stop` (a node), travel to `school` (index into schools)."""

    ref: str
    stop: int
    school: int
    max_ride_seconds: int
    seats: int = 1
    wheelchair_spaces: int = 0
    needs_pa: bool = False
    solo: bool = False
    incompatible_with: frozenset[str] = frozenset()
    dwell_seconds: int = WALK_ON_DWELL_SECONDS


@dataclass(frozen=True, eq=False)
class Problem:
    """One session's journeys: who goes from which stop to which school, and what can carry them.

    `depot` is the node vehicles start from (am) or return to (pm); None means routes are open
    (the vehicle's dead mileage is priced into its daily cost). `stop_seconds` is the fixed time
    of any stop at a pupil's address, on top of each pupil's own dwell. `share_within_metres`
    is the policy on nearby schools: 0 means a vehicle carries one school's pupils; above 0,
    schools this close (by road, either way) may share a vehicle (`school_groups`).
    """

    session: Session
    points: tuple[Point, ...]
    travel: TravelMatrix
    schools: tuple[School, ...]
    vehicle_types: tuple[VehicleType, ...]
    requests: tuple[Request, ...]
    depot: int | None = None
    stop_seconds: int = 0
    share_within_metres: int = 0

    def __post_init__(self) -> None:
        n = len(self.points)
        if self.travel.seconds.shape != (n, n) or self.travel.metres.shape != (n, n):
            raise ValueError(f"travel matrices must be {n} x {n}, one row per point")
        refs = [r.ref for r in self.requests]
        if len(set(refs)) != len(refs):
            raise ValueError("pupil references must be unique within a problem")
        for r in self.requests:
            if not 0 <= r.stop < n:
                raise ValueError(f"pupil {r.ref}: stop {r.stop} is not a node")
            if not 0 <= r.school < len(self.schools):
                raise ValueError(f"pupil {r.ref}: school {r.school} is not in the problem")

    def seconds(self, a: int, b: int) -> int:
        """Travel seconds from node a to node b."""
        return int(self.travel.seconds[a, b])

    def metres(self, a: int, b: int) -> int:
        """Travel metres from node a to node b."""
        return int(self.travel.metres[a, b])

    def service_seconds(self, refs: Iterable[str]) -> int:
        """How long a vehicle stands at a stop where these pupils board or alight: the fixed
        stop time plus each pupil's own dwell (walk-on or wheelchair)."""
        by_ref = self._by_ref
        return self.stop_seconds + sum(by_ref[r].dwell_seconds for r in refs)

    def request_by_ref(self) -> dict[str, Request]:
        """Requests keyed by pupil reference (built once per problem)."""
        return self._by_ref

    @cached_property
    def _by_ref(self) -> dict[str, Request]:
        return {r.ref: r for r in self.requests}


def restrict(problem: Problem, school_indices: Sequence[int],
             vehicle_available: Sequence[int] | None = None) -> tuple[Problem, list[int], list[int]]:
    """A compact problem for some schools: only their nodes, renumbered.

    Returns the problem, the old node index of each new node, and the old school index of each
    new school; `remap_route` turns its routes back into the full problem's numbering. This and
    `remap_route` are the only places node numbers change meaning.
    """
    school_map = sorted(set(school_indices))
    requests = [r for r in problem.requests if r.school in set(school_map)]
    nodes = {problem.schools[s].node for s in school_map} | {r.stop for r in requests}
    if problem.depot is not None:
        nodes.add(problem.depot)
    node_map = sorted(nodes)
    new_node = {old: new for new, old in enumerate(node_map)}
    new_school = {old: new for new, old in enumerate(school_map)}
    pick = np.array(node_map, dtype=np.int64)
    types = problem.vehicle_types
    if vehicle_available is not None:
        types = tuple(
            VehicleType(t.name, t.seats, t.wheelchair_spaces, t.daily_cost_pence, n, t.has_pa)
            for t, n in zip(types, vehicle_available, strict=True)
        )
    compact = Problem(
        session=problem.session,
        points=tuple(problem.points[i] for i in node_map),
        travel=TravelMatrix(metres=problem.travel.metres[np.ix_(pick, pick)],
                            seconds=problem.travel.seconds[np.ix_(pick, pick)]),
        schools=tuple(replace(problem.schools[s], node=new_node[problem.schools[s].node])
                      for s in school_map),
        vehicle_types=types,
        requests=tuple(replace(r, stop=new_node[r.stop], school=new_school[r.school]) for r in requests),
        depot=None if problem.depot is None else new_node[problem.depot],
        stop_seconds=problem.stop_seconds,
        share_within_metres=problem.share_within_metres,
    )
    return compact, node_map, school_map


def schools_apart_metres(problem: Problem, a: int, b: int) -> int:
    """Road metres between two schools: the longer way round (the policy is "within, both ways")."""
    na, nb = problem.schools[a].node, problem.schools[b].node
    return max(problem.metres(na, nb), problem.metres(nb, na))


def school_groups(problem: Problem, schools: Sequence[int] | None = None) -> list[list[int]]:
    """The schools that may share vehicles, in groups: each school alone when sharing is off.

    Every two schools of a group are within `share_within_metres` of each other by road, both
    ways (so a route may carry pupils of any of them); groups are joined nearest pairs first and
    never hold more than MAX_SCHOOLS_PER_GROUP. `schools` defaults to every school with pupils in
    the problem. Groups come largest first (by pupils), each in school order.
    """
    if schools is None:
        schools = sorted({r.school for r in problem.requests})
    group_of = {s: [s] for s in schools}
    within = problem.share_within_metres
    if within > 0:
        apart = {(a, b): schools_apart_metres(problem, a, b) for a in schools for b in schools if a < b}
        for (a, b), metres in sorted(apart.items(), key=lambda item: (item[1], item[0])):
            if metres > within:
                break
            ga, gb = group_of[a], group_of[b]
            if ga is gb or len(ga) + len(gb) > MAX_SCHOOLS_PER_GROUP:
                continue
            if all(apart[min(x, y), max(x, y)] <= within for x in ga for y in gb):
                ga.extend(gb)
                for s in gb:
                    group_of[s] = ga
    groups = {id(g): sorted(g) for g in group_of.values()}
    pupils = Counter(r.school for r in problem.requests)
    return sorted(groups.values(), key=lambda g: (-sum(pupils[s] for s in g), g))


def make_problem(
    *,
    session: Session,
    points: Sequence[Point],
    provider: TravelProvider,
    schools: Sequence[School],
    vehicle_types: Sequence[VehicleType],
    requests: Sequence[Request],
    depot: int | None = None,
    stop_seconds: int = 0,
    share_within_metres: int = 0,
) -> Problem:
    """A problem whose travel matrix comes from a provider (haversine, OSRM, ...)."""
    return Problem(
        session=session,
        points=tuple(points),
        travel=provider.matrix(list(points)),
        schools=tuple(schools),
        vehicle_types=tuple(vehicle_types),
        requests=tuple(requests),
        depot=depot,
        stop_seconds=stop_seconds,
        share_within_metres=share_within_metres,
    )


# --- the solution -------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """A stop on a route: where, when, and who gets on or off there (`school`: which school, at
    a school visit)."""

    node: int
    arrival_seconds: int
    departure_seconds: int
    boarding: tuple[str, ...] = ()
    alighting: tuple[str, ...] = ()
    is_school: bool = False
    school: int | None = None


@dataclass(frozen=True)
class Route:
    """One vehicle's run: its type, its school and its visits in order.

    `school` is the school the run ends at (am) or starts from (pm). Where nearby schools share
    a vehicle, the run visits the others on the way, each as a school visit of its own
    (`schools` lists them all in visit order).
    """

    vehicle_type: int
    school: int
    visits: tuple[Visit, ...]
    distance_metres: int
    cost_pence: int

    def remapped(self, node_map: Sequence[int], school_map: Sequence[int]) -> Route:
        """This route in the numbering of the problem `restrict` was called on."""
        return replace(
            self,
            school=school_map[self.school],
            visits=tuple(replace(v, node=node_map[v.node],
                                 school=None if v.school is None else school_map[v.school])
                         for v in self.visits),
        )

    @property
    def schools(self) -> tuple[int, ...]:
        """The schools visited, in visit order (one, unless nearby schools share the vehicle)."""
        return tuple(v.school if v.school is not None else self.school for v in self.visits if v.is_school)

    @property
    def pupil_refs(self) -> tuple[str, ...]:
        """Everyone carried on this route."""
        return tuple(ref for v in self.visits if not v.is_school for ref in (v.boarding or v.alighting))


@dataclass(frozen=True)
class Unassigned:
    """A pupil the plan could not carry, and why."""

    ref: str
    reason: str


@dataclass(frozen=True)
class Figures:
    """The headline numbers of a solution."""

    vehicles: int
    vehicles_by_type: dict[str, int]
    daily_cost_pence: int
    distance_metres: int
    mean_ride_minutes: float
    max_ride_minutes: float
    pupils_carried: int
    pupils_over_limit: int
    pupils_unassigned: int
    solve_seconds: float


@dataclass(frozen=True)
class Solution:
    """Routes, each pupil's ride time, the pupils left out with reasons, and the figures."""

    routes: tuple[Route, ...]
    ride_seconds: dict[str, int]
    unassigned: tuple[Unassigned, ...]
    figures: Figures
    events: tuple[str, ...] = field(default=())


def compute_figures(problem: Problem, routes: Sequence[Route], ride_seconds: dict[str, int],
                    unassigned: Sequence[Unassigned], solve_seconds: float) -> Figures:
    """Figures for a set of routes (shared by the solver and the decomposer)."""
    by_type: dict[str, int] = {}
    for r in routes:
        name = problem.vehicle_types[r.vehicle_type].name
        by_type[name] = by_type.get(name, 0) + 1
    limits = {r.ref: r.max_ride_seconds for r in problem.requests}
    rides = list(ride_seconds.values())
    return Figures(
        vehicles=len(routes),
        vehicles_by_type=by_type,
        daily_cost_pence=sum(r.cost_pence for r in routes),
        distance_metres=sum(r.distance_metres for r in routes),
        mean_ride_minutes=round(float(np.mean(rides)) / 60, 2) if rides else 0.0,
        max_ride_minutes=round(max(rides) / 60, 2) if rides else 0.0,
        pupils_carried=len(ride_seconds),
        pupils_over_limit=sum(1 for ref, s in ride_seconds.items() if s > limits[ref]),
        pupils_unassigned=len(unassigned),
        solve_seconds=round(solve_seconds, 2),
    )


# --- a plain VRPTW, for benchmarking the same solver core ----------------------------------


@dataclass(frozen=True, eq=False)
class VrptwInstance:
    """A classic VRPTW (Solomon format) in integers: node 0 is the depot.

    `cost` and `duration` are n x n; windows and service times are in the same time unit as
    `duration`. `vehicle_fixed_cost` makes the objective vehicles first, then cost.
    """

    name: str
    cost: np.ndarray
    duration: np.ndarray
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    capacity: int
    fleet: int
    vehicle_fixed_cost: int


@dataclass(frozen=True)
class VrptwResult:
    """Routes (customer indices, depot excluded) and what was left out."""

    routes: tuple[tuple[int, ...], ...]
    dropped: tuple[int, ...]
    solve_seconds: float
    events: tuple[str, ...] = ()
