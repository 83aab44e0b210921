"""A published route shared by nearby schools: both schools see it, its stops name each school,
and it can be checked and edited like any other."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from hts.operations.runsheets import build_run_sheet
from hts.routing import changes, versions, workbench
from hts.routing.models import ChangeAction, DraftPlan, Route
from hts.routing.planning import promote, run_plan
from tests.routing.test_planning import DAY, SHARING, two_nearby_schools


@pytest.fixture
def shared_route(db_session, app, monkeypatch):
    a, b, pupils = two_nearby_schools(db_session)
    plan = DraftPlan(session="am", weekday=2, school_urns=[], time_limit_seconds=3, requested_by="t")
    db_session.add(plan)
    run_plan(db_session, plan, {**app.config, **SHARING}, on_date=DAY)
    promote(db_session, plan, today=DAY)
    route = db_session.scalars(select(Route).where(Route.withdrawn_on.is_(None))).one()
    other = a if route.school_id == b.id else b
    for name, value in SHARING.items():  # the app is shared by every test: set, then restored
        monkeypatch.setitem(app.config, name, value)
    return route, route.school, other


def test_the_run_sheet_names_each_school_the_vehicle_stops_at(db_session, app, shared_route):
    route, own, other = shared_route
    sheet = build_run_sheet(db_session, route, DAY, config=app.config)
    assert [stop.action for stop in sheet.stops if stop.kind == "school"] == \
        [f"Arrive at {other.name}", f"Arrive at {own.name}"]


def test_both_schools_workbenches_show_the_route_checked_clean_with_no_pupil_left_unrouted(db_session, app,
                                                                                          shared_route):
    route, own, other = shared_route
    for school in (own, other):
        rows = workbench.route_rows(db_session, school.id, "am", today=DAY, config=app.config)
        assert [row.route.id for row in rows] == [route.id]
        assert rows[0].check.ok, rows[0].check.breaches
        assert workbench.unrouted_pupils(db_session, school, "am", rows) == []


def test_the_workbench_map_draws_the_route_by_way_of_the_other_school_and_names_it(client, login, shared_route):
    route, own, other = shared_route
    login("planner")
    html = client.get(f"/workbench?school={own.id}&session=am").get_data(as_text=True)
    plan = json.loads(re.search(r'data-plan="([^"]*)"', html).group(1).replace("&#34;", '"').replace("&amp;", "&"))
    (drawn,) = plan["routes"]
    stops = sorted(route.stops, key=lambda stop: stop.sequence)
    # Every stop in travel order, ending at the route's own school after the other one.
    assert drawn["path"] == [[stop.latitude, stop.longitude] for stop in stops]
    assert drawn["path"][-2:] == [[other.latitude, other.longitude], [own.latitude, own.longitude]]
    (marker,) = drawn["schools"]
    assert [marker["lat"], marker["lng"]] == [other.latitude, other.longitude]
    assert marker["label"].startswith(f"Route {route.route_code} also stops at {other.name} at ")
    # From the other school's workbench, the route's own school is the one named.
    html = client.get(f"/workbench?school={other.id}&session=am").get_data(as_text=True)
    plan = json.loads(re.search(r'data-plan="([^"]*)"', html).group(1).replace("&#34;", '"').replace("&amp;", "&"))
    assert [m["label"].split(" at ")[0] for m in plan["routes"][0]["schools"]] == \
        [f"Route {route.route_code} also stops"]
    assert own.name in plan["routes"][0]["schools"][0]["label"]


def test_the_stop_tables_name_the_school_at_each_school_stop(client, login, db_session, shared_route):
    route, own, other = shared_route
    planner = login("planner")
    baseline = versions.ensure_baseline(db_session, route, before=DAY + dt.timedelta(days=14))
    change = changes.start(db_session, planner, title="Shared route", reason="", requested_by="school",
                           effective_date=DAY + dt.timedelta(days=14), today=DAY)
    item = changes.stage(db_session, change, planner, route=route, proposed=baseline.snapshot,
                         action=ChangeAction.MODIFY)
    db_session.flush()
    wanted = [f"Arrive at {other.name}", f"Arrive at {own.name}"]  # the other school first, as driven
    for url in (f"/routes/{route.id}/versions/{baseline.version}", f"/changes/{change.id}",
                f"/workbench/changes/{change.id}/items/{item.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        said = re.findall(r"Arrive at ([^<\n]+?)\s*<", page.get_data(as_text=True))
        assert [f"Arrive at {name.strip()}" for name in said] == wanted, url


def test_the_school_page_and_the_route_list_show_the_route_under_both_schools(client, login, shared_route):
    route, own, other = shared_route
    login("planner")
    for school in (own, other):
        assert route.route_code in client.get(f"/schools/{school.id}").get_data(as_text=True)
        assert route.route_code in client.get(f"/routes?school={school.id}").get_data(as_text=True)
        assert f'value="{school.id}"' in client.get("/workbench").get_data(as_text=True)


def test_the_plan_page_says_which_routes_are_shared_and_with_which_school(client, login, db_session, app):
    a, b, _ = two_nearby_schools(db_session)
    plan = DraftPlan(session="am", weekday=2, school_urns=[], time_limit_seconds=3, requested_by="t")
    db_session.add(plan)
    run_plan(db_session, plan, {**app.config, **SHARING}, on_date=DAY)
    login("planner")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    other = b if plan.routes[0].school_id == a.id else a
    assert f"(also {other.name})" in page
    assert "schools within 1,500 metres of each other by road were planned together" in page
