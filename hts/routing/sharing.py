"""Nearby schools sharing a vehicle: the plan that lets them.

The policy is `Problem.share_within_metres` (a council setting; 0 means a vehicle carries one
school's pupils): a route may carry pupils of schools that are all that close to each other by
road, both ways. `problem.school_groups` joins such schools, nearest pairs first, into groups of
at most MAX_SCHOOLS_PER_GROUP; a group is planned as one part (`decompose`, `solver.solve`), and
the checker tests the distances itself.

How a group is planned (`improve`): each school is first planned on its own, exactly as any
school is (the separate plan). Then:

1. `merge_routes`: while two routes can become one vehicle that keeps every rule and costs less,
   the pair that saves most is merged (a few orders are tried: one run's pupils first, then the
   other's, and the schools either way round; `shared_route` times each exactly).
2. `_search`, in whatever time of the group's share the separate plans left unused (PyVRP stops
   a school early once it stops improving): an OR-Tools pickup-and-delivery model of the whole
   group starts from those routes and runs the solver's vehicle-removal passes, which empty the
   smallest route and re-insert its pupils anywhere, on vehicles bound for other schools too.

The separate plans get the group's whole time, as they would without sharing, so turning sharing
on never leaves a school with less time.

The cheapest plan (vehicles by their price, then distance) is kept only if it costs less than
the separate one and carries everyone it does; so sharing never makes a plan dearer.

The model is in real time (seconds since midnight), with a pickup node and a delivery node for
each group of pupils who board together (`solver._groups`, one school's pupils per group):

- Morning: pickup at the pupils' stop, delivery at their school. A delivery is followed only by
  deliveries, so a run collects everyone and then visits its schools. A delivery's window is its
  school's arrival window; delivery minus pickup is at most the group's ride limit.
- Afternoon: pickup at the school at its collection time, delivery at home; every school comes
  before every drop, and a ride counts from leaving school.

For a run of one school this is exactly the one-school model (so the separate plans are a
feasible start). For a run of several it leaves out the time pupils take to get off at a school
on the way (am) or on at an earlier school (pm): exact times come afterwards from the visits in
order (`shared_route`: as late as the schools allow in the morning, as early as the collection
times allow in the afternoon), and a run that breaks a rule there is split into one per school.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hts.routing.problem import Problem, Route, Visit
from hts.routing.solver import (
    FIXED_COST_WEIGHT,
    SOLO_UNITS,
    _Core,
    _Group,
    _groups,
    _solve_core,
    _vehicle_slots,
    group_of,
)

DAY_SECONDS = 86_400
# The OR-Tools search over a group runs only in the time its separate plans left unused, if
# at least this much.
MIN_SEARCH_SECONDS = 0.5


@dataclass(frozen=True)
class _Trip:
    """A group of pupils and the school they travel to (am) or from (pm)."""

    school: int
    group: _Group


def _shared_core(problem: Problem, trips: Sequence[_Trip], available: Sequence[int],
                 at_least: Counter[int]) -> tuple[_Core, list[int]]:
    """The pickup-and-delivery model of a group of schools, and the vehicle type of each slot.

    Nodes: 0 the routes' start, 1 their end (both anywhere: routes are open), then for trip i a
    pickup 2 + 2i and a delivery 3 + 2i. `at_least` counts, by vehicle type, the slots the
    separate plans need, so they fit as the starting plan.
    """
    am = problem.session == "am"
    seconds, metres = problem.travel.seconds, problem.travel.metres
    where = [-1, -1]
    service = [0, 0]
    windows = [(0, DAY_SECONDS), (0, DAY_SECONDS)]
    pairs = []
    for i, t in enumerate(trips):
        school = problem.schools[t.school]
        where += [t.group.stop, school.node] if am else [school.node, t.group.stop]
        # Only a stop at home has a dwell here (as in the one-school model, so a separate plan is
        # a feasible start): the time pupils take to get off at a school on the way (am), or on
        # at an earlier one (pm), is left to the exact timing.
        service += [t.group.service_seconds, 0] if am else [0, t.group.service_seconds]
        if am:
            windows += [(0, DAY_SECONDS), (school.am_arrive_from_seconds, school.am_arrive_by_seconds)]
        else:
            windows += [(school.pm_collect_at_seconds, school.pm_collect_at_seconds), (0, DAY_SECONDS)]
        pairs.append((2 + 2 * i, 3 + 2 * i, t.group.max_ride_seconds))
    n = len(where)
    transit = [[0] * n for _ in range(n)]
    cost = [[0] * n for _ in range(n)]
    for a in range(2, n):
        for b in range(2, n):
            if a != b:
                transit[a][b] = int(seconds[where[a], where[b]]) + service[a]
                cost[a][b] = int(metres[where[a], where[b]])
        if problem.depot is not None:  # dead mileage before the first stop (am), after the last (pm)
            if am:
                cost[0][a] = int(metres[problem.depot, where[a]])
            else:
                cost[a][1] = int(metres[where[a], problem.depot])
    groups = [t.group for t in trips]
    slot_type = _vehicle_slots(problem, groups, available)
    have = Counter(slot_type)
    for vehicle_type, count in sorted(at_least.items()):
        slot_type += [vehicle_type] * max(0, min(count, available[vehicle_type]) - have[vehicle_type])
    types = [problem.vehicle_types[v] for v in slot_type]

    def signed(values: list[int]) -> list[int]:
        return [0, 0] + [x for v in values for x in (v, -v)]

    demands = [
        signed([g.seats for g in groups]),
        signed([g.wheelchair_spaces for g in groups]),
        signed([SOLO_UNITS if g.solo else 1 for g in groups]),
    ]
    capacities = [[vt.seats for vt in types], [vt.wheelchair_spaces for vt in types], [SOLO_UNITS] * len(types)]
    fixed = [(vt.daily_cost_pence + 1) * FIXED_COST_WEIGHT for vt in types]
    pa_slots = [v for v, vt in enumerate(types) if vt.has_pa]
    allowed = {node: pa_slots for i, g in enumerate(groups) if g.needs_pa for node in (2 + 2 * i, 3 + 2 * i)}
    pickup_of = {ref: 2 + 2 * i for i, g in enumerate(groups) for ref in g.refs}
    by_ref = problem.request_by_ref()
    incompatible = sorted({
        tuple(sorted((pickup_of[ref], pickup_of[other])))
        for ref in pickup_of for other in by_ref[ref].incompatible_with if other in pickup_of
    })
    deliveries = [3 + 2 * i for i in range(len(trips))]
    core = _Core(
        cost=cost, transit=transit, windows=windows, demands=demands, capacities=capacities,
        fixed=fixed, starts=[0] * len(types), ends=[1] * len(types), customers=list(range(2, n)),
        allowed=allowed, incompatible=[(a, b) for a, b in incompatible],
        penalty=2 * max(fixed, default=FIXED_COST_WEIGHT) + 10**7,
        slack_max=DAY_SECONDS, horizon=DAY_SECONDS, pairs=pairs,
        followers={d: [x for x in deliveries if x != d] for d in deliveries},
    )
    return core, slot_type


def shared_route(problem: Problem, vehicle_type: int,
                 legs: Sequence[tuple[bool, _Trip]]) -> tuple[Route, dict[str, int]] | None:
    """A timed route from (is pickup, trip) in real order, with each pupil's ride seconds; None
    if the order cannot keep every rule (a school visit before a pickup in the morning, a home
    before a school in the afternoon, a window or a ride limit missed)."""
    am = problem.session == "am"
    by_ref = problem.request_by_ref()
    # Visits as (node, school or None, refs); consecutive trips at one place are one visit.
    stops: list[tuple[int, int | None, list[str]]] = []
    for is_pickup, trip in legs:
        at_school = is_pickup != am  # am: deliveries are at school; pm: pickups are
        node = problem.schools[trip.school].node if at_school else trip.group.stop
        school = trip.school if at_school else None
        if stops and stops[-1][0] == node and stops[-1][1] == school:
            stops[-1][2].extend(trip.group.refs)
        else:
            stops.append((node, school, list(trip.group.refs)))
    kinds = [school is not None for _, school, _ in stops]
    if not kinds or kinds != sorted(kinds, reverse=not am):  # am: homes then schools; pm: the reverse
        return None

    n = len(stops)
    dwell = [problem.service_seconds(refs) for _, _, refs in stops]
    arrival = [0] * n
    departure = [0] * n
    if am:
        dwell[-1] = 0  # the run ends on reaching its last school
        latest = [0] * n
        last = problem.schools[stops[-1][1]]  # type: ignore[index]
        latest[-1] = last.am_arrive_by_seconds
        for i in range(n - 2, -1, -1):
            school = stops[i][1]
            bound = problem.schools[school].am_arrive_by_seconds if school is not None else DAY_SECONDS
            latest[i] = min(bound, latest[i + 1] - problem.seconds(stops[i][0], stops[i + 1][0]) - dwell[i])
        arrival[0] = latest[0]
        for i in range(n):
            if i:
                school = stops[i][1]
                earliest = problem.schools[school].am_arrive_from_seconds if school is not None else 0
                arrival[i] = max(departure[i - 1] + problem.seconds(stops[i - 1][0], stops[i][0]), earliest)
            departure[i] = arrival[i] + dwell[i]
        for i, (_, school, _) in enumerate(stops):
            if school is not None and not (problem.schools[school].am_arrive_from_seconds <= arrival[i]
                                           <= problem.schools[school].am_arrive_by_seconds):
                return None
    else:
        for i, (node, school, _) in enumerate(stops):
            arrival[i] = problem.schools[school].pm_collect_at_seconds if i == 0 and school is not None \
                else departure[i - 1] + problem.seconds(stops[i - 1][0], node)
            start = arrival[i]
            if school is not None:
                collect = problem.schools[school].pm_collect_at_seconds
                if arrival[i] > collect:
                    return None
                start = collect
            departure[i] = start + dwell[i]
    visits: list[Visit] = []
    visit_of: dict[str, int] = {}  # the pupil's school visit
    for i, (node, school, refs) in enumerate(stops):
        if school is None:
            visits.append(Visit(node, arrival[i], departure[i], **{"boarding" if am else "alighting": tuple(refs)}))
        else:
            visits.append(Visit(node, arrival[i], departure[i], is_school=True, school=school,
                                **{"alighting" if am else "boarding": tuple(refs)}))
            visit_of.update(dict.fromkeys(refs, i))
    rides: dict[str, int] = {}
    for i, (_, school, refs) in enumerate(stops):
        if school is None:
            for ref in refs:
                j = visit_of[ref]
                rides[ref] = arrival[j] - arrival[i] if am else arrival[i] - departure[j]
                if rides[ref] > by_ref[ref].max_ride_seconds:
                    return None
    nodes = [v.node for v in visits]
    if problem.depot is not None:
        nodes = [problem.depot, *nodes] if am else [*nodes, problem.depot]
    distance = sum(problem.metres(a, b) for a, b in zip(nodes, nodes[1:], strict=False))
    own = [v.school for v in visits if v.is_school]
    route = Route(vehicle_type=vehicle_type, school=own[-1] if am else own[0],  # type: ignore[arg-type]
                  visits=tuple(visits), distance_metres=distance,
                  cost_pence=problem.vehicle_types[vehicle_type].daily_cost_pence)
    return route, rides


def _home_trips(problem: Problem, route: Route) -> list[_Trip]:
    """A route's stops at home as trips in travel order, one per school at each stop."""
    by_ref = problem.request_by_ref()
    trips = []
    for visit in route.visits:
        if visit.is_school:
            continue
        refs = visit.boarding or visit.alighting
        for school in dict.fromkeys(by_ref[ref].school for ref in refs):
            members = [by_ref[ref] for ref in refs if by_ref[ref].school == school]
            trips.append(_Trip(school, group_of(problem, members)))
    return trips


def _cheapest_type(problem: Problem, trips: Sequence[_Trip], pool: Sequence[int]) -> int | None:
    """The cheapest vehicle type available that carries all these pupils together, if any."""
    groups = [t.group for t in trips]
    if len(groups) > 1 and any(g.solo for g in groups):
        return None
    refs = {ref for g in groups for ref in g.refs}
    by_ref = problem.request_by_ref()
    if any(by_ref[ref].incompatible_with & refs for ref in refs):
        return None
    seats, spaces = sum(g.seats for g in groups), sum(g.wheelchair_spaces for g in groups)
    pa = any(g.needs_pa for g in groups)
    fitting = [t for t, vt in enumerate(problem.vehicle_types)
               if pool[t] > 0 and vt.seats >= seats and vt.wheelchair_spaces >= spaces and (vt.has_pa or not pa)]
    return min(fitting, key=lambda t: (problem.vehicle_types[t].daily_cost_pence, t), default=None)


def _merged_on(problem: Problem, a: Sequence[_Trip], b: Sequence[_Trip],
               vehicle_type: int) -> tuple[Route, dict[str, int]] | None:
    """Both runs' trips on one vehicle of this type: the shortest of a few orders, if any keeps
    every rule."""
    am = problem.session == "am"
    trips = [*a, *b]
    schools = list(dict.fromkeys(t.school for t in trips))
    best: tuple[Route, dict[str, int]] | None = None
    for homes in (trips, [*b, *a], _sweep(problem, trips, schools)):
        for order in (schools, schools[::-1]):
            at_school = [(not am, t) for s in order for t in homes if t.school == s]
            at_home = [(am, t) for t in homes]
            timed = shared_route(problem, vehicle_type, at_home + at_school if am else at_school + at_home)
            if timed is not None and (best is None or timed[0].distance_metres < best[0].distance_metres):
                best = timed
    return best


def _sweep(problem: Problem, trips: Sequence[_Trip], schools: Sequence[int]) -> list[_Trip]:
    """The stops in a nearest-neighbour chain ending (am) or starting (pm) nearest the schools."""
    centre = problem.schools[schools[0]].node
    left = list(trips)
    chain = [min(left, key=lambda t: problem.metres(t.group.stop, centre))]
    left.remove(chain[0])
    while left:
        nearest = min(left, key=lambda t: problem.metres(t.group.stop, chain[-1].group.stop))
        chain.append(nearest)
        left.remove(nearest)
    return chain[::-1] if problem.session == "am" else chain


def merge_routes(problem: Problem, routes: Sequence[Route], rides: dict[str, int],
                 pool: Sequence[int]) -> tuple[list[Route], dict[str, int], int]:
    """Greedy merging: while two routes can become one vehicle that keeps every rule and costs
    less than the two, merge the pair that saves most. Returns the routes, the rides and the
    number of merges. `pool` counts the vehicles of each type free for these routes (theirs
    included)."""
    current = list(enumerate(routes))  # (serial, route): a merged route gets a new serial
    serial = len(current)
    rides = dict(rides)
    free = list(pool)
    for _, route in current:
        free[route.vehicle_type] -= 1
    trips = {k: _home_trips(problem, route) for k, route in current}
    # A pair's merge depends on the vehicles free only through the type chosen, so it is timed
    # once per pair and type, not again after every merge elsewhere.
    tried: dict[tuple[int, int, int], tuple[Route, dict[str, int]] | None] = {}
    merges = 0
    while True:
        best = None
        for i, (k1, first) in enumerate(current):
            for k2, second in current[i + 1:]:
                free[first.vehicle_type] += 1
                free[second.vehicle_type] += 1
                vehicle_type = _cheapest_type(problem, trips[k1] + trips[k2], free)
                free[first.vehicle_type] -= 1
                free[second.vehicle_type] -= 1
                if vehicle_type is None:
                    continue
                key = (k1, k2, vehicle_type)
                if key not in tried:
                    tried[key] = _merged_on(problem, trips[k1], trips[k2], vehicle_type)
                merged = tried[key]
                if merged is None:
                    continue
                saving = (first.cost_pence + second.cost_pence - merged[0].cost_pence,
                          first.distance_metres + second.distance_metres - merged[0].distance_metres)
                if saving > (0, 0) and (best is None or saving > best[0]):
                    best = (saving, k1, k2, merged)
        if best is None:
            return [route for _, route in current], rides, merges
        _, k1, k2, (route, route_rides) = best
        for k, old in current:
            if k in (k1, k2):
                free[old.vehicle_type] += 1
        free[route.vehicle_type] -= 1
        current = [(k, r) for k, r in current if k not in (k1, k2)] + [(serial, route)]
        trips[serial] = _home_trips(problem, route)
        serial += 1
        rides.update(route_rides)
        merges += 1


def _legs_of(route: Route, trip_of: dict[str, int], am: bool) -> list[tuple[bool, int]]:
    """A separate plan's route as (is pickup, trip index) in real order."""
    legs: list[tuple[bool, int]] = []
    seen: set[tuple[bool, int]] = set()
    for v in route.visits:
        pickup = (not v.is_school) if am else v.is_school
        for ref in v.boarding or v.alighting:
            leg = (pickup, trip_of[ref])
            if leg not in seen:
                seen.add(leg)
                legs.append(leg)
    return legs


def improve(problem: Problem, schools: Sequence[int], candidates: Sequence[str],
            separate: Sequence[Route], separate_rides: dict[str, int], available: Sequence[int],
            seconds: float, events: list[str]) -> tuple[list[Route], dict[str, int]] | None:
    """A shared plan for a group of schools that costs less than the separate one, or None.

    `candidates` are the refs of the pupils the separate plans could try (those with an
    unservable reason already left out); `separate` is their routes, with `separate_rides`;
    `available` the vehicles left besides those routes' own. First pairs of routes are merged
    where one vehicle can do both (`merge_routes`); then OR-Tools searches the group from there
    for the time left. The cheaper plan wins, if it is cheaper than the separate one; it carries
    everyone the separate one does.
    """
    started = time.monotonic()
    pool = list(available)
    for route in separate:
        pool[route.vehicle_type] += 1
    merged, merged_rides, merges = merge_routes(problem, separate, separate_rides, pool)
    if merges:
        events.append(f"{merges} pairs of routes merged: {len(merged)} vehicles against {len(separate)}")
    best: tuple[list[Route], dict[str, int]] = (merged, merged_rides)
    left = seconds - (time.monotonic() - started)
    if left > MIN_SEARCH_SECONDS:
        searched = _search(problem, schools, candidates, merged, pool, left, events)
        if searched is not None and _price(searched[0]) < _price(merged):
            best = searched
    routes, rides = best
    carried = len(separate_rides)
    if len(rides) < carried:
        events.append(f"shared plan carries {len(rides)} pupils, the separate plans {carried}: separate kept")
        return None
    if _price(routes) >= _price(separate):
        events.append("shared plan costs no less: separate plans kept")
        return None
    mixed = sum(1 for r in routes if len(set(r.schools)) > 1)
    events.append(f"shared plan: {len(routes)} vehicles against {len(separate)} separately, "
                  f"{mixed} carrying pupils of more than one school")
    return routes, rides


def _price(routes: Sequence[Route]) -> tuple[int, int]:
    """What a plan costs: the vehicles' daily price, then distance."""
    return sum(r.cost_pence for r in routes), sum(r.distance_metres for r in routes)


def _search(problem: Problem, schools: Sequence[int], candidates: Sequence[str], start: Sequence[Route],
            pool: Sequence[int], seconds: float, events: list[str]) -> tuple[list[Route], dict[str, int]] | None:
    """OR-Tools over the whole group from the `start` routes, timed exactly; None if it finds nothing usable."""
    wanted = set(candidates)
    trips = [_Trip(s, g) for s in schools
             for g in _groups(problem, [r for r in problem.requests if r.school == s and r.ref in wanted])]
    if not trips:
        return None
    trip_of = {ref: i for i, t in enumerate(trips) for ref in t.group.refs}
    am = problem.session == "am"
    core, slot_type = _shared_core(problem, trips, pool, Counter(r.vehicle_type for r in start))
    initial: list[list[int]] = [[] for _ in slot_type]
    free = list(range(len(slot_type)))
    for route in start:
        slot = next((v for v in free if slot_type[v] == route.vehicle_type), None)
        if slot is None:
            continue
        free.remove(slot)
        initial[slot] = [2 + 2 * i + (0 if pickup else 1) for pickup, i in _legs_of(route, trip_of, am)]
    found = _solve_core(core, seconds, events, True, initial)
    if found is None:
        return None
    routes: list[Route] = []
    rides: dict[str, int] = {}
    split = 0
    for v, nodes in enumerate(found):
        if not nodes:
            continue
        legs = [((node - 2) % 2 == 0, trips[(node - 2) // 2]) for node in nodes]
        timed = shared_route(problem, slot_type[v], legs)
        if timed is None:
            # Pupils getting on or off at a school on the way took the run past a window or a
            # limit: one run per school instead, each as the model timed it.
            split += 1
            parts = [shared_route(problem, slot_type[v], [leg for leg in legs if leg[1].school == s])
                     for s in dict.fromkeys(trip.school for _, trip in legs)]
            if any(part is None for part in parts):
                events.append("search: a route breaks a rule once timed exactly")
                return None
            timed_parts = [part for part in parts if part is not None]
        else:
            timed_parts = [timed]
        for route, route_rides in timed_parts:
            routes.append(route)
            rides.update(route_rides)
    used = Counter(r.vehicle_type for r in routes)
    if any(count > pool[t] for t, count in used.items()):
        events.append("search: more vehicles of a type than are available")
        return None
    if split:
        events.append(f"search: {split} route(s) split into one per school once timed exactly")
    return routes, rides
