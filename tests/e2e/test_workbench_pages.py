"""The route workbench in a browser: the map and table, a move that breaks capacity and its fix,
and the best-route options for a new pupil; every page passes axe-core."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.routing import changes, versions
from hts.routing.models import ChangeAction
from tests import factories
from tests.e2e.accessibility import follow, submit, visit

_serial = itertools.count(1)


@dataclass(frozen=True)
class Bench:
    """Ids and codes of what the test works with (the rows live in the server's database)."""

    school_id: int
    a_code: str
    b_code: str
    change_id: int
    item_id: int
    loose_ref: str


@pytest.fixture
def bench(live_app: Flask) -> Bench:
    """Two morning car routes of a school (A with two pupils, B full), a pupil on neither, and a
    draft change request holding route A."""
    n = next(_serial)
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            school = factories.make_school(session, name=f"Workbench Academy {n}")

            def home(km: float, east: float = 0.0) -> dict[str, float]:
                return {"latitude": school.latitude + km / 111.2, "longitude": school.longitude + east / 67.7}

            a_pupils = [factories.make_pupil(session, school=school, **home(3 - i)) for i in range(2)]
            b_pupils = [factories.make_pupil(session, school=school, **home(2, 1)) for _ in range(4)]
            loose = factories.make_pupil(session, school=school, **home(2.5))
            a = factories.make_route(session, school=school, pupils=a_pupils, route_code=f"WB{n}-A", vehicle_type="car")
            factories.make_route(session, school=school, pupils=b_pupils, route_code=f"WB{n}-B", vehicle_type="car")
            planner = factories.make_user(session, role="planner")
            today = dt.date.today()
            change = changes.start(session, planner, title=f"Rework WB{n}", reason="", requested_by="school",
                                   effective_date=today + dt.timedelta(days=14), today=today)
            item = changes.stage(session, change, planner, route=a, proposed=versions.latest_snapshot(session, a)[1],
                                 action=ChangeAction.MODIFY)
            session.commit()
            return Bench(school.id, f"WB{n}-A", f"WB{n}-B", change.id, item.id, loose.pupil_ref)
        finally:
            session.close()


def test_a_planner_moves_a_pupil_sees_the_breach_and_fixes_it(page: Page, sign_in, bench: Bench) -> None:
    sign_in("planner")
    visit(page, f"/workbench?school={bench.school_id}&session=am")
    table = page.get_by_role("table", name="Routes, with the times and loads the rules re-check")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("region", name="Map of Workbench Academy")).to_be_visible()

    visit(page, f"/workbench/changes/{bench.change_id}/items/{bench.item_id}")
    expect(page.get_by_role("heading", name=f"Route {bench.a_code}")).to_be_visible()
    page.get_by_label("To route").select_option(label=f"Route {bench.b_code}")
    page.get_by_label("At stop number (optional)").fill("1")
    submit(page, page.get_by_role("button", name="Move pupil").click)
    expect(page.get_by_text(f"Pupil moved to route {bench.b_code}")).to_be_visible()

    follow(page, page.get_by_role("link", name=f"Route {bench.b_code}"))
    expect(page.get_by_text("the route needs 5 seats but car (vehicle type) has 4")).to_be_visible()
    page.get_by_label("Vehicle type").select_option("mpv")
    submit(page, page.get_by_role("button", name="Change vehicle type").click)
    expect(page.get_by_text("Keeps every rule").first).to_be_visible()


def test_a_planner_sees_where_a_new_pupil_could_join(page: Page, sign_in, bench: Bench) -> None:
    sign_in("planner")
    visit(page, f"/workbench/add-pupil?pupil={bench.loose_ref}&session=am")
    expect(page.get_by_role("group", name=f"Routes that can take {bench.loose_ref}")).to_be_visible()
    expect(page.get_by_label(f"Cheapest: route {bench.a_code}", exact=False)).to_be_checked()


def test_a_planner_splits_a_route_and_opens_the_new_one(page: Page, sign_in, bench: Bench) -> None:
    sign_in("planner")
    visit(page, f"/workbench/changes/{bench.change_id}/items/{bench.item_id}")
    page.get_by_label("New route code").fill(f"{bench.a_code}-S")
    submit(page, page.get_by_role("button", name="Split route").click)
    expect(page.get_by_text(f"make the new route {bench.a_code}-S")).to_be_visible()
    follow(page, page.get_by_role("link", name=f"New route {bench.a_code}-S"))
    expect(page.get_by_role("heading", name=f"New route {bench.a_code}-S")).to_be_visible()
    expect(page.get_by_role("button", name=f"Drop new route {bench.a_code}-S")).to_be_visible()
