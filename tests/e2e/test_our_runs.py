"""An operator's office reports a run by keyboard: from the menu to the day's list, the run, a
report refused with its reasons, and the outcome recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.operations.runs import generate_runs
from hts.web import local_today
from tests import factories
from tests.e2e.accessibility import follow, submit
from tests.e2e.conftest import screenshot


@pytest.fixture
def todays_run(live_app: Flask) -> tuple[str, str]:
    """An operator with one morning route whose run is made for today: (operator ref, route code)."""
    today = local_today()
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            operator = factories.make_operator(session, name="Kestrel Cars")
            school = factories.make_school(session, name="Rowan Special School", start_time=dt.time(9, 0))
            pupils = [factories.make_pupil(session, school=school) for _ in range(2)]
            route = factories.make_route(session, school=school, pupils=pupils, operator=operator)
            generate_runs(session, today)
            refs = operator.operator_ref, route.route_code
            session.commit()
        finally:
            session.close()
    return refs


def test_an_operator_reports_todays_run_completed(page: Page, sign_in, todays_run) -> None:
    operator_ref, code = todays_run
    sign_in("operator", operator_ref=operator_ref)
    follow(page, page.get_by_role("link", name="Runs", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Our runs on")
    row = page.get_by_role("row").filter(has_text=code)
    expect(row).to_contain_text("Scheduled")
    follow(page, row.get_by_role("link", name=f"{code} morning run"))
    expect(page.get_by_role("heading", name=f"Route {code}")).to_be_visible()

    # Completed without an arrival time: the summary links to the field, nothing is saved.
    page.get_by_label("Completed").check()
    submit(page, page.get_by_role("button", name="Report the outcome").click)
    summary = page.get_by_role("alert")
    summary.get_by_role("link", name="Enter the time the run reached school, like 08:45").click()
    expect(page.get_by_label("Arrival time at school")).to_be_focused()

    page.get_by_label("Arrival time at school").fill("08:50")
    submit(page, lambda: page.get_by_label("Reason").press("Enter"))
    today = local_today()
    expect(page.get_by_text(f"Reported for route {code}, morning of {today:%A} {today.day} {today:%B %Y}: "
                            "completed.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=code)
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("2 of 2")
    screenshot(page, "our-runs")
