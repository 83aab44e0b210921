"""Concurrent writers on PostgreSQL: each piece of work takes effect exactly once.

Real separate connections on committed data (two `hts` processes; two request threads with their
own sessions), compared with the same work done once on a second copy of the city. SQLite lets
one writer in at a time (every transaction begins IMMEDIATE), so these run on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.db import make_engine
from tests.reliability.harness import (
    HTS,
    ROOT,
    Backend,
    execute,
    hts_env,
    integrity_problems,
    noncompliant_crew,
    run_days,
    run_hts,
    table_counts,
    work_for_a_sweep,
)

TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "reliability-tests", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
               "WTF_CSRF_ENABLED": False}


def _sweep_copy(fresh_copy) -> tuple[str, dt.date]:  # type: ignore[no-untyped-def]
    url = fresh_copy()
    day = run_days(url)[-1]
    work_for_a_sweep(url, day)
    return url, day


def _sweep_in_thread(app, day: dt.date, start: threading.Barrier, results: list[Any]) -> None:  # type: ignore[no-untyped-def]
    """What `hts compliance sweep` does, in this thread's own session and connection."""
    from hts import db
    from hts.compliance.rules import policy_from_config
    from hts.compliance.sweep import run_sweep

    try:
        with app.app_context():
            start.wait()
            report = run_sweep(db.session(), day, policy_from_config(app.config))
            db.session.commit()
            results.append(report)
    except BaseException as exc:  # noqa: BLE001 - reported by the test's assertion
        results.append(exc)


def _stored_sweep(url: str, day: dt.date) -> tuple[Any, ...]:
    from hts.compliance.models import SweepResult

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            row = session.scalar(select(SweepResult).where(SweepResult.day == day))
            assert row is not None
            return row.holders_checked, row.not_compliant, row.runs_changed, row.warnings_queued
    finally:
        engine.dispose()


def test_two_sweeps_started_at_the_same_moment_take_crew_off_and_warn_once(postgres: Backend, fresh_copy):
    from hts import create_app

    once, day = _sweep_copy(fresh_copy)
    run_hts(once, "compliance", "sweep", "--date", day.isoformat())
    expected = table_counts(once)

    url, _day = _sweep_copy(fresh_copy)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    start = threading.Barrier(2, timeout=60)
    results: list[Any] = []
    threads = [threading.Thread(target=_sweep_in_thread, args=(app, day, start, results)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(results) == 2
    assert table_counts(url) == expected
    assert _stored_sweep(url, day) == _stored_sweep(once, day)
    assert integrity_problems(url) == []
    assert noncompliant_crew(url, [day]) == []
    # The second sweep found the first's work done: no crew taken off again, no warning again.
    assert sorted(bool(r.runs_changed) for r in results) == [False, True]
    assert sorted(r.warnings_queued > 0 for r in results) == [False, True]


def test_two_sweep_processes_at_once_both_finish_cleanly(postgres: Backend, fresh_copy):
    once, day = _sweep_copy(fresh_copy)
    run_hts(once, "compliance", "sweep", "--date", day.isoformat())
    expected = table_counts(once)
    url, _day = _sweep_copy(fresh_copy)
    args = [str(HTS), "compliance", "sweep", "--date", day.isoformat()]
    processes = [subprocess.Popen(args, env=hts_env(url), cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
    assert table_counts(url) == expected


def _api_setup(url: str) -> dict[str, Any]:
    """An operator token and one of its scheduled runs today, committed."""
    from hts.api.tokens import issue
    from hts.operations.models import Run, RunStatus
    from hts.operators.models import Operator

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            run = session.scalar(select(Run).where(Run.run_on == run_days(url)[0], Run.status == RunStatus.SCHEDULED,
                                                   Run.operator_id.is_not(None)).order_by(Run.id))
            assert run is not None
            operator = session.get(Operator, run.operator_id)
            _, token = issue(session, operator, "race")
            session.commit()
            return {"run_id": run.id, "headers": {"Authorization": f"Bearer {token}"}}
    finally:
        engine.dispose()


def _post(app, setup: dict[str, Any], key: str) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post(f"/api/runs/{setup['run_id']}/events", json={"kind": "departed"},
                           headers={**setup["headers"], "Idempotency-Key": key})
    return response.status_code, response.get_json()


def test_one_event_posted_twice_at_the_same_moment_with_one_key_counts_once(postgres: Backend, fresh_copy,
                                                                              monkeypatch):
    from hts import create_app
    from hts.operations import runs

    # The same event posted once, on its own copy: what "exactly once" looks like.
    once = fresh_copy()
    setup_once = _api_setup(once)
    before = table_counts(once)
    status, _ = _post(create_app({**TEST_CONFIG, "DATABASE_URL": once}), setup_once, "race-key-1")
    assert status == 201
    expected = {t: n - before[t] for t, n in table_counts(once).items()}

    url = fresh_copy()
    setup = _api_setup(url)
    before = table_counts(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    # Hold both requests just after their "seen this key before?" check, so both pass it before
    # either writes: the race an idempotency key must survive.
    both_checked = threading.Barrier(2, timeout=20)
    apply = runs._apply

    def apply_together(*args: Any, **kwargs: Any) -> None:
        both_checked.wait()
        apply(*args, **kwargs)

    monkeypatch.setattr(runs, "_apply", apply_together)
    results: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            results.append(_post(app, setup, "race-key-1"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(status for status, _ in results) == [200, 201]
    assert len({body["event_id"] for _, body in results}) == 1
    assert {body["run"]["status"] for _, body in results} == {"under_way"}
    assert {t: n - before[t] for t, n in table_counts(url).items()} == expected
    assert integrity_problems(url) == []


class _SlowRelay:
    """A transport that records what it sends; the first message waits for a signal."""

    def __init__(self, started: threading.Event, go_on: threading.Event) -> None:
        self.sent: list[str] = []
        self.started, self.go_on = started, go_on

    def deliver(self, message: Any) -> None:
        """Record the message (the first one only once the other deliverer has had its turn)."""
        if not self.sent:
            self.started.set()
            self.go_on.wait(timeout=20)
        self.sent.append(str(message["Subject"]))


def test_two_deliverers_at_once_send_each_outbox_message_once(postgres: Backend, fresh_copy):
    from hts import create_app, db
    from hts.mail.models import OutboxMessage
    from hts.mail.service import deliver_pending, queue

    url = fresh_copy()
    execute(url, "DELETE FROM outbox_message")  # only this test's messages
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        for i in range(5):
            queue(db.session(), key=f"race:{i}", to="ops@example.test", subject=f"message {i}", body="hello")
        db.session.commit()
    first_started, second_done = threading.Event(), threading.Event()
    first, second = _SlowRelay(first_started, second_done), _SlowRelay(threading.Event(), threading.Event())
    second.sent.append("(primed: no wait)")

    def deliver(relay: _SlowRelay, before: threading.Event | None, after: threading.Event | None) -> None:
        with app.app_context():
            if before is not None:
                before.wait(timeout=20)
            deliver_pending(db.session(), relay, "hts@example.test")
            db.session.commit()
            if after is not None:
                after.set()

    threads = [threading.Thread(target=deliver, args=(first, None, None)),
               threading.Thread(target=deliver, args=(second, first_started, second_done))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sent = first.sent + second.sent[1:]
    assert sorted(sent) == [f"message {i}" for i in range(5)]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert all(m.sent_at is not None for m in session.scalars(select(OutboxMessage)))
    finally:
        engine.dispose()


def _publish_in_thread(app, change_id: int, email: str, day: dt.date, start: threading.Barrier,  # type: ignore[no-untyped-def]
                       results: list[Any]) -> None:
    """What `hts routes publish` does, in this thread's own session and connection."""
    from hts import db
    from hts.auth.models import User
    from hts.routing.change_mail import notify_operators
    from hts.routing.changes import ChangeRefused, publish
    from hts.routing.models import ChangeRequest

    try:
        with app.app_context():
            session = db.session()
            change = session.get(ChangeRequest, change_id)
            user = session.scalar(select(User).where(User.email == email))
            start.wait()
            try:
                result = publish(session, change, user, today=day, notice_days=5, is_school_day=lambda d: d.weekday() < 5)
                notify_operators(session, change, result, app.config)
            except ChangeRefused as refused:
                session.rollback()
                results.append(refused)
                return
            session.commit()
            results.append(result)
    except BaseException as exc:  # noqa: BLE001 - reported by the test's assertion
        results.append(exc)


def test_two_planners_publishing_the_same_change_at_once_publish_it_once(postgres: Backend, fresh_copy, monkeypatch):
    from hts import create_app
    from hts.routing import changes
    from hts.routing.changes import ChangeRefused
    from tests.reliability.test_kill import approved_change

    once = fresh_copy()
    day, effective = run_days(once)[0], run_days(once)[-1]
    change_id, email = approved_change(once, effective)
    before = table_counts(once)
    run_hts(once, "routes", "publish", str(change_id), "--as", email, "--date", day.isoformat())
    expected = {t: n - before[t] for t, n in table_counts(once).items()}

    url = fresh_copy()
    change_id, email = approved_change(url, effective)
    before = table_counts(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    # Both pass the "is it approved?" check before either writes: the race publication must survive.
    both_checked = threading.Barrier(2, timeout=30)
    require = changes._require

    def require_together(*args: Any, **kwargs: Any) -> None:
        require(*args, **kwargs)
        both_checked.wait()

    monkeypatch.setattr(changes, "_require", require_together)
    results: list[Any] = []
    start = threading.Barrier(2, timeout=30)
    threads = [threading.Thread(target=_publish_in_thread, args=(app, change_id, email, day, start, results))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    # What matters most holds today: published once, the loser's transaction rolled back whole.
    assert {t: n - before[t] for t, n in table_counts(url).items()} == expected
    assert integrity_problems(url) == []
    assert len([r for r in results if not isinstance(r, BaseException)]) == 1
    # And the loser is told why, instead of meeting an error page or a traceback.
    refused = [r for r in results if isinstance(r, ChangeRefused)]
    assert len(refused) == 1, results
    assert "at the same moment" in str(refused[0])
