"""Cheapest feasible insertion of a pupil into existing routes."""

from __future__ import annotations

import datetime as dt

from hts.routing.insertion import Candidate, cheapest_insertions, home_point, insert_pupil
from hts.routing.matrix import Point
from tests import factories
from tests.routing.snapshots import context, north, pupil, route, stop

TODAY = dt.date(2026, 11, 25)


def test_the_pupil_goes_where_it_adds_least_distance_and_each_route_offers_its_best_position():
    near = route("NEAR", [stop([1], 3), stop([2], 1)])
    far = route("FAR", [stop([3], 3, east=6)])
    home = Point(*north(2))
    result = insert_pupil(9, home, [Candidate(1, near), Candidate(2, far)],
                          context([pupil(i) for i in (1, 2, 3, 9)]))
    assert [o.route_code for o in result.options] == ["NEAR", "FAR"]
    best = result.options[0]
    assert best.position == 1 and not best.joins_stop  # between the 3 km and the 1 km stops
    assert best.added_metres < result.options[1].added_metres
    assert best.added_price_pence == 0 and best.new_vehicle_type is None
    assert [s["pupil_ids"] for s in best.snapshot["stops"]][:3] == [[1], [9], [2]]
    assert best.snapshot["distance_metres"] == best.check.distance_metres
    assert result.refusals == []
    assert best.explanation.startswith("new stop 2: +")


def test_a_pupil_living_at_a_stop_joins_it():
    r = route("R", [stop([1], 3), stop([2], 1)])
    result = insert_pupil(9, Point(*north(1)), [Candidate(1, r)], context([pupil(i) for i in (1, 2, 9)]))
    option = result.options[0]
    assert option.joins_stop and option.position == 1 and option.added_metres == 0
    assert option.explanation == "joins stop 2: +0.0 km"


def test_a_full_car_offers_a_bigger_vehicle_type_at_the_added_daily_price():
    full = route("FULL", [stop([1, 2, 3, 4], 2)])
    result = insert_pupil(9, Point(*north(2.5)), [Candidate(1, full)], context([pupil(i) for i in (1, 2, 3, 4, 9)]))
    option = result.options[0]
    assert option.new_vehicle_type == "mpv"
    assert option.added_price_pence == 12000 - 9500
    assert option.snapshot["vehicle_type"] == "mpv" and option.snapshot["daily_price_pence"] == 12000
    assert "vehicle type changes to mpv (+£25.00 a day)" in option.explanation


def test_cheaper_options_come_before_shorter_ones():
    full = route("FULL", [stop([1, 2, 3, 4], 2)])
    roomy = route("ROOMY", [stop([5], 6, east=4)])
    result = insert_pupil(9, Point(*north(2.5)), [Candidate(1, full), Candidate(2, roomy)],
                          context([pupil(i) for i in (1, 2, 3, 4, 5, 9)]))
    assert [o.route_code for o in result.options] == ["ROOMY", "FULL"]


def test_a_route_with_an_assigned_vehicle_keeps_it_and_says_why_it_cannot_take_the_pupil():
    from hts.routing.feasibility import VehicleFacts

    full = route("FULL", [stop([1, 2, 3, 4], 2)], vehicle_id=7)
    ctx = context([pupil(i) for i in (1, 2, 3, 4, 9)], vehicles={7: VehicleFacts(7, "AB12 CDE", 4, 0)})
    result = insert_pupil(9, Point(*north(2.5)), [Candidate(1, full)], ctx)
    assert result.options == []
    assert result.refusals[0].route_code == "FULL"
    assert result.refusals[0].reasons == ["the route needs 5 seats but vehicle AB12 CDE has 4"]


def test_routes_that_cannot_take_the_pupil_give_the_reasons_of_their_best_attempt():
    solo = route("SOLO", [stop([1], 2)])
    incompatible = route("CLASH", [stop([2], 2)])
    result = insert_pupil(9, Point(*north(2.5)), [Candidate(1, solo), Candidate(2, incompatible)],
                          context([pupil(1, solo=True), pupil(2), pupil(9)], incompatible=frozenset({(2, 9)})))
    assert result.options == []
    assert {r.route_code: r.reasons for r in result.refusals} == {
        "CLASH": ["pupils P00002 and P00009 must not travel together"],
        "SOLO": ["pupil P00001 must travel alone but shares the vehicle with 1 other pupil"],
    }


def test_a_pupil_too_far_away_for_their_ride_limit_is_refused_with_the_ride_time():
    r = route("R", [stop([1], 1)])
    result = insert_pupil(9, Point(*north(30)), [Candidate(1, r)], context([pupil(1), pupil(9)]))
    assert result.options == []
    assert result.refusals[0].reasons[0].startswith("pupil P00009 rides")


def test_cheapest_insertions_loads_the_pupil_and_leaves_out_their_own_route(app, db_session):
    school = factories.make_school(db_session)
    on_board = factories.make_pupil(db_session, school=school, latitude=52.49, longitude=-1.90)
    newcomer = factories.make_pupil(db_session, school=school, latitude=52.495, longitude=-1.90)
    row = factories.make_route(db_session, school=school, pupils=[on_board])
    snapshot = {
        "route_code": row.route_code, "session": "am", "school_id": school.id, "days": 31, "operator_id": None,
        "vehicle_id": None, "vehicle_type": "car", "driver_id": None, "pa_id": None, "daily_price_pence": 9500,
        "distance_metres": 0,
        "stops": [{"kind": s.kind.value, "latitude": s.latitude, "longitude": s.longitude, "time": "08:00",
                   "school_id": s.school_id, "pupil_ids": [p.id for p in s.pupils]} for s in row.stops],
    }
    result = cheapest_insertions(db_session, newcomer, [Candidate(row.id, snapshot)], today=TODAY, config=app.config)
    assert [o.route_id for o in result.options] == [row.id]
    assert home_point(newcomer) == Point(52.495, -1.90)
    own = cheapest_insertions(db_session, on_board, [Candidate(row.id, snapshot)], today=TODAY, config=app.config)
    assert own.options == [] and own.refusals == []


def test_a_refusal_says_which_reasons_the_route_had_already():
    from hts.routing.feasibility import crew_key

    r = route("R", [stop([1], 1)], driver_id=5)
    ctx = context([pupil(1), pupil(9, needs_pa=True)], crew_problems={crew_key(r): ("driver S5: no badge",)})
    refusal = insert_pupil(9, Point(*north(1.5)), [Candidate(1, r)], ctx).refusals[0]
    assert refusal.reasons == ["pupil P00009 needs a passenger assistant and the route has none", "driver S5: no badge"]
    assert refusal.existing == frozenset({"driver S5: no badge"})
