"""SITREP speed over a year of history.

    python bench/sitrep_load.py [--database-url URL [--reuse]] [--history-days 190]

Builds a demo city with a year of run history in a fresh database (SQLite file by default) and
times the SITREP for a day and for a week (median of several runs). Prints the figures; record
them in docs/benchmarks.md. The web under load (the dashboard among the other pages, 20 users)
is bench/load.py, which builds the same city with --build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from load import BIN, run  # bench/load.py: the same helpers for running hts commands


def time_sitrep(env: dict[str, str], today: dt.date) -> dict[str, float]:
    """Median seconds of the day's and the week's SITREP (computed in-process)."""
    os.environ.update(env)
    from hts import create_app, db
    from hts.sitrep.figures import sitrep, week_of

    app = create_app()
    results: dict[str, float] = {}
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7 or 7)
    with app.app_context():
        from sqlalchemy import func, select

        from hts.operations.models import Run

        results["runs_in_database"] = db.session.scalar(select(func.count()).select_from(Run)) or 0
        for label, (start, end) in (("day", (friday, friday)), ("week", week_of(friday))):
            timings = []
            for _ in range(5):
                t0 = time.perf_counter()
                sitrep(db.session(), start, end)
                timings.append(time.perf_counter() - t0)
            results[f"sitrep_{label}_seconds"] = round(statistics.median(timings), 3)
    return results


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--history-days", type=int, default=190)
    parser.add_argument("--reuse", action="store_true",
                        help="use --database-url as it is (a demo city already loaded) instead of building one")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hts-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {**os.environ, "HTS_DATABASE_URL": url, "HTS_SECRET_KEY": "bench"}
    if not args.reuse:
        t0 = time.perf_counter()
        run([str(BIN / "hts"), "init"], env)
        run([str(BIN / "hts"), "demo", "--history-days", str(args.history_days)], env)
        print(f"demo city with {args.history_days} days of history: {time.perf_counter() - t0:.1f} s")
    print(json.dumps(time_sitrep(env, dt.date.today()), indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
