"""Solve a school's part (or a benchmark VRPTW) with PyVRP; the only module that imports pyvrp.

PyVRP (MIT, iterated local search) is the second engine behind the solver interface: it finds
fewer vehicles than OR-Tools' guided local search on larger instances (docs/benchmarks.md).
It gets the same model as the OR-Tools core in `solver.py`, built straight into PyVRP's data:

- The morning run is modelled backwards from the school: every route starts at the school at
  time 0 and time counts seconds before school arrival, so a pupil's ride is bounded by the
  upper end of their stop's time window. A stop's dwell is its service duration, so the window
  closes at the limit less the dwell (the ride includes the pupil's own boarding). Routes end
  at a second depot that costs nothing to reach: they are open at the far end (or cost the
  dead mileage from `Problem.depot` when there is one). The afternoon runs forwards.
- Capacity in four dimensions: seats, wheelchair spaces, "pa" (a pupil who needs a passenger
  assistant weighs 1 and only PA vehicle types have room) and "units" (a solo pupil weighs a
  whole vehicle, so nobody else fits beside them).
- Vehicle types with their availability and a fixed cost of the daily price x
  FIXED_COST_WEIGHT, far above any route's metres: vehicles (and their price) first, then
  distance.
- Stops are optional with a high prize only when the fleet is short; otherwise every stop is
  required, which PyVRP searches better.
- PyVRP's penalties on excess load and lateness may grow past a vehicle's fixed cost (its
  default cap is far below it), or an overloaded route would look cheaper than a vehicle more.

For the VRPTW benchmarks (one vehicle type) vehicle-removal passes follow a first PyVRP phase:
the smallest route is emptied, one vehicle fewer allowed, and PyVRP asked for a feasible plan
(measured: two to five fewer vehicles on 14 Solomon instances at 10 s, docs/benchmarks.md).
When the first phase already has as few vehicles as the load needs, it carries on instead.

What PyVRP cannot express (pupils who must not travel together) stays on OR-Tools:
`pyvrp_can_model` says why. Every plan is re-checked by `check.check` before it is returned;
a plan that fails the check or is infeasible comes back as None, so the caller falls back to
OR-Tools and the solve never fails because of this engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from pyvrp import (
    Client,
    Depot,
    IteratedLocalSearchParams,
    Location,
    PenaltyParams,
    ProblemData,
    SolveParams,
    VehicleType,
    solve,
)
from pyvrp import Solution as PyvrpSolution
from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchCallbacks
from pyvrp.stop import (
    FirstFeasible,
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    NoImprovement,
    StoppingCriterion,
)

from hts.routing.check import check
from hts.routing.problem import (
    Problem,
    Request,
    Route,
    Solution,
    Unassigned,
    VrptwInstance,
    VrptwResult,
    compute_figures,
)
from hts.routing.solver import (
    FIXED_COST_WEIGHT,
    REASON_NOT_PLACED,
    SOLO_UNITS,
    _fits,
    _Group,
    _groups,
    _route,
    unservable_reason,
)

SEED = 0
# A school part stops early once this many iterations bring nothing better: small parts then
# hand their worker back long before their time limit (benchmarks run to the limit).
NO_IMPROVEMENT_ITERATIONS = 20_000
# VRPTW time split (measured on Solomon, docs/benchmarks.md): a first plan in 30 % of the time,
# vehicle removal until 80 % at most, then distance on the vehicles kept.
FIRST_PHASE, REMOVAL_UNTIL = 0.3, 0.8
# A removal attempt gives up after this many PyVRP iterations without a feasible plan. Each
# attempt starts afresh with the same seed, so the count it needs does not depend on the time
# limit: measured at 60 s on all 56 Solomon instances and the GH samples, the attempts that
# succeeded needed at most 4,181 (R103); those that failed ran 5,753 to 15,343 and held the
# time the distance phase needed.
REMOVAL_ITERATIONS = 5_000
# The distance phase: up to this many searches (the first from the best plan), none shorter
# than POLISH_SECONDS_PER_CLIENT * n * max(1, n / 100) seconds (10 s at 100 customers, 40 s at 200:
# measured, a second start at 200 customers left both too short to converge).
POLISH_STARTS, POLISH_SECONDS_PER_CLIENT = 4, 0.1
# A distance start ends once this many PyVRP iterations bring no shorter plan, and hands the rest
# of its time to the next start (another seed). Measured at 60 s (every call logged, one run
# each of R201, R204, R205, RC202, RC203 and RC208): the starts made their last improvement
# within 4,744 iterations, then ran 3,000 to 21,000 more without one until their time was up. A
# start from the best plan after a long first search is the worst case: PyVRP's late acceptance
# then only takes plans better than that local optimum: RC208's gained nothing in 14.7 s, and
# R205's nothing after its first 26 iterations. Two fresh starts of RC203 ended at the same plan.
# Not on the whole fleet (from LARGE_FROM customers): there the first start may run from a plan
# only just feasible, and r1_4_1's gained after 5,000 idle iterations (ended there, it came out
# at +3.90 % against +2.96 %).
STALL_ITERATIONS = 5_000
# From this many customers a removal attempt first starts from the best plan less its smallest
# route, and only if that finds nothing within WARM_ITERATIONS starts afresh as below; and the
# distance phase's first start searches the whole fleet, not only the vehicles kept. Measured at
# 10 s, five seeds of the 12 Gehring-Homberger instances (docs/benchmarks.md): the fresh attempt's
# first feasible plan is about +42 % on rc1_2_1 and the few seconds left cannot undo it, where
# a plan that keeps the first search's routes loses about +20 % and the whole fleet then takes it
# below PyVRP alone's (rc1_2_1 median +6.77 % against +13.06 % fresh, PyVRP +10.33 %). Most of those
# attempts succeed within 100 iterations; r2_2_1 and rc2_4_1 still need the fresh attempt for
# their last vehicle. At 100 customers the fresh attempts and kept fleet stay (the whole fleet
# measured worse there with fresh attempts; warm attempts are not measured at 100).
LARGE_FROM = 200
WARM_ITERATIONS = 200


def pyvrp_can_model(problem: Problem) -> tuple[bool, str]:
    """Whether PyVRP can plan this part as the OR-Tools model would, and if not why not."""
    schools = {r.school for r in problem.requests}
    if len(schools) > 1:
        return False, f"{len(schools)} schools in one part: PyVRP plans one school's part at a time"
    refs = {r.ref for r in problem.requests}
    pairs = sum(1 for r in problem.requests for other in r.incompatible_with if other in refs)
    if pairs:
        return False, "pupils who must not travel together: only OR-Tools models that"
    return True, "PyVRP can model every rule of this part"


def _prize(problem: Problem, type_of: Sequence[int]) -> int:
    """A stop's prize when stops are optional: above any vehicle and any route (as OR-Tools' penalty)."""
    return 2 * max(((problem.vehicle_types[t].daily_cost_pence + 1) * FIXED_COST_WEIGHT
                    for t in type_of), default=FIXED_COST_WEIGHT) + 10**7


def _school_data(problem: Problem, school_index: int, groups: Sequence[_Group],
                 available: Sequence[int]) -> tuple[ProblemData, list[int]]:
    """PyVRP's data for one school's groups, and the problem's vehicle type of each PyVRP type.

    Locations: 0 the school (start depot), 1 the routes' far end (end depot), 2+ the groups.
    """
    am = problem.session == "am"
    school = problem.schools[school_index].node
    stops = np.array([school, school] + [g.stop for g in groups], dtype=np.int64)
    n = len(stops)
    metres = problem.travel.metres[np.ix_(stops, stops)].astype(np.int64)
    seconds = problem.travel.seconds[np.ix_(stops, stops)].astype(np.int64)
    if am:  # the arc a -> b is driven b -> a in real time
        metres, seconds = metres.T.copy(), seconds.T.copy()
    # Nothing drives into the start depot or out of the end depot; reaching the end depot is
    # free, or the dead mileage between the depot and the route's far stop.
    distance = metres
    distance[:, 0] = 0
    distance[1, :] = 0
    duration = seconds
    duration[:, 0] = 0
    duration[1, :] = 0
    duration[:, 1] = 0
    if problem.depot is None:
        distance[:, 1] = 0
    else:
        depot_metres = problem.travel.metres[problem.depot, stops] if am \
            else problem.travel.metres[stops, problem.depot]
        distance[:, 1] = depot_metres.astype(np.int64)
        distance[0, 1] = 0  # an unused vehicle costs nothing
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)

    # The far stop's own dwell comes before the end depot (afternoon drop-offs): leave room.
    horizon = max((g.max_ride_seconds + g.service_seconds for g in groups), default=0) + 1
    fitting = {t: sum(1 for g in groups if _fits(vt, g))
               for t, vt in enumerate(problem.vehicle_types) if available[t] > 0}
    type_of = [t for t, count in fitting.items() if count > 0]
    # Required stops unless the fleet could be short: then optional, with a prize above
    # any vehicle and any route, so a stop is only left out when it cannot be carried.
    plentiful = all(available[t] >= fitting[t] for t in type_of)
    prize = _prize(problem, type_of)
    pa_room = max(1, len(groups))
    vehicle_types = [
        VehicleType(
            num_available=min(available[t], fitting[t]),
            capacity=[vt.seats, vt.wheelchair_spaces, pa_room if vt.has_pa else 0, SOLO_UNITS],
            start_depot=0, end_depot=1,
            fixed_cost=(vt.daily_cost_pence + 1) * FIXED_COST_WEIGHT,
            tw_early=0, tw_late=horizon, start_late=0, name=vt.name,
        )
        for t in type_of for vt in [problem.vehicle_types[t]]
    ]
    clients = [
        Client(
            location=2 + i,
            delivery=[g.seats, g.wheelchair_spaces, 1 if g.needs_pa else 0, SOLO_UNITS if g.solo else 1],
            service_duration=g.service_seconds,
            tw_early=0,
            # Morning: the ride includes this stop's own dwell, which PyVRP counts after it.
            tw_late=g.max_ride_seconds - (g.service_seconds if am else 0),
            prize=0 if plentiful else prize,
            required=plentiful,
        )
        for i, g in enumerate(groups)
    ]
    data = ProblemData(
        locations=[Location(0.0, 0.0) for _ in range(n)],
        clients=clients,
        depots=[Depot(0, tw_early=0, tw_late=horizon), Depot(1, tw_early=0, tw_late=horizon)],
        vehicle_types=vehicle_types,
        distance_matrices=[distance],
        duration_matrices=[duration],
    )
    return data, type_of


def solve_part(problem: Problem, time_limit_seconds: float) -> Solution | None:
    """Plan one school's part with PyVRP; None if it cannot, or its plan fails the checker.

    Pupils nobody can carry (see `solver.unservable_reason`) and stops PyVRP leaves out come
    back unassigned with a reason.
    """
    started = time.monotonic()
    if not pyvrp_can_model(problem)[0]:
        return None
    available = [t.available for t in problem.vehicle_types]
    unassigned: list[Unassigned] = []
    candidates: list[Request] = []
    for r in problem.requests:
        reason = unservable_reason(problem, r, available)
        if reason:
            unassigned.append(Unassigned(r.ref, reason))
        else:
            candidates.append(r)
    routes: list[Route] = []
    rides: dict[str, int] = {}
    events: list[str] = []
    groups = _groups(problem, candidates)
    if groups:
        school_index = candidates[0].school
        data, type_of = _school_data(problem, school_index, groups, available)
        limit = max(0.05, time_limit_seconds - (time.monotonic() - started))
        stop = MultipleCriteria([MaxRuntime(limit), NoImprovement(NO_IMPROVEMENT_ITERATIONS)])
        # PyVRP caps its penalty per unit of excess load or time at 10^5 by default, below a
        # vehicle's fixed cost (about 10^6) and a stop's prize here: an overloaded or late
        # route would then look cheaper than one more vehicle or a stop left out. Let the
        # penalties grow past both (int64 holds them with room to spare).
        params = SolveParams(penalty=PenaltyParams(max_penalty=float(10 * _prize(problem, type_of))))
        best = solve(data, stop, seed=SEED, collect_stats=False, display=False, params=params).best
        if not best.is_feasible():
            return None
        placed: set[int] = set()
        for pyvrp_route in best.routes():
            members = [groups[a.idx] for a in pyvrp_route.schedule() if a.is_client()]
            placed.update(a.idx for a in pyvrp_route.schedule() if a.is_client())
            if problem.session == "am":
                members.reverse()  # modelled backwards from school
            route, route_rides = _route(problem, school_index, type_of[pyvrp_route.vehicle_type()], members)
            routes.append(route)
            rides.update(route_rides)
        for i, g in enumerate(groups):
            if i not in placed:
                unassigned.extend(Unassigned(ref, REASON_NOT_PLACED) for ref in g.refs)
        events.append(f"pyvrp: {len(routes)} vehicles, {len(placed)} of {len(groups)} stops")
    figures = compute_figures(problem, routes, rides, unassigned, time.monotonic() - started)
    solution = Solution(routes=tuple(routes), ride_seconds=rides, unassigned=tuple(unassigned),
                        figures=figures, events=tuple(events))
    if check(problem, solution):
        return None
    return solution


def _vrptw_data(instance: VrptwInstance) -> ProblemData:
    """PyVRP's data for a classic VRPTW: location 0 is the depot, customer i is client i - 1."""
    n = len(instance.demand)
    cost = np.asarray(instance.cost, dtype=np.int64).copy()
    duration = np.asarray(instance.duration, dtype=np.int64).copy()
    np.fill_diagonal(cost, 0)
    np.fill_diagonal(duration, 0)
    return ProblemData(
        locations=[Location(0.0, 0.0) for _ in range(n)],
        clients=[
            Client(location=i, delivery=[instance.demand[i]], service_duration=instance.service[i],
                   tw_early=instance.ready[i], tw_late=instance.due[i])
            for i in range(1, n)
        ],
        depots=[Depot(0, tw_early=instance.ready[0], tw_late=instance.due[0],
                      service_duration=instance.service[0])],
        vehicle_types=[VehicleType(num_available=instance.fleet, capacity=[instance.capacity],
                                   fixed_cost=instance.vehicle_fixed_cost,
                                   tw_early=instance.ready[0], tw_late=instance.due[0])],
        distance_matrices=[cost],
        duration_matrices=[duration],
    )


def _clients(solution: PyvrpSolution) -> list[list[int]]:
    """A PyVRP solution's routes as client indices."""
    return [[a.idx for a in r.schedule() if a.is_client()] for r in solution.routes()]


def _load_bound(data: ProblemData) -> int:
    """The fewest vehicles the load alone needs (a VRPTW has one vehicle type)."""
    (vehicle_type,) = data.vehicle_types()
    demand = sum(c.delivery[0] for c in data.clients())
    return max(1, -(-demand // max(1, vehicle_type.capacity[0])))


class _FirstSearchStop(IteratedLocalSearchCallbacks):
    """The first search's stopping criterion (PyVRP asks it before every iteration) and callbacks.

    The search stops at `until` for the vehicle-removal passes, unless its best plan is feasible
    on the vehicles the load alone needs: then no vehicle can be removed and it carries on to
    `deadline` instead of the distance phase's restarts, which would start afresh, without the
    penalties and acceptance history the search has built. From there `hts` follows exactly the
    trajectory of PyVRP alone with the same seed (measured, docs/benchmarks.md).
    """

    def __init__(self, bound: int, until: float, deadline: float) -> None:
        self.bound, self.until, self.deadline = bound, until, deadline
        self.at_bound = False

    def on_start(self, ils: IteratedLocalSearch) -> None:
        self.on_best(ils.initial_solution)  # already the best (a warm start, say) if nothing beats it

    def on_best(self, best: PyvrpSolution) -> None:
        if best.is_feasible() and best.num_routes() <= self.bound:
            self.at_bound = True

    def __call__(self, best_cost: float) -> bool:
        return time.monotonic() >= (self.deadline if self.at_bound else self.until)


def _fewer_vehicles(data: ProblemData, best: PyvrpSolution, deadline: float,
                    events: list[str], seed: int = SEED) -> PyvrpSolution:
    """Vehicle removal: allow one vehicle fewer than the best plan uses and ask PyVRP for a
    feasible plan (its penalties on lateness and load steer it there); keep it and go on while
    it succeeds, down to what the load alone needs.

    Below LARGE_FROM customers each attempt starts afresh: measured, starting from the best plan
    less its smallest route found 15 vehicles on RC101 in 60 s where a fresh start found 14 in
    30 s. From LARGE_FROM customers an attempt first starts from that plan for at most
    WARM_ITERATIONS, and afresh only if it finds nothing: its plan keeps the first search's routes
    and is far shorter than a fresh attempt's (rc1_2_1, above). PyVRP's own
    `minimise_fleet` runs the same loop but returns only the fleet size, not the plan, and shares
    one stopping criterion across attempts; we need the plan and a cap per attempt.
    """
    (vehicle_type,) = data.vehicle_types()
    bound = _load_bound(data)
    warm = data.num_clients >= LARGE_FROM
    while deadline - time.monotonic() > 0.1 and best.num_routes() > bound:
        fewer = data.replace(vehicle_types=[vehicle_type.replace(num_available=best.num_routes() - 1)])
        found = None
        if warm:
            # The smallest route's customers are left out of the start; PyVRP puts them back.
            kept_routes = sorted(_clients(best), key=len)[1:]
            found = _feasible_within(fewer, deadline, WARM_ITERATIONS, seed,
                                     PyvrpSolution(fewer, kept_routes))
        how = "" if found is None else " (from the best plan)"
        if found is None:
            found = _feasible_within(fewer, deadline, REMOVAL_ITERATIONS, seed)
        if found is None:
            break
        best = PyvrpSolution(data, _clients(found))
        events.append(f"removed a vehicle{how}: {best.num_routes()} left")
    return best


def _feasible_within(data: ProblemData, deadline: float, iterations: int, seed: int,
                     initial: PyvrpSolution | None = None) -> PyvrpSolution | None:
    """PyVRP's first feasible plan carrying every customer, or None if there is none within the
    iterations and the time."""
    left = deadline - time.monotonic()
    if left <= 0.1:
        return None
    stop = MultipleCriteria([FirstFeasible(), MaxRuntime(left), MaxIterations(iterations)])
    found = solve(data, stop, seed=seed, collect_stats=False, display=False, initial_solution=initial).best
    return found if found.is_feasible() and found.is_complete() else None


def _shorter(data: ProblemData, best: PyvrpSolution, deadline: float,
             events: list[str], seed: int = SEED) -> PyvrpSolution:
    """Distance after the removal passes: PyVRP from the best plan, then, time allowing, fresh
    starts with other seeds on a fleet of exactly the vehicles kept; the shortest plan with no more
    vehicles wins. The first start searches on the kept fleet too, except on instances of
    LARGE_FROM customers or more, where it searches the whole fleet (the fixed cost keeps the
    vehicle count). A start on the kept fleet that goes STALL_ITERATIONS without a shorter plan
    ends early, and the time it leaves goes to the starts after it (more of them, or longer).

    Measured (docs/benchmarks.md): on the kept fleet a search that stalls in a local optimum (R208
    at +2.95 % after 10 s and after 50 s alike on the whole fleet) gets out; at 100 customers a
    first start on the whole fleet lost distance at 10 s (mean gap +2.60 % against +0.97 %), but
    at 400 customers it gained at 60 s (rc1_4_1 +8.23 % against +13.45 %, r1_4_1 +2.96 % against
    +5.58 %), where a plan that has only just become feasible needs room to move.
    """
    (vehicle_type,) = data.vehicle_types()
    kept = data.replace(vehicle_types=[vehicle_type.replace(num_available=best.num_routes())])
    current = best
    n = data.num_clients
    min_start = POLISH_SECONDS_PER_CLIENT * n * max(1.0, n / 100)
    start = 0
    while (left := deadline - time.monotonic()) > 0.1:
        starts_left = max(1, min(POLISH_STARTS - start, int(left // min_start)))
        if start > 0:
            search, initial = kept, None
        elif n >= LARGE_FROM:
            search, initial = data, best
        else:
            search, initial = kept, PyvrpSolution(kept, _clients(best))
        stop: StoppingCriterion = MaxRuntime(left / starts_left)
        if search is kept:
            stop = MultipleCriteria([stop, NoImprovement(STALL_ITERATIONS)])
        found = solve(search, stop, seed=seed + start, collect_stats=False,
                      display=False, initial_solution=initial).best
        if found.is_feasible() and found.is_complete() and \
                (found.num_routes(), found.distance()) < (current.num_routes(), current.distance()):
            current = PyvrpSolution(data, _clients(found))
            events.append(f"distance start {start + 1}: {found.distance()}")
        start += 1
    events.append(f"distance phase: {start} start{'s' if start != 1 else ''}")
    return current


def solve_vrptw(instance: VrptwInstance, time_limit_seconds: float,
                initial: Sequence[Sequence[int]] | None = None,
                remove_vehicles: bool = True, seed: int = SEED) -> VrptwResult:
    """Solve a classic VRPTW with PyVRP (vehicles first through the fixed cost), the same result
    type as `solver.solve_vrptw`; `initial` (customer routes) is a warm start if feasible. `seed`
    is PyVRP's (the benchmarks change it to measure how much a figure moves with the seed alone).

    With `remove_vehicles`, as in the OR-Tools core: 30 % of the time for a first plan, then
    vehicle-removal passes (each at most REMOVAL_ITERATIONS, all ending by 80 % of the time),
    then the rest shortens the plan without adding vehicles (`_shorter`). A first search whose
    plan already has only the vehicles the load needs carries on to the end instead
    (`_FirstSearchStop`).
    """
    started = time.monotonic()
    deadline = started + time_limit_seconds
    data = _vrptw_data(instance)
    n = len(instance.demand)
    warm = None
    events: list[str] = []
    if initial:
        candidate = PyvrpSolution(data, [[c - 1 for c in r] for r in initial if r])
        if candidate.is_feasible() and candidate.is_complete():
            warm = candidate
            events.append(f"warm start: {candidate.num_routes()} vehicles")
    if not remove_vehicles:
        best = solve(data, MaxRuntime(max(0.05, deadline - time.monotonic())), seed=seed,
                     collect_stats=False, display=False, initial_solution=warm).best
    else:
        until = max(started + FIRST_PHASE * time_limit_seconds, time.monotonic() + 0.05)
        first = _FirstSearchStop(_load_bound(data), until, deadline)
        best = solve(data, first, seed=seed, collect_stats=False, display=False, initial_solution=warm,
                     params=SolveParams(ils=IteratedLocalSearchParams(callbacks=first))).best
        if best.is_feasible():
            events.append(f"first phase: {best.num_routes()} vehicles"
                          + (", as many as the load needs: carried on to the end" if first.at_bound else ""))
            if not first.at_bound:
                best = _fewer_vehicles(data, best, started + REMOVAL_UNTIL * time_limit_seconds,
                                       events, seed)
                best = _shorter(data, best, deadline, events, seed)
    routes: tuple[tuple[int, ...], ...] = ()
    if best.is_feasible():
        routes = tuple(tuple(c + 1 for c in r) for r in _clients(best))
    else:
        events.append("pyvrp found no feasible solution")
    served = {c for r in routes for c in r}
    events.append(f"pyvrp: {len(routes)} vehicles")
    return VrptwResult(routes=routes, dropped=tuple(c for c in range(1, n) if c not in served),
                       solve_seconds=round(time.monotonic() - started, 2), events=tuple(events))
