"""No run carries a crew the compliance rules refuse, however its runs were (re)generated."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hts.compliance.rules import Policy
from hts.compliance.sweep import run_sweep
from hts.operations.models import Run
from tests import factories
from tests.compliance.test_gates import compliant_operator, compliant_staff, compliant_vehicle

DAY = dt.date(2026, 11, 25)  # a Wednesday


def _route_with_lapsed_driver(session):  # type: ignore[no-untyped-def]
    """A route whose driver was fine when assigned; the badge expired the day before DAY."""
    operator = compliant_operator(session)
    driver = compliant_staff(session, operator, driver_badge=DAY - dt.timedelta(days=1))
    route = factories.make_route(session, pupils=[factories.make_pupil(session)], operator=operator, driver=driver,
                                 vehicle=compliant_vehicle(session, operator))
    return route, driver


def _run_on(session, route, day: dt.date) -> Run:  # type: ignore[no-untyped-def]
    run = session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == day))
    assert run is not None
    session.refresh(run)
    return run


def test_generating_a_days_runs_in_the_control_room_leaves_a_lapsed_driver_off(client, login, db_session):
    route, _driver = _route_with_lapsed_driver(db_session)
    login("operations")
    assert client.post("/operations/generate", data={"day": DAY.isoformat()}).status_code == 302
    run = _run_on(db_session, route, DAY)
    assert run.driver_id is None
    assert run.vehicle_id == route.vehicle_id  # the compliant rest of the crew stays


def test_regenerating_runs_after_the_sweep_does_not_put_back_the_crew_it_took_off(client, login, db_session):
    route, driver = _route_with_lapsed_driver(db_session)
    login("operations")
    client.post("/operations/generate", data={"day": DAY.isoformat()})
    run_sweep(db_session, DAY, Policy())
    assert _run_on(db_session, route, DAY).driver_id is None
    # The control room refreshes the day (a route changed, an absence came in): still off.
    assert client.post("/operations/generate", data={"day": DAY.isoformat()}).status_code == 302
    assert _run_on(db_session, route, DAY).driver_id is None
    assert route.driver_id == driver.id  # the route keeps its assignment; only the day's run loses it
