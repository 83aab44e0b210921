"""Nearby schools sharing a vehicle: who may share, the plans that let them, and the checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hts.routing.check import check
from hts.routing.decompose import part_schools, solve_decomposed
from hts.routing.problem import Problem, Route, Solution, school_groups
from hts.routing.sharing import shared_route
from hts.routing.solver import solve
from tests.routing.builders import TAXI, WAV, build, pupil, school

LIMIT = 2.0


def two_schools(session: str = "am", *, within: int = 1000, apart_km: float = 0.4,
                finish_second: str = "15:15") -> Problem:
    """Two schools `apart_km` apart; four pupils 3 km away, alternately at each school: one taxi
    could carry them all, if the schools may share."""
    homes = [(3.0, 0.1 * i) for i in range(4)]
    problem = build(homes, [pupil(f"P{i}", 2 + i, school=i % 2) for i in range(4)],
                    schools_km=((0.0, 0.0), (apart_km, 0.0)), session=session, vehicle_types=(TAXI,))  # type: ignore[arg-type]
    return replace(problem, share_within_metres=within,
                   schools=(problem.schools[0], school("S1", 1, finish=finish_second)))


def solved(problem: Problem) -> Solution:
    solution = solve(problem, LIMIT)
    assert check(problem, solution) == []
    return solution


def mixed(solution: Solution) -> list[Route]:
    return [r for r in solution.routes if len(set(r.schools)) > 1]


def test_schools_share_a_vehicle_only_when_the_setting_allows_and_they_are_near() -> None:
    near = two_schools(within=1000)
    assert school_groups(near) == [[0, 1]]
    assert school_groups(replace(near, share_within_metres=0)) == [[0], [1]]
    assert school_groups(two_schools(within=1000, apart_km=3.0)) == [[0], [1]]


def test_a_group_holds_only_schools_that_are_all_near_each_other() -> None:
    # A chain of schools 0.8 km apart: neighbours may share, the ends (1.6 km) may not.
    homes = [(3.0, 0.0)]
    problem = build(homes * 3, [pupil(f"P{i}", 3 + i, school=i) for i in range(3)],
                    schools_km=((0.0, 0.0), (0.8, 0.0), (1.6, 0.0)))
    problem = replace(problem, share_within_metres=1200)
    groups = school_groups(problem)
    assert sorted(map(len, groups)) == [1, 2]
    for group in groups:
        for a in group:
            for b in group:
                assert problem.metres(problem.schools[a].node, problem.schools[b].node) <= 1200


def test_in_the_morning_one_vehicle_takes_both_schools_pupils_and_each_gets_off_at_their_own() -> None:
    problem = two_schools("am")
    alone = solved(replace(problem, share_within_metres=0))
    shared = solved(problem)
    assert alone.figures.vehicles == 2 and not mixed(alone)
    assert shared.figures.vehicles == 1 and shared.figures.daily_cost_pence < alone.figures.daily_cost_pence
    (route,) = shared.routes
    schools = [v for v in route.visits if v.is_school]
    assert [v.is_school for v in route.visits] == [False] * 4 + [True] * 2  # everyone aboard, then the schools
    assert route.school == schools[-1].school  # a run belongs to the school it ends at
    by_ref = problem.request_by_ref()
    for visit in schools:
        assert {by_ref[ref].school for ref in visit.alighting} == {visit.school}
        s = problem.schools[visit.school]
        assert s.am_arrive_from_seconds <= visit.arrival_seconds <= s.am_arrive_by_seconds
    assert all(shared.ride_seconds[r.ref] <= r.max_ride_seconds for r in problem.requests)


def test_in_the_afternoon_a_vehicle_collects_at_a_second_school_only_if_it_is_there_by_the_finish() -> None:
    same_finish = solved(two_schools("pm", finish_second="15:15"))
    assert not mixed(same_finish)  # it cannot be at both schools at 15:15
    later = two_schools("pm", finish_second="15:25")
    shared = solved(later)
    assert shared.figures.vehicles == 1
    (route,) = shared.routes
    first, second = (v for v in route.visits if v.is_school)
    assert route.school == first.school
    assert second.arrival_seconds <= later.schools[second.school].pm_collect_at_seconds
    # Pupils of the first school ride from when the vehicle leaves it, the wait at the second included.
    for ref in first.boarding:
        drop = next(v for v in route.visits if ref in v.alighting)
        assert shared.ride_seconds[ref] == drop.arrival_seconds - first.departure_seconds


def test_sharing_never_makes_the_plan_dearer() -> None:
    # Schools 0.6 km apart with pupils in opposite directions: sharing cannot help, so the
    # separate plans stand.
    homes = [(-3.0, 0.1 * i) for i in range(3)] + [(3.6, 0.1 * i) for i in range(3)]
    problem = build(homes, [pupil(f"P{i}", 2 + i, school=0 if i < 3 else 1, limit_minutes=20) for i in range(6)],
                    schools_km=((0.0, 0.0), (0.6, 0.0)), vehicle_types=(TAXI,))
    alone = solved(problem)
    shared = solved(replace(problem, share_within_metres=1000))
    assert (shared.figures.daily_cost_pence, shared.figures.distance_metres) <= \
        (alone.figures.daily_cost_pence, alone.figures.distance_metres)


def test_rules_hold_on_shared_vehicles_passenger_assistant_and_wheelchair() -> None:
    problem = two_schools("am")
    requests = [replace(problem.requests[0], needs_pa=True),
                replace(problem.requests[1], wheelchair_spaces=1, seats=0), *problem.requests[2:]]
    problem = replace(problem, requests=tuple(requests), vehicle_types=(TAXI, WAV))
    solution = solved(problem)
    assert solution.unassigned == ()
    for route in solution.routes:
        vt = problem.vehicle_types[route.vehicle_type]
        riders = [problem.request_by_ref()[ref] for ref in route.pupil_refs]
        assert vt.has_pa or not any(r.needs_pa for r in riders)
        assert vt.wheelchair_spaces >= sum(r.wheelchair_spaces for r in riders)


def test_the_city_is_cut_into_groups_of_nearby_schools_and_planned_in_parallel() -> None:
    problem = two_schools("am")
    assert part_schools(problem) == [[0, 1]]
    solution = solve_decomposed(problem, 4.0, workers=1)
    assert check(problem, solution) == []
    assert solution.figures.vehicles == 1 and len(mixed(solution)) == 1
    assert mixed(solution)[0].schools == (1, 0) or mixed(solution)[0].schools == (0, 1)


@pytest.fixture(scope="module")
def shared_plan() -> tuple[Problem, Solution]:
    problem = two_schools("am")
    return problem, solved(problem)


def test_the_checker_refuses_schools_sharing_when_the_setting_does_not_allow_it(shared_plan) -> None:
    problem, solution = shared_plan
    assert any("may not share a vehicle" in b for b in check(replace(problem, share_within_metres=0), solution))
    assert any("may not share a vehicle" in b for b in check(replace(problem, share_within_metres=300), solution))


def test_the_checker_catches_a_pupil_getting_off_at_the_wrong_school(shared_plan) -> None:
    problem, solution = shared_plan
    (route,) = solution.routes
    first, last = (i for i, v in enumerate(route.visits) if v.is_school)
    visits = list(route.visits)
    moved = visits[first].alighting[0]
    visits[first] = replace(visits[first], alighting=visits[first].alighting[1:])
    visits[last] = replace(visits[last], alighting=(*visits[last].alighting, moved))
    broken = replace(solution, routes=(replace(route, visits=tuple(visits)),))
    assert any(f"{moved} goes to another school" in b for b in check(problem, broken))


def test_the_checker_catches_a_school_visited_before_the_last_pickup(shared_plan) -> None:
    problem, solution = shared_plan
    (route,) = solution.routes
    visits = list(route.visits)
    visits.insert(0, visits.pop(4))  # the first school visit first
    broken = replace(solution, routes=(replace(route, visits=tuple(visits)),))
    assert any("must end with its school visits" in b for b in check(problem, broken))


def test_exact_timing_refuses_an_order_that_visits_a_school_between_pickups(shared_plan) -> None:
    problem, solution = shared_plan
    from hts.routing.sharing import _Trip
    from hts.routing.solver import _groups
    trips = [_Trip(r.school, g) for r in problem.requests for g in _groups(problem, [r])]
    legs = [(True, trips[0]), (False, trips[0]), (True, trips[1]), (False, trips[1])]
    assert shared_route(problem, 0, legs) is None
    assert shared_route(problem, 0, [(True, trips[0]), (True, trips[1]), (False, trips[1]), (False, trips[0])]) is not None
