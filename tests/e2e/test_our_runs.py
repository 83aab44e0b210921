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
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle
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


@pytest.fixture
def run_without_driver(live_app: Flask) -> tuple[str, str, str]:
    """Today's run of an operator's route with no driver, and a compliant driver of that operator:
    (operator ref, route code, driver ref)."""
    today = local_today()
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            operator = compliant_operator(session)
            school = factories.make_school(session, name="Birch Special School", start_time=dt.time(9, 0))
            route = factories.make_route(session, school=school, operator=operator,
                                         vehicle=compliant_vehicle(session, operator),
                                         pupils=[factories.make_pupil(session, school=school)])
            generate_runs(session, today)
            driver = compliant_staff(session, operator)
            refs = operator.operator_ref, route.route_code, driver.staff_ref
            session.commit()
        finally:
            session.close()
    return refs


def test_an_operator_puts_a_driver_on_a_run_that_had_none(page: Page, sign_in, run_without_driver) -> None:
    operator_ref, code, driver_ref = run_without_driver
    sign_in("operator", operator_ref=operator_ref)
    follow(page, page.get_by_role("link", name="Runs", exact=True))
    expect(page.get_by_text("1 run not yet started has no driver")).to_be_visible()
    follow(page, page.get_by_role("row").filter(has_text=code).get_by_role("link", name=f"{code} morning run"))
    expect(page.get_by_text("This run has no driver: it must not go")).to_be_visible()
    follow(page, page.get_by_role("link", name=f"Assign a compliant driver, vehicle or passenger assistant of yours "
                                                f"to route {code}"))
    page.get_by_label("Driver reference").fill(driver_ref)
    submit(page, lambda: page.get_by_label("Driver reference").press("Enter"))
    expect(page.get_by_text(f"Route {code} assigned")).to_be_visible()
    follow(page, page.get_by_role("link", name="Runs", exact=True))
    expect(page.get_by_text("not yet started has no driver")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=code)).not_to_contain_text("Crew missing")
