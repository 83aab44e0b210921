"""The solver keeps every routing rule, and leaves out only pupils it cannot carry, with reasons."""

from __future__ import annotations

from dataclasses import replace

from hts.routing.check import check
from hts.routing.problem import Problem, Solution, VehicleType
from hts.routing.solver import REASON_NOT_PLACED, solve
from tests.routing.builders import MINIBUS, TAXI, WAV, build, pupil, ring, with_requests

LIMIT = 1.5  # seconds: guided local search always runs to its limit


def solved(problem: Problem, seconds: float = LIMIT) -> Solution:
    """Solve and insist the independent checker finds nothing wrong."""
    solution = solve(problem, seconds)
    assert check(problem, solution) == []
    return solution


def route_of(solution: Solution, ref: str) -> int:
    """Index of the route carrying a pupil."""
    return next(i for i, r in enumerate(solution.routes) if ref in r.pupil_refs)


def test_every_pupil_is_carried_and_the_checker_agrees() -> None:
    solution = solved(ring(10))
    assert solution.unassigned == ()
    assert solution.figures.pupils_carried == 10
    assert solution.figures.pupils_over_limit == 0
    assert sorted(solution.ride_seconds) == [f"P{i}" for i in range(10)]


def test_seats_are_never_exceeded() -> None:
    problem = ring(10, vehicle_types=(TAXI,))
    solution = solved(problem)
    assert solution.figures.vehicles >= 3
    assert all(len(r.pupil_refs) <= 4 for r in solution.routes)


def test_a_wheelchair_user_rides_in_a_vehicle_with_a_wheelchair_space() -> None:
    problem = ring(6)
    problem = with_requests(problem, [*problem.requests[:5],
                                      replace(problem.requests[5], seats=0, wheelchair_spaces=1,
                                              dwell_seconds=600)])
    solution = solved(problem)
    carrier = solution.routes[route_of(solution, "P5")]
    assert problem.vehicle_types[carrier.vehicle_type].wheelchair_spaces >= 1


def test_a_pupil_who_needs_a_passenger_assistant_gets_one() -> None:
    problem = ring(6)
    problem = with_requests(problem, [replace(problem.requests[0], needs_pa=True), *problem.requests[1:]])
    solution = solved(problem)
    assert problem.vehicle_types[solution.routes[route_of(solution, "P0")].vehicle_type].has_pa


def test_a_solo_pupil_travels_alone() -> None:
    problem = ring(6, radius_km=1.0)
    problem = with_requests(problem, [replace(problem.requests[0], solo=True), *problem.requests[1:]])
    solution = solved(problem)
    assert solution.routes[route_of(solution, "P0")].pupil_refs == ("P0",)


def test_incompatible_pupils_at_one_address_travel_apart() -> None:
    problem = build([(3.0, 0.0)], [
        pupil("A", 1, incompatible_with=frozenset({"B"})),
        pupil("B", 1),
        pupil("C", 1),
    ])
    solution = solved(problem)
    assert route_of(solution, "A") != route_of(solution, "B")
    assert solution.unassigned == ()


def test_siblings_at_one_address_share_one_stop() -> None:
    problem = build([(3.0, 0.0), (3.2, 0.3)], [pupil("A", 1), pupil("B", 1), pupil("C", 2)])
    solution = solved(problem)
    assert solution.figures.vehicles == 1
    stops = [v for v in solution.routes[0].visits if not v.is_school]
    assert len(stops) == 2
    assert sorted(stops[0].boarding + stops[1].boarding) == ["A", "B", "C"]


def test_every_ride_stays_within_each_pupils_limit() -> None:
    # Far-flung pupils with a 30-minute limit cannot all share one vehicle.
    homes = [(6.0, 0.0), (0.0, 6.0), (-6.0, 0.0), (0.0, -6.0)]
    problem = build(homes, [pupil(f"P{i}", 1 + i, limit_minutes=30) for i in range(4)],
                    vehicle_types=(MINIBUS,))
    solution = solved(problem)
    assert solution.unassigned == ()
    assert solution.figures.vehicles >= 2
    assert max(solution.ride_seconds.values()) <= 30 * 60


def test_a_pupil_whose_direct_journey_is_too_long_is_unassigned_with_a_reason() -> None:
    problem = build([(2.0, 0.0), (2.5, 0.5), (40.0, 0.0)],
                    [pupil("near1", 1), pupil("near2", 2), pupil("far", 3)])
    solution = solved(problem)
    assert [u.ref for u in solution.unassigned] == ["far"]
    reason = solution.unassigned[0].reason
    assert reason.startswith("direct journey ") and reason.endswith("is over the 45 min limit")
    assert sorted(solution.ride_seconds) == ["near1", "near2"]


def test_a_wheelchair_user_with_no_accessible_vehicle_is_unassigned_with_a_reason() -> None:
    problem = build([(2.0, 0.0), (2.5, 0.5)],
                    [pupil("A", 1), pupil("W", 2, seats=0, wheelchair_spaces=1)],
                    vehicle_types=(TAXI, MINIBUS))
    solution = solved(problem)
    assert [(u.ref, u.reason) for u in solution.unassigned] == [
        ("W", "no available vehicle type has a wheelchair space")]


def test_pupils_beyond_the_fleet_are_unassigned_not_a_failed_solve() -> None:
    small_fleet = (VehicleType("taxi", 4, 0, 9000, available=1),)
    solution = solved(ring(6, radius_km=1.0, vehicle_types=small_fleet))
    assert solution.figures.vehicles == 1
    assert len(solution.unassigned) == 2
    assert {u.reason for u in solution.unassigned} == {REASON_NOT_PLACED}


def test_the_morning_run_reaches_school_inside_its_window() -> None:
    problem = ring(8)
    solution = solved(problem)
    window = problem.schools[0]
    for route in solution.routes:
        at_school = route.visits[-1]
        assert at_school.is_school
        assert window.am_arrive_from_seconds <= at_school.arrival_seconds <= window.am_arrive_by_seconds
        assert [v.arrival_seconds for v in route.visits] == sorted(v.arrival_seconds for v in route.visits)


def test_the_afternoon_run_leaves_school_after_collection_and_drops_everyone_off() -> None:
    problem = ring(8, session="pm")
    solution = solved(problem)
    for route in solution.routes:
        first = route.visits[0]
        assert first.is_school and first.arrival_seconds == problem.schools[0].pm_collect_at_seconds
        assert sorted(first.boarding) == sorted(r for v in route.visits[1:] for r in v.alighting)
    assert solution.unassigned == ()


def test_fewer_vehicles_come_first_when_they_cost_less() -> None:
    # Six pupils: one 8-seat minibus (140 pounds) beats two taxis (180 pounds).
    solution = solved(ring(6, radius_km=1.5, vehicle_types=(TAXI, MINIBUS)))
    assert solution.figures.vehicles_by_type == {"minibus": 1}
    assert solution.figures.daily_cost_pence == 14000


def test_pupils_of_different_schools_never_share_a_route() -> None:
    homes = [(1.0 + 0.2 * i, 0.5) for i in range(6)]
    requests = [pupil(f"P{i}", 2 + i, school=i % 2) for i in range(6)]
    problem = build(homes, requests, schools_km=((0.0, 0.0), (3.0, 0.0)))
    solution = solved(problem)
    for route in solution.routes:
        assert {problem.request_by_ref()[r].school for r in route.pupil_refs} == {route.school}
    assert solution.unassigned == ()


def test_the_same_problem_gives_the_same_fleet_twice() -> None:
    problem = ring(12, vehicle_types=(TAXI, WAV, MINIBUS))
    first, second = solved(problem, 1.0), solved(problem, 1.0)
    assert first.figures.vehicles_by_type == second.figures.vehicles_by_type
    assert first.figures.daily_cost_pence == second.figures.daily_cost_pence


def test_progress_is_reported_once_per_school() -> None:
    homes = [(1.0 + 0.2 * i, 0.5) for i in range(4)]
    problem = build(homes, [pupil(f"P{i}", 2 + i, school=i % 2) for i in range(4)],
                    schools_km=((0.0, 0.0), (3.0, 0.0)))
    seen: list[tuple[int, int]] = []
    solve(problem, 1.0, progress=lambda done, total, _msg: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


def test_pupils_who_cannot_share_still_all_get_a_vehicle_when_big_buses_look_enough() -> None:
    # Ten pupils far apart, each with a limit only a direct run meets: ten 66-seat buses,
    # though their seats alone suggest one. The first guess of vehicle slots is too low.
    bus = VehicleType("bus", seats=66, wheelchair_spaces=0, daily_cost_pence=30000, available=50)
    problem = ring(10, radius_km=8.0, vehicle_types=(bus,))
    problem = with_requests(problem, [replace(r, max_ride_seconds=30 * 60) for r in problem.requests])
    solution = solved(problem, 2.0)
    assert solution.unassigned == ()
    assert solution.figures.vehicles == 10
