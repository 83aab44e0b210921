"""hts beside PyVRP over several seeds of each: the "never behind PyVRP" target read on medians.

One run per instance and solver says as much about the seed as about the engine: PyVRP's own
seeds are behind each other by more than a point on 6 to 13 of the 68 instances at 10 s
(docs/benchmarks.md). This runs `hts` (the seed of its PyVRP searches, as `solomon.py --hts-seed`)
and PyVRP alone with each seed on every instance, in a pool of processes that each take one
(instance, solver, seed) at a time, and compares the median (vehicles, then gap) of each solver.

    nice -n 5 .venv/bin/python bench/seeds.py --sets solomon,gh200,gh400 --seeds 0,1,2 --time-limit 10 --jobs 2

The GH sets take the six instances of the samples in docs/benchmarks.md unless --instances names others.

A reading too long for one sitting (all 68 at 60 s with five seeds is about 6 h on two cores) can
be made in parts: with --record FILE each run is appended to FILE as one JSON line as soon as it
ends, and a run already in FILE (the same instance, solver, seed, time limit and engine) is read
from there instead of being made again. The same command, run again, carries on where it stopped
and prints the whole reading once every run is in. The engine is a hash of the source of the hts solver modules
and PyVRP's version, so runs of another engine are never mixed in.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from solomon import SETS, behind, best_known, run_one  # noqa: E402

SAMPLES = {"gh200": ("c1_2_1", "c2_2_1", "r1_2_1", "r2_2_1", "rc1_2_1", "rc2_2_1"),
           "gh400": ("c1_4_1", "c2_4_1", "r1_4_1", "r2_4_1", "rc1_4_1", "rc2_4_1")}
SOLVERS = ("hts", "pyvrp")
# What an invalid plan counts as: behind anything valid.
INVALID = (10**6, float("inf"))

Outcome = tuple[int, float]  # (vehicles above the best known, distance gap %)
Raw = tuple[int, float, int, int]  # what run_one returns: vehicles, distance, breaches, dropped
RunKey = tuple[str, str, int, float, str]  # instance, solver, seed, time limit, engine
ROOT = Path(__file__).resolve().parents[1]
RECORD_FIELDS = ("instance", "solver", "seed", "time_limit", "engine", "vehicles", "distance", "breaches", "dropped")


class RecordError(ValueError):
    """A line of a --record file that is not a run this script wrote."""


def engines() -> dict[str, str]:
    """What each solver's figures depend on: PyVRP's version, and for hts also the source of every
    hts module this script has loaded: the solver core and what it imports, not the web views, nor
    hts/__init__.py (the web app's factory, which a solve never runs)."""
    pyvrp = "pyvrp " + importlib.metadata.version("pyvrp")
    digest = hashlib.sha256()
    sources = sorted(Path(m.__file__) for name, m in list(sys.modules.items())
                     if name.startswith("hts.") and getattr(m, "__file__", None))
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return {"hts": f"hts {digest.hexdigest()[:12]} on {pyvrp}", "pyvrp": pyvrp}


def outcome_of(raw: Raw, best: tuple[int, float]) -> Outcome:
    """A run's (vehicles above the best known, gap %); a plan the checker rejects is INVALID."""
    vehicles, distance, breaches, dropped = raw
    if breaches or dropped:
        return INVALID
    return vehicles - best[0], 100 * (distance - best[1]) / best[1]


def load_records(path: Path) -> dict[RunKey, Raw]:
    """The runs recorded in a --record file (none if it does not exist yet)."""
    if not path.exists():
        return {}
    runs: dict[RunKey, Raw] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                missing = [k for k in RECORD_FIELDS if k not in row]
                if missing:
                    raise RecordError(f"no {', '.join(missing)}")
                key = (str(row["instance"]), str(row["solver"]), int(row["seed"]), float(row["time_limit"]),
                       str(row["engine"]))
                runs[key] = (int(row["vehicles"]), float(row["distance"]), int(row["breaches"]), int(row["dropped"]))
            except (ValueError, TypeError, AttributeError) as exc:  # JSONDecodeError is a ValueError
                raise RecordError(f"{path}, line {number}: not a recorded run ({exc})") from exc
    return runs


def record_line(key: RunKey, raw: Raw) -> str:
    """One run as the JSON line --record appends."""
    values = dict(zip(RECORD_FIELDS, (*key, *raw), strict=True))
    values["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return json.dumps(values)


@dataclass(frozen=True)
class Reading:
    """The comparison over seeds: medians, and the one-run-per-cell readings beside them."""

    medians: dict[str, dict[str, Outcome]]  # instance -> solver -> its median
    behind_on_medians: list[str]
    ahead_on_medians: list[str]
    behind_by_seed: dict[int, list[str]]  # hts seed s against PyVRP seed s
    pyvrp_behind_itself: dict[tuple[int, int], int]  # PyVRP seed i against PyVRP seed j


def median(outcomes: Sequence[Outcome]) -> Outcome:
    """The median outcome, vehicles first (the lower of the middle two for an even count)."""
    return statistics.median_low(outcomes)


def verdict(hts: Outcome, pyvrp: Outcome) -> str:
    """A table cell: hts's median behind PyVRP's by more than a point, a vehicle or more ahead, or neither."""
    return "**behind**" if behind(hts, pyvrp) else ("ahead" if hts[0] < pyvrp[0] else "no")


def read(results: Mapping[str, Mapping[str, Mapping[int, Outcome]]], seeds: Sequence[int]) -> Reading:
    """`results[instance][solver][seed]` -> the reading (instances in the mapping's order)."""
    names = list(results)
    medians = {n: {s: median([results[n][s][seed] for seed in seeds]) for s in SOLVERS} for n in names}
    return Reading(
        medians=medians,
        behind_on_medians=[n for n in names if behind(medians[n]["hts"], medians[n]["pyvrp"])],
        ahead_on_medians=[n for n in names if medians[n]["hts"][0] < medians[n]["pyvrp"][0]],
        behind_by_seed={seed: [n for n in names if behind(results[n]["hts"][seed], results[n]["pyvrp"][seed])]
                        for seed in seeds},
        pyvrp_behind_itself={(i, j): sum(1 for n in names
                                         if behind(results[n]["pyvrp"][i], results[n]["pyvrp"][j]))
                             for i in seeds for j in seeds if i != j},
    )


def _cell(outcome: Outcome) -> str:
    if outcome == INVALID:
        return "INVALID"
    return (f"+{outcome[0]} veh, " if outcome[0] > 0 else "") + f"{outcome[1]:+.2f}"


def _task(task: tuple[Path, str, int, float]) -> Raw:
    path, solver, seed, time_limit = task
    return run_one(path, solver, time_limit, pyvrp_seed=seed, hts_seed=seed)


def main() -> None:
    """Run every (instance, solver, seed) and print a markdown table and the reading."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="solomon", help=f"comma-separated, any of {', '.join(sorted(SETS))}")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all of solomon, "
                                                    "the six of each GH sample)")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, the same for both solvers")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--jobs", type=int, default=2, help="processes, each taking one run at a time")
    ap.add_argument("--record", default="", help="a JSON-lines file: each run is appended as it ends, and runs "
                                                 "already there are read instead of made again")
    args = ap.parse_args()
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets or any(s not in SETS for s in sets):
        ap.error(f"--sets takes {', '.join(sorted(SETS))}")
    try:
        seeds = sorted({int(x) for x in args.seeds.split(",") if x.strip()})
    except ValueError:
        ap.error("--seeds takes whole numbers separated by commas, such as 0,1,2")
    if not seeds:
        ap.error("--seeds needs at least one seed")
    wanted = {x.strip().lower() for x in args.instances.split(",") if x.strip()}
    paths = []
    for name in sets:
        for path in sorted(SETS[name].glob("*.txt"), key=lambda p: p.stem.lower()):
            stem = path.stem.lower()
            chosen = stem in wanted if wanted else stem in SAMPLES.get(name, (stem,))
            if chosen:
                paths.append(path)
    if not paths:
        ap.error("no instance of those sets has those names")
    try:
        recorded = load_records(Path(args.record)) if args.record else {}
        if args.record:
            open(args.record, "a", encoding="utf-8").close()  # can be written to, before any run is made
    except (RecordError, OSError) as exc:
        ap.error(str(exc))
    bks = best_known()
    engine = engines()
    keys = {(path.stem, solver, seed): (path.stem, solver, seed, args.time_limit, engine[solver])
            for path in paths for seed in seeds for solver in SOLVERS}
    to_make = [(path, solver, seed, args.time_limit) for path in paths for seed in seeds for solver in SOLVERS
               if keys[path.stem, solver, seed] not in recorded]
    print(f"# {', '.join(sets)}: {len(paths)} instances, seeds {', '.join(map(str, seeds))}, "
          f"{args.time_limit:g} s per run, {args.jobs} processes"
          + (f"; {len(keys) - len(to_make)} of {len(keys)} runs read from {args.record}" if args.record else "") + "\n")
    print("| instance | hts, seed " + " / ".join(map(str, seeds)) + " | hts median | PyVRP, seed "
          + " / ".join(map(str, seeds)) + " | PyVRP median | hts median behind by more than a point |")
    print("|---|---|---|---|---|---|")
    raws = {k: recorded[key] for k, key in keys.items() if key in recorded}
    printed = 0

    def outcomes(name: str) -> dict[str, dict[int, Outcome]]:
        """An instance's outcomes by solver and seed, once all its runs are in."""
        return {s: {seed: outcome_of(raws[name, s, seed], bks[name.lower()]) for seed in seeds} for s in SOLVERS}

    def print_ready_rows() -> None:
        """Print, in instance order, the rows whose runs are all in."""
        nonlocal printed
        while printed < len(paths) and all((paths[printed].stem, s, seed) in raws for s in SOLVERS for seed in seeds):
            name = paths[printed].stem
            row = outcomes(name)
            h, p = median(list(row["hts"].values())), median(list(row["pyvrp"].values()))
            print(f"| {name} | {' / '.join(_cell(row['hts'][s]) for s in seeds)} | {_cell(h)} | "
                  f"{' / '.join(_cell(row['pyvrp'][s]) for s in seeds)} | {_cell(p)} | {verdict(h, p)} |",
                  flush=True)
            printed += 1

    print_ready_rows()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_task, task): task for task in to_make}
        for future in as_completed(futures):
            path, solver, seed, _ = futures[future]
            raws[path.stem, solver, seed] = future.result()
            if args.record:
                with open(args.record, "a", encoding="utf-8") as f:
                    f.write(record_line(keys[path.stem, solver, seed], raws[path.stem, solver, seed]) + "\n")
            print_ready_rows()
    results = {path.stem: outcomes(path.stem) for path in paths}
    reading = read(results, seeds)
    print(f"\n- hts median behind PyVRP's median by more than a point on {len(reading.behind_on_medians)}"
          f"/{len(results)}" + (": " + ", ".join(reading.behind_on_medians) if reading.behind_on_medians else "")
          + f"; a vehicle or more ahead on {len(reading.ahead_on_medians)}")
    for seed, names in reading.behind_by_seed.items():
        print(f"- one run per cell, seed {seed}: hts behind PyVRP on {len(names)}"
              + (": " + ", ".join(names) if names else ""))
    if reading.pyvrp_behind_itself:
        counts = reading.pyvrp_behind_itself.values()
        print(f"- PyVRP seed against PyVRP seed: behind on {min(counts)} to {max(counts)} instances")
    for solver in SOLVERS:
        medians = [reading.medians[n][solver] for n in results]
        at_best = sum(1 for m in medians if m[0] <= 0)
        gaps = [m[1] for m in medians if m[0] == 0]
        print(f"- {solver} medians: best-known vehicle count on {at_best}/{len(medians)}, "
              f"mean gap where the vehicles match {statistics.mean(gaps) if gaps else float('nan'):+.2f} %")


if __name__ == "__main__":
    main()
