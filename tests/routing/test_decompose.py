"""A city solved school by school in parallel processes, with progress, checked whole."""

from __future__ import annotations

from hts.routing.check import check
from hts.routing.decompose import allot_vehicles, part_schools, part_time_limits, solve_decomposed
from hts.routing.problem import restrict
from tests.routing.builders import build, pupil


def three_schools():
    """Eighteen pupils, three schools a few km apart."""
    homes = [(-3 + 0.4 * i, 0.3 * (i % 5)) for i in range(18)]
    requests = [pupil(f"P{i}", 3 + i, school=i % 3) for i in range(18)]
    return build(homes, requests, schools_km=((0.0, 0.0), (3.0, 1.0), (-2.0, 2.0)))


def test_each_school_is_its_own_part_largest_first() -> None:
    problem = build([(1, 0), (2, 0), (3, 0)], [pupil("A", 2, 0), pupil("B", 3, 1), pupil("C", 4, 1)],
                    schools_km=((0, 0), (5, 0)))
    assert part_schools(problem) == [[1], [0]]


def test_part_time_limits_fit_the_budget_on_two_workers() -> None:
    limits = part_time_limits([100, 50, 30, 20], budget_seconds=10, workers=2)
    assert sum(limits) <= 2 * 10
    assert max(limits) <= 10
    assert limits[0] > limits[-1]


def test_vehicle_shares_follow_pupils_and_never_exceed_the_fleet() -> None:
    problem = three_schools()
    shares = allot_vehicles(problem, part_schools(problem))
    for t, vt in enumerate(problem.vehicle_types):
        assert all(0 < share[t] <= vt.available for share in shares)


def test_a_compact_part_keeps_only_its_nodes_and_maps_back() -> None:
    problem = three_schools()
    compact, node_map, school_map = restrict(problem, [1])
    assert school_map == [1]
    assert len(compact.points) == 1 + 6
    assert all(node_map[r.stop] == problem.request_by_ref()[r.ref].stop for r in compact.requests)
    assert compact.seconds(0, 1) == problem.seconds(node_map[0], node_map[1])


def test_the_city_is_solved_in_parallel_with_progress_and_checks_clean() -> None:
    problem = three_schools()
    seen: list[tuple[int, int]] = []
    solution = solve_decomposed(problem, 4.0, workers=2,
                                progress=lambda done, total, _m: seen.append((done, total)))
    assert check(problem, solution) == []
    assert solution.unassigned == ()
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert {r.school for r in solution.routes} == {0, 1, 2}
    assert solution.figures.solve_seconds < 8
