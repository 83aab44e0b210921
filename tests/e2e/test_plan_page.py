"""A planner reads a draft plan in which nearby schools share a vehicle, and its plan list, by keyboard."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.routing.models import DraftPlan
from hts.routing.planning import run_plan
from tests import factories
from tests.e2e.accessibility import follow, submit, visit

SHARING = {"PLAN_WORKERS": 1, "PLAN_SHARE_SCHOOLS_WITHIN_METRES": 1500, "PLAN_VEHICLE_TYPES": "car:4:0:9500"}


@pytest.fixture
def shared_plan(live_app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """A ready morning plan for two schools 400 m apart whose four pupils live together: one shared car.

    The live server runs with the same policy (set, then restored), as a council that allows
    sharing would."""
    for name, value in SHARING.items():
        monkeypatch.setitem(live_app.config, name, value)
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            a = factories.make_school(session, name="Larch Hill School", latitude=52.480, longitude=-1.90)
            b = factories.make_school(session, name="Elm Bank Primary", latitude=52.4836, longitude=-1.90)
            for i in range(4):
                factories.make_pupil(session, school=(a, b)[i % 2], latitude=52.507 + i * 0.0008, longitude=-1.895)
            plan = DraftPlan(session="am", weekday=2, school_urns=[a.urn, b.urn], time_limit_seconds=3,
                             requested_by="e2e")
            session.add(plan)
            run_plan(session, plan, {**live_app.config, **SHARING}, on_date=dt.date(2026, 11, 25))
            session.commit()
            return plan.id
        finally:
            session.close()


def test_a_planner_sees_which_route_nearby_schools_share(page: Page, sign_in, shared_plan: int):
    sign_in("planner")
    visit(page, "/plans")
    follow(page, page.get_by_role("link", name=f"Plan {shared_plan}", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Plan {shared_plan}")
    expect(page.get_by_role("row", name="Routes shared by nearby schools")).to_contain_text("1")
    expect(page.get_by_text("schools within 1,500 metres of each other by road were planned together")).to_be_visible()
    routes = page.get_by_role("table").last
    expect(routes).to_contain_text("(also ")
    # The way to publish it is reachable from the keyboard.
    publish = page.get_by_role("button", name="Publish this plan")
    publish.focus()
    expect(publish).to_be_focused()
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.get_by_text(f"Plan {shared_plan} is now the published network")).to_be_visible()

    # Each school's workbench lists the shared car; its map draws the car by way of the other
    # school, which is marked and named.
    for school, other in (("Larch Hill School", "Elm Bank Primary"), ("Elm Bank Primary", "Larch Hill School")):
        visit(page, "/workbench")
        page.get_by_label("School").select_option(label=school)
        submit(page, lambda: page.get_by_role("button", name="Show routes").click())
        table = page.get_by_role("table", name="Routes, with the times and loads the rules re-check")
        expect(table.get_by_role("row")).to_have_count(2)
        expect(table).to_contain_text("Keeps every rule")
        expect(page.get_by_role("region", name=f"Map of {school}")).to_be_visible()
        expect(page.locator(f'[title*="also stops at {other} at "]')).to_have_count(1)
