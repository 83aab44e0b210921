"""Route change control: the state machine, versions in force by day, and optimistic locking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hts.auth.models import Role
from hts.operations.models import Run
from hts.operations.runs import generate_runs
from hts.routing import changes, versions
from hts.routing.changes import Actor, ChangeRefused, refusals
from hts.routing.models import ChangeAction, ChangeRequest, ChangeState, Route, RouteVersion
from tests import factories

MONDAY = dt.date(2026, 11, 30)  # a school day in term; the tests' "today"


def no_breaches(snapshot: dict) -> list[str]:
    return []


def every_day(day: dt.date) -> bool:
    return day.weekday() < 5


@pytest.fixture
def people(db_session: Session):
    planner = factories.make_user(db_session, role=Role.PLANNER)
    approver = factories.make_user(db_session, role=Role.PLANNER)
    approver.route_approver = True
    db_session.flush()
    return planner, approver


@pytest.fixture
def route(db_session: Session) -> Route:
    school = factories.make_school(db_session)
    pupils = [factories.make_pupil(db_session, school=school) for _ in range(3)]
    return factories.make_route(db_session, school=school, pupils=pupils)


def draft_dropping_last_pupil(db_session: Session, planner, route: Route, effective: dt.date = MONDAY):
    change = changes.start(db_session, planner, title="Pupil moved away", reason="Family moved",
                           requested_by="School SENCo", effective_date=effective, today=MONDAY)
    _, snapshot = versions.latest_snapshot(db_session, route)
    snapshot["stops"] = snapshot["stops"][1:]  # the first pickup goes
    changes.stage(db_session, change, planner, route=route, proposed=snapshot, action=ChangeAction.MODIFY)
    return change


def publish(db_session: Session, change: ChangeRequest, user, today: dt.date = MONDAY):
    return changes.publish(db_session, change, user, today=today, notice_days=5, is_school_day=every_day)


# --- the rules -------------------------------------------------------------------------------------

def test_a_planner_cannot_approve_their_own_change_even_with_the_approver_grant():
    me = Actor(1, Role.PLANNER, approver=True)
    reasons = refusals("approve", ChangeState.SUBMITTED, me, created_by_id=1, submitted_by_id=1)
    assert any("second person" in r for r in reasons)


def test_only_an_approver_may_approve_or_reject():
    other = Actor(2, Role.PLANNER, approver=False)
    for step in ("approve", "reject"):
        reasons = refusals(step, ChangeState.SUBMITTED, other, created_by_id=1, submitted_by_id=1)
        assert any("route approver" in r for r in reasons)


def test_steps_start_only_from_their_states():
    planner = Actor(1, Role.PLANNER, approver=False)
    approver = Actor(2, Role.PLANNER, approver=True)
    assert refusals("publish", ChangeState.SUBMITTED, planner, created_by_id=1, submitted_by_id=1)
    assert refusals("approve", ChangeState.DRAFT, approver, created_by_id=1, submitted_by_id=None)
    assert refusals("edit", ChangeState.APPROVED, planner, created_by_id=1, submitted_by_id=1)
    assert not refusals("approve", ChangeState.SUBMITTED, approver, created_by_id=1, submitted_by_id=1)
    assert not refusals("publish", ChangeState.APPROVED, planner, created_by_id=1, submitted_by_id=1)


def test_a_manager_cannot_draw_up_or_publish_a_change():
    manager = Actor(3, Role.MANAGER, approver=False)
    assert refusals("edit", ChangeState.DRAFT, manager, created_by_id=3, submitted_by_id=None)
    assert refusals("publish", ChangeState.APPROVED, manager, created_by_id=1, submitted_by_id=1)


def test_notice_counts_school_days_strictly_between():
    friday = dt.date(2026, 11, 27)
    next_friday = dt.date(2026, 12, 4)
    assert changes.school_days_between(friday, next_friday, every_day) == 4  # Mon-Thu


def test_describe_says_who_was_added_and_removed_and_what_moved():
    before = {"stops": [{"pupil_ids": [1], "time": "08:00"}, {"pupil_ids": [2], "time": "08:10"},
                        {"pupil_ids": [], "time": "08:40"}], "vehicle_type": "mpv", "daily_price_pence": 100}
    after = {"stops": [{"pupil_ids": [2], "time": "08:05"}, {"pupil_ids": [3], "time": "08:12"},
                       {"pupil_ids": [], "time": "08:40"}], "vehicle_type": "wav", "daily_price_pence": 100}
    lines = changes.describe(before, after, {1: "P1", 2: "P2", 3: "P3"}, {})
    assert "Pupils added: P3" in lines
    assert "Pupils removed: P1" in lines
    assert "Vehicle type: mpv -> wav" in lines
    assert any(line.startswith("Times:") for line in lines)


# --- the service -----------------------------------------------------------------------------------

def test_a_change_goes_from_draft_to_published_and_the_route_takes_the_new_version(db_session, people, route):
    planner, approver = people
    change = draft_dropping_last_pupil(db_session, planner, route)
    assert change.items[0].summary[0].startswith("Pupils removed")
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    result = publish(db_session, change, planner)
    assert change.state == ChangeState.PUBLISHED
    assert result.applied_now == [route.route_code]
    assert route.version == 2 and len(route.pupils) == 2
    numbers = db_session.scalars(select(RouteVersion.version).where(RouteVersion.route_id == route.id)
                                 .order_by(RouteVersion.version)).all()
    assert numbers == [1, 2]  # the version as loaded is kept as history


def test_submission_is_refused_while_a_route_breaks_a_rule(db_session, people, route):
    planner, _ = people
    change = draft_dropping_last_pupil(db_session, planner, route)
    with pytest.raises(ChangeRefused) as refused:
        changes.submit(db_session, change, planner, check=lambda snap: ["pupil P1 rides 52 min, over 45"])
    assert refused.value.reasons == [f"{route.route_code}: pupil P1 rides 52 min, over 45"]
    assert change.state == ChangeState.DRAFT


def test_the_author_cannot_approve_and_a_rejection_needs_a_reason(db_session, people, route):
    planner, approver = people
    planner.route_approver = True
    change = draft_dropping_last_pupil(db_session, planner, route)
    changes.submit(db_session, change, planner, check=no_breaches)
    with pytest.raises(ChangeRefused, match="second person"):
        changes.approve(db_session, change, planner)
    with pytest.raises(ChangeRefused, match="reason"):
        changes.reject(db_session, change, approver, reason="  ")
    changes.reject(db_session, change, approver, reason="The school has not confirmed the move")
    assert change.state == ChangeState.REJECTED
    # The route is free again for another request.
    again = draft_dropping_last_pupil(db_session, planner, route)
    assert again.items[0].route_id == route.id


def test_a_route_can_be_in_only_one_open_request(db_session, people, route):
    planner, _ = people
    first = draft_dropping_last_pupil(db_session, planner, route)
    with pytest.raises(ChangeRefused, match=f"already in change request {first.id}"):
        draft_dropping_last_pupil(db_session, planner, route)


def test_a_save_from_a_stale_page_is_refused(db_session, people, route):
    planner, _ = people
    change = draft_dropping_last_pupil(db_session, planner, route)
    loaded = change.lock_version
    item = change.items[0]
    changes.restage(db_session, item, planner, dict(item.proposed, daily_price_pence=9000),
                    expected_lock_version=loaded)
    with pytest.raises(ChangeRefused, match="saved by someone else"):
        changes.restage(db_session, item, planner, dict(item.proposed, daily_price_pence=8000),
                        expected_lock_version=loaded)
    assert item.proposed["daily_price_pence"] == 9000


def test_a_concurrent_save_in_the_database_is_refused_not_overwritten(db_session, people, route):
    planner, _ = people
    change = draft_dropping_last_pupil(db_session, planner, route)
    item = change.items[0]
    # Another planner's save lands in the database after this one loaded the request.
    db_session.execute(update(ChangeRequest).where(ChangeRequest.id == change.id)
                       .values(lock_version=ChangeRequest.lock_version + 1, title="Their title")
                       .execution_options(synchronize_session=False))
    with pytest.raises(ChangeRefused, match="same moment"):
        changes.restage(db_session, item, planner, dict(item.proposed, daily_price_pence=7000),
                        expected_lock_version=change.lock_version)
    db_session.rollback()


def test_publishing_is_refused_when_the_route_changed_since_the_request_was_drawn(db_session, people, route):
    planner, approver = people
    first = draft_dropping_last_pupil(db_session, planner, route)
    changes.submit(db_session, first, planner, check=no_breaches)
    changes.approve(db_session, first, approver)
    publish(db_session, first, planner)
    # A request drawn from version 1 (simulated: its base is older than what is now published).
    second = draft_dropping_last_pupil(db_session, planner, route, effective=MONDAY + dt.timedelta(days=7))
    second.items[0].base_version = 1
    changes.submit(db_session, second, planner, check=no_breaches)
    changes.approve(db_session, second, approver)
    with pytest.raises(ChangeRefused, match="changed since this request was drawn up"):
        publish(db_session, second, planner)
    assert second.state == ChangeState.APPROVED


def test_a_future_change_leaves_todays_runs_alone_and_drives_that_days_runs(db_session, people, route):
    planner, approver = people
    wednesday = MONDAY + dt.timedelta(days=2)
    change = draft_dropping_last_pupil(db_session, planner, route, effective=wednesday)
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    result = publish(db_session, change, planner)
    assert result.applied_now == [] and route.version == 1 and len(route.pupils) == 3
    assert result.notice_school_days == 1
    assert result.warnings and "Short notice" in result.warnings[0]
    assert len(versions.in_force(db_session, route, MONDAY)["stops"]) == 4
    assert len(versions.in_force(db_session, route, wednesday)["stops"]) == 3

    generate_runs(db_session, MONDAY)
    generate_runs(db_session, wednesday)
    runs = {run.run_on: run for run in db_session.scalars(select(Run).where(Run.route_id == route.id))}
    assert (runs[MONDAY].route_version, runs[MONDAY].pupils_expected) == (1, 3)
    assert (runs[wednesday].route_version, runs[wednesday].pupils_expected) == (2, 2)

    versions.apply_due_versions(db_session, wednesday)
    assert route.version == 2 and len(route.pupils) == 2


def test_a_second_version_cannot_take_effect_on_or_before_a_pending_one(db_session, people, route):
    planner, approver = people
    friday = MONDAY + dt.timedelta(days=4)
    first = draft_dropping_last_pupil(db_session, planner, route, effective=friday)
    for step in (lambda c: changes.submit(db_session, c, planner, check=no_breaches),
                 lambda c: changes.approve(db_session, c, approver), lambda c: publish(db_session, c, planner)):
        step(first)
    second = draft_dropping_last_pupil(db_session, planner, route, effective=MONDAY + dt.timedelta(days=1))
    assert second.items[0].base_version == 2  # drawn from the newest version, though not yet in force
    changes.submit(db_session, second, planner, check=no_breaches)
    changes.approve(db_session, second, approver)
    with pytest.raises(ChangeRefused, match="must take effect after it"):
        publish(db_session, second, planner)


def test_withdrawing_a_route_stops_its_runs_from_the_effective_date(db_session, people, route):
    planner, approver = people
    tuesday = MONDAY + dt.timedelta(days=1)
    change = changes.start(db_session, planner, title="Route no longer needed", reason="", requested_by="",
                           effective_date=tuesday, today=MONDAY)
    changes.stage(db_session, change, planner, route=route, proposed=None, action=ChangeAction.WITHDRAW)
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    publish(db_session, change, planner)
    generate_runs(db_session, MONDAY)
    generate_runs(db_session, tuesday)
    days = db_session.scalars(select(Run.run_on).where(Run.route_id == route.id)).all()
    assert days == [MONDAY]
    versions.apply_due_versions(db_session, tuesday)
    assert route.withdrawn_on == tuesday


def test_a_new_route_runs_from_its_effective_date(db_session, people, route):
    planner, approver = people
    thursday = MONDAY + dt.timedelta(days=3)
    snapshot = versions.snapshot_of(route)
    snapshot["route_code"] = "NEW-1"
    change = changes.start(db_session, planner, title="Split a long route", reason="", requested_by="",
                           effective_date=thursday, today=MONDAY)
    changes.stage(db_session, change, planner, route=None, proposed=snapshot, action=ChangeAction.CREATE)
    assert change.items[0].summary[0].startswith("New route with 3 pupils")
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    publish(db_session, change, planner)
    new = db_session.scalar(select(Route).where(Route.route_code == "NEW-1"))
    assert new is not None and new.starts_on == thursday
    generate_runs(db_session, MONDAY)
    generate_runs(db_session, thursday)
    runs = db_session.execute(select(Run.run_on, Run.route_version).where(Run.route_id == new.id)).all()
    assert runs == [(thursday, 1)]


def test_a_discarded_draft_is_gone_and_frees_its_route(db_session, people, route):
    planner, approver = people
    change = draft_dropping_last_pupil(db_session, planner, route)
    with pytest.raises(ChangeRefused, match="only the planner who drew it up"):
        changes.discard(db_session, change, approver)
    changes.discard(db_session, change, planner)
    assert db_session.scalar(select(func.count()).select_from(ChangeRequest)) == 0
    draft_dropping_last_pupil(db_session, planner, route)


def test_a_change_cannot_take_effect_in_the_past(db_session, people):
    planner, _ = people
    with pytest.raises(ChangeRefused, match="in the past"):
        changes.start(db_session, planner, title="Late", reason="", requested_by="",
                      effective_date=MONDAY - dt.timedelta(days=1), today=MONDAY)


def test_the_publish_command_refuses_an_unapproved_change_and_publishes_an_approved_one(
        db_session, people, route, cli):
    planner, approver = people
    change = draft_dropping_last_pupil(db_session, planner, route, effective=MONDAY + dt.timedelta(days=14))
    refused = cli("routes", "publish", str(change.id), "--as", planner.email, "--date", MONDAY.isoformat())
    assert refused.exit_code == 3
    assert "the request is draft; it can be published only when it is approved" in refused.output
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    done = cli("routes", "publish", str(change.id), "--as", planner.email, "--date", MONDAY.isoformat())
    assert done.exit_code == 0, done.output
    assert "1 route versions" in done.output
    db_session.refresh(change)
    assert change.state == ChangeState.PUBLISHED


def test_a_request_that_changes_nothing_cannot_be_submitted(db_session, people, route):
    planner, _ = people
    change = changes.start(db_session, planner, title="Nothing", reason="", requested_by="",
                           effective_date=MONDAY, today=MONDAY)
    changes.stage(db_session, change, planner, route=route, proposed=versions.snapshot_of(route),
                  action=ChangeAction.MODIFY)
    with pytest.raises(ChangeRefused, match="nothing changes yet"):
        changes.submit(db_session, change, planner, check=no_breaches)


def test_a_change_taking_effect_on_the_day_the_route_was_loaded_comes_after_it(db_session, people, route):
    planner, approver = people
    today = MONDAY
    route.published_at = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)  # loaded this morning
    change = draft_dropping_last_pupil(db_session, planner, route, effective=today)
    changes.submit(db_session, change, planner, check=no_breaches)
    changes.approve(db_session, change, approver)
    result = publish(db_session, change, planner, today=today)
    assert result.applied_now == [route.route_code] and route.version == 2
    baseline = db_session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id,
                                                            RouteVersion.version == 1))
    assert baseline.effective_from == today - dt.timedelta(days=1)


def test_the_operators_notice_names_a_few_routes_in_its_subject_and_counts_the_rest():
    from types import SimpleNamespace

    from hts.routing.change_mail import operator_message

    routes = [(SimpleNamespace(id=i, route_code=f"ROUTE-{i:04d}"), ["Stop order changed"], False) for i in range(40)]
    change = SimpleNamespace(id=7, title="Term-time timetable", effective_date=MONDAY)
    subject, body = operator_message(change, SimpleNamespace(name="Cars Ltd"), routes, {}, ["Short notice"])
    assert subject == "SHORT NOTICE - Route change from 30 November 2026: ROUTE-0000, ROUTE-0001, ROUTE-0002, " \
                      "ROUTE-0003, ROUTE-0004 and 35 more"
    assert len(subject) < 300 and "ROUTE-0039" in body
