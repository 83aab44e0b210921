"""`hts demo` writes a term of history close to the council's own figures, once, the same every time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from hts.demo import terms
from hts.demo.history import (
    CANCEL_REASONS,
    LATE_MINUTES,
    NO_PA,
    RECORDED_BY,
    draw_runs,
    load_routes,
    write_history,
)
from hts.operations.calendar import load_calendar
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    Complaint,
    PupilAbsence,
    Run,
    RunStatus,
    SafeguardingCase,
    SchoolClosure,
    SchoolTerm,
)
from hts.people.models import Pupil
from hts.routing.models import Route
from hts.sitrep.figures import sitrep

TODAY = dt.date(2026, 11, 25)  # a Wednesday, 56 school days into the autumn term
TERM_START = dt.date(2026, 9, 1)
YESTERDAY = TODAY - dt.timedelta(days=1)
PUPILS = 300
SEED = 7


def _demo(app, *args: str, today: dt.date = TODAY):
    result = app.test_cli_runner().invoke(
        args=["demo", "--seed", str(SEED), "--pupils", str(PUPILS), "--today", today.isoformat(), *args])
    assert result.exit_code == 0, result.output
    return result


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _history(session) -> list[tuple]:
    """Every run as what a person would compare: route, day, outcome and counts."""
    return list(session.execute(
        select(Route.route_code, Run.run_on, Run.status, Run.reason, Run.arrived_at_school, Run.on_time,
               Run.pupils_expected, Run.pupils_absent, Run.pupils_transported)
        .join(Route, Route.id == Run.route_id).where(Run.run_on < TODAY).order_by(Route.route_code, Run.run_on)
    ))


def _totals(session) -> dict[str, int]:
    return {model.__name__: _count(session, model) for model in (
        Run, PupilAbsence, CallDay, Complaint, SafeguardingCase, BusPassApplication, SchoolTerm, SchoolClosure)}


def test_the_terms_follow_the_english_pattern_with_half_terms():
    halves = terms.half_terms(2026)
    assert [(h.starts_on, h.ends_on) for h in halves[:2]] == [
        (dt.date(2026, 9, 1), dt.date(2026, 10, 23)), (dt.date(2026, 11, 2), dt.date(2026, 12, 18))]
    assert halves[2].starts_on == dt.date(2027, 1, 4) and halves[-1].ends_on == dt.date(2027, 7, 16)
    assert all(h.starts_on.weekday() < 5 and h.ends_on.weekday() == 4 for h in halves)


def test_the_default_history_is_the_term_so_far_and_190_days_reach_into_last_year():
    term = terms.history_days(TODAY, None, 60)
    assert term[0] == TERM_START and term[-1] == YESTERDAY and len(term) == 56
    assert dt.date(2026, 10, 28) not in term  # half term
    assert terms.history_days(TODAY, None, 20) == term[-20:]
    assert terms.history_days(TODAY, 0, 60) == []
    year = terms.history_days(TODAY, 190, 60)
    assert len(year) == 190 and year[-1] == YESTERDAY and year[0].year == 2025
    # On the first day of term, the history is the term before (so the dashboard is never empty).
    assert terms.history_days(TERM_START, None, 60)[-1] == dt.date(2026, 7, 17)


def test_the_history_figures_are_close_to_the_councils_own(app, db_session):
    result = _demo(app)
    assert "history: 56 school days" in result.output
    figures = sitrep(db_session, TERM_START, YESTERDAY)
    assert 98.8 <= figures.routes_delivered_pct <= 99.8
    assert 98.3 <= figures.routes_on_time_pct <= 99.7
    assert 99.3 <= figures.pupils_transported_pct <= 99.95
    assert 88 <= figures.calls_answered_pct <= 96
    weeks = 56 / 5
    assert 500 <= figures.calls_received / weeks <= 750
    complaints = _count(db_session, Complaint)
    assert 20 <= complaints <= 80 and 3 <= figures.complaints_open < complaints / 2
    assert 1 <= figures.complaints_overdue <= 6
    assert 2 <= figures.safeguarding_open <= 9
    assert _count(db_session, SafeguardingCase, SafeguardingCase.closed_on.is_not(None)) > 0
    assert 150 <= figures.bus_passes_awaiting <= 450


def test_runs_absences_and_closures_look_like_real_days(app, db_session):
    _demo(app)
    reasons = set(db_session.scalars(select(Run.reason).where(Run.status == RunStatus.CANCELLED)))
    assert reasons and reasons <= {*CANCEL_REASONS, NO_PA}
    late = db_session.execute(select(Run.due_at_school, Run.arrived_at_school)
                              .where(Run.on_time.is_(False))).all()
    assert late
    for due, arrived in late:
        minutes = (dt.datetime.combine(TODAY, arrived) - dt.datetime.combine(TODAY, due)).total_seconds() / 60
        assert 1 <= minutes <= LATE_MINUTES
    pupils = _count(db_session, Pupil)
    per_day = db_session.execute(select(PupilAbsence.absent_on, func.count())
                                 .where(PupilAbsence.absent_on < TODAY).group_by(PupilAbsence.absent_on)).all()
    assert len(per_day) == 56 and all(0.01 * pupils <= n <= 0.08 * pupils for _, n in per_day)
    inset = dt.date(2026, 11, 2)  # the council-wide inset day after half term
    statuses = set(db_session.scalars(select(Run.status).where(Run.run_on == inset)))
    assert statuses == {RunStatus.NOT_REQUIRED}
    assert _count(db_session, SchoolClosure, SchoolClosure.school_id.is_not(None)) > 0
    assert _count(db_session, SchoolTerm, SchoolTerm.school_id.is_(None)) == 18
    for day in (TODAY, TODAY + dt.timedelta(days=1)):  # the live days, generated the usual way
        assert _count(db_session, Run, Run.run_on == day) == _count(db_session, Route)
        assert _count(db_session, Run, Run.run_on == day, Run.status == RunStatus.SCHEDULED) > 0


def test_running_the_demo_again_adds_no_history(app, db_session):
    _demo(app)
    before, runs = _totals(db_session), _history(db_session)
    again = _demo(app)
    assert "history: 0 school days" in again.output and "56 days already there left alone" in again.output
    assert _totals(db_session) == before
    assert _history(db_session) == runs


def test_a_later_demo_turns_the_earlier_live_days_into_history(app, db_session):
    _demo(app)
    _demo(app, today=TODAY + dt.timedelta(days=2))
    routes = _count(db_session, Route)
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        assert _count(db_session, Run, Run.run_on == day) == routes
        assert _count(db_session, Run, Run.run_on == day, Run.status == RunStatus.SCHEDULED) == 0


def test_the_same_seed_writes_the_same_history(app, db_session):
    _demo(app)
    first, casework = _history(db_session), sorted(db_session.scalars(select(Complaint.reference)))
    for model in (Run, PupilAbsence, CallDay, Complaint, SafeguardingCase, BusPassApplication):
        db_session.execute(delete(model))
    # The bulk deletes bypass the session (and the database cascades to run pupils): forget the
    # objects the demo loaded, or re-used row ids would collide with them in the identity map.
    db_session.expunge_all()
    write_history(db_session, seed=SEED, today=TODAY)
    assert _history(db_session) == first
    assert sorted(db_session.scalars(select(Complaint.reference))) == casework
    assert _count(db_session, PupilAbsence, PupilAbsence.recorded_by != RECORDED_BY) == 0


def test_a_days_outcomes_do_not_depend_on_the_window(app, db_session):
    _demo(app, "--history-days", "0")
    assert _count(db_session, Run, Run.run_on < TODAY) == 0
    routes, calendar = load_routes(db_session), load_calendar(db_session)
    day = dt.date(2026, 11, 10)
    def outcomes():
        return [{k: v for k, v in row.items() if k != "updated_at"}
                for row in draw_runs(SEED, day, routes, {}, calendar)]

    assert outcomes() == outcomes()
    report = write_history(db_session, seed=SEED, today=TODAY, days=5)
    assert report.days == 5
    assert {d for (d,) in db_session.execute(select(Run.run_on).where(Run.run_on < TODAY).distinct())} == \
        set(terms.history_days(TODAY, 5, 60))


@pytest.mark.parametrize("days", ["-1", "1000"])
def test_history_days_out_of_range_are_refused(app, db_session, days):
    result = app.test_cli_runner().invoke(args=["demo", "--history-days", days])
    assert result.exit_code == 2 and "Traceback" not in result.output
