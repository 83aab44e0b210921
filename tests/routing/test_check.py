"""The independent checker catches hand-broken solutions, one rule at a time."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hts.routing.check import check, check_vrptw
from hts.routing.problem import Problem, Solution, Unassigned, VrptwInstance, VrptwResult
from hts.routing.solver import solve, solve_vrptw
from tests.routing.builders import WAV, build, pupil, with_requests


@pytest.fixture(scope="module")
def planned() -> tuple[Problem, Solution]:
    """Four pupils on one WAV route to one school, checked clean."""
    problem = build([(2.0, 0.0), (2.3, 0.4), (2.6, 0.1), (2.1, -0.3)],
                    [pupil(f"P{i}", 1 + i) for i in range(4)],
                    vehicle_types=(replace(WAV, daily_cost_pence=5000),))
    solution = solve(problem, 1.0)
    assert solution.figures.vehicles == 1
    assert check(problem, solution) == []
    return problem, solution


def with_route(solution: Solution, **changes: object) -> Solution:
    """The solution with its first route changed."""
    return replace(solution, routes=(replace(solution.routes[0], **changes), *solution.routes[1:]))


def test_a_pupil_left_off_every_route_and_list_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    extra = with_requests(problem, [*problem.requests, pupil("ghost", 1)])
    assert "pupil ghost is neither carried nor listed as unassigned" in check(extra, solution)


def test_a_pupil_both_carried_and_unassigned_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    broken = replace(solution, unassigned=(Unassigned("P0", "no reason really"),))
    assert any("P0 appears 2 times" in b for b in check(problem, broken))


def test_too_many_seats_are_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    smaller = replace(problem, vehicle_types=(replace(problem.vehicle_types[0], seats=3),))
    assert any("4 seats used on a 3-seat" in b for b in check(smaller, solution))


def test_a_missing_passenger_assistant_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    needs = with_requests(replace(problem, vehicle_types=(replace(problem.vehicle_types[0], has_pa=False),)),
                          [replace(problem.requests[0], needs_pa=True), *problem.requests[1:]])
    assert any("needs a PA but has none" in b for b in check(needs, solution))


def test_a_solo_pupil_sharing_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    solo = with_requests(problem, [replace(problem.requests[0], solo=True), *problem.requests[1:]])
    assert any("solo pupil shares" in b for b in check(solo, solution))


def test_incompatible_pupils_together_are_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    apart = with_requests(problem, [replace(problem.requests[0], incompatible_with=frozenset({"P1"})),
                                    *problem.requests[1:]])
    assert any("P0 travels with incompatible P1" in b for b in check(apart, solution))


def test_a_ride_over_the_limit_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    tight = with_requests(problem, [replace(r, max_ride_seconds=60) for r in problem.requests])
    breaches = check(tight, solution)
    assert any("over their 60s limit" in b for b in breaches)


def test_arriving_outside_the_school_window_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    route = solution.routes[0]
    late = tuple(replace(v, arrival_seconds=v.arrival_seconds + 3600, departure_seconds=v.departure_seconds + 3600)
                 for v in route.visits)
    assert any("outside its window" in b for b in check(problem, with_route(solution, visits=late)))


def test_an_impossible_leg_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    visits = list(solution.routes[0].visits)
    visits[1] = replace(visits[1], arrival_seconds=visits[0].departure_seconds,
                        departure_seconds=visits[0].departure_seconds + 600)
    assert any("cannot get from node" in b for b in check(problem, with_route(solution, visits=tuple(visits))))


def test_a_wrong_distance_or_cost_is_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    breaches = check(problem, with_route(solution, distance_metres=1, cost_pence=1))
    assert any("distance 1 m, recomputed" in b for b in breaches)
    assert any("cost 1p" in b for b in breaches)


def test_more_vehicles_than_available_are_caught(planned: tuple[Problem, Solution]) -> None:
    problem, solution = planned
    none_left = replace(problem, vehicle_types=(replace(problem.vehicle_types[0], available=0),))
    assert any("1 WAV with PA vehicles used, 0 available" in b for b in check(none_left, solution))


def tiny_vrptw() -> VrptwInstance:
    """Depot and four customers on a line; capacity forces two routes."""
    xs = np.array([0, 10, 20, 30, 40])
    d = np.abs(xs[:, None] - xs[None, :]).astype(np.int64)
    return VrptwInstance(name="tiny", cost=d, duration=d, demand=(0, 5, 5, 5, 5),
                         ready=(0, 0, 0, 0, 0), due=(1000, 1000, 1000, 1000, 1000),
                         service=(0, 10, 10, 10, 10), capacity=10, fleet=4, vehicle_fixed_cost=10**6)


def test_a_vrptw_is_solved_with_the_fewest_vehicles_and_checks_clean() -> None:
    instance = tiny_vrptw()
    result = solve_vrptw(instance, 1.0)
    assert check_vrptw(instance, result) == []
    assert len(result.routes) == 2 and result.dropped == ()


def test_the_vrptw_checker_catches_overload_lateness_and_a_missed_customer() -> None:
    instance = replace(tiny_vrptw(), due=(1000, 1000, 1000, 1000, 15))
    broken = VrptwResult(routes=((1, 2, 3), (4,)), dropped=(), solve_seconds=0)
    breaches = check_vrptw(instance, broken)
    assert "route 1: load 15 over capacity 10" in breaches
    assert any("after its due time" in b for b in breaches)
    assert "customer 4 served 1 times" not in breaches
    assert "customer 2 served 0 times" in check_vrptw(instance, VrptwResult(((1, 3, 4),), (), 0))
