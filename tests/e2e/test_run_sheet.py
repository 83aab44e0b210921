"""A planner opens a route's run sheet from the route page and picks another day, by keyboard."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from tests import factories
from tests.e2e.accessibility import follow, submit, visit


@dataclass(frozen=True)
class Sheet:
    """The ids the test needs (the rows live in the server's database)."""

    route_id: int
    route_code: str


@pytest.fixture
def route(live_app: Flask) -> Sheet:
    """A morning route of one operator with a wheelchair user and a pupil who travels solo."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            operator = factories.make_operator(session, name="Kingsway Travel")
            school = factories.make_school(session, name="Brookside School")
            pupils = [factories.make_pupil(session, school=school, first_name="Ruby", last_name="Quill",
                                           wheelchair=True),
                      factories.make_pupil(session, school=school, first_name="Omar", last_name="Fenwick",
                                           solo=True, latitude=52.51)]
            made = factories.make_route(session, school=school, pupils=pupils, operator=operator)
            sheet = Sheet(made.id, made.route_code)
            session.commit()
        finally:
            session.close()
    return sheet


def test_a_planner_opens_the_run_sheet_and_chooses_another_day(page: Page, sign_in, route: Sheet):
    sign_in("planner")
    visit(page, f"/routes/{route.route_id}")
    follow(page, page.get_by_role("link", name=f"Run sheet for the crew of route {route.route_code}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run sheet {route.route_code}")
    page.get_by_label("Day", exact=True).fill("2026-11-25")
    submit(page, lambda: page.get_by_label("Day", exact=True).press("Enter"))
    expect(page.get_by_text("Wednesday 25 November 2026, morning (to school)")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Ruby")
    expect(table).to_contain_text("wheelchair user, in a wheelchair space")
    expect(table).to_contain_text("travels solo")
    expect(page.locator("body")).not_to_contain_text("Quill")
    pdf = page.get_by_role("link", name="Download the run sheet as a PDF to print")
    expect(pdf).to_have_attribute("href", f"/routes/{route.route_id}/run-sheet.pdf?date=2026-11-25")
