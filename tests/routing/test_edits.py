"""Hand edits of route snapshots: new snapshots out, the originals untouched."""

from __future__ import annotations

import copy

import pytest

from hts.routing import edits
from tests.routing.snapshots import route, stop


def homes(snapshot):  # type: ignore[no-untyped-def]
    return [s["pupil_ids"] for s in snapshot["stops"] if s["kind"] != "school"]


def test_moving_a_pupil_takes_them_off_one_route_and_onto_a_new_stop_of_another_where_they_live():
    a = route("A", [stop([1, 2], 3), stop([3], 1)])
    b = route("B", [stop([4], 2), stop([5], 1, east=1)])
    before = copy.deepcopy((a, b))
    left, joined = edits.move_pupil(a, b, 3, position=1)
    assert homes(left) == [[1, 2]]
    assert homes(joined) == [[4], [3], [5]]
    assert joined["stops"][1]["latitude"] == a["stops"][1]["latitude"]
    assert joined["stops"][1]["kind"] == "pickup"
    assert joined["stops"][-1]["kind"] == "school"
    assert (a, b) == before


def test_a_pupil_moving_to_a_route_with_a_stop_at_their_address_joins_that_stop():
    a = route("A", [stop([1], 3)])
    b = route("B", [stop([4], 2), stop([5], 3)])
    _, joined = edits.move_pupil(a, b, 1, position=0)
    assert homes(joined) == [[4], [5, 1]]


def test_moving_a_pupil_to_their_own_route_or_another_schools_is_refused():
    a = route("A", [stop([1], 3)])
    with pytest.raises(edits.EditError, match="already on this route"):
        edits.move_pupil(a, a, 1)
    with pytest.raises(edits.EditError, match="another school or session"):
        edits.move_pupil(a, route("B", [stop([2], 1)], school_id=2), 1)
    with pytest.raises(edits.EditError, match="not on route A"):
        edits.move_pupil(a, route("B", [stop([2], 1)]), 9)


def test_an_afternoon_move_adds_a_drop_off_after_the_school_stop():
    a = route("A", [stop([1], 3)], session="pm")
    b = route("B", [stop([2], 2)], session="pm")
    _, joined = edits.move_pupil(a, b, 1)
    assert [s["kind"] for s in joined["stops"]] == ["school", "dropoff", "dropoff"]
    assert homes(joined) == [[2], [1]]


def test_a_position_outside_the_route_is_refused():
    with pytest.raises(edits.EditError, match="from 1 to 2"):
        edits.add_pupil(route("A", [stop([1], 3)]), 2, 52.0, -1.0, position=5)


def test_reordering_moves_a_stop_up_down_or_to_a_position_and_keeps_the_school_last():
    r = route("A", [stop([1], 3), stop([2], 2), stop([3], 1)])
    assert homes(edits.move_stop_up(r, 2)) == [[1], [3], [2]]
    assert homes(edits.move_stop_down(r, 0)) == [[2], [1], [3]]
    moved = edits.move_stop(r, 0, 2)
    assert homes(moved) == [[2], [3], [1]] and moved["stops"][-1]["kind"] == "school"
    assert homes(r) == [[1], [2], [3]]
    with pytest.raises(edits.EditError, match="first stop cannot move up"):
        edits.move_stop_up(r, 0)
    with pytest.raises(edits.EditError, match="last stop cannot move down"):
        edits.move_stop_down(r, 2)


def test_splitting_a_route_makes_a_second_route_with_a_new_code_and_no_vehicle_or_crew():
    r = route("A", [stop([1], 3), stop([2], 2), stop([3], 1)], operator_id=4, vehicle_id=9, driver_id=12, pa_id=13)
    first, second = edits.split_route(r, 1, "A-2")
    assert homes(first) == [[1]] and homes(second) == [[2], [3]]
    assert (first["route_code"], first["vehicle_id"], first["driver_id"]) == ("A", 9, 12)
    assert second["route_code"] == "A-2"
    assert (second["operator_id"], second["vehicle_id"], second["driver_id"], second["pa_id"]) == (None,) * 4
    assert second["stops"][-1]["kind"] == "school" and second["vehicle_type"] == "car"


def test_a_route_is_split_between_two_stops_only():
    r = route("A", [stop([1], 3), stop([2], 2)])
    for at in (0, 2):
        with pytest.raises(edits.EditError, match="split between two stops"):
            edits.split_route(r, at, "A-2")
    with pytest.raises(edits.EditError, match="needs a route code"):
        edits.split_route(r, 1, " ")


def test_merging_keeps_the_first_routes_vehicle_and_combines_stops_at_one_address():
    a = route("A", [stop([1], 3), stop([2], 2)], vehicle_id=9)
    b = route("B", [stop([3], 2), stop([4], 1)], vehicle_id=10)
    merged = edits.merge_routes(a, b)
    assert homes(merged) == [[1], [2, 3], [4]]
    assert (merged["route_code"], merged["vehicle_id"]) == ("A", 9)


def test_routes_of_different_schools_or_sessions_are_not_merged():
    a = route("A", [stop([1], 3)])
    with pytest.raises(edits.EditError, match="different schools or sessions"):
        edits.merge_routes(a, route("B", [stop([2], 1)], session="pm"))
    with pytest.raises(edits.EditError, match="merged with itself"):
        edits.merge_routes(a, a)


def test_changing_the_vehicle_type_releases_a_vehicle_of_the_old_type_and_sets_the_price():
    r = route("A", [stop([1], 3)], vehicle_id=9, vehicle_type="car")
    changed = edits.change_vehicle_type(r, "wav", daily_price_pence=16000)
    assert (changed["vehicle_type"], changed["vehicle_id"], changed["daily_price_pence"]) == ("wav", None, 16000)
    assert edits.change_vehicle_type(r, "car")["vehicle_id"] == 9
    assert r["vehicle_type"] == "car" and r["vehicle_id"] == 9


def test_changing_the_vehicle_sets_it_and_its_type():
    r = route("A", [stop([1], 3)])
    changed = edits.change_vehicle(r, 11, vehicle_type="mpv")
    assert (changed["vehicle_id"], changed["vehicle_type"]) == (11, "mpv")
    assert edits.change_vehicle(changed, None)["vehicle_id"] is None
