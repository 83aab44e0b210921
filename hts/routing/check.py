"""Re-verify a solution against its problem, independently of the solver (no ortools here).

Every test and benchmark runs these checks: a solver bug must show up as a listed breach,
never as a plan handed to a planner. Each function returns the breaches found, empty if none.
"""

from __future__ import annotations

from collections import Counter

from hts.routing.problem import (
    Problem,
    Route,
    Solution,
    VrptwInstance,
    VrptwResult,
    schools_apart_metres,
)


def _route_breaches(problem: Problem, number: int, route: Route) -> tuple[list[str], dict[str, int]]:
    """Breaches on one route, and the ride seconds recomputed from its visits."""
    out: list[str] = []
    name = f"route {number}"
    if not 0 <= route.vehicle_type < len(problem.vehicle_types):
        return [f"{name}: unknown vehicle type {route.vehicle_type}"], {}
    vt = problem.vehicle_types[route.vehicle_type]
    by_ref = problem.request_by_ref()
    am = problem.session == "am"
    visits = list(route.visits)
    # The school visits close the run (am) or open it (pm), one per school on the way.
    kinds = [v.is_school for v in visits]
    if not any(kinds) or kinds != sorted(kinds, reverse=not am):
        return [f"{name}: must {'end' if am else 'start'} with its school visits"], {}
    school_visits = [v for v in visits if v.is_school]
    school_of_visit = [route.school if v.school is None else v.school for v in school_visits]
    if any(not 0 <= s < len(problem.schools) for s in school_of_visit):
        return [f"{name}: visits a school that is not in the problem"], {}
    if school_of_visit[-1 if am else 0] != route.school:
        out.append(f"{name}: its own school is not where it {'ends' if am else 'starts'}")
    for v, s in zip(school_visits, school_of_visit, strict=True):
        if v.node != problem.schools[s].node:
            out.append(f"{name}: school visit is not at the school's node")
    schools = set(school_of_visit)
    # Who may share is the council's policy (every two schools on a route that close by road).
    if len(schools) > 1 and any(schools_apart_metres(problem, a, b) > problem.share_within_metres
                                for a in schools for b in schools if a < b):
        out.append(f"{name}: carries pupils of schools that may not share a vehicle")
    home = [v for v in visits if not v.is_school]
    pupils = [ref for v in home for ref in (v.boarding if am else v.alighting)]
    unknown = [ref for ref in pupils if ref not in by_ref]
    if unknown:
        return [f"{name}: unknown pupils {unknown}"], {}
    for v in home:
        for ref in v.boarding if am else v.alighting:
            if by_ref[ref].stop != v.node:
                out.append(f"{name}: {ref} is picked up away from their stop")
    at_school: dict[str, int] = {}  # pupil -> index of their school visit
    for i, (v, s) in enumerate(zip(school_visits, school_of_visit, strict=True)):
        for ref in v.alighting if am else v.boarding:
            at_school[ref] = i
            if ref in by_ref and by_ref[ref].school != s:
                out.append(f"{name}: {ref} goes to another school")
    if sorted(ref for v in school_visits for ref in (v.alighting if am else v.boarding)) != sorted(pupils):
        out.append(f"{name}: pupils at school differ from pupils at the stops")
        return out, {}

    reqs = [by_ref[ref] for ref in pupils]
    seats = sum(r.seats for r in reqs)
    spaces = sum(r.wheelchair_spaces for r in reqs)
    if seats > vt.seats:
        out.append(f"{name}: {seats} seats used on a {vt.seats}-seat {vt.name}")
    if spaces > vt.wheelchair_spaces:
        out.append(f"{name}: {spaces} wheelchair spaces used, {vt.wheelchair_spaces} on board")
    if any(r.needs_pa for r in reqs) and not vt.has_pa:
        out.append(f"{name}: carries a pupil who needs a PA but has none")
    if any(r.solo for r in reqs) and len(reqs) > 1:
        out.append(f"{name}: a solo pupil shares the vehicle")
    refs = set(pupils)
    for r in reqs:
        clash = sorted(r.incompatible_with & refs)
        if clash:
            out.append(f"{name}: {r.ref} travels with incompatible {', '.join(clash)}")

    # Time: every leg long enough, each school reached in its window, each ride within limit.
    rides: dict[str, int] = {}
    last = visits[-1]
    for v in visits:
        if am and v is last:
            continue  # the run ends on reaching its last school
        expected = problem.service_seconds(v.alighting if (am and v.is_school) else (v.boarding or v.alighting))
        if v.departure_seconds - v.arrival_seconds < expected:
            out.append(f"{name}: too little time at node {v.node} for pupils to get on or off")
    for a, b in zip(visits, visits[1:], strict=False):
        if b.arrival_seconds < a.departure_seconds + problem.seconds(a.node, b.node):
            out.append(f"{name}: cannot get from node {a.node} to node {b.node} in time")
    for v, s in zip(school_visits, school_of_visit, strict=True):
        school = problem.schools[s]
        if am and not school.am_arrive_from_seconds <= v.arrival_seconds <= school.am_arrive_by_seconds:
            out.append(f"{name}: reaches school at {v.arrival_seconds}s, outside its window")
        if not am:
            if v.arrival_seconds > school.pm_collect_at_seconds:
                out.append(f"{name}: at school after the collection time")
            elif v.departure_seconds < school.pm_collect_at_seconds + problem.service_seconds(v.boarding):
                out.append(f"{name}: leaves school before its pupils are out and aboard")
    for v in home:
        for ref in v.boarding if am else v.alighting:
            own = school_visits[at_school[ref]]
            rides[ref] = own.arrival_seconds - v.arrival_seconds if am else v.arrival_seconds - own.departure_seconds
    for ref, seconds in rides.items():
        if seconds > by_ref[ref].max_ride_seconds:
            out.append(f"{name}: {ref} rides {seconds}s, over their {by_ref[ref].max_ride_seconds}s limit")

    nodes = [v.node for v in visits]
    if problem.depot is not None:
        nodes = [problem.depot, *nodes] if am else [*nodes, problem.depot]
    distance = sum(problem.metres(a, b) for a, b in zip(nodes, nodes[1:], strict=False))
    if distance != route.distance_metres:
        out.append(f"{name}: distance {route.distance_metres} m, recomputed {distance} m")
    if route.cost_pence != vt.daily_cost_pence:
        out.append(f"{name}: cost {route.cost_pence}p, but a {vt.name} costs {vt.daily_cost_pence}p")
    return out, rides


def check(problem: Problem, solution: Solution) -> list[str]:
    """Every rule a plan must keep, re-checked from the problem's own data."""
    out: list[str] = []
    rides: dict[str, int] = {}
    carried: Counter[str] = Counter()
    for number, route in enumerate(solution.routes, start=1):
        breaches, route_rides = _route_breaches(problem, number, route)
        out.extend(breaches)
        rides.update(route_rides)
        carried.update(route_rides.keys())
    left_out = Counter(u.ref for u in solution.unassigned)
    for r in problem.requests:
        times = carried[r.ref] + left_out[r.ref]
        if times == 0:
            out.append(f"pupil {r.ref} is neither carried nor listed as unassigned")
        elif times > 1:
            out.append(f"pupil {r.ref} appears {times} times across routes and unassigned")
    for u in solution.unassigned:
        if not u.reason.strip():
            out.append(f"pupil {u.ref} is unassigned without a reason")
    used = Counter(route.vehicle_type for route in solution.routes)
    for t, count in used.items():
        if 0 <= t < len(problem.vehicle_types) and count > problem.vehicle_types[t].available:
            vt = problem.vehicle_types[t]
            out.append(f"{count} {vt.name} vehicles used, {vt.available} available")
    if rides != solution.ride_seconds:
        out.append("reported ride times differ from the times recomputed from the routes")
    f = solution.figures
    if f.pupils_over_limit:
        out.append(f"figures report {f.pupils_over_limit} pupils over their limit")
    if f.vehicles != len(solution.routes):
        out.append("figures count the vehicles wrongly")
    if f.daily_cost_pence != sum(r.cost_pence for r in solution.routes):
        out.append("figures add up the daily cost wrongly")
    if f.distance_metres != sum(r.distance_metres for r in solution.routes):
        out.append("figures add up the distance wrongly")
    return out


def check_vrptw(instance: VrptwInstance, result: VrptwResult) -> list[str]:
    """Capacity, time windows (waiting allowed) and every customer once, in integer data."""
    out: list[str] = []
    seen: Counter[int] = Counter(c for r in result.routes for c in r)
    n = len(instance.demand)
    for c in range(1, n):
        if seen[c] + (c in result.dropped) != 1:
            out.append(f"customer {c} served {seen[c]} times")
    if len(result.routes) > instance.fleet:
        out.append(f"{len(result.routes)} routes, fleet is {instance.fleet}")
    for number, route in enumerate(result.routes, start=1):
        load = sum(instance.demand[c] for c in route)
        if load > instance.capacity:
            out.append(f"route {number}: load {load} over capacity {instance.capacity}")
        t, prev = instance.ready[0], 0
        for c in [*route, 0]:
            t = max(t + instance.service[prev] + int(instance.duration[prev, c]), instance.ready[c])
            if t > instance.due[c]:
                out.append(f"route {number}: reaches {c} at {t}, after its due time {instance.due[c]}")
            prev = c
    return out
