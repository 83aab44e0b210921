"""Route change requests in the demo city, one at each stage a planner or approver meets.

- a change published for a later date (the route's page lists the version still to come);
- a change submitted and waiting for the approver (the demo manager);
- a planner's draft that moves a pupil between two routes.

Each is made through the change service, as a planner would, with the same rule checks at
submission. Routes are chosen in route-code order among those whose edit passes every check, so
the same city always gets the same requests. Loading the demo again adds none once they exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hts.auth.models import User
from hts.operations.calendar import load_calendar
from hts.routing import changes, edits, versions
from hts.routing.feasibility import check_snapshot, vehicle_types_of
from hts.routing.models import ChangeAction, ChangeRequest, Route
from hts.routing.models import Session as RouteSession
from hts.routing.workbench import retime

#: How many candidate routes to try for each request before giving up on it.
CANDIDATES = 60


@dataclass
class DemoChanges:
    """The request ids made, by stage."""

    published: int | None = None
    submitted: int | None = None
    draft: int | None = None

    @property
    def made(self) -> int:
        """How many requests were made."""
        return sum(1 for x in (self.published, self.submitted, self.draft) if x is not None)


def _school_days_after(calendar_test: Callable[[dt.date], bool], day: dt.date, count: int) -> dt.date:
    while count:
        day += dt.timedelta(days=1)
        count -= calendar_test(day)
    return day


def _candidates(session: Session, taken: set[int]) -> list[Route]:
    routes = session.scalars(
        select(Route).where(Route.withdrawn_on.is_(None), Route.session == RouteSession.AM)
        .order_by(Route.route_code).limit(CANDIDATES * 4)).all()
    return [r for r in routes if r.id not in taken and len(r.stops) >= 4]


def _clean(session: Session, snapshot: dict[str, Any], today: dt.date, config: Mapping[str, Any]) -> bool:
    return not check_snapshot(session, snapshot, today=today, config=config).breaches


def _reordered(session: Session, route: Route, day: dt.date, config: Mapping[str, Any]) -> dict[str, Any]:
    _, snapshot = versions.latest_snapshot(session, route)
    return retime(session, [edits.move_stop_down(snapshot, 0)], day=day, config=config)[0]


def _minibus(session: Session, route: Route, day: dt.date, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The route planned with a minibus at the minibus's daily price, or None if it has one already."""
    current = route.vehicle.vehicle_type.value if route.vehicle else route.vehicle_type
    if current == "minibus":
        return None
    _, snapshot = versions.latest_snapshot(session, route)
    price = vehicle_types_of(config)["minibus"].daily_price_pence
    changed = edits.change_vehicle_type(snapshot, "minibus", daily_price_pence=price)
    return retime(session, [changed], day=day, config=config)[0]


def make_demo_changes(session: Session, *, planner: User, approver: User, today: dt.date,
                      config: Mapping[str, Any]) -> DemoChanges:
    """The demo's change requests, unless the city already has some; flushes, never commits."""
    made = DemoChanges()
    if session.scalar(select(func.count()).select_from(ChangeRequest)):
        return made
    calendar = load_calendar(session, [])
    is_school_day = lambda day: calendar.is_school_day(None, day)  # type: ignore[arg-type]  # noqa: E731
    later = _school_days_after(is_school_day, today, 10)
    soon = _school_days_after(is_school_day, today, 7)

    def check(snapshot: dict[str, Any]) -> list[str]:
        return [b.message for b in check_snapshot(session, snapshot, today=today, config=config).breaches]

    taken: set[int] = set()
    for route in _candidates(session, taken):
        proposed = _minibus(session, route, later, config)
        if proposed is None or not _clean(session, proposed, today, config):
            continue
        change = changes.start(session, planner, title=f"Minibus for route {route.route_code}",
                               reason="A pupil joining after half term needs more room; the school asked "
                                      "for a larger vehicle from the new week.",
                               requested_by="School transport coordinator", effective_date=later, today=today)
        changes.stage(session, change, planner, route=route, proposed=proposed, action=ChangeAction.MODIFY)
        changes.submit(session, change, planner, check=check)
        changes.approve(session, change, approver)
        changes.publish(session, change, planner, today=today, notice_days=int(config["CHANGE_NOTICE_SCHOOL_DAYS"]),
                        is_school_day=is_school_day)
        made.published, taken = change.id, taken | {route.id}
        break
    for route in _candidates(session, taken):
        proposed = _reordered(session, route, soon, config)
        if not _clean(session, proposed, today, config):
            continue
        change = changes.start(session, planner, title=f"New pickup order on route {route.route_code}",
                               reason="Roadworks on the usual approach until Easter: the driver asked to "
                                      "collect the first two pupils the other way round.",
                               requested_by="Operator's driver, by phone", effective_date=soon, today=today)
        changes.stage(session, change, planner, route=route, proposed=proposed, action=ChangeAction.MODIFY)
        changes.submit(session, change, planner, check=check)
        made.submitted, taken = change.id, taken | {route.id}
        break
    for route in _candidates(session, taken):
        partner = session.scalar(
            select(Route).where(Route.school_id == route.school_id, Route.session == route.session,
                                Route.id != route.id, Route.withdrawn_on.is_(None), Route.id.not_in(taken))
            .order_by(Route.route_code).limit(1))
        if partner is None:
            continue
        source = versions.latest_snapshot(session, route)[1]
        target = versions.latest_snapshot(session, partner)[1]
        pupil = versions.snapshot_pupil_ids(source)[-1]
        left, joined = retime(session, list(edits.move_pupil(source, target, pupil)), day=later, config=config)
        change = changes.start(session, planner, title=f"Move a pupil from {route.route_code} to {partner.route_code}",
                               reason="Family moved house within the catchment; the new address is on the "
                                      "other route's way to school.",
                               requested_by="Parent, by email", effective_date=later, today=today)
        changes.stage(session, change, planner, route=route, proposed=left, action=ChangeAction.MODIFY)
        changes.stage(session, change, planner, route=partner, proposed=joined, action=ChangeAction.MODIFY)
        made.draft = change.id
        break
    session.flush()
    return made
