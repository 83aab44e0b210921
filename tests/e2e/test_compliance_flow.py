"""A compliance officer suspends an operator; a planner is then refused when assigning its driver."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from hts.db import get_database
from hts.operators.models import StaffRole
from tests import factories
from tests.e2e.accessibility import follow, submit, visit

ISSUED = dt.date(2025, 6, 1)


@dataclass(frozen=True)
class Fleet:
    """Ids and references of what the test works with (the rows live in the server's database)."""

    operator_id: int
    operator_name: str
    operator_ref: str
    driver_ref: str
    registration: str
    route_id: int
    route_code: str


@pytest.fixture
def fleet(live_app: Flask) -> Fleet:
    """A fully compliant operator with a driver and a car, and an unassigned route with one pupil."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            operator = factories.make_operator(session, name="Northfield Cars Ltd")
            for kind in ("operator_licence", "public_liability_insurance", "employers_liability_insurance",
                         "contract"):
                factories.make_document(session, holder=operator, document_type=kind, issued_on=ISSUED)
            driver = factories.make_staff(session, operator=operator, role=StaffRole.DRIVER)
            for kind in ("dbs_enhanced", "driving_licence", "driver_badge", "safeguarding_training",
                         "council_id_badge"):
                factories.make_document(session, holder=driver, document_type=kind, issued_on=ISSUED)
            vehicle = factories.make_vehicle(session, operator=operator)
            for kind in ("vehicle_licence", "mot", "vehicle_insurance"):
                factories.make_document(session, holder=vehicle, document_type=kind, issued_on=ISSUED)
            route = factories.make_route(session, pupils=[factories.make_pupil(session)])
            fleet = Fleet(operator.id, operator.name, operator.operator_ref, driver.staff_ref, vehicle.registration, route.id,
                          route.route_code)
            session.commit()
        finally:
            session.close()
    return fleet


def test_an_officer_suspends_an_operator_and_a_planner_is_refused_its_driver(page: Page, sign_in, fleet: Fleet):
    officer = sign_in("compliance")
    visit(page, f"/compliance/operators/{fleet.operator_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Compliance of {fleet.operator_name}")
    follow(page, page.get_by_role("link", name=f"Suspend {fleet.operator_name}"))

    expect(page.get_by_label("Decided by")).to_have_value(officer.name)
    page.get_by_label("Reason").fill("Public liability insurance lapsed")
    submit(page, page.get_by_role("button", name=f"Suspend {fleet.operator_name}").click)

    expect(page.get_by_text(f"{fleet.operator_name} was suspended by {officer.name}")).to_be_visible()
    submit(page, page.get_by_role("button", name="Sign out").click)

    sign_in("planner")
    visit(page, f"/routes/{fleet.route_id}")
    follow(page, page.get_by_role("link", name=re.compile("Assign the operator, vehicle and crew")))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Assign route {fleet.route_code}")
    page.get_by_label("Operator").select_option(label=f"{fleet.operator_name} ({fleet.operator_ref})")
    page.get_by_label("Vehicle registration").fill(fleet.registration)
    page.get_by_label("Driver reference").fill(fleet.driver_ref)
    response = submit(page, page.get_by_role("button", name="Assign", exact=True).click)

    assert response is not None and response.status == 409
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The assignment was refused")
    expect(summary).to_contain_text(f"driver {fleet.driver_ref} on ")
    expect(summary).to_contain_text(f"the operator was suspended by {officer.name}")
    expect(summary).to_contain_text("Public liability insurance lapsed")
    expect(page.get_by_text("driver none")).to_be_visible()  # nothing was assigned
