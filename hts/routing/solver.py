"""Solve a routing `Problem` with OR-Tools; the only module that imports ortools.

Modelling choices (see docs/benchmarks.md for what they buy):

- Each school is solved as its own fleet of routes that all touch that school, so a pupil's
  ride ends (am) or starts (pm) at the route's school. Where nearby schools may share a vehicle
  (`Problem.share_within_metres`), their separate plans are then improved together (`sharing.py`). The morning run is modelled *backwards*:
  every route starts at the school at cumul 0 and the time dimension counts seconds back to
  each pickup, so a pupil's ride time is simply the cumul at their node and the limit is a plain
  upper bound there. This avoids the cross-node `CumulVar(delivery) - CumulVar(pickup)`
  constraints that OR-Tools' local search handles badly (google/or-tools #685, #1388, #2084).
- Capacity in three dimensions: seats, wheelchair spaces, and "units" where a solo pupil
  weighs a whole vehicle, so nobody else fits beside them.
- Vehicles first: each vehicle's fixed cost is its daily price x 100, far above any route's
  metres, then distance.
- Every pupil has a high-penalty disjunction, so one impossible pupil never fails the solve.
- Vehicle removal: after a first guided-local-search phase, the smallest route is emptied and
  the solver is asked to place its pupils on the remaining vehicles; kept when it succeeds.
  A last phase polishes distance on the vehicles kept.
- Vehicle slots are estimated per type (dominated types left out); a school that used every
  slot of a type and still left pupils out is solved again with three times the slots.

Two engines sit behind `solve` and `solve_vrptw` (setting `HTS_ROUTING_ENGINE`): this OR-Tools
model, and PyVRP (`hgs.py`, the same model in PyVRP's terms), which finds fewer vehicles on
larger instances. `auto` (the default) gives a school to PyVRP when it can model every rule
there (`hgs.pyvrp_can_model`: not pupils who must not travel together) and to OR-Tools
otherwise, or when PyVRP's plan does not pass the checker; `ortools` and `pyvrp` choose one
(`pyvrp` still falls back to OR-Tools where PyVRP cannot model a school, never failing a solve).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from hts import config
from hts.routing.check import check_vrptw
from hts.routing.problem import (
    Problem,
    Request,
    Route,
    Solution,
    Unassigned,
    VehicleType,
    Visit,
    VrptwInstance,
    VrptwResult,
    compute_figures,
    restrict,
    school_groups,
)

Progress = Callable[[int, int, str], None]
"""progress(done, total, message): called as parts of a solve finish."""

FIXED_COST_WEIGHT = 100  # daily pence x 100 dwarfs any route's metres: vehicles first
SOLO_UNITS = 1000  # a solo pupil's weight in the "units" dimension, equal to every capacity
FIRST_PHASE_SECONDS_PER_STOP = 0.04
REASON_NOT_PLACED = "no feasible vehicle found within the time limit"


def no_progress(done: int, total: int, message: str) -> None:
    """Default progress callback: ignore."""


def routing_engine(engine: str | None = None) -> str:
    """The engine to use: the one asked for, else the HTS_ROUTING_ENGINE setting, else auto."""
    try:
        return config.routing_engine(engine or config.environ("ROUTING_ENGINE") or "auto")
    except ValueError as exc:
        raise ValueError(f"routing engine {exc}") from None


# --- the generic core model -----------------------------------------------------------------


@dataclass(frozen=True)
class _Core:
    """A vehicle routing model in plain lists, shared by school problems and VRPTW benchmarks."""

    cost: list[list[int]]
    transit: list[list[int]]
    windows: list[tuple[int, int]]
    demands: list[list[int]]  # per dimension, per node
    capacities: list[list[int]]  # per dimension, per vehicle
    fixed: list[int]  # per vehicle
    starts: list[int]
    ends: list[int]
    customers: list[int]
    allowed: dict[int, list[int]]  # node -> vehicles allowed to serve it (absent: all)
    incompatible: list[tuple[int, int]]
    penalty: int
    slack_max: int
    horizon: int
    # Pickup and delivery: (pickup node, delivery node, most seconds between them), on one
    # vehicle, pickup first (nearby schools sharing a vehicle, `sharing.py`).
    pairs: list[tuple[int, int, int]] = field(default_factory=list)
    # node -> the only nodes that may follow it (besides the route's end); absent: any.
    followers: dict[int, list[int]] = field(default_factory=dict)

    @property
    def vehicles(self) -> int:
        """Number of vehicle slots."""
        return len(self.fixed)

    def restrict(self, keep: Sequence[int]) -> _Core:
        """The same model with only some vehicle slots, renumbered in `keep` order."""
        new_index = {v: i for i, v in enumerate(keep)}
        allowed = {
            node: [new_index[v] for v in vs if v in new_index] for node, vs in self.allowed.items()
        }
        return replace(
            self,
            capacities=[[caps[v] for v in keep] for caps in self.capacities],
            fixed=[self.fixed[v] for v in keep],
            starts=[self.starts[v] for v in keep],
            ends=[self.ends[v] for v in keep],
            allowed=allowed,
        )


def _run(core: _Core, seconds: float, initial: list[list[int]] | None) -> list[list[int]] | None:
    """One OR-Tools solve (first solution or from `initial`, then guided local search)."""
    n = len(core.windows)
    manager = pywrapcp.RoutingIndexManager(n, core.vehicles, core.starts, core.ends)
    routing = pywrapcp.RoutingModel(manager)
    cost_index = routing.RegisterTransitMatrix(core.cost)
    routing.SetArcCostEvaluatorOfAllVehicles(cost_index)
    transit_index = routing.RegisterTransitMatrix(core.transit)
    routing.AddDimension(transit_index, core.slack_max, core.horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node in core.customers:
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(*core.windows[node])
    for v in range(core.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(*core.windows[core.starts[v]])
        time_dim.CumulVar(routing.End(v)).SetRange(*core.windows[core.ends[v]])
        routing.SetFixedCostOfVehicle(core.fixed[v], v)
    for d, (demand, caps) in enumerate(zip(core.demands, core.capacities, strict=True)):
        demand_index = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(demand_index, 0, caps, True, f"load{d}")
    for node in core.customers:
        index = manager.NodeToIndex(node)
        routing.AddDisjunction([index], core.penalty)
        if node in core.allowed:
            # SetAllowedVehiclesForIndex does not bind in the 9.15 Python wrapper, and an empty
            # list there would mean "any vehicle"; -1 keeps "left out" possible.
            routing.VehicleVar(index).SetValues([-1, *core.allowed[node]])
    solver = routing.solver()
    for pickup, delivery, most in core.pairs:
        p, d = manager.NodeToIndex(pickup), manager.NodeToIndex(delivery)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
        solver.Add(time_dim.CumulVar(p) <= time_dim.CumulVar(d))
        solver.Add(time_dim.CumulVar(d) - time_dim.CumulVar(p) <= most)
    if core.followers:
        ends = [routing.End(v) for v in range(core.vehicles)]
        for node, after in core.followers.items():
            index = manager.NodeToIndex(node)
            # An unvisited node's next is itself.
            routing.NextVar(index).SetValues([index, *ends, *(manager.NodeToIndex(a) for a in after)])
    for a, b in core.incompatible:
        va = routing.VehicleVar(manager.NodeToIndex(a))
        vb = routing.VehicleVar(manager.NodeToIndex(b))
        # Apart, unless one of them is left out (vehicle -1): both out would otherwise clash.
        solver.Add(solver.IsDifferentVar(va, vb) + solver.IsEqualCstVar(va, -1) >= 1)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if initial is None:
        solution = routing.SolveWithParameters(params)
    else:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(node) for node in r] for r in initial], True)
        if start is None:
            return None
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        return None
    routes: list[list[int]] = []
    for v in range(core.vehicles):
        nodes = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(nodes)
    return routes


def _solve_core(core: _Core, seconds: float, events: list[str],
                remove_vehicles: bool = True,
                initial: list[list[int]] | None = None) -> list[list[int]] | None:
    """Guided local search, then vehicle-removal passes, then a last distance polish.

    The first phase gets 40 % of the time, or 0.04 s per stop if more (measured: removal
    passes started before guided local search has settled cost vehicles on 200 customers at
    10 s), up to 80 %; removal passes run until 80 %, and the rest (plus whatever removal
    did not need) polishes distance on the vehicles kept. `initial` (nodes per vehicle slot)
    is the first phase's starting plan, if OR-Tools accepts it.
    """
    started = time.monotonic()
    deadline = started + seconds
    first_seconds = min(0.8 * seconds, max(0.4 * seconds, FIRST_PHASE_SECONDS_PER_STOP * len(core.customers)))
    routes = _run(core, first_seconds if remove_vehicles else seconds, initial)
    if routes is None and initial is not None:
        events.append("the starting plan was not accepted: a first solution from scratch")
        routes = _run(core, first_seconds if remove_vehicles else seconds, None)
    if routes is None:
        # The first phase can run out of time before any solution: give it everything left.
        left = deadline - time.monotonic()
        if left <= 0.05:
            return None
        routes = _run(core, left, None)
        if routes is None:
            return None
    served = sum(len(r) for r in routes)
    events.append(f"first phase: {sum(1 for r in routes if r)} vehicles, {served} stops")
    if not remove_vehicles:
        return routes
    removal_deadline = started + 0.8 * seconds
    failed: set[frozenset[int]] = set()
    slice_seconds = max(0.5, seconds * 0.15)
    while (left := removal_deadline - time.monotonic()) > 0.2:
        used = [v for v in range(core.vehicles) if routes[v]]
        candidates = [v for v in used if frozenset(routes[v]) not in failed]
        if len(used) <= 1 or not candidates:
            break
        # Empty the route with the fewest stops, then the least load: the cheapest to absorb.
        target = min(candidates, key=lambda v: (len(routes[v]), sum(core.demands[0][n] for n in routes[v]), v))
        keep = [v for v in used if v != target]
        attempt = _run(core.restrict(keep), min(left, slice_seconds), [routes[v] for v in keep])
        if attempt is not None and sum(len(r) for r in attempt) >= served:
            routes = [[] for _ in range(core.vehicles)]
            for i, v in enumerate(keep):
                routes[v] = attempt[i]
            events.append(f"removed a vehicle: {len(keep)} left")
        else:
            failed.add(frozenset(routes[target]))
    left = deadline - time.monotonic()
    if left > 0.2:
        used = [v for v in range(core.vehicles) if routes[v]]
        polished = _run(core.restrict(used), left, [routes[v] for v in used])
        if polished is not None and sum(len(r) for r in polished) >= served:
            routes = [[] for _ in range(core.vehicles)]
            for i, v in enumerate(used):
                routes[v] = polished[i]
    return routes


# --- school problems -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Pupils who board together at one stop: one node of the core model."""

    refs: tuple[str, ...]
    stop: int
    seats: int
    wheelchair_spaces: int
    needs_pa: bool
    solo: bool
    max_ride_seconds: int
    service_seconds: int


def _minutes(seconds: int) -> str:
    """Whole minutes, rounded up, for messages."""
    return f"{math.ceil(seconds / 60)} min"


def _direct_ride_seconds(problem: Problem, r: Request) -> int:
    """The shortest possible ride: alone, straight to (am) or from (pm) school."""
    school = problem.schools[r.school].node
    if problem.session == "am":
        return problem.stop_seconds + r.dwell_seconds + problem.seconds(r.stop, school)
    return problem.seconds(school, r.stop)


def unservable_reason(problem: Problem, r: Request, available: Sequence[int]) -> str | None:
    """Why a pupil cannot be carried at all, before any search; None if they might be."""
    types = [t for t, n in zip(problem.vehicle_types, available, strict=True) if n > 0]
    if r.wheelchair_spaces and not any(t.wheelchair_spaces >= r.wheelchair_spaces for t in types):
        return "no available vehicle type has a wheelchair space"
    if r.needs_pa and not any(t.has_pa for t in types):
        return "no available vehicle type runs with a passenger assistant"
    if not any(
        t.seats >= r.seats and t.wheelchair_spaces >= r.wheelchair_spaces and (t.has_pa or not r.needs_pa)
        for t in types
    ):
        return "no available vehicle type fits this pupil's needs"
    direct = _direct_ride_seconds(problem, r)
    if direct > r.max_ride_seconds:
        return (
            f"direct journey {_minutes(direct)} is over the "
            f"{_minutes(r.max_ride_seconds)} limit"
        )
    return None


def _groups(problem: Problem, requests: Sequence[Request]) -> list[_Group]:
    """Pupils at one address with no individual constraint share a node, in vehicle-sized chunks."""
    named = {other for r in requests for other in r.incompatible_with}
    single: list[list[Request]] = []
    pooled: dict[tuple[int, bool], list[Request]] = {}
    for r in requests:
        if r.solo or r.wheelchair_spaces or r.incompatible_with or r.ref in named:
            single.append([r])
        else:
            pooled.setdefault((r.stop, r.needs_pa), []).append(r)
    chunks = list(single)
    for (_, needs_pa), members in pooled.items():
        size = max(
            (t.seats for t in problem.vehicle_types if t.has_pa or not needs_pa), default=1
        )
        chunk: list[Request] = []
        for r in members:
            if chunk and sum(m.seats for m in chunk) + r.seats > size:
                chunks.append(chunk)
                chunk = []
            chunk.append(r)
        chunks.append(chunk)
    return [group_of(problem, c) for c in chunks]


def group_of(problem: Problem, members: Sequence[Request]) -> _Group:
    """Pupils boarding together at one stop as one node: their load, needs, tightest limit and dwell."""
    return _Group(
        refs=tuple(m.ref for m in members),
        stop=members[0].stop,
        seats=sum(m.seats for m in members),
        wheelchair_spaces=sum(m.wheelchair_spaces for m in members),
        needs_pa=any(m.needs_pa for m in members),
        solo=any(m.solo for m in members),
        max_ride_seconds=min(m.max_ride_seconds for m in members),
        service_seconds=problem.service_seconds(m.ref for m in members),
    )


def _fits(vt: VehicleType, g: _Group) -> bool:
    """Whether a group can ride in a vehicle of this type."""
    return (g.seats <= vt.seats and g.wheelchair_spaces <= vt.wheelchair_spaces
            and (vt.has_pa or not g.needs_pa))


def _vehicle_slots(problem: Problem, groups: Sequence[_Group], available: Sequence[int],
                   scale: int = 1) -> list[int]:
    """The vehicle type of each vehicle the model may use, as few as safely possible.

    Every slot is a vehicle OR-Tools must consider, and hundreds of them slow it badly. A type
    is left out when another, at most as dear, carries at least as much, has a PA if it does,
    and is plentiful; each type gets about 1.5 times the vehicles its pupils would fill, plus
    one per solo pupil (ride limits keep SEND vehicles part-empty), times `scale` when a
    first solve used every slot of a type and still left pupils out.
    """
    types = problem.vehicle_types
    n = len(groups)
    keep = []
    for t, vt in enumerate(types):
        dominated = any(
            u != t and available[u] >= n and ov.daily_cost_pence <= vt.daily_cost_pence
            and ov.seats >= vt.seats and ov.wheelchair_spaces >= vt.wheelchair_spaces
            and ov.has_pa >= vt.has_pa
            and (ov.daily_cost_pence, -ov.seats, -ov.wheelchair_spaces, u)
            < (vt.daily_cost_pence, -vt.seats, -vt.wheelchair_spaces, t)
            for u, ov in enumerate(types)
        )
        if not dominated:
            keep.append(t)
    slots: list[int] = []
    for t in keep:
        vt = types[t]
        riders = [g for g in groups if _fits(vt, g)]
        if not riders:
            continue
        shared = [g for g in riders if not g.solo]
        need = max(
            math.ceil(sum(g.seats for g in shared) / max(1, vt.seats)),
            math.ceil(sum(g.wheelchair_spaces for g in shared) / vt.wheelchair_spaces)
            if vt.wheelchair_spaces else 0,
        )
        cap = scale * max(4, math.ceil(1.5 * need)) + (len(riders) - len(shared))
        slots.extend([t] * min(available[t], len(riders), cap))
    return slots


def _school_core(problem: Problem, school_index: int, groups: Sequence[_Group],
                 available: Sequence[int], scale: int = 1) -> tuple[_Core, list[int]]:
    """The core model of one school's runs, and the vehicle type of each vehicle slot.

    Nodes: 0 the school (every route starts there, cumul 0), 1 the route's far end, 2+ groups.
    In the morning arcs run backwards in real time, so cumuls are seconds before school arrival.
    """
    school = problem.schools[school_index].node
    am = problem.session == "am"
    depot = problem.depot
    T, M = problem.travel.seconds, problem.travel.metres
    stops = [school, school] + [g.stop for g in groups]
    service = [0, 0] + [g.service_seconds for g in groups]
    n = len(stops)
    transit = [[0] * n for _ in range(n)]
    cost = [[0] * n for _ in range(n)]
    for a in range(n):
        for b in range(2, n):
            if a == b or a == 1:
                continue
            if am:  # real order: b, then a
                transit[a][b] = int(T[stops[b], stops[a]]) + service[b]
                cost[a][b] = int(M[stops[b], stops[a]])
            else:  # real order: a, then b (ride counts from leaving school)
                transit[a][b] = int(T[stops[a], stops[b]]) + (service[a] if a >= 2 else 0)
                cost[a][b] = int(M[stops[a], stops[b]])
        if a >= 2 and depot is not None:
            cost[a][1] = int(M[depot, stops[a]] if am else M[stops[a], depot])
    horizon = max((g.max_ride_seconds for g in groups), default=0) + 1
    windows = [(0, 0), (0, horizon)] + [(0, g.max_ride_seconds) for g in groups]

    slot_type = _vehicle_slots(problem, groups, available, scale)
    types = [problem.vehicle_types[t] for t in slot_type]
    demands = [
        [0, 0] + [g.seats for g in groups],
        [0, 0] + [g.wheelchair_spaces for g in groups],
        [0, 0] + [SOLO_UNITS if g.solo else 1 for g in groups],
    ]
    capacities = [[vt.seats for vt in types], [vt.wheelchair_spaces for vt in types],
                  [SOLO_UNITS] * len(types)]
    fixed = [(vt.daily_cost_pence + 1) * FIXED_COST_WEIGHT for vt in types]
    pa_slots = [v for v, vt in enumerate(types) if vt.has_pa]
    allowed = {2 + i: pa_slots for i, g in enumerate(groups) if g.needs_pa}
    node_of = {ref: 2 + i for i, g in enumerate(groups) for ref in g.refs}
    by_ref = problem.request_by_ref()
    incompatible = sorted({
        tuple(sorted((node_of[ref], node_of[other])))
        for ref in node_of for other in by_ref[ref].incompatible_with if other in node_of
    })
    core = _Core(
        cost=cost, transit=transit, windows=windows, demands=demands, capacities=capacities,
        fixed=fixed, starts=[0] * len(types), ends=[1] * len(types),
        customers=list(range(2, n)), allowed=allowed,
        incompatible=[(a, b) for a, b in incompatible],
        # Above a vehicle and any route's metres, but not so far above that guided local
        # search (whose penalties scale with the objective) loses its sense of distance.
        penalty=2 * max(fixed, default=FIXED_COST_WEIGHT) + 10**7,
        slack_max=0, horizon=horizon,
    )
    return core, slot_type


def _route(problem: Problem, school_index: int, vehicle_type: int,
           groups: Sequence[_Group]) -> tuple[Route, dict[str, int]]:
    """A timed route from groups in real travel order, with each pupil's ride seconds."""
    school = problem.schools[school_index]
    # Consecutive groups at one stop are one visit: the vehicle stops once.
    visits: list[tuple[int, list[str]]] = []
    for g in groups:
        if visits and visits[-1][0] == g.stop:
            visits[-1][1].extend(g.refs)
        else:
            visits.append((g.stop, list(g.refs)))

    rides: dict[str, int] = {}
    timed: list[Visit] = []
    if problem.session == "am":
        arrive_school = school.am_arrive_by_seconds
        after, next_node = arrive_school, school.node
        for stop, refs in reversed(visits):
            departure = after - problem.seconds(stop, next_node)
            arrival = departure - problem.service_seconds(refs)
            timed.append(Visit(stop, arrival, departure, boarding=tuple(refs)))
            for ref in refs:
                rides[ref] = arrive_school - arrival
            after, next_node = arrival, stop
        timed.reverse()
        everyone = tuple(ref for _, refs in visits for ref in refs)
        timed.append(Visit(school.node, arrive_school, arrive_school, alighting=everyone, is_school=True,
                           school=school_index))
        nodes = [v.node for v in timed]
        if problem.depot is not None:
            nodes.insert(0, problem.depot)
    else:
        everyone = tuple(ref for _, refs in visits for ref in refs)
        leave = school.pm_collect_at_seconds + problem.service_seconds(everyone)
        timed.append(Visit(school.node, school.pm_collect_at_seconds, leave, boarding=everyone, is_school=True,
                           school=school_index))
        at, prev = leave, school.node
        for stop, refs in visits:
            arrival = at + problem.seconds(prev, stop)
            departure = arrival + problem.service_seconds(refs)
            timed.append(Visit(stop, arrival, departure, alighting=tuple(refs)))
            for ref in refs:
                rides[ref] = arrival - leave
            at, prev = departure, stop
        nodes = [v.node for v in timed]
        if problem.depot is not None:
            nodes.append(problem.depot)
    distance = sum(problem.metres(a, b) for a, b in zip(nodes, nodes[1:], strict=False))
    route = Route(
        vehicle_type=vehicle_type, school=school_index, visits=tuple(timed),
        distance_metres=distance, cost_pence=problem.vehicle_types[vehicle_type].daily_cost_pence,
    )
    return route, rides


def _short_of_slots(found: list[list[int]] | None, slot_type: Sequence[int], groups: int) -> bool:
    """Whether some groups were left out while every slot of some vehicle type was in use."""
    if found is None or sum(len(nodes) for nodes in found) >= groups:
        return False
    for t in set(slot_type):
        slots = [v for v, st in enumerate(slot_type) if st == t]
        if all(found[v] for v in slots):
            return True
    return False


def _hgs() -> ModuleType | None:
    """The PyVRP engine module, or None where PyVRP is not installed (OR-Tools then does all)."""
    try:
        from hts.routing import hgs  # here, not at the top: hgs imports this module
    except ImportError:
        return None
    return hgs


def _pyvrp_school(problem: Problem, school_index: int, candidates: Sequence[Request],
                  available: Sequence[int], seconds: float, events: list[str]) -> Solution | None:
    """One school's plan from PyVRP in the full problem's numbering, or None (events say why)."""
    hgs = _hgs()
    if hgs is None:
        events.append("OR-Tools: PyVRP is not installed")
        return None
    part, node_map, school_map = restrict(replace(problem, requests=tuple(candidates)),
                                          [school_index], available)
    can, why = hgs.pyvrp_can_model(part)
    if not can:
        events.append(f"OR-Tools: {why}")
        return None
    solution = hgs.solve_part(part, seconds)
    if solution is None:
        events.append("OR-Tools: PyVRP found no plan that passes the checker")
        return None
    events.extend(solution.events)
    return replace(solution, routes=tuple(r.remapped(node_map, school_map) for r in solution.routes))


@dataclass
class _Plan:
    """Part of a solution being built: routes, rides, pupils left out, events."""

    routes: list[Route]
    rides: dict[str, int]
    unassigned: list[Unassigned]
    events: list[str]


def _plan_school(problem: Problem, s: int, candidates: Sequence[Request], available: list[int],
                 share: float, engine: str, remove_vehicles: bool) -> _Plan:
    """One school's runs for pupils who might be carried; takes its vehicles from `available`."""
    plan = _Plan([], {}, [], [])
    groups = _groups(problem, candidates)
    if not groups:
        return plan
    school_events: list[str] = []
    if engine != "ortools":
        school_started = time.monotonic()
        part = _pyvrp_school(problem, s, candidates, available, max(0.1, share), school_events)
        if part is not None:
            plan.events.extend(f"school {problem.schools[s].ref}: {e}" for e in school_events)
            plan.routes.extend(part.routes)
            plan.rides.update(part.ride_seconds)
            plan.unassigned.extend(part.unassigned)
            for route in part.routes:
                available[route.vehicle_type] -= 1
            return plan
        # PyVRP could not, or its plan failed the check: OR-Tools gets what is left,
        # and at least half the share (a rare overrun rather than a school unplanned).
        share = max(share / 2, share - (time.monotonic() - school_started))
    core, slot_type = _school_core(problem, s, groups, available)
    found = _solve_core(core, max(0.1, share), school_events, remove_vehicles)
    if _short_of_slots(found, slot_type, len(groups)):
        # Every vehicle of some type was used and pupils are still out: the slot
        # estimate was too low (long rides leave vehicles part-empty). Try again
        # with three times the slots, for half as long again.
        school_events.append("pupils left out with every slot of a type used: more slots")
        core, wider_types = _school_core(problem, s, groups, available, scale=3)
        wider = _solve_core(core, max(0.1, share / 2), school_events, remove_vehicles)
        if wider is not None and (found is None or sum(map(len, wider)) > sum(map(len, found))):
            found, slot_type = wider, wider_types
    plan.events.extend(f"school {problem.schools[s].ref}: {e}" for e in school_events)
    placed: set[int] = set()
    if found is not None:
        for v, nodes in enumerate(found):
            if not nodes:
                continue
            members = [groups[node - 2] for node in nodes]
            if problem.session == "am":
                members.reverse()  # the core runs backwards from school
            route, route_rides = _route(problem, s, slot_type[v], members)
            plan.routes.append(route)
            plan.rides.update(route_rides)
            available[slot_type[v]] -= 1
            placed.update(nodes)
    for i, g in enumerate(groups):
        if i + 2 not in placed:
            plan.unassigned.extend(Unassigned(ref, REASON_NOT_PLACED) for ref in g.refs)
    return plan


def solve(problem: Problem, time_limit_seconds: float, progress: Progress = no_progress,
          remove_vehicles: bool = True, engine: str | None = None) -> Solution:
    """Plan every school's runs within the time limit; never fails because of one pupil.

    Schools are solved one after another (groups of nearby schools together, when they may
    share vehicles: `sharing.py`), each with a share of the time in proportion to its pupils, and
    vehicles used by one school are not available to the next. `engine` is auto, ortools or
    pyvrp (default: the HTS_ROUTING_ENGINE setting, else auto).
    """
    from hts.routing import sharing  # here, not at the top: sharing imports this module

    started = time.monotonic()
    engine = routing_engine(engine)
    available = [t.available for t in problem.vehicle_types]
    pupils: dict[int, int] = {}
    for r in problem.requests:
        pupils[r.school] = pupils.get(r.school, 0) + 1
    plan = _Plan([], {}, [], [])
    parts = school_groups(problem)
    total = sum(map(len, parts))
    done = 0
    for number, part in enumerate(parts):
        part_started = time.monotonic()
        left = time_limit_seconds - (part_started - started)
        part_share = left * sum(pupils[s] for s in part) / max(
            1, sum(pupils[s] for later in parts[number:] for s in later))
        shared = len(part) > 1
        separate = _Plan([], {}, [], [])
        tried: list[str] = []
        for s in part:
            candidates = []
            for r in problem.requests:
                if r.school != s:
                    continue
                reason = unservable_reason(problem, r, available)
                if reason:
                    separate.unassigned.append(Unassigned(r.ref, reason))
                else:
                    candidates.append(r)
                    tried.append(r.ref)
            share = part_share * pupils[s] / sum(pupils[x] for x in part)
            school = _plan_school(problem, s, candidates, available, share, engine, remove_vehicles)
            separate.routes.extend(school.routes)
            separate.rides.update(school.rides)
            separate.unassigned.extend(school.unassigned)
            separate.events.extend(school.events)
            if not shared:
                done += 1
                progress(done, total, f"school {problem.schools[s].ref} planned")
        if shared and separate.routes:
            for route in separate.routes:
                available[route.vehicle_type] += 1
            # The separate plans had the group's whole share (PyVRP hands back what it does not
            # need); sharing merges routes, then searches for whatever time is left.
            group_events: list[str] = []
            better = sharing.improve(problem, part, tried, separate.routes, separate.rides, available,
                                     part_share - (time.monotonic() - part_started), group_events)
            names = "+".join(problem.schools[s].ref for s in part)
            separate.events.extend(f"schools {names}: {e}" for e in group_events)
            if better is not None:
                routes, rides = better
                carried = set(rides)
                separate.unassigned = [u for u in separate.unassigned if u.ref not in carried]
                separate.routes, separate.rides = routes, rides
            for route in separate.routes:
                available[route.vehicle_type] -= 1
        if shared:
            done += len(part)
            progress(done, total,
                     f"schools {'+'.join(problem.schools[s].ref for s in part)} planned")
        plan.routes.extend(separate.routes)
        plan.rides.update(separate.rides)
        plan.unassigned.extend(separate.unassigned)
        plan.events.extend(separate.events)
    figures = compute_figures(problem, plan.routes, plan.rides, plan.unassigned, time.monotonic() - started)
    return Solution(routes=tuple(plan.routes), ride_seconds=plan.rides, unassigned=tuple(plan.unassigned),
                    figures=figures, events=tuple(plan.events))


# --- plain VRPTW (benchmarks) ---------------------------------------------------------------


def solve_vrptw(instance: VrptwInstance, time_limit_seconds: float,
                remove_vehicles: bool = True, engine: str | None = None,
                seed: int | None = None) -> VrptwResult:
    """Solve a classic VRPTW through the same core: vehicles first, then cost.

    auto and pyvrp use PyVRP (it models every VRPTW rule), with vehicle-removal passes of its
    own unless `remove_vehicles` is off; a result that fails `check_vrptw` or leaves a customer
    out falls back to OR-Tools for the time left. `seed` replaces PyVRP's own (`hgs.SEED`).
    """
    started = time.monotonic()
    hgs = None if routing_engine(engine) == "ortools" else _hgs()
    if hgs is not None:
        result = hgs.solve_vrptw(instance, time_limit_seconds, remove_vehicles=remove_vehicles,
                                 seed=hgs.SEED if seed is None else seed)
        if not result.dropped and not check_vrptw(instance, result):
            return result
        time_limit_seconds = max(1.0, time_limit_seconds - (time.monotonic() - started))
        fallback = _ortools_vrptw(instance, time_limit_seconds, remove_vehicles)
        return replace(fallback, events=(*result.events, "OR-Tools after PyVRP", *fallback.events))
    return _ortools_vrptw(instance, time_limit_seconds, remove_vehicles)


def _ortools_vrptw(instance: VrptwInstance, time_limit_seconds: float,
                   remove_vehicles: bool) -> VrptwResult:
    """A classic VRPTW in the OR-Tools core."""
    started = time.monotonic()
    n = len(instance.demand)
    dur = instance.duration
    transit = [[int(instance.service[i] + dur[i, j]) if i != j else 0 for j in range(n)] for i in range(n)]
    cost = instance.cost.astype(int).tolist()
    fleet = instance.fleet
    core = _Core(
        cost=cost, transit=transit,
        windows=list(zip(instance.ready, instance.due, strict=True)),
        demands=[list(instance.demand)], capacities=[[instance.capacity] * fleet],
        fixed=[instance.vehicle_fixed_cost] * fleet, starts=[0] * fleet, ends=[0] * fleet,
        customers=list(range(1, n)), allowed={}, incompatible=[],
        penalty=2 * instance.vehicle_fixed_cost,  # measured: 100x spoilt the search
        slack_max=instance.due[0], horizon=instance.due[0],
    )
    events: list[str] = []
    found = _solve_core(core, time_limit_seconds, events, remove_vehicles)
    routes = tuple(tuple(r) for r in (found or []) if r)
    served = {c for r in routes for c in r}
    return VrptwResult(
        routes=routes, dropped=tuple(c for c in range(1, n) if c not in served),
        solve_seconds=round(time.monotonic() - started, 2), events=tuple(events),
    )
