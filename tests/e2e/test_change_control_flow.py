"""Route change control end to end in a browser: a planner moves a pupil in the workbench, sees the
breach and fixes it, submits; a second person approves; a planner publishes; the new version and
its run sheet are there. Every page visited passes axe-core."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hts.auth.models import User
from hts.db import get_database
from tests import factories
from tests.e2e.accessibility import follow, submit, visit

ISSUED = dt.date(2025, 6, 1)


@dataclass(frozen=True)
class Network:
    """Ids and codes of the two routes (the rows live in the server's database)."""

    a_id: int
    a_code: str
    b_id: int
    b_code: str
    moved_first_name: str


@pytest.fixture
def network(live_app: Flask) -> Network:
    """Two morning car routes of one school: A with two pupils, B with three (one seat left)."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            school = factories.make_school(session, name="Change Control Primary")

            def home(km: float) -> dict[str, float]:
                return {"latitude": school.latitude + km / 111.2, "longitude": school.longitude}

            a_pupils = [factories.make_pupil(session, school=school, first_name=name, **home(3 - i))
                        for i, name in enumerate(("Amara", "Bilal"))]
            b_pupils = [factories.make_pupil(session, school=school, **home(2)) for _ in range(4)]
            operator = factories.make_operator(session, name="Change Cars Ltd")
            for kind in ("operator_licence", "public_liability_insurance", "employers_liability_insurance",
                         "contract"):
                factories.make_document(session, holder=operator, document_type=kind, issued_on=ISSUED)
            a = factories.make_route(session, school=school, pupils=a_pupils, route_code="CC-A",
                                     vehicle_type="car", operator=operator)
            b = factories.make_route(session, school=school, pupils=b_pupils, route_code="CC-B",
                                     vehicle_type="car", operator=operator)
            session.commit()
            # The pupil picked up first (stop 1) is the one the planner moves.
            first = a.stops[0].pupils[0].first_name
            return Network(a.id, a.route_code, b.id, b.route_code, first)
        finally:
            session.close()


def grant_approval(live_app: Flask, email: str) -> None:
    """An administrator's grant: the account may approve route changes."""
    with live_app.app_context():
        session = get_database(live_app).session_factory()  # type: ignore[misc]
        try:
            session.scalar(select(User).where(User.email == email)).route_approver = True
            session.commit()
        finally:
            session.close()


def sign_out(page: Page) -> None:
    submit(page, page.get_by_role("button", name="Sign out").click)


def test_a_change_is_drawn_up_checked_approved_by_a_second_person_and_published(
        page: Page, sign_in, make_account, live_app: Flask, network: Network) -> None:
    effective = dt.date.today() + dt.timedelta(days=21)
    while effective.weekday() >= 5:
        effective += dt.timedelta(days=1)

    sign_in("planner")
    visit(page, f"/routes/{network.a_id}")
    follow(page, page.get_by_role("link", name=f"Propose a change to route {network.a_code}"))
    page.get_by_label("What is changing").fill(f"Move {network.moved_first_name} to route {network.b_code}")
    page.get_by_label("Why").fill("The family moved nearer route B's pupils.")
    page.get_by_label("Who asked for it").fill("Parent, by phone")
    page.get_by_label("Takes effect on").fill(effective.isoformat())
    submit(page, page.get_by_role("button", name="Draw up the change").click)

    # The workbench: move the pupil on stop 1 to route B, which breaks B's capacity.
    expect(page.get_by_role("heading", name=f"Route {network.a_code}")).to_be_visible()
    page.get_by_label("To route").first.select_option(label=f"Route {network.b_code}")
    submit(page, page.get_by_role("button", name="Move pupil").first.click)
    expect(page.get_by_text(f"Pupil moved to route {network.b_code}")).to_be_visible()
    follow(page, page.get_by_role("link", name=f"Route {network.b_code}"))
    expect(page.get_by_text("the route needs 5 seats but car (vehicle type) has 4")).to_be_visible()

    # Submitting now is refused with the breach, on the change request's page.
    follow(page, page.get_by_role("link", name=re.compile(r"change request \d+", re.I)).first)
    submit(page, page.get_by_role("button", name="Submit for approval").click)
    expect(page.get_by_text(re.compile(f"{network.b_code}: the route needs 5 seats")).first).to_be_visible()

    # Fix it with a larger vehicle type, then submit.
    follow(page, page.get_by_role("link", name=f"Edit in the workbench route {network.b_code}"))
    page.get_by_label("Vehicle type").select_option("mpv")
    submit(page, page.get_by_role("button", name="Change vehicle type").click)
    expect(page.get_by_text("Keeps every rule").first).to_be_visible()
    follow(page, page.get_by_role("link", name=re.compile(r"change request \d+", re.I)).first)
    change_url = page.url
    submit(page, page.get_by_role("button", name="Submit for approval").click)
    expect(page.get_by_text(re.compile(r"submitted for approval"))).to_be_visible()
    expect(page.get_by_role("button", name="Approve this change")).to_have_count(0)
    sign_out(page)

    # A second person, a manager holding the approver grant, approves.
    approver = make_account("manager")
    grant_approval(live_app, approver.email)
    visit(page, "/login")
    page.get_by_label("Email address").fill(approver.email)
    page.get_by_label("Password").fill(approver.password)
    submit(page, page.get_by_role("button", name="Sign in").click)
    visit(page, change_url)
    submit(page, page.get_by_role("button", name="Approve this change").click)
    expect(page.get_by_text(re.compile(r"approved: a planner can publish it"))).to_be_visible()
    sign_out(page)

    # Another planner publishes; both routes get their next version from the effective date.
    sign_in("planner")
    visit(page, change_url)
    submit(page, page.get_by_role("button", name="Publish to the operator").click)
    expect(page.get_by_text(re.compile(r"published: it takes effect on"))).to_be_visible()
    expect(page.get_by_text("1 operator notice queued", exact=False)).to_be_visible()

    visit(page, f"/routes/{network.b_id}")
    versions = page.get_by_role("table", name="Published versions of the route, newest first")
    expect(versions.get_by_role("row")).to_have_count(3)  # header, version 2 (to come), version 1
    follow(page, page.get_by_role("link", name=f"2 of route {network.b_code}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Version 2")
    expect(page.get_by_role("cell", name=re.compile(network.moved_first_name))).to_be_visible()

    visit(page, f"/routes/{network.b_id}/run-sheet?date={effective.isoformat()}")
    expect(page.get_by_text(network.moved_first_name, exact=False).first).to_be_visible()
