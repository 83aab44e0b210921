"""SITREP figures from hand-built days where the right answer is known."""

from __future__ import annotations

import datetime as dt

import pytest

from hts.compliance.decisions import decide
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    Complaint,
    Run,
    RunStatus,
    SafeguardingCase,
)
from hts.sitrep.figures import percent, sitrep, week_of
from tests import factories

DAY = dt.date(2026, 11, 25)


def add_run(session, route, *, day=DAY, status=RunStatus.COMPLETED, on_time=True, expected=4, absent=0,
            transported=None):
    run = Run(route=route, run_on=day, session="am", route_version=1, school_id=route.school_id,
              due_at_school=dt.time(9, 0), status=status, on_time=on_time if status in
              (RunStatus.COMPLETED, RunStatus.ARRIVED) else None, pupils_expected=expected, pupils_absent=absent,
              pupils_transported=(expected - absent if transported is None else transported)
              if status in (RunStatus.COMPLETED, RunStatus.ARRIVED) else 0)
    session.add(run)
    session.flush()
    return run


def test_percent_is_two_decimals_and_none_for_a_zero_denominator():
    assert percent(1043, 1052) == 99.14
    assert percent(0, 0) is None
    assert percent(3, 3) == 100.0


def test_a_day_with_nothing_recorded_has_no_percentages(db_session):
    figures = sitrep(db_session, dt.date(2001, 1, 3), dt.date(2001, 1, 3))
    assert figures.routes_scheduled == 0
    assert figures.routes_delivered_pct is None
    assert figures.routes_on_time_pct is None
    assert figures.pupils_transported_pct is None
    assert figures.calls_answered_pct is None


def test_run_figures_leave_out_not_required_runs_and_count_cancelled_ones_as_not_delivered(db_session):
    day = dt.date(2002, 3, 6)
    routes = [factories.make_route(db_session) for _ in range(5)]
    add_run(db_session, routes[0], day=day, on_time=True, expected=4, absent=1)            # 3 of 3
    add_run(db_session, routes[1], day=day, on_time=False, expected=2, transported=1)      # late, 1 of 2
    add_run(db_session, routes[2], day=day, status=RunStatus.ARRIVED, on_time=True, expected=1)
    add_run(db_session, routes[3], day=day, status=RunStatus.CANCELLED, expected=3)       # 0 of 3
    add_run(db_session, routes[4], day=day, status=RunStatus.NOT_REQUIRED, expected=6)    # left out
    figures = sitrep(db_session, day, day)
    assert (figures.routes_scheduled, figures.routes_delivered, figures.routes_on_time) == (4, 3, 2)
    assert figures.routes_delivered_pct == 75.0
    assert figures.routes_on_time_pct == 66.67
    assert (figures.pupil_journeys_needed, figures.pupil_journeys_completed) == (3 + 2 + 1 + 3, 3 + 1 + 1)
    assert figures.pupils_transported_pct == 55.56


def test_a_week_adds_up_its_days_and_must_end_on_a_friday(db_session):
    route = factories.make_route(db_session)
    monday, friday = dt.date(2003, 6, 2), dt.date(2003, 6, 6)
    add_run(db_session, route, day=monday, on_time=True)
    add_run(db_session, route, day=friday, on_time=False)
    add_run(db_session, route, day=dt.date(2003, 6, 9))  # the next Monday: outside the week
    db_session.add_all([CallDay(call_on=monday, received=100, answered=90),
                        CallDay(call_on=friday, received=50, answered=40)])
    db_session.flush()
    start, end = week_of(friday)
    figures = sitrep(db_session, start, end)
    assert (figures.routes_scheduled, figures.routes_on_time) == (2, 1)
    assert (figures.calls_received, figures.calls_answered, figures.calls_answered_pct) == (150, 130, 86.67)
    with pytest.raises(ValueError, match="a week ends on a Friday"):
        week_of(dt.date(2003, 6, 5))


def test_complaints_cases_and_passes_are_counted_as_they_stood_at_the_end_of_the_period(db_session):
    day = dt.date(2004, 5, 12)
    db_session.add_all([
        Complaint(reference="C1", received_on=day - dt.timedelta(days=30), category="late",
                  response_due_on=day - dt.timedelta(days=10)),                         # open, overdue
        Complaint(reference="C2", received_on=day - dt.timedelta(days=2), category="driver",
                  response_due_on=day + dt.timedelta(days=18)),                         # open
        Complaint(reference="C3", received_on=day - dt.timedelta(days=40), category="late",
                  response_due_on=day - dt.timedelta(days=20), closed_on=day - dt.timedelta(days=1)),
        Complaint(reference="C4", received_on=day + dt.timedelta(days=1), category="late",
                  response_due_on=day + dt.timedelta(days=21)),                         # not yet received
        SafeguardingCase(reference="S1", opened_on=day - dt.timedelta(days=3), category="conduct"),
        SafeguardingCase(reference="S2", opened_on=day - dt.timedelta(days=9), category="conduct",
                         closed_on=day),
        BusPassApplication(reference="B1", received_on=day - dt.timedelta(days=5)),
        BusPassApplication(reference="B2", received_on=day - dt.timedelta(days=5), assessed_on=day),
    ])
    db_session.flush()
    figures = sitrep(db_session, day, day)
    assert (figures.complaints_open, figures.complaints_overdue) == (2, 1)
    assert figures.safeguarding_open == 1
    assert figures.bus_passes_awaiting == 1


def test_compliance_figures_count_suspended_operators_and_expiring_documents(db_session):
    day = dt.date(2026, 11, 25)
    operator = factories.make_operator(db_session)
    decide(db_session, operator, kind="suspended", reason="insurance", decided_by="J. Smith", decided_on=day)
    staff = factories.make_staff(db_session, operator=operator)
    factories.make_document(db_session, holder=staff, document_type="driver_badge", issued_on=dt.date(2025, 1, 1),
                            expires_on=day + dt.timedelta(days=30))
    factories.make_document(db_session, holder=staff, document_type="council_id_badge",
                            issued_on=dt.date(2025, 1, 1), expires_on=day + dt.timedelta(days=31))
    figures = sitrep(db_session, day, day)
    assert figures.operators_suspended == 1
    assert figures.documents_expiring_30d == 1  # the badge at 30 days; the ID badge at 31 is not counted
    assert figures.holders_not_compliant == 2  # the suspended operator and its driver


def test_the_daily_trend_matches_each_days_own_figures(db_session):
    route_a, route_b = factories.make_route(db_session), factories.make_route(db_session)
    first, second = dt.date(2007, 10, 1), dt.date(2007, 10, 2)
    add_run(db_session, route_a, day=first, on_time=True)
    add_run(db_session, route_b, day=first, status=RunStatus.CANCELLED)
    add_run(db_session, route_a, day=second, on_time=False, expected=2, transported=1)
    db_session.add(CallDay(call_on=second, received=10, answered=9))
    db_session.flush()
    from hts.sitrep.figures import daily_trend

    trend = daily_trend(db_session, first, second)
    assert [(t.day, t.routes_scheduled, t.routes_delivered_pct, t.routes_on_time_pct, t.pupils_transported_pct,
             t.calls_answered_pct) for t in trend] == [
        (first, 2, 50.0, 100.0, 50.0, None),
        (second, 1, 100.0, 0.0, 50.0, 90.0),
    ]
    for t in trend:
        assert t.routes_delivered_pct == sitrep(db_session, t.day, t.day).routes_delivered_pct
