"""Solve a city by parts: one school (or group of nearby schools) per part, in parallel processes,
within a wall-time budget.

A whole city in one OR-Tools model hits a scale cliff (first solution 0.7 s at 1,000 stops,
524 s at 3,500: docs/solver-notes.md), and a route carries one school's pupils unless the
council lets nearby schools share (`Problem.share_within_metres`), so a school, or a group of
nearby schools, is a natural part. Each part is a compact problem holding only its own nodes,
so workers are not sent the whole city's matrices.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from hts.routing.problem import (
    Problem,
    Route,
    Solution,
    Unassigned,
    compute_figures,
    restrict,
    school_groups,
)
from hts.routing.solver import Progress, no_progress, routing_engine, solve

MIN_PART_SECONDS = 0.5
OVERHEAD_SHARE = 0.1  # kept back from the budget for process start-up and merging


def part_schools(problem: Problem) -> list[list[int]]:
    """The parts: each school that has pupils, or each group of nearby schools that may share
    vehicles (`school_groups`), largest first (long parts start first)."""
    return school_groups(problem)


def part_time_limits(sizes: Sequence[int], budget_seconds: float, workers: int) -> list[float]:
    """Seconds per part, in proportion to size, such that the parts finish within the budget.

    Parts are handed out largest first to whichever worker frees up first, so the limits are
    scaled until that schedule's makespan fits the budget.
    """
    usable = budget_seconds * (1 - OVERHEAD_SHARE)
    total = max(1, sum(sizes))
    limits = [max(MIN_PART_SECONDS, min(usable, usable * workers * n / total)) for n in sizes]
    for _ in range(20):
        free_at = [0.0] * max(1, workers)
        for seconds in limits:
            heapq.heapreplace(free_at, free_at[0] + seconds)
        makespan = max(free_at)
        if makespan <= usable:
            break
        limits = [max(MIN_PART_SECONDS, s * usable / makespan) for s in limits]
    return limits


def allot_vehicles(problem: Problem, parts: Sequence[Sequence[int]]) -> list[list[int]]:
    """Each part's share of every vehicle type, in proportion to its pupils (rounded up)."""
    counts = [sum(1 for r in problem.requests if r.school in set(p)) for p in parts]
    total = max(1, sum(counts))
    return [
        [min(t.available, math.ceil(t.available * n / total)) for t in problem.vehicle_types]
        for n in counts
    ]


def _solve_part(problem: Problem, seconds: float, engine: str) -> Solution:
    """Worker entry point (module level so it pickles)."""
    return solve(problem, seconds, engine=engine)


def solve_decomposed(problem: Problem, time_limit_seconds: float, *, workers: int = 2,
                     progress: Progress = no_progress, engine: str | None = None) -> Solution:
    """Solve every school in parallel processes and merge the parts into one solution.

    `engine` (auto, ortools or pyvrp; default the HTS_ROUTING_ENGINE setting) picks the
    engine per part, as `solver.solve` does. Shares of a scarce vehicle type are rounded up
    per part, so the merged plan can use more than the fleet has; the checker reports that,
    and `events` says so too.
    """
    started = time.monotonic()
    engine = routing_engine(engine)  # resolved here, so a bad setting fails before any work
    parts = part_schools(problem)
    allotments = allot_vehicles(problem, parts)
    compacts = [restrict(problem, p, a) for p, a in zip(parts, allotments, strict=True)]
    limits = part_time_limits([len(c[0].requests) for c in compacts], time_limit_seconds, workers)
    routes: list[Route] = []
    rides: dict[str, int] = {}
    unassigned: list[Unassigned] = []
    events: list[str] = []
    progress(0, len(parts), f"{len(parts)} parts on {workers} workers")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[Solution], int] = {
            pool.submit(_solve_part, compacts[i][0], limits[i], engine): i for i in range(len(parts))
        }
        done = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                part, node_map, school_map = compacts[i]
                solution = future.result()
                routes.extend(r.remapped(node_map, school_map) for r in solution.routes)
                rides.update(solution.ride_seconds)
                unassigned.extend(solution.unassigned)
                events.extend(solution.events)
                done += 1
                names = "+".join(problem.schools[s].ref for s in school_map)
                progress(done, len(parts), f"{'schools' if len(school_map) > 1 else 'school'} {names}: "
                         f"{len(solution.routes)} vehicles")
    for t, vt in enumerate(problem.vehicle_types):
        used = sum(1 for r in routes if r.vehicle_type == t)
        if used > vt.available:
            events.append(f"{used} {vt.name} vehicles planned, only {vt.available} available")
    figures = compute_figures(problem, routes, rides, unassigned, time.monotonic() - started)
    return Solution(routes=tuple(routes), ride_seconds=rides, unassigned=tuple(unassigned),
                    figures=figures, events=tuple(events))
