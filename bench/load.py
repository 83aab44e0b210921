"""The web under load on PostgreSQL: 20 users for 10 minutes over the pages people use most.

    python bench/load.py --database-url postgresql+psycopg://USER@HOST:PORT/DB [--build]
                         [--users 20] [--minutes 10] [--workers 4] [--out DIR]

Serves the app with gunicorn (several workers) on loopback and drives it with locust, headless
and bounded in users and time, as managers (the SITREP dashboard, routes), planners (pupils,
schools, route pages, the route workbench when the app has one), the control room (its board)
and operators' systems (today's runs, run sheets, and run events posted with an Idempotency-Key,
one in five posted twice as a retry would be, which must be answered 200 "replayed"). Prints
each request's count, failures, p50 and p95 and the load average before and after; keeps
locust's CSV files in --out. `--build` first builds the demo city with a school year of history
(`hts init` and `hts demo --history-days 190`) in the database, which must be empty.
Record the figures in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "load test password 1"

LOCUSTFILE = '''
import json, random, re, uuid
from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CONFIG = json.load(open({config!r}))


class SignedIn(HttpUser):
    abstract = True
    role = ""

    def on_start(self):
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text).group(1)
        with self.client.post("/login", data={{"csrf_token": token, "email": CONFIG["accounts"][self.role],
                                               "password": CONFIG["password"]}},
                              name="/login", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused: {{response.status_code}}")


class Manager(SignedIn):
    weight = 3
    wait_time = between(1, 3)
    role = "manager"

    @task(3)
    def dashboard(self):
        self.client.get("/sitrep", name="/sitrep (dashboard)")

    @task(1)
    def routes(self):
        self.client.get("/routes", name="/routes")


class Planner(SignedIn):
    weight = 3
    wait_time = between(1, 3)
    role = "planner"

    @task(2)
    def pupils(self):
        self.client.get("/pupils?q=" + random.choice("aeiou"), name="/pupils?q=")

    @task(2)
    def route_page(self):
        self.client.get(f"/routes/{{random.choice(CONFIG['route_ids'])}}", name="/routes/<id>")

    @task(1)
    def schools(self):
        self.client.get("/schools", name="/schools")

    @task(2)
    def workbench(self):
        if CONFIG["workbench"]:
            school = random.choice(CONFIG["school_ids"])
            self.client.get(f"/workbench?school={{school}}&session=" + random.choice(["am", "pm"]),
                            name="/workbench?school=")


class ControlRoom(SignedIn):
    weight = 1
    wait_time = between(1, 3)
    role = "operations"

    @task
    def board(self):
        self.client.get("/operations", name="/operations (control room)")


class OperatorApi(HttpUser):
    weight = 2
    wait_time = between(1, 2)

    def on_start(self):
        self.client.headers["Authorization"] = "Bearer " + CONFIG["token"]

    @task(2)
    def runs(self):
        self.client.get("/api/runs", name="GET /api/runs")

    @task(1)
    def run_sheet(self):
        self.client.get(f"/api/runs/{{random.choice(CONFIG['run_ids'])}}", name="GET /api/runs/<id>")

    @task(2)
    def event(self):
        run_id = random.choice(CONFIG["run_ids"])
        key = str(uuid.uuid4())
        url = f"/api/runs/{{run_id}}/events"
        with self.client.post(url, json={{"kind": "departed"}}, headers={{"Idempotency-Key": key}},
                              name="POST /api/runs/<id>/events", catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"expected 201, got {{response.status_code}}: {{response.text[:200]}}")
        if random.random() < 0.2:  # a client retrying after a lost answer
            with self.client.post(url, json={{"kind": "departed"}}, headers={{"Idempotency-Key": key}},
                                  name="POST /api/runs/<id>/events (retry)", catch_response=True) as response:
                if response.status_code != 200 or not response.json().get("replayed"):
                    response.failure(f"a retry must be replayed with 200, got {{response.status_code}}")
'''


def run(cmd: list[str], env: dict[str, str]) -> str:
    """Run a command, failing loudly, and return its stdout."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str], workdir: Path) -> Path:
    """Passwords for the demo accounts, an operator token and the ids to visit, in a JSON file."""
    os.environ.update(env)
    from sqlalchemy import select

    from hts import create_app, db
    from hts.api.tokens import issue
    from hts.auth.models import Role, User
    from hts.auth.service import set_password
    from hts.operations.models import Run, RunStatus
    from hts.operators.models import Operator
    from hts.routing.models import Route

    app = create_app()
    with app.app_context():
        users = {u.role: u for u in db.session.scalars(select(User).where(User.email.like("%@demo.hts.test")))}
        for role in (Role.MANAGER, Role.PLANNER, Role.OPERATIONS):
            set_password(users[role], PASSWORD)
        operator = db.session.scalar(select(Operator).where(Operator.id == users[Role.OPERATOR].operator_id))
        _, token = issue(db.session(), operator, "load test")
        # Runs that can take a 'departed' event all through the test (not cancelled, completed or
        # not required), so every refusal counted is a real error.
        run_ids = list(db.session.scalars(select(Run.id).where(
            Run.operator_id == operator.id, Run.run_on == dt.date.today(),
            Run.status.in_([RunStatus.SCHEDULED, RunStatus.UNDER_WAY]))))
        routes = list(db.session.execute(select(Route.id, Route.school_id).where(Route.withdrawn_on.is_(None))))
        db.session.commit()
        config = {
            "accounts": {role: users[Role(role)].email for role in ("manager", "planner", "operations")},
            "password": PASSWORD, "token": token, "run_ids": run_ids,
            "route_ids": [r.id for r in routes][:300], "school_ids": sorted({r.school_id for r in routes}),
            "workbench": "workbench.index" in app.view_functions,
        }
    if not run_ids:
        sys.exit("no runs today for the demo operator: run `hts demo` today (it writes today's runs)")
    path = workdir / "load.json"
    path.write_text(json.dumps(config))
    return path


def summary(stats_csv: Path) -> list[dict[str, str]]:
    """Locust's per-request rows: name (with its method), requests, failures, p50, p95 (ms)."""
    rows = []
    with stats_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            name = row["Name"] if row["Name"].startswith(("GET ", "POST ")) or not row["Type"] \
                else f"{row['Type']} {row['Name']}"
            rows.append({"name": name, "requests": row["Request Count"], "failures": row["Failure Count"],
                         "p50": row["50%"], "p95": row["95%"]})
    return rows


def serve_and_load(env: dict[str, str], workdir: Path, locustfile: Path, workers: int, users: int, seconds: int,
                   server_log: IO[str]) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """gunicorn on loopback and locust against it; returns the load averages before and after, and the wall time."""
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                               "--access-logfile", str(workdir / "access.log"), "wsgi:app"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=server_log)
    try:
        time.sleep(5)
        load_before = os.getloadavg()
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "locust"), "-f", str(locustfile), "--headless", "-u", str(users), "-r", "2",
             "-t", f"{seconds}s", "-H", f"http://127.0.0.1:{port}", "--only-summary", "--csv", str(workdir / "load")],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 300,
        )
        return load_before, os.getloadavg(), time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Build (optionally), serve, load, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--build", action="store_true", help="build the demo city with a year of history first")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    workdir = args.out or Path(tempfile.mkdtemp(prefix="hts-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HTS_DATABASE_URL": args.database_url, "HTS_SECRET_KEY": "load-test"}
    run([str(BIN / "hts"), "init"], env)
    if args.build:
        run([str(BIN / "hts"), "demo", "--history-days", "190"], env)
    config = prepare(env, workdir)
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(config=str(config)))
    seconds = int(args.minutes * 60)
    with (workdir / "gunicorn.log").open("w") as server_log:
        load_before, load_after, wall = serve_and_load(env, workdir, locustfile, args.workers, args.users, seconds,
                                                       server_log)
    server_errors = sum(1 for line in (workdir / "access.log").read_text().splitlines() if '" 5' in line)
    print(f"{args.users} users for {wall:.0f} s against {args.workers} gunicorn workers; "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"5xx in the access log: {server_errors}")
    print("| request | requests | failures | p50 ms | p95 ms |\n|---|---|---|---|---|")
    for row in summary(workdir / "load_stats.csv"):
        print(f"| {row['name']} | {row['requests']} | {row['failures']} | {row['p50']} | {row['p95']} |")
    failures = workdir / "load_failures.csv"
    if failures.exists():
        print(failures.read_text())
    print(f"locust's CSV files and the server logs are in {workdir}")


if __name__ == "__main__":
    main()
