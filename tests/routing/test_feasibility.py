"""Every feasibility rule over a proposed route snapshot, and the loader of what they need."""

from __future__ import annotations

import datetime as dt

from hts.routing.feasibility import (
    ArrivalWindow,
    Breach,
    Capacity,
    SchoolFacts,
    VehicleFacts,
    capacity_breaches,
    check_snapshot,
    crew_breaches,
    evaluate,
    incompatibility_breaches,
    load_of,
    pa_breaches,
    ride_time_breaches,
    route_capacity,
    solo_breaches,
)
from hts.routing.matrix import Point
from hts.routing.models import PupilIncompatibility
from hts.routing.timing import TimingSettings
from tests import factories
from tests.routing.snapshots import KM_LAT, SCHOOL, TYPES, context, pupil, route, school_stop, stop

TODAY = dt.date(2026, 11, 25)


def rules(check) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.rule for b in check.breaches]


# --- a route that keeps every rule ---------------------------------------------------------------

def test_a_car_with_four_pupils_near_school_keeps_every_rule_and_is_re_timed_to_arrive_ten_minutes_early():
    snapshot = route("R1", [stop([1, 2], 3), stop([3, 4], 1.5)])
    check = evaluate(snapshot, context([pupil(i) for i in (1, 2, 3, 4)]))
    assert check.ok and check.breaches == []
    assert check.stops[-1]["time"] == "08:50"
    assert check.stops[0]["time"] < check.stops[1]["time"] < "08:50"
    assert (check.seats_used, check.wheelchair_used) == (4, 0)
    assert check.distance_metres > 3000
    assert set(check.ride_minutes) == {1, 2, 3, 4}
    assert check.ride_minutes[1] > check.ride_minutes[3] > 0
    assert check.capacity == Capacity(4, 0, "car (vehicle type)")


def test_retimed_gives_the_snapshot_with_the_new_times_and_distance():
    snapshot = route("R1", [stop([1], 3)])
    check = evaluate(snapshot, context([pupil(1)]))
    saved = check.retimed(snapshot)
    assert saved["distance_metres"] == check.distance_metres
    assert [s["time"] for s in saved["stops"]] == [s["time"] for s in check.stops]
    assert snapshot["stops"][0]["time"] == "08:00"  # the proposal itself is left alone


def test_an_afternoon_route_leaves_school_at_the_finish_time_and_drops_off_in_order():
    snapshot = route("P1", [stop([1], 1), stop([2], 3)], session="pm")
    check = evaluate(snapshot, context([pupil(1), pupil(2)]))
    assert check.ok
    assert check.stops[0]["time"] == "15:15"
    assert "15:15" < check.stops[1]["time"] < check.stops[2]["time"]
    assert check.ride_minutes[2] > check.ride_minutes[1]


# --- capacity ------------------------------------------------------------------------------------

def test_five_walk_on_pupils_do_not_fit_a_four_seat_car():
    snapshot = route("R1", [stop([1, 2, 3, 4, 5], 2)])
    check = evaluate(snapshot, context([pupil(i) for i in range(1, 6)]))
    assert [b.message for b in check.breaches] == ["the route needs 5 seats but car (vehicle type) has 4"]


def test_a_passenger_assistant_takes_a_seat():
    assert load_of([pupil(1), pupil(2)], pa_on_board=True) == (3, 0)
    assert load_of([pupil(1), pupil(2, needs_pa=True)], pa_on_board=False) == (3, 0)
    assert load_of([pupil(1), pupil(2, wheelchair=True)], pa_on_board=False) == (1, 1)
    snapshot = route("R1", [stop([1, 2, 3, 4], 2)], pa_id=7)
    check = evaluate(snapshot, context([pupil(i) for i in range(1, 5)]))
    assert "the route needs 5 seats (with the PA) but car (vehicle type) has 4" in [b.message for b in check.breaches]


def test_a_wheelchair_user_needs_a_wheelchair_space():
    snapshot = route("R1", [stop([1], 2)])
    check = evaluate(snapshot, context([pupil(1, wheelchair=True)]))
    assert [b.message for b in check.breaches] == ["the route needs 1 wheelchair spaces but car (vehicle type) has 0"]
    assert evaluate({**snapshot, "vehicle_type": "wav"}, context([pupil(1, wheelchair=True)])).ok


def test_an_assigned_vehicle_sets_the_capacity_rather_than_the_type():
    vehicle = VehicleFacts(9, "AB12 CDE", seats=6, wheelchair_spaces=0)
    capacity, problems = route_capacity(route("R1", [], vehicle_id=9), {9: vehicle}, TYPES)
    assert capacity == Capacity(6, 0, "vehicle AB12 CDE") and problems == []
    assert capacity_breaches(7, 0, capacity, with_pa=False) == [
        Breach("capacity", "the route needs 7 seats but vehicle AB12 CDE has 6")]


def test_no_vehicle_and_no_type_is_itself_a_breach_and_so_is_an_unknown_type():
    none, problems = route_capacity(route("R1", [], vehicle_type=None), {}, TYPES)
    assert none is None
    assert problems == [Breach("capacity", "the route has no vehicle and no vehicle type, so its capacity is unknown")]
    _, unknown = route_capacity(route("R1", [], vehicle_type="coach"), {}, TYPES)
    assert unknown[0].message.startswith("vehicle type 'coach' is not one the council hires")


# --- ride time, arrival, timing ------------------------------------------------------------------

def test_a_pupil_riding_over_their_limit_is_named_by_reference():
    assert ride_time_breaches({123: 52.4}, {123: pupil(123, ref="P00123", limit_minutes=45)}) == [
        Breach("ride_time", "pupil P00123 rides 52 min, over their 45 min limit", 123)]
    assert ride_time_breaches({123: 45.0}, {123: pupil(123, limit_minutes=45)}) == []


def test_a_far_pickup_breaks_the_ride_limit_after_re_timing():
    snapshot = route("R1", [stop([1], 25)])
    check = evaluate(snapshot, context([pupil(1, limit_minutes=45)]))
    assert rules(check) == ["ride_time"]
    assert check.breaches[0].pupil_id == 1
    assert check.longest_ride_minutes > 45


def test_arriving_outside_the_school_window_is_a_breach():
    # The timing aims 2 minutes before the bell; the window closes 5 minutes before it.
    late = TimingSettings(arrival_before_start_minutes=2)
    check = evaluate(route("R1", [stop([1], 2)]), context([pupil(1)], timing=late, window=ArrivalWindow(30, 5)))
    assert [b.message for b in check.breaches] == [
        "reaches Oakfield Academy at 08:58, outside its arrival window 08:30 to 08:55"]


def test_a_route_that_cannot_be_timed_says_so():
    early = {1: type(SCHOOL)(1, "Dawn School", SCHOOL.point, dt.time(0, 5), dt.time(12, 0))}
    ctx = context([pupil(1)])
    ctx = type(ctx)(**{**ctx.__dict__, "schools": early})
    check = evaluate(route("R1", [stop([1], 5)]), ctx)
    assert "timing" in rules(check)
    assert check.timed is False
    assert any("cannot be timed" in b.message for b in check.breaches)


# --- PA, solo, incompatible, crew -----------------------------------------------------------------

def test_a_pupil_needing_a_pa_on_a_route_without_one():
    assert pa_breaches([pupil(5, needs_pa=True)], None) == [
        Breach("pa", "pupil P00005 needs a passenger assistant and the route has none", 5)]
    assert pa_breaches([pupil(5, needs_pa=True)], 77) == []


def test_a_solo_pupil_must_not_share_the_vehicle():
    assert solo_breaches([pupil(1, solo=True)]) == []
    assert solo_breaches([pupil(1, solo=True), pupil(2), pupil(3)]) == [
        Breach("solo", "pupil P00001 must travel alone but shares the vehicle with 2 other pupils", 1)]


def test_incompatible_pupils_together_are_a_breach_whatever_the_order():
    pairs = frozenset({(2, 7)})
    assert incompatibility_breaches([pupil(7), pupil(2)], pairs) == [
        Breach("incompatible", "pupils P00002 and P00007 must not travel together", 2)]
    assert incompatibility_breaches([pupil(7), pupil(3)], pairs) == []


def test_the_compliance_gates_reasons_become_crew_breaches_of_the_route_they_belong_to():
    assert crew_breaches(["driver S1 on 2026-11-27: driver badge expired"]) == [
        Breach("crew", "driver S1 on 2026-11-27: driver badge expired")]
    snapshot = route("R1", [stop([1], 2)], driver_id=4)
    key = (None, None, 4, None, 31)
    check = evaluate(snapshot, context([pupil(1)], crew_problems={key: ("driver S4 on 2026-11-27: no DBS",)}))
    assert [b.message for b in check.breaches] == ["driver S4 on 2026-11-27: no DBS"]


# --- structure -------------------------------------------------------------------------------------

def test_a_route_whose_school_stop_is_not_last_cannot_be_timed():
    snapshot = route("R1", [stop([1], 2)])
    snapshot["stops"] = [school_stop(), stop([1], 2)]
    check = evaluate(snapshot, context([pupil(1)]))
    assert rules(check)[:2] == ["structure", "timing"]


def test_a_pupil_of_another_school_an_empty_stop_and_an_empty_route_are_breaches():
    other = evaluate(route("R1", [stop([1], 2)]), context([pupil(1, school_id=99)]))
    assert [b.message for b in other.breaches] == ["pupil P00001 goes to another school"]
    empty_stop = evaluate(route("R1", [stop([1], 2), stop([], 3)]), context([pupil(1)]))
    assert "a stop has no pupils: remove it" in [b.message for b in empty_stop.breaches]
    empty = evaluate(route("R1", []), context([]))
    assert [b.message for b in empty.breaches] == ["the route carries no pupils: withdraw it instead"]


def test_breaches_are_listed_rule_by_rule():
    snapshot = route("R1", [stop([1, 2, 3, 4, 5], 30)])
    check = evaluate(snapshot, context([pupil(i, solo=i == 1) for i in range(1, 6)]))
    assert rules(check) == ["capacity", *["ride_time"] * 5, "solo"]


# --- the loader and the entry point (database) ------------------------------------------------------

def _snapshot_of(route_row, **kw):  # type: ignore[no-untyped-def]
    stops = [{"kind": s.kind.value, "latitude": s.latitude, "longitude": s.longitude,
              "time": s.planned_time.strftime("%H:%M"), "school_id": s.school_id,
              "pupil_ids": [p.id for p in s.pupils]} for s in route_row.stops]
    values = {"route_code": route_row.route_code, "session": "am", "school_id": route_row.school_id, "days": 31,
              "operator_id": None, "vehicle_id": None, "vehicle_type": "car", "driver_id": None, "pa_id": None,
              "daily_price_pence": 9500, "distance_metres": 0, "stops": stops}
    values.update(kw)
    return values


def test_check_snapshot_reads_ride_limits_by_age_from_planning(app, db_session):
    school = factories.make_school(db_session)
    # 22 km out: about 67 minutes, over the primary 45 and under the secondary 75.
    far = dict(latitude=school.latitude + 20 / 111.2, longitude=school.longitude)
    young = factories.make_pupil(db_session, school=school, date_of_birth=dt.date(2018, 1, 1), **far)
    older = factories.make_pupil(db_session, school=school, date_of_birth=dt.date(2012, 1, 1), **far)
    row = factories.make_route(db_session, school=school, pupils=[young])
    young_check = check_snapshot(db_session, _snapshot_of(row), today=TODAY, config=app.config)
    assert [b.rule for b in young_check.breaches] == ["ride_time"]
    assert young_check.breaches[0].message.endswith("over their 45 min limit")
    row2 = factories.make_route(db_session, school=school, pupils=[older])
    assert check_snapshot(db_session, _snapshot_of(row2), today=TODAY, config=app.config).ok


def test_check_snapshot_reads_incompatibilities_and_vehicles(app, db_session):
    school = factories.make_school(db_session)
    a = factories.make_pupil(db_session, school=school, latitude=52.49, longitude=-1.90)
    b = factories.make_pupil(db_session, school=school, latitude=52.49, longitude=-1.90)
    low, high = sorted((a.id, b.id))
    db_session.add(PupilIncompatibility(pupil_id=low, other_pupil_id=high, reason="not to be shared"))
    vehicle = factories.make_vehicle(db_session, seats=1)
    db_session.flush()
    row = factories.make_route(db_session, school=school, pupils=[a, b])
    check = check_snapshot(db_session, _snapshot_of(row, vehicle_id=vehicle.id), today=TODAY, config=app.config)
    messages = [x.message for x in check.breaches]
    assert f"the route needs 2 seats but vehicle {vehicle.registration} has 1" in messages
    assert any("must not travel together" in m for m in messages)
    assert all("not to be shared" not in m for m in messages)  # the reason stays with the council


def test_a_driver_without_documents_is_a_crew_breach_from_the_compliance_gate(app, db_session):
    school = factories.make_school(db_session)
    pupil_row = factories.make_pupil(db_session, school=school, latitude=52.49, longitude=-1.90)
    driver = factories.make_staff(db_session)
    row = factories.make_route(db_session, school=school, pupils=[pupil_row])
    check = check_snapshot(db_session, _snapshot_of(row, driver_id=driver.id), today=TODAY, config=app.config)
    crew = [b.message for b in check.breaches if b.rule == "crew"]
    assert crew and all(m.startswith(f"driver {driver.staff_ref} on 2026-11-2") for m in crew)


def test_a_pupil_whose_stop_is_away_from_their_home_is_a_breach():
    from hts.routing.feasibility import address_breaches
    from hts.routing.matrix import Point
    from tests.routing.snapshots import north

    moved = pupil(1, homes=(Point(*north(5)),))
    at_home = pupil(2, homes=(Point(*north(2)), Point(*north(9))))
    unknown = pupil(3)
    snapshot = route("R1", [stop([1, 2, 3], 2)])
    assert address_breaches(snapshot, {1: moved, 2: at_home, 3: unknown}) == [
        Breach("address", "pupil P00001 is picked up 3.0 km from their home address", 1)]
    afternoon = route("R1", [stop([1], 2)], session="pm")
    assert address_breaches(afternoon, {1: moved})[0].message == "pupil P00001 is set down 3.0 km from their home address"


def test_a_stop_without_a_place_is_a_breach_not_a_crash():
    snapshot = route("R1", [stop([1], 2)])
    del snapshot["stops"][0]["latitude"]
    check = evaluate(snapshot, context([pupil(1)]))
    assert "every stop needs a latitude and longitude" in [b.message for b in check.breaches]
    assert check.timed is False


# --- nearby schools sharing a route --------------------------------------------------------------

NEIGHBOUR = SchoolFacts(2, "Elm Primary", Point(SCHOOL.point.latitude + 0.4 * KM_LAT, SCHOOL.point.longitude),
                        dt.time(8, 55), dt.time(15, 5))


def shared(session: str = "am") -> dict:
    """Pupils 1 and 2 of SCHOOL and 3 of NEIGHBOUR; the route stops at NEIGHBOUR, then ends at SCHOOL (am)."""
    snapshot = route("S1", [stop([1, 3], 4), stop([2], 3)], session=session)
    schools = [school_stop(NEIGHBOUR), school_stop()] if session == "am" else [school_stop(), school_stop(NEIGHBOUR)]
    homes = [s for s in snapshot["stops"] if s["kind"] != "school"]
    snapshot["stops"] = homes + schools if session == "am" else schools + homes
    return snapshot


def shared_context(within: int = 1000) -> object:
    return context([pupil(1), pupil(2), pupil(3, school_id=NEIGHBOUR.id)], schools=(NEIGHBOUR,),
                   share_within_metres=within)


def test_a_route_may_stop_at_a_nearby_school_when_the_setting_allows_and_each_pupil_rides_to_their_own():
    check = evaluate(shared(), shared_context())
    assert check.ok, check.breaches
    neighbour, own = check.stops[-2], check.stops[-1]
    assert own["time"] == "08:50" and neighbour["time"] <= "08:45"  # before its 08:55 start, less ten minutes
    assert check.ride_minutes[3] < check.ride_minutes[1]  # pupil 3 gets off first


def test_schools_may_not_share_a_route_when_the_setting_is_zero_or_they_are_too_far_apart():
    refused = evaluate(shared(), shared_context(within=0))
    assert rules(refused) == ["sharing"] and "PLAN_SHARE_SCHOOLS_WITHIN_METRES is 0" in refused.breaches[0].message
    far = evaluate(shared(), shared_context(within=200))
    assert rules(far) == ["sharing"] and "more than the 200 m" in far.breaches[0].message


def test_a_shared_route_ends_at_its_own_school_and_stops_only_where_it_has_pupils():
    wrong_end = shared()
    wrong_end["stops"][-2:] = wrong_end["stops"][-2:][::-1]  # ends at the neighbour, but belongs to SCHOOL
    assert "the route's own school must be its last school stop" in [b.message for b in
                                                                        evaluate(wrong_end, shared_context()).breaches]
    nobody = shared()
    nobody["stops"][0]["pupil_ids"] = [1]  # pupil 3 off the route: nobody gets off at the neighbour
    check = evaluate(nobody, context([pupil(1), pupil(2)], schools=(NEIGHBOUR,), share_within_metres=1000))
    assert [b.message for b in check.breaches] == ["the route stops at Elm Primary but carries none of its pupils"]


def test_an_afternoon_shared_route_must_reach_its_second_school_by_that_school_s_finish():
    # Elm finishes at 15:05 and Oakfield at 15:15: Elm first works, Oakfield first is too late for Elm.
    elm_first = shared("pm")
    elm_first["stops"][:2] = [school_stop(NEIGHBOUR), school_stop()]
    elm_first["school_id"] = NEIGHBOUR.id
    check = evaluate(elm_first, shared_context())
    assert check.ok, check.breaches
    assert check.stops[0]["time"] == "15:05" and "15:05" < check.stops[1]["time"] <= "15:15"
    late = evaluate(shared("pm"), shared_context())
    assert rules(late) == ["arrival"] and "after pupils finish at 15:05" in late.breaches[0].message
