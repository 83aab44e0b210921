"""Planning from the database: problem building, `hts plan`, the draft, comparison and promotion."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from hts import weekdays
from hts.routing.models import DraftPlan, PlanStatus, PupilIncompatibility, Route
from hts.routing.planning import (
    PlanInputError,
    build_problem,
    compare,
    parse_vehicle_types,
    promote,
    ride_limit_minutes,
    run_plan,
)
from tests import factories

DAY = dt.date(2026, 11, 25)


def small_city(session):
    school = factories.make_school(session, urn="700001", latitude=52.48, longitude=-1.90,
                                   start_time=dt.time(9, 0), finish_time=dt.time(15, 0))
    pupils = [
        factories.make_pupil(session, school=school, latitude=52.49 + i * 0.004, longitude=-1.88, pupil_ref=f"PL{i}")
        for i in range(5)
    ]
    twin = factories.make_pupil(session, school=school, latitude=pupils[0].addresses[0].latitude,
                                longitude=-1.88, pupil_ref="PL-TWIN")
    chair = factories.make_pupil(session, school=school, latitude=52.47, longitude=-1.93, pupil_ref="PL-WC",
                                 wheelchair=True, passenger_assistant=True)
    mondays = factories.make_pupil(session, school=school, pupil_ref="PL-MON", travel_days=weekdays.parse("Mon"))
    return school, [*pupils, twin, chair, mondays]


def test_vehicle_types_setting_is_read_and_checked():
    assert [t.name for t in parse_vehicle_types("car:4:0:9500, wav:4:1:16000:3")] == ["car", "wav"]
    assert parse_vehicle_types("wav:4:1:16000:3")[0].available == 3
    with pytest.raises(PlanInputError, match="name:seats"):
        parse_vehicle_types("car:four:0:9500")


def test_ride_limits_come_from_age_or_the_pupils_own_limit(db_session, app):
    young = factories.make_pupil(db_session, date_of_birth=dt.date(2018, 1, 1))
    old = factories.make_pupil(db_session, date_of_birth=dt.date(2010, 1, 1))
    own = factories.make_pupil(db_session, date_of_birth=dt.date(2010, 1, 1), max_ride_minutes=30)
    assert [ride_limit_minutes(p, DAY, app.config) for p in (young, old, own)] == [45, 75, 30]


def test_the_problem_has_the_days_pupils_sharing_stops_at_one_address(db_session, app):
    small_city(db_session)
    problem, index = build_problem(db_session, session_name="am", weekday=2, school_urns=["700001"],
                                   config=app.config, on_date=DAY)
    refs = {r.ref for r in problem.requests}
    assert "PL-MON" not in refs and {"PL0", "PL-TWIN", "PL-WC"} <= refs
    by_ref = problem.request_by_ref()
    assert by_ref["PL0"].stop == by_ref["PL-TWIN"].stop
    assert by_ref["PL-WC"].wheelchair_spaces == 1 and by_ref["PL-WC"].needs_pa
    assert by_ref["PL-WC"].dwell_seconds == app.config["DWELL_WHEELCHAIR_SECONDS"]
    school = problem.schools[0]
    assert (school.am_arrive_from_seconds, school.am_arrive_by_seconds) == (8 * 3600 + 30 * 60, 8 * 3600 + 55 * 60)
    assert len(index.schools) == 1


def test_incompatible_pupils_reach_the_problem(db_session, app):
    _, pupils = small_city(db_session)
    a, b = sorted(pupils[:2], key=lambda p: p.id)
    db_session.add(PupilIncompatibility(pupil_id=a.id, other_pupil_id=b.id, reason="conflict"))
    db_session.flush()
    problem, _ = build_problem(db_session, session_name="am", weekday=2, school_urns=[], config=app.config)
    assert problem.request_by_ref()[a.pupil_ref].incompatible_with == frozenset({b.pupil_ref})


def test_an_unknown_school_is_a_clear_error(db_session, app):
    with pytest.raises(PlanInputError, match="no school with URN 999999"):
        build_problem(db_session, session_name="am", weekday=0, school_urns=["999999"], config=app.config)


def test_plan_command_writes_the_contracts_json_and_saves_a_checked_draft(cli, db_session, tmp_path):
    small_city(db_session)
    out = tmp_path / "plan.json"
    result = cli("plan", "--session", "am", "--day", "wed", "--schools", "700001", "--time-limit", "2",
                 "--json", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert set(document) >= {"routes", "unassigned", "summary"}
    route = document["routes"][0]
    assert set(route) >= {"route_code", "school_urns", "vehicle_type", "seats", "wheelchair_spaces",
                          "passenger_assistant", "daily_price", "distance_km", "stops"}
    carried = {ref for r in document["routes"] for s in r["stops"] for ref in s.get("pupil_refs", [])}
    assert carried | {u["pupil_ref"] for u in document["unassigned"]} == \
        {"PL0", "PL1", "PL2", "PL3", "PL4", "PL-TWIN", "PL-WC"}
    assert all(r["stops"][-1]["school_urn"] == "700001" for r in document["routes"])
    assert document["summary"]["pupils_over_limit"] == 0 and document["summary"]["check"] == []
    wc_route = next(r for r in document["routes"] if any("PL-WC" in s.get("pupil_refs", []) for s in r["stops"]))
    assert wc_route["wheelchair_spaces"] >= 1 and wc_route["passenger_assistant"]
    plan = db_session.scalar(select(DraftPlan).order_by(DraftPlan.id.desc()))
    assert plan.status == PlanStatus.READY and len(plan.routes) == len(document["routes"])


def test_plan_command_refuses_bad_input_with_exit_2(cli, db_session):
    assert cli("plan", "--session", "am", "--day", "sun").exit_code == 2
    unknown = cli("plan", "--session", "am", "--schools", "999999", "--time-limit", "1")
    assert unknown.exit_code == 2 and "no school with URN 999999" in unknown.output


def test_promoting_a_draft_withdraws_the_old_routes_and_publishes_the_new(db_session, app):
    school, pupils = small_city(db_session)
    legacy = [factories.make_route(db_session, school=school, pupils=[p], route_code=f"OLD-{i}")
              for i, p in enumerate(pupils[:7])]
    plan = DraftPlan(session="am", weekday=2, school_urns=["700001"], time_limit_seconds=2, requested_by="t")
    db_session.add(plan)
    run_plan(db_session, plan, {**app.config, "PLAN_WORKERS": 1}, on_date=DAY)
    comparison = compare(db_session, plan)
    assert comparison["published"]["vehicles"] == 7
    assert comparison["draft"]["vehicles"] == len(plan.routes) < 7
    withdrawn = promote(db_session, plan, today=DAY)
    assert len(withdrawn) == 7 and all(r.withdrawn_on == DAY for r in legacy)
    live = db_session.scalars(select(Route).where(Route.school_id == school.id, Route.withdrawn_on.is_(None))).all()
    assert sorted(r.route_code for r in live) == sorted(r.route_code for r in plan.routes)
    assert plan.status == PlanStatus.PROMOTED
    with pytest.raises(PlanInputError, match="only a ready plan"):
        promote(db_session, plan, today=DAY)


def test_the_optimiser_asks_an_osrm_server_when_one_is_configured():
    from hts.routing.matrix import HaversineProvider, OsrmProvider, planning_provider

    assert isinstance(planning_provider({"TRAVEL_DETOUR_FACTOR": 1.3, "TRAVEL_SPEED_KMH": 25.0}), HaversineProvider)
    osrm = planning_provider({"ROUTING_OSRM_URL": "http://osrm.council.internal:5000"})
    assert isinstance(osrm, OsrmProvider) and osrm.base_url == "http://osrm.council.internal:5000"


def test_an_unreachable_road_server_fails_the_plan_command_readably(cli, db_session, monkeypatch, app):
    small_city(db_session)
    monkeypatch.setitem(app.config, "ROUTING_OSRM_URL", "http://127.0.0.1:9")
    result = cli("plan", "--session", "am", "--schools", "700001", "--time-limit", "1")
    assert result.exit_code == 1
    assert "road-routing server" in result.output and "Traceback" not in result.output


def _plan_with_locked_route(db_session, app):
    """PL0 and PL1 on a locked route, the rest on old routes; a plan for the school, run."""
    school, pupils = small_city(db_session)
    locked = factories.make_route(db_session, school=school, pupils=pupils[:2], route_code="AM-700001-01",
                                  locked=True)
    old = [factories.make_route(db_session, school=school, pupils=[p], route_code=f"OLD-{i}")
           for i, p in enumerate(pupils[2:7])]
    plan = DraftPlan(session="am", weekday=2, school_urns=["700001"], time_limit_seconds=2, requested_by="t")
    db_session.add(plan)
    document = run_plan(db_session, plan, {**app.config, "PLAN_WORKERS": 1}, on_date=DAY)
    return school, pupils, locked, old, plan, document


def test_pupils_of_locked_routes_are_left_out_of_the_plan_and_counted_in_the_summary(db_session, app):
    _, pupils, locked, _, plan, document = _plan_with_locked_route(db_session, app)
    carried = {ref for r in document["routes"] for s in r["stops"] for ref in s.get("pupil_refs", [])}
    assert not carried & {"PL0", "PL1"}
    assert carried | {u["pupil_ref"] for u in document["unassigned"]} == {"PL2", "PL3", "PL4", "PL-TWIN", "PL-WC"}
    summary = plan.summary
    assert summary["locked_routes_kept"] == 1 and summary["locked_route_codes"] == ["AM-700001-01"]
    assert summary["pupils_on_locked_routes"] == 2
    # The draft's numbering steps round the code the locked route keeps.
    assert "AM-700001-01" not in [r["route_code"] for r in document["routes"]]
    assert compare(db_session, plan)["published"]["vehicles"] == 5  # the locked route is on neither side


def test_a_locked_route_of_the_other_session_does_not_hold_its_pupils_back(db_session, app):
    school, pupils = small_city(db_session)
    route = factories.make_route(db_session, school=school, pupils=pupils[:2], route_code="PM-LOCKED", locked=True)
    route.session = "pm"
    db_session.flush()
    problem, index = build_problem(db_session, session_name="am", weekday=2, school_urns=["700001"],
                                   config=app.config, on_date=DAY)
    assert {"PL0", "PL1"} <= {r.ref for r in problem.requests} and index.locked_routes == []


def test_promotion_keeps_locked_routes_and_sets_the_new_routes_vehicle_type(db_session, app):
    school, _, locked, old, plan, _ = _plan_with_locked_route(db_session, app)
    withdrawn = promote(db_session, plan, today=DAY)
    assert len(withdrawn) == 5 and all(r.withdrawn_on == DAY for r in old)
    assert locked.withdrawn_on is None and locked.route_code == "AM-700001-01"
    assert [p.pupil_ref for p in locked.pupils] == ["PL0", "PL1"]
    live = db_session.scalars(select(Route).where(Route.school_id == school.id, Route.withdrawn_on.is_(None),
                                                  Route.id != locked.id)).all()
    by_code = {r.route_code: r.vehicle_type for r in plan.routes}
    assert live and all(r.vehicle_type == by_code[r.route_code] for r in live)
    assert all(r.vehicle_type in {"car", "mpv", "wav", "minibus"} for r in live)


def test_promotion_is_refused_when_routes_were_locked_or_unlocked_since_the_plan_ran(db_session, app):
    _, _, locked, old, plan, _ = _plan_with_locked_route(db_session, app)
    old[0].locked = True
    db_session.flush()
    with pytest.raises(PlanInputError, match="route OLD-0 was locked after this plan was made"):
        promote(db_session, plan, today=DAY)
    old[0].locked, locked.locked = False, False
    db_session.flush()
    with pytest.raises(PlanInputError, match="1 route the plan kept locked is no longer locked"):
        promote(db_session, plan, today=DAY)
    assert all(r.withdrawn_on is None for r in [locked, *old]) and plan.status == PlanStatus.READY


def test_a_draft_code_taken_since_the_plan_ran_is_moved_to_the_next_free_one(db_session, app):
    school, pupils = small_city(db_session)
    plan = DraftPlan(session="am", weekday=2, school_urns=["700001"], time_limit_seconds=2, requested_by="t")
    db_session.add(plan)
    run_plan(db_session, plan, {**app.config, "PLAN_WORKERS": 1}, on_date=DAY)
    count = len(plan.routes)
    assert [r.route_code for r in plan.routes] == [f"AM-700001-{n:02d}" for n in range(1, count + 1)]
    other = factories.make_school(db_session)
    factories.make_route(db_session, school=other, pupils=[], route_code="AM-700001-01")  # made meanwhile
    promote(db_session, plan, today=DAY)
    codes = set(db_session.scalars(select(Route.route_code).where(Route.school_id == school.id)))
    assert codes == {f"AM-700001-{n:02d}" for n in range(2, count + 2)}


def test_the_plan_page_says_how_many_locked_routes_were_kept(client, login, db_session, app):
    *_, plan, _ = _plan_with_locked_route(db_session, app)
    login("planner")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Locked routes kept as they are" in page
    assert "1 locked route was kept as it is (AM-700001-01): its 2 pupils were not re-planned" in page
    done = client.post(f"/plans/{plan.id}/promote", follow_redirects=True).get_data(as_text=True)
    assert "5 withdrawn, 1 locked route kept as it was" in done


def test_promotion_is_refused_while_a_route_it_replaces_is_in_change_control(db_session, app):
    from hts.routing import changes, versions
    from hts.routing.models import ChangeAction

    school, pupils = small_city(db_session)
    legacy = [factories.make_route(db_session, school=school, pupils=[p], route_code=f"HELD-{i}")
              for i, p in enumerate(pupils[:3])]
    plan = DraftPlan(session="am", weekday=2, school_urns=["700001"], time_limit_seconds=2, requested_by="t")
    db_session.add(plan)
    run_plan(db_session, plan, {**app.config, "PLAN_WORKERS": 1}, on_date=DAY)
    planner = factories.make_user(db_session, role="planner")
    change = changes.start(db_session, planner, title="Held", reason="", requested_by="", effective_date=DAY,
                           today=DAY)
    changes.stage(db_session, change, planner, route=legacy[1], proposed=versions.snapshot_of(legacy[1]),
                  action=ChangeAction.MODIFY)
    with pytest.raises(PlanInputError, match=f"HELD-1 is in change request {change.id}"):
        promote(db_session, plan, today=DAY)
    assert all(route.withdrawn_on is None for route in legacy)
    changes.discard(db_session, change, planner)
    assert len(promote(db_session, plan, today=DAY)) == 3


# --- nearby schools sharing a vehicle ---------------------------------------------------------

SHARING = {"PLAN_WORKERS": 1, "PLAN_SHARE_SCHOOLS_WITHIN_METRES": 1500, "PLAN_VEHICLE_TYPES": "car:4:0:9500"}


def two_nearby_schools(session):
    """Two schools about 400 m apart, two pupils of each living close together 3 km north."""
    a = factories.make_school(session, urn="700010", latitude=52.480, longitude=-1.90)
    b = factories.make_school(session, urn="700011", latitude=52.4836, longitude=-1.90)
    pupils = [factories.make_pupil(session, school=(a, b)[i % 2], latitude=52.507 + i * 0.0008,
                                   longitude=-1.895, pupil_ref=f"SH{i}") for i in range(4)]
    return a, b, pupils


def test_the_sharing_setting_reaches_the_problem(db_session, app):
    two_nearby_schools(db_session)
    problem, _ = build_problem(db_session, session_name="am", weekday=2, school_urns=[],
                               config={**app.config, **SHARING}, on_date=DAY)
    assert problem.share_within_metres == 1500
    alone, _ = build_problem(db_session, session_name="am", weekday=2, school_urns=[], config=app.config, on_date=DAY)
    assert alone.share_within_metres == 0  # the default: a vehicle carries one school's pupils


def test_a_plan_with_sharing_carries_two_schools_on_one_route_and_publishes_each_school_stop(db_session, app):
    a, b, pupils = two_nearby_schools(db_session)
    plan = DraftPlan(session="am", weekday=2, school_urns=["700010", "700011"], time_limit_seconds=3, requested_by="t")
    db_session.add(plan)
    document = run_plan(db_session, plan, {**app.config, **SHARING}, on_date=DAY)
    assert document["summary"]["check"] == []
    assert document["summary"]["shared_routes"] == 1 and document["summary"]["share_schools_within_metres"] == 1500
    (route,) = document["routes"]
    visited = [stop["school_urn"] for stop in route["stops"] if "school_urn" in stop]
    assert sorted(visited) == ["700010", "700011"] and route["school_urns"][0] == visited[-1]  # own school first
    assert plan.routes[0].other_school_urns == [visited[0]]
    promote(db_session, plan, today=DAY)
    live = db_session.scalars(select(Route).where(Route.withdrawn_on.is_(None))).one()
    school_stops = [stop.school_id for stop in live.stops if stop.kind.value == "school"]
    assert sorted(school_stops) == sorted([a.id, b.id]) and live.school_id == school_stops[-1]
    assert sorted(p.pupil_ref for p in live.pupils) == ["SH0", "SH1", "SH2", "SH3"]


@pytest.mark.parametrize("start_from", ["its own school", "the school it stops at on the way"])
def test_re_planning_one_school_of_a_shared_route_plans_the_other_with_it(db_session, app, start_from):
    a, b, pupils = two_nearby_schools(db_session)
    first = DraftPlan(session="am", weekday=2, school_urns=[], time_limit_seconds=3, requested_by="t")
    db_session.add(first)
    run_plan(db_session, first, {**app.config, **SHARING}, on_date=DAY)
    promote(db_session, first, today=DAY)
    (route,) = db_session.scalars(select(Route).where(Route.withdrawn_on.is_(None))).all()
    own, other = route.school, (a if route.school_id == b.id else b)
    chosen, added = (own, other) if start_from == "its own school" else (other, own)
    again = DraftPlan(session="am", weekday=2, school_urns=[chosen.urn], time_limit_seconds=3, requested_by="t")
    db_session.add(again)
    document = run_plan(db_session, again, {**app.config, **SHARING}, on_date=DAY)
    # Planning one school alone would leave the other's pupils on a withdrawn route.
    assert document["summary"]["schools_added_for_sharing"] == [added.urn]
    assert sorted(again.school_urns) == ["700010", "700011"]
    assert compare(db_session, again)["published"]["vehicles"] == 1
    promote(db_session, again, today=DAY)
    live = db_session.scalars(select(Route).where(Route.withdrawn_on.is_(None))).all()
    assert sorted(p.pupil_ref for r in live for p in r.pupils) == ["SH0", "SH1", "SH2", "SH3"]


def test_the_plan_command_says_how_many_routes_nearby_schools_share(cli, db_session, tmp_path, app, monkeypatch):
    two_nearby_schools(db_session)
    for name, value in SHARING.items():
        monkeypatch.setitem(app.config, name, value)
    out = tmp_path / "plan.json"
    result = cli("plan", "--session", "am", "--day", "wed", "--time-limit", "3", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "Schools within 1,500 m may share: 1 route carries pupils of more than one school." in result.output
    (route,) = json.loads(out.read_text())["routes"]
    assert sorted(route["school_urns"]) == ["700010", "700011"]
