"""SITREP speed over a year of history, and the dashboard under 20 concurrent users.

    python bench/sitrep_load.py [--database-url URL [--reuse]] [--history-days 190] [--users 20]
                                [--seconds 60] [--skip-load]

Builds a demo city with a year of run history in a fresh database (SQLite file by default),
times the SITREP for a day and for a week (median of several runs), then serves the app with
gunicorn on loopback and drives it with locust (headless, bounded in users and time) as
managers opening the dashboard, planners opening lists and route pages, and operators posting
run events through the API. Prints the figures; record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(cmd: list[str], env: dict[str, str]) -> str:
    """Run a command, failing loudly, and return its stdout."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


LOCUSTFILE = '''
import json, random, re, uuid
from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CONFIG = json.load(open("{config}"))


class Manager(HttpUser):
    weight = 3
    wait_time = between(1, 3)

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text).group(1)
        self.client.post("/login", data={{"csrf_token": token, "email": CONFIG["manager"], "password": CONFIG["password"]}},
                         name="/login")

    @task(3)
    def dashboard(self):
        self.client.get("/sitrep", name="/sitrep (dashboard)")

    @task(1)
    def routes(self):
        self.client.get("/routes", name="/routes")


class Planner(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text).group(1)
        self.client.post("/login", data={{"csrf_token": token, "email": CONFIG["planner"], "password": CONFIG["password"]}},
                         name="/login")

    @task(2)
    def pupils(self):
        self.client.get("/pupils?q=a", name="/pupils?q=")

    @task(2)
    def route_page(self):
        self.client.get(f"/routes/{{random.choice(CONFIG['route_ids'])}}", name="/routes/<id>")

    @task(1)
    def schools(self):
        self.client.get("/schools", name="/schools")


class OperatorApi(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        self.client.headers["Authorization"] = "Bearer " + CONFIG["token"]

    @task(2)
    def runs(self):
        self.client.get("/api/runs", name="/api/runs")

    @task(1)
    def event(self):
        run_id = random.choice(CONFIG["run_ids"])
        self.client.post(f"/api/runs/{{run_id}}/events", json={{"kind": "departed"}},
                         headers={{"Idempotency-Key": str(uuid.uuid4())}}, name="/api/runs/<id>/events")
'''


def prepare_load(env: dict[str, str], workdir: Path) -> Path:
    """Accounts, a token and ids for the load test, written to a JSON file locust reads."""
    os.environ.update(env)
    from sqlalchemy import select

    from hts import create_app, db
    from hts.api.tokens import issue
    from hts.auth.models import Role, User
    from hts.auth.service import set_password
    from hts.operations.models import Run
    from hts.operators.models import Operator
    from hts.routing.models import Route

    password = "load test password 1"
    app = create_app()
    with app.app_context():
        users = {u.role: u for u in db.session.scalars(select(User))}
        for role in (Role.MANAGER, Role.PLANNER):
            set_password(users[role], password)
        operator = db.session.scalar(select(Operator).where(Operator.id == users[Role.OPERATOR].operator_id))
        _, token = issue(db.session(), operator, "load test")
        today = dt.date.today()
        run_ids = list(db.session.scalars(select(Run.id).where(Run.operator_id == operator.id, Run.run_on == today)))
        route_ids = list(db.session.scalars(select(Route.id).limit(200)))
        db.session.commit()
        config = {"manager": users[Role.MANAGER].email, "planner": users[Role.PLANNER].email,
                  "password": password, "token": token, "run_ids": run_ids or [0], "route_ids": route_ids}
    path = workdir / "load.json"
    path.write_text(json.dumps(config))
    return path


def load_test(env: dict[str, str], workdir: Path, users: int, seconds: int) -> str:
    """gunicorn on loopback, locust headless against it; returns locust's stats table."""
    config = prepare_load(env, workdir)
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(config=config))
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        out = subprocess.run(
            [str(BIN / "locust"), "-f", str(locustfile), "--headless", "-u", str(users), "-r", str(users),
             "-t", f"{seconds}s", "-H", f"http://127.0.0.1:{port}", "--only-summary", "--csv", str(workdir / "load")],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120,
        )
        return out.stdout + out.stderr[-6000:]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Build, time, load, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--history-days", type=int, default=190)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--skip-load", action="store_true")
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
    if not args.skip_load:
        print(load_test(env, workdir, args.users, args.seconds))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
