"""A manager reads the day's SITREP and drills down from a figure to the runs behind it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.operations.models import Run, RunStatus
from tests import factories
from tests.e2e.accessibility import follow, visit

DAY = dt.date(2026, 11, 18)  # a Wednesday in term


@pytest.fixture
def day_of_runs(live_app: Flask) -> dict[str, str]:
    """Four runs on DAY: two delivered on time, one late, one cancelled."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            school = factories.make_school(session, name="Kingfisher Special School")
            codes = {}
            for label, status, on_time in (("ok1", RunStatus.COMPLETED, True), ("ok2", RunStatus.COMPLETED, True),
                                           ("late", RunStatus.COMPLETED, False),
                                           ("cancelled", RunStatus.CANCELLED, None)):
                route = factories.make_route(session, school=school, pupils=[factories.make_pupil(session, school=school)])
                session.add(Run(route=route, run_on=DAY, session="am", route_version=1, school_id=school.id,
                                due_at_school=dt.time(9, 0), status=status, on_time=on_time,
                                reason="vehicle breakdown" if status == RunStatus.CANCELLED else None,
                                arrived_at_school=dt.time(9, 4) if on_time is False else dt.time(8, 50),
                                pupils_expected=1, pupils_transported=1 if status == RunStatus.COMPLETED else 0))
                codes[label] = route.route_code
            session.commit()
        finally:
            session.close()
    return codes


def test_a_manager_drills_down_from_routes_delivered_to_the_cancelled_run(page: Page, sign_in, day_of_runs):
    sign_in("manager")
    visit(page, f"/sitrep?date={DAY.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wednesday 18 November 2026")
    # The day's figure comes first; the week (this one day so far) repeats it below.
    expect(page.get_by_text("75.00%").first).to_be_visible()
    expect(page.get_by_text("3 of 4 routes").first).to_be_visible()

    follow(page, page.get_by_role("link", name=re.compile(r"^1 not delivered")).first)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text(day_of_runs["cancelled"])).to_be_visible()
    for code in (day_of_runs["ok1"], day_of_runs["ok2"], day_of_runs["late"]):
        expect(page.get_by_text(code, exact=True)).to_have_count(0)
    expect(page.get_by_text("vehicle breakdown")).to_be_visible()
