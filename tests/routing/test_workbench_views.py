"""The route workbench on the web: the map and table, hand edits saved to a draft change, and
adding a pupil to the best route."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from hts.routing import changes, versions
from hts.routing.models import ChangeAction, ChangeRequest, Route, RouteChange
from hts.routing.models import Session as RouteSession
from hts.web import local_today
from tests import factories


@dataclass
class Network:
    """A school with two morning car routes: A (two pupils) and B (four, full), and a pupil on none."""

    school: object
    a: Route
    b: Route
    a_pupils: list
    b_pupils: list
    loose: object


def _north(school, km: float, east: float = 0.0) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {"latitude": school.latitude + km / 111.2, "longitude": school.longitude + east / 67.7}


@pytest.fixture
def network(db_session) -> Network:  # type: ignore[no-untyped-def]
    school = factories.make_school(db_session, name="Oakfield Academy")
    a_pupils = [factories.make_pupil(db_session, school=school, first_name=f"Ann{i}", **_north(school, 3 - i))
                for i in range(2)]
    b_pupils = [factories.make_pupil(db_session, school=school, first_name=f"Ben{i}", **_north(school, 2, east=1))
                for i in range(4)]
    loose = factories.make_pupil(db_session, school=school, first_name="Lou", **_north(school, 2.5))
    a = factories.make_route(db_session, school=school, pupils=a_pupils, route_code="WB-A", vehicle_type="car")
    b = factories.make_route(db_session, school=school, pupils=b_pupils, route_code="WB-B", vehicle_type="car")
    return Network(school, a, b, a_pupils, b_pupils, loose)


def _draft(db_session, user, route: Route) -> tuple[ChangeRequest, RouteChange]:  # type: ignore[no-untyped-def]
    change = changes.start(db_session, user, title=f"Change {route.route_code}", reason="", requested_by="school",
                           effective_date=local_today() + dt.timedelta(days=14), today=local_today())
    item = changes.stage(db_session, change, user, route=route, proposed=versions.latest_snapshot(db_session, route)[1],
                         action=ChangeAction.MODIFY)
    db_session.flush()
    return change, item


def _url(change: ChangeRequest, item: RouteChange) -> str:
    return f"/workbench/changes/{change.id}/items/{item.id}"


def _homes(snapshot) -> list[list[int]]:  # type: ignore[no-untyped-def]
    return [s["pupil_ids"] for s in snapshot["stops"] if s["kind"] != "school"]


# --- the map and the table ---------------------------------------------------------------------

def test_a_planner_sees_the_schools_routes_with_load_times_checks_and_the_map(client, login, network):
    login("planner")
    html = client.get(f"/workbench?school={network.school.id}&session=am").get_data(as_text=True)
    assert "Oakfield Academy: morning routes" in html
    assert "WB-A" in html and "WB-B" in html
    assert "2 of 4 seats" in html and "4 of 4 seats" in html
    assert "Keeps every rule" in html
    assert "Lock<span class=\"govuk-visually-hidden\"> route WB-A" in html
    assert f"/changes/new?route={network.a.id}" in html
    plan = json.loads(re.search(r'data-plan="([^"]*)"', html).group(1).replace("&#34;", '"').replace("&amp;", "&"))
    assert [r["code"] for r in plan["routes"]] == ["WB-A", "WB-B"]
    assert [r["key"] for r in plan["routes"]] == ["A", "B"]
    assert [s["number"] for s in plan["routes"][0]["stops"]] == [1, 2]
    # The line runs through both homes to the school; one school, so no other school is marked.
    first = plan["routes"][0]
    assert first["path"] == [[s["lat"], s["lng"]] for s in first["stops"]] + \
        [[network.school.latitude, network.school.longitude]]
    assert first["schools"] == []
    assert plan["routes"][0]["stops"][0]["label"].startswith("Route WB-A, stop 1 at ")
    assert plan["homes"][0]["label"] == f"Home of pupil {network.loose.pupil_ref}, not on a route"
    assert f"Find the best route<span class=\"govuk-visually-hidden\"> for {network.loose.pupil_ref}" in html


def test_a_manager_sees_the_table_but_no_homes_and_no_buttons(client, login, network):
    login("manager")
    html = client.get(f"/workbench?school={network.school.id}").get_data(as_text=True)
    assert "WB-A" in html and "2 of 4 seats" in html
    assert "data-plan" not in html and "children&#39;s personal data" in html
    assert network.loose.pupil_ref not in html
    assert "Lock<span" not in html and "Propose a change" not in html


def test_the_workbench_without_a_school_offers_the_schools_with_routes(client, login, network):
    login("planner")
    html = client.get("/workbench").get_data(as_text=True)
    assert f'<option value="{network.school.id}">Oakfield Academy</option>' in html
    assert client.get("/workbench?school=999999").status_code == 404


def test_operators_and_operations_cannot_open_the_workbench(client, login, network):
    login("operations")
    assert client.get("/workbench").status_code == 403
    assert client.post(f"/workbench/routes/{network.a.id}/lock", data={"locked": "1"}).status_code == 403


def test_a_planner_locks_and_unlocks_a_route(client, login, network, db_session):
    login("planner")
    response = client.post(f"/workbench/routes/{network.a.id}/lock", data={"locked": "1"})
    assert response.status_code == 302
    db_session.refresh(network.a)
    assert network.a.locked is True
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Route WB-A locked" in html and "Unlock<span" in html
    client.post(f"/workbench/routes/{network.a.id}/lock", data={"locked": "0"})
    db_session.refresh(network.a)
    assert network.a.locked is False


# --- editing a draft -----------------------------------------------------------------------------

def test_the_edit_page_shows_the_route_re_timed_its_checks_and_the_edits(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    html = client.get(_url(change, item)).get_data(as_text=True)
    assert "Route WB-A" in html and f"Change request {change.id}</a>" in html
    assert "Keeps every rule" in html
    assert network.a_pupils[0].pupil_ref in html and "Ann0" in html
    assert "Move pupil" in html and "Split route" in html and "Merge routes" in html and "Change vehicle type" in html
    assert f'name="lock_version" value="{change.lock_version}"' in html


def test_moving_a_pupil_into_a_full_car_is_saved_to_the_draft_and_shows_the_capacity_breach(
        client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    pupil = network.a_pupils[0]
    response = client.post(_url(change, item), data={
        "op": "move", "lock_version": change.lock_version, "pupil": pupil.id, "target": f"route-{network.b.id}",
        "position": "1"})
    assert response.status_code == 302
    db_session.expire_all()
    items = {i.route_code: i for i in db_session.get(ChangeRequest, change.id).items}
    assert set(items) == {"WB-A", "WB-B"}
    assert pupil.id not in versions.snapshot_pupil_ids(items["WB-A"].proposed)
    assert _homes(items["WB-B"].proposed)[0] == [pupil.id]
    html = client.get(_url(change, items["WB-B"])).get_data(as_text=True)
    assert "This route breaks 1 rule" in html
    assert "the route needs 5 seats but car (vehicle type) has 4" in html
    # Fixed by a bigger vehicle type: the breach goes.
    change = db_session.get(ChangeRequest, change.id)
    client.post(_url(change, items["WB-B"]), data={"op": "vehicle_type", "lock_version": change.lock_version,
                                                   "vehicle_type": "mpv"})
    db_session.expire_all()
    fixed = db_session.get(RouteChange, items["WB-B"].id)
    assert (fixed.proposed["vehicle_type"], fixed.proposed["daily_price_pence"]) == ("mpv", 12000)
    assert "Keeps every rule" in client.get(_url(change, fixed)).get_data(as_text=True)


def test_a_second_planners_stale_save_is_refused_with_a_clear_message(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    stale = change.lock_version
    first = client.post(_url(change, item), data={"op": "down", "stop": "1", "lock_version": stale})
    assert first.status_code == 302
    second = client.post(_url(change, item), data={"op": "down", "stop": "1", "lock_version": stale})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "That edit was not made" in html and "was saved by someone else after you opened it" in html
    db_session.expire_all()
    # The first edit stands; the second did not overwrite it.
    saved = db_session.get(RouteChange, item.id).proposed
    assert _homes(saved) == [[network.a_pupils[1].id], [network.a_pupils[0].id]]


def test_reordering_re_times_the_route(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    before = [s["time"] for s in item.proposed["stops"]]
    client.post(_url(change, item), data={"op": "up", "stop": "2", "lock_version": change.lock_version})
    db_session.expire_all()
    after = db_session.get(RouteChange, item.id).proposed
    assert _homes(after) == [[network.a_pupils[1].id], [network.a_pupils[0].id]]
    assert [s["time"] for s in after["stops"]] != before
    assert after["stops"][-1]["time"] == "08:50"


def test_splitting_stages_a_new_route_and_merging_withdraws_the_other(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    response = client.post(_url(change, item), data={"op": "split", "stop": "2", "new_code": "WB-A-2",
                                                      "lock_version": change.lock_version})
    assert response.status_code == 302
    db_session.expire_all()
    change = db_session.get(ChangeRequest, change.id)
    created = next(i for i in change.items if i.route_code == "WB-A-2")
    assert created.action == ChangeAction.CREATE and created.route_id is None
    assert created.proposed["vehicle_id"] is None and _homes(created.proposed) == [[network.a_pupils[1].id]]
    # Merging the new route back in drops it from the change again.
    client.post(_url(change, item), data={"op": "merge", "target": f"item-{created.id}",
                                          "lock_version": change.lock_version})
    db_session.expire_all()
    change = db_session.get(ChangeRequest, change.id)
    assert [i.route_code for i in change.items] == ["WB-A"]
    # Merging a published route withdraws it in this change.
    client.post(_url(change, item), data={"op": "merge", "target": f"route-{network.b.id}",
                                          "lock_version": change.lock_version})
    db_session.expire_all()
    change = db_session.get(ChangeRequest, change.id)
    b_item = next(i for i in change.items if i.route_code == "WB-B")
    assert b_item.action == ChangeAction.WITHDRAW
    assert len(versions.snapshot_pupil_ids(change.items[0].proposed)) == 6


def test_an_edit_that_cannot_be_made_says_why_and_saves_nothing(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    response = client.post(_url(change, item), data={"op": "split", "stop": "2", "new_code": "",
                                                      "lock_version": change.lock_version})
    assert response.status_code == 400
    assert "The new route needs a route code" in response.get_data(as_text=True)
    response = client.post(_url(change, item), data={"op": "up", "stop": "1", "lock_version": change.lock_version})
    assert "The first stop cannot move up" in response.get_data(as_text=True)
    db_session.expire_all()
    assert len(db_session.get(ChangeRequest, change.id).items) == 1


def test_a_route_held_by_another_request_cannot_be_moved_into(client, login, network, db_session):
    user = login("planner")
    _draft(db_session, user, network.b)
    change, item = _draft(db_session, user, network.a)
    response = client.post(_url(change, item), data={
        "op": "move", "lock_version": change.lock_version, "pupil": network.a_pupils[0].id,
        "target": f"route-{network.b.id}"})
    assert response.status_code == 400
    assert "Route WB-B is already in change request" in response.get_data(as_text=True)


def test_a_manager_reads_the_edit_page_without_forms_or_pupils(client, login, network, db_session):
    planner = factories.make_user(db_session, role="planner")
    change, item = _draft(db_session, planner, network.a)
    login("manager")
    html = client.get(_url(change, item)).get_data(as_text=True)
    assert "Route WB-A" in html and "Keeps every rule" in html
    assert "Move pupil" not in html and network.a_pupils[0].pupil_ref not in html
    assert client.post(_url(change, item), data={"op": "up", "stop": "2", "lock_version": 1}).status_code == 403


# --- adding a pupil to the best route ---------------------------------------------------------------

def test_the_options_for_a_new_pupil_come_cheapest_first_with_the_full_car_at_a_price(client, login, network):
    login("planner")
    html = client.get(f"/workbench/add-pupil?pupil={network.loose.pupil_ref}&session=am").get_data(as_text=True)
    assert "Routes that can take " + network.loose.pupil_ref in html
    first, second = html.index("Cheapest: route WB-A"), html.index("route WB-B")
    assert first < second
    assert "vehicle type changes to mpv (+£25.00 a day)" in html
    assert "On no morning route" in html


def test_choosing_an_option_draws_up_a_draft_with_the_route(client, login, network, db_session):
    login("planner")
    response = client.post("/workbench/add-pupil", data={
        "pupil": network.loose.pupil_ref, "session": "am", "route_id": network.a.id,
        "title": "Add Lou to WB-A", "reason": "New starter", "requested_by": "Oakfield Academy",
        "effective_date": (local_today() + dt.timedelta(days=10)).isoformat()})
    assert response.status_code == 302
    change = db_session.scalar(select(ChangeRequest).where(ChangeRequest.title == "Add Lou to WB-A"))
    assert [i.route_code for i in change.items] == ["WB-A"]
    assert network.loose.id in versions.snapshot_pupil_ids(change.items[0].proposed)
    assert response.headers["Location"].endswith(_url(change, change.items[0]))


def test_moving_an_existing_pupil_takes_them_off_their_route_in_the_same_change(client, login, network, db_session):
    login("planner")
    pupil = network.b_pupils[0]
    html = client.get(f"/workbench/add-pupil?pupil={pupil.pupil_ref}&session=am").get_data(as_text=True)
    assert "On route WB-B" in html
    client.post("/workbench/add-pupil", data={
        "pupil": pupil.pupil_ref, "session": "am", "route_id": network.a.id, "title": "Move Ben",
        "effective_date": (local_today() + dt.timedelta(days=10)).isoformat()})
    change = db_session.scalar(select(ChangeRequest).where(ChangeRequest.title == "Move Ben"))
    by_code = {i.route_code: i for i in change.items}
    assert pupil.id in versions.snapshot_pupil_ids(by_code["WB-A"].proposed)
    assert pupil.id not in versions.snapshot_pupil_ids(by_code["WB-B"].proposed)


def test_an_unknown_pupil_or_a_missing_choice_is_a_clear_error(client, login, network):
    login("planner")
    assert "No pupil has the reference P-NOPE" in client.get("/workbench/add-pupil?pupil=P-NOPE").get_data(as_text=True)
    response = client.post("/workbench/add-pupil", data={
        "pupil": network.loose.pupil_ref, "session": "am", "title": "Add Lou",
        "effective_date": (local_today() + dt.timedelta(days=10)).isoformat()})
    assert response.status_code == 400
    assert "Choose the route to add the pupil to" in response.get_data(as_text=True)


def test_an_emptied_route_is_withdrawn_from_the_workbench_and_a_new_one_dropped(client, login, network, db_session):
    user = login("planner")
    change, item = _draft(db_session, user, network.a)
    client.post(_url(change, item), data={"op": "split", "stop": "2", "new_code": "WB-A-9",
                                          "lock_version": change.lock_version})
    db_session.expire_all()
    change = db_session.get(ChangeRequest, change.id)
    created = next(i for i in change.items if i.route_code == "WB-A-9")
    response = client.post(_url(change, created), data={"op": "withdraw", "lock_version": change.lock_version})
    assert response.headers["Location"].endswith(f"/changes/{change.id}")
    db_session.expire_all()
    change = db_session.get(ChangeRequest, change.id)
    assert [i.route_code for i in change.items] == ["WB-A"]
    client.post(_url(change, item), data={"op": "withdraw", "lock_version": change.lock_version})
    db_session.expire_all()
    withdrawn = db_session.get(RouteChange, item.id)
    assert withdrawn.action == ChangeAction.WITHDRAW and withdrawn.proposed is None
    html = client.get(_url(change, withdrawn)).get_data(as_text=True)
    assert "This change withdraws route WB-A" in html


def test_an_afternoon_route_is_shown_leaving_school_at_the_finish_time(client, login, db_session):
    school = factories.make_school(db_session, name="Elm Primary")
    pupil = factories.make_pupil(db_session, school=school, **_north(school, 2))
    route = factories.make_route(db_session, school=school, pupils=[], route_code="WB-PM", vehicle_type="car")
    route.session = RouteSession.PM
    snapshot = versions.snapshot_of(route)
    snapshot["stops"][0]["time"] = "15:15"
    snapshot["stops"].append({"kind": "dropoff", "latitude": pupil.addresses[0].latitude,
                              "longitude": pupil.addresses[0].longitude, "time": "15:30", "school_id": None,
                              "pupil_ids": [pupil.id]})
    versions.apply_snapshot(db_session, route, snapshot, day=local_today())
    db_session.flush()
    login("planner")
    html = client.get(f"/workbench?school={school.id}&session=pm").get_data(as_text=True)
    assert "Elm Primary: afternoon routes" in html
    assert "Leaves school" in html and "Last drop-off" in html
    assert "<td class=\"govuk-table__cell\">15:15</td>" in html
