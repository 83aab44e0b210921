"""The demo city's full morning (or afternoon) plan against its hand-built legacy network.

Builds the problem straight from `hts.demo.generator` (no database), solves it school by school
with `solve_decomposed`, re-checks it with `hts.routing.check`, and compares vehicles, daily
cost and ride times with the legacy routes the generator built the way planners do by hand.

Vehicle types are the legacy layouts and prices, each also offered with a passenger assistant
(the PA takes a seat, as in the legacy network, at the same daily price).

    nice -n 10 .venv/bin/python bench/city.py --pupils 3500 --time-limit 120 --workers 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hts.demo.generator import DEFAULT_SEED, generate  # noqa: E402
from hts.demo.legacy import (  # noqa: E402
    DETOUR_FACTOR,
    LAYOUTS,
    PRICE_PENCE,
    SPEED_KMH,
    WALK_ON_DWELL_SECONDS,
    WHEELCHAIR_DWELL_SECONDS,
    ride_limit_minutes,
    ride_minutes,
)
from hts.routing.check import check  # noqa: E402
from hts.routing.decompose import solve_decomposed  # noqa: E402
from hts.routing.matrix import HaversineProvider, Point  # noqa: E402
from hts.routing.problem import (  # noqa: E402
    Problem,
    Request,
    School,
    Session,
    VehicleType,
    make_problem,
    school_groups,
)

PLENTY = 10_000  # taxis and minibuses can be had; the legacy network shows no shortage


def seconds_of(t: dt.time) -> int:
    """Seconds since midnight."""
    return t.hour * 3600 + t.minute * 60 + t.second


def city_problem(city, session: Session) -> Problem:  # type: ignore[no-untyped-def]
    """The demo city as one problem: schools first, then each distinct home."""
    points: list[Point] = []
    node_of: dict[tuple[float, float], int] = {}

    def node(lat: float, lon: float) -> int:
        key = (lat, lon)
        if key not in node_of:
            node_of[key] = len(points)
            points.append(Point(lat, lon))
        return node_of[key]

    schools = []
    school_index = {}
    for s in city.schools:
        start = seconds_of(s.start_time)
        school_index[s.urn] = len(schools)
        schools.append(School(ref=s.urn, node=node(s.place.latitude, s.place.longitude),
                              am_arrive_from_seconds=start - 30 * 60, am_arrive_by_seconds=start - 5 * 60,
                              pm_collect_at_seconds=seconds_of(s.finish_time)))
    requests = []
    for p in city.pupils:
        requests.append(Request(
            ref=p.pupil_ref, stop=node(p.home.latitude, p.home.longitude),
            school=school_index[p.school_urn],
            max_ride_seconds=ride_limit_minutes(p, city.today) * 60,
            seats=0 if p.wheelchair else 1, wheelchair_spaces=1 if p.wheelchair else 0,
            needs_pa=p.passenger_assistant, solo=p.solo,
            dwell_seconds=WHEELCHAIR_DWELL_SECONDS if p.wheelchair else WALK_ON_DWELL_SECONDS,
        ))
    types = []
    for kind, layouts in LAYOUTS.items():
        for seats, spaces in layouts:
            types.append(VehicleType(f"{kind} {seats}+{spaces}", seats, spaces, PRICE_PENCE[kind], PLENTY))
            types.append(VehicleType(f"{kind} {seats - 1}+{spaces} with PA", seats - 1, spaces,
                                     PRICE_PENCE[kind], PLENTY, has_pa=True))
    return make_problem(session=session, points=points,
                        provider=HaversineProvider(detour_factor=DETOUR_FACTOR, speed_kmh=SPEED_KMH),
                        schools=schools, vehicle_types=types, requests=requests)


def main() -> None:
    """Plan the city and print the comparison with the legacy network."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pupils", type=int, default=3500)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--session", choices=["am", "pm"], default="am")
    ap.add_argument("--time-limit", type=float, default=120.0, help="wall seconds for the whole plan")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--share-within", type=int, default=0, metavar="METRES",
                    help="nearby schools this close by road may share a vehicle (0: one school per vehicle)")
    args = ap.parse_args()

    started = time.monotonic()
    city = generate(seed=args.seed, pupils=args.pupils, today=dt.date(2026, 9, 1))
    problem = replace(city_problem(city, args.session), share_within_metres=args.share_within)
    built = time.monotonic() - started
    solution = solve_decomposed(
        problem, args.time_limit, workers=args.workers,
        progress=lambda done, total, msg: print(f"  {done}/{total} {msg}", file=sys.stderr, flush=True),
    )
    wall = time.monotonic() - started
    breaches = check(problem, solution)

    legacy_vehicles = len(city.routes)
    legacy_cost = sum(r.price_pence for r in city.routes)
    legacy_over = 0
    legacy_rides: list[float] = []
    for r in city.routes:
        # Legacy pupils are in pickup order; the afternoon run drops them off in reverse.
        order = list(r.pupils) if args.session == "am" else list(reversed(r.pupils))
        rides = ride_minutes(r.school, order, args.session)
        legacy_rides.extend(rides)
        legacy_over += sum(1 for p, m in zip(order, rides, strict=True) if m > ride_limit_minutes(p, city.today))
    f = solution.figures
    groups = [g for g in school_groups(problem) if len(g) > 1]
    shared = [r for r in solution.routes if len(set(r.schools)) > 1]
    print(f"# Demo city, seed {args.seed}, {len(problem.requests)} pupils, {len(problem.schools)} schools, "
          f"{args.session}, {args.time_limit:g} s budget, {args.workers} worker(s)\n")
    if args.share_within:
        print(f"Schools within {args.share_within} m may share: {len(groups)} groups of "
              f"{sum(map(len, groups))} schools; {len(shared)} routes carry pupils of more than one school.\n")
    print("| | legacy (hand-built) | hts |")
    print("|---|---|---|")
    print(f"| vehicles | {legacy_vehicles} | {f.vehicles} ({100 * (f.vehicles - legacy_vehicles) / legacy_vehicles:+.1f} %) |")
    print(f"| daily cost | £{legacy_cost / 100:,.0f} | £{f.daily_cost_pence / 100:,.0f} "
          f"({100 * (f.daily_cost_pence - legacy_cost) / legacy_cost:+.1f} %) |")
    print(f"| by type | {dict(Counter(r.vehicle.vehicle_type for r in city.routes))} | {f.vehicles_by_type} |")
    print(f"| mean / max ride min | {sum(legacy_rides) / len(legacy_rides):.1f} / {max(legacy_rides):.1f} "
          f"| {f.mean_ride_minutes:.1f} / {f.max_ride_minutes:.1f} |")
    print(f"| pupils over their limit | {legacy_over} | {f.pupils_over_limit} |")
    print(f"| unassigned | - | {f.pupils_unassigned} {Counter(u.reason for u in solution.unassigned).most_common(3)} |")
    print(f"| wall seconds (problem build, total) | - | {built:.1f}, {wall:.1f} |")
    print(f"| independent check | - | {'ok' if not breaches else f'{len(breaches)} BREACHES: {breaches[:3]}'} |")
    for e in solution.events:
        if "only" in e:
            print(f"\n- {e}")


if __name__ == "__main__":
    main()
