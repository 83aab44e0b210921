"""Lists: search, filters, pagination and the home page counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hts.routing.models import Session as RouteSession
from tests import factories
from tests.web.conftest import World


def test_pupil_search_finds_by_name_and_by_reference(client: FlaskClient, login: Any, world: World,
                                                      db_session: Session) -> None:
    other = factories.make_pupil(db_session, school=world.school, first_name="Zed", last_name="Other")
    login("planner")
    by_name = client.get("/pupils?q=ruby quill").get_data(as_text=True)
    assert world.pupil.pupil_ref in by_name and other.pupil_ref not in by_name
    by_ref = client.get(f"/pupils?q={other.pupil_ref.lower()}").get_data(as_text=True)
    assert other.pupil_ref in by_ref and world.pupil.pupil_ref not in by_ref


def test_search_treats_like_wildcards_literally(client: FlaskClient, login: Any, world: World) -> None:
    login("planner")
    assert "No pupils found" in client.get("/pupils?q=%25").get_data(as_text=True)


def test_pupils_filter_by_need_and_school(client: FlaskClient, login: Any, world: World,
                                          db_session: Session) -> None:
    walker = factories.make_pupil(db_session, school=world.school, last_name="Walker")
    elsewhere = factories.make_pupil(db_session, wheelchair=True, last_name="Elsewhere")
    login("operations")
    wheelchair = client.get("/pupils?need=wheelchair").get_data(as_text=True)
    assert world.pupil.pupil_ref in wheelchair and elsewhere.pupil_ref in wheelchair
    assert walker.pupil_ref not in wheelchair
    at_school = client.get(f"/pupils?need=wheelchair&school={world.school.id}").get_data(as_text=True)
    assert world.pupil.pupil_ref in at_school and elsewhere.pupil_ref not in at_school


def test_pupil_page_shows_addresses_routes_needs_and_history(client: FlaskClient, login: Any,
                                                             world: World) -> None:
    login("planner")
    html = client.get(f"/pupils/{world.pupil.id}").get_data(as_text=True)
    assert "7 Elm Row" in html and "Shared care" in html and "Thu Fri" in html
    assert "data-hts-map" in html and "B5 5EE" in html
    assert "ROUTE-OURS" in html and "ROUTE-THEIRS" in html
    assert "Wheelchair" in html and "45 minutes" in html
    assert "Change history" in html and "Create pupil" in html


def test_lists_are_paginated_keeping_the_search(app: Flask, client: FlaskClient, login: Any,
                                                db_session: Session) -> None:
    operator = factories.make_operator(db_session, name="Pager Cars")
    for n in range(7):
        factories.make_vehicle(db_session, operator=operator, registration=f"PG{n:02d} AAA")
    login("compliance")
    app.config["PAGE_SIZE"] = 3
    try:
        first = client.get("/vehicles?q=pg").get_data(as_text=True)
        third = client.get("/vehicles?q=pg&page=3").get_data(as_text=True)
        beyond = client.get("/vehicles?q=pg&page=99").get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = 50
    assert "Showing 1 to 3 of 7 vehicles" in first
    assert "PG00 AAA" in first and "PG03 AAA" not in first
    assert "page=2" in first and "q=pg" in first and "govuk-pagination" in first
    assert "PG06 AAA" in third and "PG00 AAA" not in third
    assert "PG06 AAA" in beyond  # a page past the end shows the last page


def test_vehicle_search_ignores_the_space_in_a_registration(client: FlaskClient, login: Any,
                                                            world: World) -> None:
    login("compliance")
    registration = world.ours.vehicle.registration
    html = client.get(f"/vehicles?q={registration.replace(' ', '').lower()}").get_data(as_text=True)
    assert registration in html


def test_documents_filter_by_expiry(client: FlaskClient, login: Any, world: World, db_session: Session) -> None:
    today = dt.date.today()
    soon = factories.make_document(db_session, holder=world.ours.vehicle, document_type="vehicle_insurance",
                                   reference="SOON-1", expires_on=today + dt.timedelta(days=10))
    gone = factories.make_document(db_session, holder=world.ours.driver, document_type="driver_badge",
                                   reference="GONE-1", issued_on=dt.date(2020, 1, 1),
                                   expires_on=today - dt.timedelta(days=3))
    login("compliance")
    expiring = client.get("/documents?expiry=soon").get_data(as_text=True)
    assert soon.reference in expiring and gone.reference not in expiring and "ROUTE-OURS-MOT" not in expiring
    assert "Expires soon" in expiring
    expired = client.get("/documents?expiry=expired").get_data(as_text=True)
    assert gone.reference in expired and soon.reference not in expired and "Expired" in expired
    by_type = client.get("/documents?type=mot").get_data(as_text=True)
    assert "ROUTE-OURS-MOT" in by_type and soon.reference not in by_type


def test_routes_filter_by_session_school_and_operator(client: FlaskClient, login: Any, world: World,
                                                      db_session: Session) -> None:
    afternoon = factories.make_route(db_session, route_code="PM-ROUTE")
    afternoon.session = RouteSession.PM
    db_session.flush()
    login("planner")
    assert "PM-ROUTE" in client.get("/routes?session=pm").get_data(as_text=True)
    assert "ROUTE-OURS" not in client.get("/routes?session=pm").get_data(as_text=True)
    by_school = client.get(f"/routes?school={afternoon.school_id}").get_data(as_text=True)
    assert "PM-ROUTE" in by_school and "ROUTE-OURS" not in by_school
    by_operator = client.get(f"/routes?operator={world.ours.operator.id}").get_data(as_text=True)
    assert "ROUTE-OURS" in by_operator and "ROUTE-THEIRS" not in by_operator
    assert "ROUTE-THEIRS" in client.get("/routes?q=theirville").get_data(as_text=True)


def test_route_list_shows_load_price_and_times(client: FlaskClient, login: Any, world: World) -> None:
    login("planner")
    html = client.get("/routes?q=ROUTE-OURS").get_data(as_text=True)
    assert "£100.00" in html and "08:00" in html and "08:50" in html
    assert world.ours.driver.full_name in html and world.ours.pa.full_name in html


def test_schools_list_counts_pupils_and_routes(client: FlaskClient, login: Any, world: World) -> None:
    login("manager")
    html = client.get("/schools?q=oakfield").get_data(as_text=True)
    assert "Oakfield Academy" in html
    row = html[html.index("Oakfield Academy"):]
    # one pupil, two routes
    assert ">1<" in row.replace(" ", "").replace("\n", "")[:400]
    assert ">2<" in row.replace(" ", "").replace("\n", "")[:400]


def test_operators_list_counts_staff_vehicles_routes_and_documents(client: FlaskClient, login: Any,
                                                                   world: World) -> None:
    login("compliance")
    html = client.get("/operators?q=Ourtown").get_data(as_text=True)
    cells = html[html.index("Ourtown Cars"):].replace(" ", "").replace("\n", "")
    # staff 2, vehicles 1, routes 1, documents 3 (the operator's, the driver's and the vehicle's)
    assert '--numeric">2</td>' in cells and '--numeric">3</td>' in cells


def test_home_page_counts_what_the_user_may_open(client: FlaskClient, login: Any, world: World) -> None:
    login("operator", operator=world.ours.operator)
    html = client.get("/").get_data(as_text=True)
    flat = " ".join(html.split())
    assert '<span class="hts-card__count">1</span> <span class="hts-card__label">Routes</span>' in flat
    assert '<span class="hts-card__count">2</span> <span class="hts-card__label">Staff</span>' in flat
    assert '<span class="hts-card__count">3</span> <span class="hts-card__label">Documents</span>' in flat
    assert "Pupils" not in flat and "Schools" not in flat


def test_withdrawn_routes_leave_the_list_unless_asked_for(client: FlaskClient, login: Any, world: World,
                                                          db_session: Session) -> None:
    world.theirs.route.withdrawn_on = dt.date(2026, 9, 1)
    db_session.flush()
    login("planner")
    current = client.get("/routes").get_data(as_text=True)
    assert "ROUTE-OURS" in current and "ROUTE-THEIRS" not in current
    withdrawn = client.get("/routes?withdrawn=1").get_data(as_text=True)
    assert "ROUTE-THEIRS" in withdrawn and "ROUTE-OURS" not in withdrawn
    page = client.get(f"/routes/{world.theirs.route.id}").get_data(as_text=True)
    assert "Withdrawn on 1 Sep 2026" in page


def test_maps_get_a_tile_layer_only_when_one_is_configured(app: Flask, client: FlaskClient, login: Any,
                                                          world: World) -> None:
    login("planner")
    assert "data-tiles" not in client.get(f"/pupils/{world.pupil.id}").get_data(as_text=True)
    app.config["MAP_TILE_URL"] = "https://tiles.council.example/{z}/{x}/{y}.png"
    try:
        response = client.get(f"/pupils/{world.pupil.id}")
    finally:
        app.config["MAP_TILE_URL"] = ""
    assert 'data-tiles="https://tiles.council.example/{z}/{x}/{y}.png"' in response.get_data(as_text=True)
    assert "https://tiles.council.example" in response.headers["Content-Security-Policy"]
