"""PyVRP as the second engine: the same rules and result types as OR-Tools, chosen per school."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from hts.config import SETTINGS
from hts.routing import hgs
from hts.routing.check import check, check_vrptw
from hts.routing.decompose import solve_decomposed
from hts.routing.problem import Problem, Solution, VehicleType, VrptwInstance, VrptwResult
from hts.routing.solver import REASON_NOT_PLACED, routing_engine, solve, solve_vrptw
from tests.routing.builders import MINIBUS, TAXI, WAV, build, pupil, ring, with_requests

LIMIT = 1.0  # seconds


def planned(problem: Problem, seconds: float = LIMIT) -> Solution:
    """PyVRP's plan for one school's part, which the independent checker must pass."""
    solution = hgs.solve_part(problem, seconds)
    assert solution is not None
    assert check(problem, solution) == []
    return solution


def route_of(solution: Solution, ref: str) -> int:
    """Index of the route carrying a pupil."""
    return next(i for i, r in enumerate(solution.routes) if ref in r.pupil_refs)


def mixed(session: str = "am") -> Problem:
    """Twelve pupils round a school: one needs a PA, one travels alone, one uses a wheelchair."""
    problem = ring(12, session=session)
    r = problem.requests
    return with_requests(problem, [
        replace(r[0], needs_pa=True), replace(r[1], solo=True),
        replace(r[2], seats=0, wheelchair_spaces=1, dwell_seconds=600), *r[3:],
    ])


@pytest.mark.parametrize("session", ["am", "pm"])
def test_pyvrps_plan_carries_everyone_and_passes_the_checker(session: str) -> None:
    problem = mixed(session)
    solution = planned(problem)
    assert solution.unassigned == ()
    assert sorted(solution.ride_seconds) == sorted(r.ref for r in problem.requests)
    assert solution.figures.pupils_over_limit == 0
    assert any(e.startswith("pyvrp: ") for e in solution.events)


@pytest.mark.parametrize("session", ["am", "pm"])
def test_pyvrp_keeps_the_ride_limits(session: str) -> None:
    # Far-flung pupils with a 30-minute limit cannot all share one minibus.
    homes = [(6.0, 0.0), (0.0, 6.0), (-6.0, 0.0), (0.0, -6.0)]
    problem = build(homes, [pupil(f"P{i}", 1 + i, limit_minutes=30) for i in range(4)],
                    vehicle_types=(MINIBUS,), session=session)  # type: ignore[arg-type]
    solution = planned(problem)
    assert solution.unassigned == ()
    assert solution.figures.vehicles >= 2
    assert max(solution.ride_seconds.values()) <= 30 * 60


def test_pyvrp_never_exceeds_the_seats() -> None:
    solution = planned(ring(10, vehicle_types=(TAXI,)))
    assert solution.figures.vehicles >= 3
    assert all(len(r.pupil_refs) <= 4 for r in solution.routes)


def test_pyvrp_gives_a_passenger_assistant_a_wheelchair_space_and_a_solo_pupil_a_vehicle() -> None:
    problem = mixed()
    solution = planned(problem)
    types = problem.vehicle_types
    assert types[solution.routes[route_of(solution, "P0")].vehicle_type].has_pa
    assert types[solution.routes[route_of(solution, "P2")].vehicle_type].wheelchair_spaces >= 1
    assert solution.routes[route_of(solution, "P1")].pupil_refs == ("P1",)


def test_pyvrp_takes_fewer_vehicles_first_when_they_cost_less() -> None:
    # Six pupils: one 8-seat minibus (140 pounds) beats two taxis (180 pounds).
    solution = planned(ring(6, radius_km=1.5, vehicle_types=(TAXI, MINIBUS)))
    assert solution.figures.vehicles_by_type == {"minibus": 1}


def test_a_pupil_whose_direct_journey_is_too_long_is_left_out_by_pyvrp_with_a_reason() -> None:
    problem = build([(2.0, 0.0), (2.5, 0.5), (40.0, 0.0)],
                    [pupil("near1", 1), pupil("near2", 2), pupil("far", 3)])
    solution = planned(problem)
    assert [u.ref for u in solution.unassigned] == ["far"]
    assert solution.unassigned[0].reason.startswith("direct journey ")
    assert sorted(solution.ride_seconds) == ["near1", "near2"]


def test_pupils_beyond_the_fleet_are_left_out_by_pyvrp_not_a_failed_solve() -> None:
    small_fleet = (VehicleType("taxi", 4, 0, 9000, available=1),)
    solution = planned(ring(6, radius_km=1.0, vehicle_types=small_fleet))
    assert solution.figures.vehicles == 1
    assert [u.reason for u in solution.unassigned] == [REASON_NOT_PLACED] * 2


def test_pupils_who_must_not_travel_together_are_left_to_or_tools() -> None:
    problem = build([(3.0, 0.0)], [
        pupil("A", 1, incompatible_with=frozenset({"B"})), pupil("B", 1), pupil("C", 1),
    ])
    can, why = hgs.pyvrp_can_model(problem)
    assert not can and "must not travel together" in why
    assert hgs.solve_part(problem, LIMIT) is None
    solution = solve(problem, LIMIT, engine="auto")
    assert check(problem, solution) == []
    assert route_of(solution, "A") != route_of(solution, "B")
    assert any("OR-Tools: pupils who must not travel together" in e for e in solution.events)
    assert not any("pyvrp: " in e for e in solution.events)


def test_pyvrp_can_model_a_plain_school_part_but_not_two_schools_at_once() -> None:
    assert hgs.pyvrp_can_model(ring(4)) == (True, "PyVRP can model every rule of this part")
    two = build([(1.0, 0.0), (2.0, 0.0)], [pupil("A", 2, school=0), pupil("B", 3, school=1)],
                schools_km=((0.0, 0.0), (3.0, 0.0)))
    can, why = hgs.pyvrp_can_model(two)
    assert not can and "2 schools" in why


def test_both_engines_return_the_same_shape_of_plan() -> None:
    problem = mixed("pm")
    by_ortools = solve(problem, LIMIT, engine="ortools")
    by_pyvrp = solve(problem, LIMIT, engine="pyvrp")
    for solution in (by_ortools, by_pyvrp):
        assert isinstance(solution, Solution)
        assert check(problem, solution) == []
        assert sorted(solution.ride_seconds) == sorted(r.ref for r in problem.requests)
        assert solution.figures.vehicles == len(solution.routes)
    assert type(by_ortools.figures) is type(by_pyvrp.figures)
    assert any("first phase" in e for e in by_ortools.events)
    assert any("pyvrp: " in e for e in by_pyvrp.events)


def test_a_city_of_several_schools_is_planned_per_school_by_pyvrp() -> None:
    homes = [(1.0 + 0.2 * i, 0.5) for i in range(6)]
    problem = build(homes, [pupil(f"P{i}", 2 + i, school=i % 2) for i in range(6)],
                    schools_km=((0.0, 0.0), (3.0, 0.0)))
    solution = solve(problem, 2 * LIMIT, engine="pyvrp")
    assert check(problem, solution) == []
    assert solution.unassigned == ()
    for route in solution.routes:
        assert {problem.request_by_ref()[r].school for r in route.pupil_refs} == {route.school}
    assert sum("pyvrp: " in e for e in solution.events) == 2


def test_the_engine_setting_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = ring(6, radius_km=1.5)
    assert SETTINGS["ROUTING_ENGINE"][0] == "auto"
    monkeypatch.delenv("HTS_ROUTING_ENGINE", raising=False)
    assert routing_engine() == "auto"
    monkeypatch.setenv("HTS_ROUTING_ENGINE", "ortools")
    assert routing_engine() == "ortools"
    assert any("first phase" in e for e in solve(problem, LIMIT).events)
    monkeypatch.setenv("HTS_ROUTING_ENGINE", "pyvrp")
    assert any("pyvrp: " in e for e in solve(problem, LIMIT).events)
    # An explicit choice wins over the setting.
    assert any("first phase" in e for e in solve(problem, LIMIT, engine="ortools").events)
    monkeypatch.setenv("HTS_ROUTING_ENGINE", "gurobi")
    with pytest.raises(ValueError, match="routing engine must be one of auto, ortools, pyvrp"):
        solve(problem, LIMIT)


def test_the_decomposed_solve_passes_the_engine_to_its_workers() -> None:
    homes = [(1.0 + 0.2 * i, 0.5) for i in range(6)]
    problem = build(homes, [pupil(f"P{i}", 2 + i, school=i % 2) for i in range(6)],
                    schools_km=((0.0, 0.0), (3.0, 0.0)), vehicle_types=(TAXI, WAV))
    by_ortools = solve_decomposed(problem, 2.0, workers=1, engine="ortools")
    by_pyvrp = solve_decomposed(problem, 2.0, workers=1, engine="pyvrp")
    assert check(problem, by_ortools) == [] and check(problem, by_pyvrp) == []
    assert not any("pyvrp: " in e for e in by_ortools.events)
    assert sum("pyvrp: " in e for e in by_pyvrp.events) == 2


def small_vrptw() -> VrptwInstance:
    """Eight customers on a line, capacity 3, wide windows: three vehicles are the fewest."""
    xs = np.array([0, 1, 2, 3, 4, -1, -2, -3, -4])
    d = np.abs(xs[:, None] - xs[None, :]) * 100
    n = len(xs)
    return VrptwInstance(
        name="line", cost=d, duration=d, demand=(0,) + (1,) * (n - 1), ready=(0,) * n,
        due=(10_000,) * n, service=(0,) + (10,) * (n - 1), capacity=3, fleet=8,
        vehicle_fixed_cost=100_000,
    )


def two_ends_vrptw() -> VrptwInstance:
    """The load fits one vehicle, but customers 4 and 8 sit at opposite ends of the line and must
    both be served at time 400: two vehicles are the fewest, one more than the load needs."""
    base = small_vrptw()
    ready, due = list(base.ready), list(base.due)
    for c in (4, 8):
        ready[c], due[c] = 400, 410
    return replace(base, capacity=8, ready=tuple(ready), due=tuple(due))


def test_both_engines_solve_a_vrptw_with_the_same_result_type() -> None:
    instance = small_vrptw()
    for result in (solve_vrptw(instance, LIMIT, engine="ortools"),
                   solve_vrptw(instance, LIMIT, engine="pyvrp"),
                   hgs.solve_vrptw(instance, LIMIT)):
        assert isinstance(result, VrptwResult)
        assert check_vrptw(instance, result) == []
        assert result.dropped == ()
        assert len(result.routes) == 3


def test_pyvrp_starts_from_a_feasible_plan_it_is_given() -> None:
    instance = small_vrptw()
    given = [(1, 2), (3, 4), (5, 6), (7, 8)]
    result = hgs.solve_vrptw(instance, LIMIT, initial=given)
    assert "warm start: 4 vehicles" in result.events
    assert check_vrptw(instance, result) == [] and len(result.routes) == 3


def test_the_distance_phase_keeps_the_vehicles_and_never_lengthens_the_plan() -> None:
    instance = small_vrptw()
    data = hgs._vrptw_data(instance)
    # Three routes that zig-zag along the line: feasible, but far longer than they need be.
    given = hgs.PyvrpSolution(data, [[0, 7, 3], [1, 6, 4], [2, 5]])
    assert given.is_feasible()
    events: list[str] = []
    shorter = hgs._shorter(data, given, time.monotonic() + LIMIT, events)
    assert shorter.is_feasible() and shorter.is_complete()
    assert shorter.num_routes() <= 3
    assert shorter.distance() < given.distance()
    assert any(e.startswith("distance start") for e in events)


def record_starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, hgs.PyvrpSolution | None]]:
    """Record every PyVRP search `hgs` makes: its iterations and the plan it started from."""
    starts: list[tuple[int, hgs.PyvrpSolution | None]] = []
    real_solve = hgs.solve

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_solve(*args, **kwargs)
        starts.append((result.num_iterations, kwargs.get("initial_solution")))
        return result

    monkeypatch.setattr(hgs, "solve", recorded)
    return starts


@pytest.mark.parametrize("stall", [100, 10**9])
def test_a_distance_start_that_stops_improving_hands_its_time_to_the_next(
        monkeypatch: pytest.MonkeyPatch, stall: int) -> None:
    instance = small_vrptw()
    data = hgs._vrptw_data(instance)
    given = hgs.PyvrpSolution(data, [[0, 7, 3], [1, 6, 4], [2, 5]])
    recorded = record_starts(monkeypatch)
    monkeypatch.setattr(hgs, "STALL_ITERATIONS", stall)
    events: list[str] = []
    shorter = hgs._shorter(data, given, time.monotonic() + LIMIT, events)
    starts = [iterations for iterations, _ in recorded]
    assert shorter.is_feasible() and shorter.distance() < given.distance()
    assert events[-1] == f"distance phase: {len(starts)} start{'s' if len(starts) != 1 else ''}"
    if stall == 100:
        # Eight customers stop improving at once: each start ends after its 100 idle
        # iterations (and the few before them), and the second of time holds many starts.
        assert len(starts) > hgs.POLISH_STARTS
        assert max(starts) < 1_000
    else:
        # Never stalled: the time is split as planned, one start of the whole second here.
        assert len(starts) == 1 and starts[0] > 1_000


@pytest.mark.parametrize("large", [False, True])
def test_the_first_distance_start_searches_the_whole_fleet_only_on_a_large_instance(
        monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    if large:
        monkeypatch.setattr(hgs, "LARGE_FROM", 8)  # these eight customers count as large
    data = hgs._vrptw_data(small_vrptw())
    given = hgs.PyvrpSolution(data, [[0, 7, 3], [1, 6, 4], [2, 5]])
    fleet = data.vehicle_type(0).num_available
    assert fleet > given.num_routes()
    searched: list[tuple[int, int | None]] = []  # (vehicles available, routes of the start plan)
    real_solve = hgs.solve

    def recorded(search, *args, **kwargs):  # type: ignore[no-untyped-def]
        initial = kwargs.get("initial_solution")
        searched.append((search.vehicle_type(0).num_available, initial.num_routes() if initial else None))
        return real_solve(search, *args, **kwargs)

    monkeypatch.setattr(hgs, "solve", recorded)
    # Room for several starts in the second: short ones, that end after 100 idle iterations.
    monkeypatch.setattr(hgs, "POLISH_SECONDS_PER_CLIENT", 0.01)
    monkeypatch.setattr(hgs, "STALL_ITERATIONS", 100)
    events: list[str] = []
    shorter = hgs._shorter(data, given, time.monotonic() + LIMIT, events)
    assert shorter.is_feasible() and shorter.num_routes() <= 3 and shorter.distance() < given.distance()
    assert len(searched) > 1
    # The first start goes from the given plan: on the whole fleet when large, else on the three kept.
    assert searched[0] == ((fleet, 3) if large else (3, 3))
    # Every later start is afresh on the vehicles kept.
    assert set(searched[1:]) == {(3, None)}


def test_a_removal_attempt_that_cannot_succeed_gives_up_after_its_iterations(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two vehicles are the fewest, so the attempt at one cannot succeed.
    data = hgs._vrptw_data(two_ends_vrptw())
    best = hgs.PyvrpSolution(data, [[3, 2, 1, 0], [7, 6, 5, 4]])  # customers 4 and 8 first
    assert best.is_feasible()
    attempts = record_starts(monkeypatch)
    monkeypatch.setattr(hgs, "REMOVAL_ITERATIONS", 200)
    events: list[str] = []
    kept = hgs._fewer_vehicles(data, best, time.monotonic() + 5 * LIMIT, events)
    assert kept.num_routes() == 2 and kept.is_feasible()
    assert attempts == [(200, None)]  # below LARGE_FROM customers: afresh only
    assert events == []


def test_on_a_large_instance_a_removal_attempt_starts_from_the_best_plan_less_its_smallest_route(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hgs, "LARGE_FROM", 8)  # these eight customers count as large
    # Three vehicles are the fewest. A small fixed cost: PyVRP's penalties on excess load start
    # low, and under a large one its first iterations would overload two routes to save a third.
    data = hgs._vrptw_data(replace(small_vrptw(), vehicle_fixed_cost=100))
    best = hgs.PyvrpSolution(data, [[0, 1], [2, 3], [4, 5, 6], [7]])
    assert best.is_feasible()
    starts = record_starts(monkeypatch)
    events: list[str] = []
    fewer = hgs._fewer_vehicles(data, best, time.monotonic() + 5 * LIMIT, events)
    assert fewer.num_routes() == 3 and fewer.is_feasible() and fewer.is_complete()
    (iterations, start), = starts  # one attempt, and it succeeded
    assert start is not None and iterations <= hgs.WARM_ITERATIONS
    assert sorted(map(tuple, hgs._clients(start))) == [(0, 1), (2, 3), (4, 5, 6)]  # [7] left out
    assert events == ["removed a vehicle (from the best plan): 3 left"]


def test_a_removal_attempt_from_the_best_plan_that_finds_nothing_starts_afresh(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hgs, "LARGE_FROM", 8)
    monkeypatch.setattr(hgs, "WARM_ITERATIONS", 50)
    monkeypatch.setattr(hgs, "REMOVAL_ITERATIONS", 200)
    data = hgs._vrptw_data(two_ends_vrptw())  # two vehicles are the fewest: one cannot succeed
    best = hgs.PyvrpSolution(data, [[3, 2, 1, 0], [7, 6, 5, 4]])
    starts = record_starts(monkeypatch)
    events: list[str] = []
    kept = hgs._fewer_vehicles(data, best, time.monotonic() + 5 * LIMIT, events)
    assert kept.num_routes() == 2 and kept.is_feasible()
    assert [iterations for iterations, _ in starts] == [50, 200]
    assert starts[0][1] is not None and starts[1][1] is None  # from the best plan, then afresh
    assert events == []


def test_a_first_search_on_as_few_vehicles_as_the_load_needs_carries_on_to_the_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    searches = record_starts(monkeypatch)
    instance = small_vrptw()  # eight customers, capacity 3: three vehicles, as the load needs
    result = hgs.solve_vrptw(instance, LIMIT)
    assert check_vrptw(instance, result) == [] and len(result.routes) == 3
    assert "first phase: 3 vehicles, as many as the load needs: carried on to the end" in result.events
    # One search for the whole time: no removal attempt, no distance restart.
    assert len(searches) == 1
    assert result.solve_seconds >= 0.9 * LIMIT
    assert not any(e.startswith(("removed", "distance")) for e in result.events)


def test_a_first_search_with_a_vehicle_more_than_the_load_needs_pauses_for_the_removal_passes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    searches = record_starts(monkeypatch)
    instance = two_ends_vrptw()
    result = hgs.solve_vrptw(instance, LIMIT)
    assert check_vrptw(instance, result) == [] and len(result.routes) == 2
    assert "first phase: 2 vehicles" in result.events
    assert len(searches) >= 2  # the first search, then the removal attempt and distance starts
    assert any(e.startswith("distance phase") for e in result.events)


def test_a_seed_given_to_the_solve_reaches_every_pyvrp_search(monkeypatch: pytest.MonkeyPatch) -> None:
    seeds: list[int] = []
    real_solve = hgs.solve

    def recorded(*args, **kwargs):
        seeds.append(kwargs["seed"])
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(hgs, "solve", recorded)
    instance = two_ends_vrptw()  # not carried on: a vehicle more than the load needs
    result = solve_vrptw(instance, LIMIT, seed=7)
    assert check_vrptw(instance, result) == []
    assert seeds[0] == 7 and len(seeds) >= 2  # the first search, then removal or distance
    assert all(s >= 7 for s in seeds)  # distance starts count on from it


def test_an_instance_without_a_feasible_plan_never_fails_the_solve() -> None:
    # Customer 1's window closes before anyone can reach it: OR-Tools drops it, with others served.
    instance = replace(small_vrptw(), due=(10_000, 50, *(10_000,) * 7))
    result = solve_vrptw(instance, LIMIT, engine="auto")
    assert result.dropped == (1,)
    assert "OR-Tools after PyVRP" in result.events
    assert check_vrptw(instance, result) == []


def test_the_wav_is_only_used_when_needed() -> None:
    problem = ring(8, radius_km=1.5, vehicle_types=(TAXI, WAV))
    solution = planned(problem)
    assert solution.figures.vehicles_by_type == {"taxi": 2}


def test_without_pyvrp_installed_every_school_goes_to_or_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    from hts.routing import solver

    monkeypatch.setattr(solver, "_hgs", lambda: None)
    problem = ring(6, radius_km=1.5)
    solution = solve(problem, LIMIT, engine="auto")
    assert check(problem, solution) == [] and solution.unassigned == ()
    assert any("OR-Tools: PyVRP is not installed" in e for e in solution.events)
    assert solve_vrptw(small_vrptw(), LIMIT, engine="pyvrp").routes


def test_an_unknown_engine_setting_is_refused_at_start_up_naming_the_setting(monkeypatch, tmp_path):
    from hts import config

    monkeypatch.setenv("HTS_ROUTING_ENGINE", "gurobi")
    with pytest.raises(ValueError, match="HTS_ROUTING_ENGINE='gurobi' is not valid: must be one of auto, ortools, pyvrp"):
        config.load(str(tmp_path))
    monkeypatch.setenv("HTS_ROUTING_ENGINE", "PyVRP")
    assert config.load(str(tmp_path))["ROUTING_ENGINE"] == "pyvrp"
