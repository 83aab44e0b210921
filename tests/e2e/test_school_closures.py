"""The control room closes a school for tomorrow by keyboard, sees its run stand down, and
opens the school again."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.operations.runs import generate_runs
from hts.web import local_today
from tests import factories
from tests.e2e.accessibility import follow, submit, visit
from tests.e2e.conftest import screenshot
from tests.operations.test_closures import next_school_day


@pytest.fixture
def school_with_a_run(live_app: Flask) -> tuple[str, dt.date]:
    """A school with one morning route, its run made for the next school day."""
    day = next_school_day(local_today())
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            school = factories.make_school(session, name="Hollybank Special School")
            factories.make_route(session, school=school, pupils=[factories.make_pupil(session, school=school)])
            generate_runs(session, day)
            name = school.name
            session.commit()
        finally:
            session.close()
    return name, day


def test_the_control_room_closes_a_school_and_opens_it_again(page: Page, sign_in, school_with_a_run):
    name, day = school_with_a_run
    long_day = f"{day:%A} {day.day} {day:%B %Y}"
    sign_in("operations")
    visit(page, "/operations")
    follow(page, page.get_by_role("link", name="School closures"))
    expect(page.get_by_role("heading", level=1)).to_have_text("School closures")
    # Sent without a school or a reason: the error summary links to each field, nothing is saved.
    submit(page, page.get_by_role("button", name="Close the school").click)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose the school that is closed, or every school")
    follow_up = summary.get_by_role("link", name="Enter why the school is closed, for example heating failure")
    follow_up.click()
    expect(page.get_by_label("Reason")).to_be_focused()
    page.get_by_label("School", exact=True).select_option(label=name)
    page.get_by_label("First day closed").fill(day.isoformat())
    page.get_by_label("Unplanned closure").check()
    page.get_by_label("Reason").fill("heating failure")
    submit(page, lambda: page.get_by_label("Reason").press("Enter"))
    expect(page.get_by_text(f"{name} closed on {long_day} (closure: heating failure). "
                            f"Runs already made: 1 run stood down for {long_day}.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("heating failure")
    screenshot(page, "school-closures")

    follow(page, row.get_by_role("link", name=f"Runs of {name} on {long_day}"))
    expect(page.get_by_text("closure: heating failure").first).to_be_visible()
    visit(page, "/operations/closures")

    remove = page.get_by_role("button", name=f"Remove the closure of {name} on {long_day}")
    remove.focus()
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.get_by_text(f"{name} is open again on {long_day}. "
                            f"Runs already made: 1 run back on for {long_day}.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=name)).to_have_count(0)
