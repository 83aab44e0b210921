"""Operator users see their own operator only; other roles see no more children's data than allowed."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.web.conftest import World


def test_another_operators_records_by_id_are_not_found(client: FlaskClient, login: Any, world: World) -> None:
    login("operator", operator=world.ours.operator)
    theirs = world.theirs
    for url in (
        f"/routes/{theirs.route.id}",
        f"/staff/{theirs.driver.id}",
        f"/staff/{theirs.pa.id}",
        f"/vehicles/{theirs.vehicle.id}",
        f"/documents/{theirs.document.id}",
        f"/operators/{theirs.operator.id}",
    ):
        assert client.get(url).status_code == 404, url


def test_an_operators_own_records_open(client: FlaskClient, login: Any, world: World) -> None:
    login("operator", operator=world.ours.operator)
    ours = world.ours
    for url in (f"/routes/{ours.route.id}", f"/staff/{ours.driver.id}", f"/vehicles/{ours.vehicle.id}",
                f"/documents/{ours.document.id}", f"/operators/{ours.operator.id}"):
        assert client.get(url).status_code == 200, url


def test_an_operators_lists_show_only_its_own_records(client: FlaskClient, login: Any, world: World) -> None:
    login("operator", operator=world.ours.operator)
    ours, theirs = world.ours, world.theirs
    routes = client.get("/routes").get_data(as_text=True)
    assert ours.route.route_code in routes and theirs.route.route_code not in routes
    assert theirs.operator.name not in routes  # not even in the operator filter
    staff = client.get("/staff").get_data(as_text=True)
    assert ours.driver.staff_ref in staff and theirs.driver.staff_ref not in staff
    vehicles = client.get("/vehicles").get_data(as_text=True)
    assert ours.vehicle.registration in vehicles and theirs.vehicle.registration not in vehicles
    documents = client.get("/documents").get_data(as_text=True)
    assert "ROUTE-OURS-PLI" in documents and "ROUTE-OURS-MOT" in documents
    assert ours.document.reference in documents
    assert "ROUTE-THEIRS" not in documents
    assert client.get(f"/routes?operator={theirs.operator.id}").get_data(as_text=True).count(
        theirs.route.route_code) == 0


def test_an_operator_does_not_see_pupil_names_or_home_locations(
    client: FlaskClient, login: Any, world: World
) -> None:
    login("operator", operator=world.ours.operator)
    html = client.get(f"/routes/{world.ours.route.id}").get_data(as_text=True)
    assert world.pupil.last_name not in html
    assert "data-hts-map" not in html


def test_a_manager_sees_a_route_without_pupil_names(client: FlaskClient, login: Any, world: World) -> None:
    login("manager")
    html = client.get(f"/routes/{world.ours.route.id}").get_data(as_text=True)
    assert world.ours.route.route_code in html
    assert world.pupil.first_name not in html and world.pupil.last_name not in html
    assert "not shown to your role" in html
    assert "data-hts-map" not in html  # pickup points are home addresses


def test_a_planner_sees_pupil_names_and_the_map_on_a_route(client: FlaskClient, login: Any, world: World) -> None:
    login("planner")
    html = client.get(f"/routes/{world.ours.route.id}").get_data(as_text=True)
    assert world.pupil.full_name in html
    assert "data-hts-map" in html


def test_compliance_sees_staff_documents_but_planners_do_not(client: FlaskClient, login: Any, world: World) -> None:
    login("compliance")
    assert world.ours.document.reference in client.get(f"/staff/{world.ours.driver.id}").get_data(as_text=True)
    client.post("/logout")
    login("planner")
    assert world.ours.document.reference not in client.get(f"/staff/{world.ours.driver.id}").get_data(as_text=True)


def test_operator_users_do_not_see_change_history(client: FlaskClient, login: Any, world: World) -> None:
    login("operator", operator=world.ours.operator)
    assert "Change history" not in client.get(f"/vehicles/{world.ours.vehicle.id}").get_data(as_text=True)
