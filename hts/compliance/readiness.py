"""Mobilisation readiness: is each route fully assigned and compliant for a day?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from hts.compliance.rules import Policy
from hts.compliance.service import HolderVerdict, evaluate_all
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.models import Pupil, School
from hts.routing.models import Route, RouteStop, route_stop_pupil


@dataclass(frozen=True)
class RouteReadiness:
    """One route's readiness: each part ready or what is missing."""

    route_code: str
    session: str
    school: str
    operator_ref: str | None
    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """Ready only when nothing is missing."""
        return not self.missing


@dataclass(frozen=True)
class Readiness:
    """Readiness of a set of routes."""

    day: dt.date
    routes: tuple[RouteReadiness, ...]

    @property
    def ready_count(self) -> int:
        """Routes ready to run."""
        return sum(1 for r in self.routes if r.ready)

    @property
    def share_ready(self) -> float | None:
        """Share of routes ready (None when there are no routes)."""
        return self.ready_count / len(self.routes) if self.routes else None


@dataclass(frozen=True)
class RouteFacts:
    """What readiness needs to know of a route, read in one query."""

    route_code: str
    session: str
    days: int
    school: str
    operator_ref: str | None
    registration: str | None
    seats: int | None
    wheelchair_spaces: int | None
    driver_ref: str | None
    pa_ref: str | None
    pupils: int
    wheelchairs: int
    needs_pa: bool


def route_readiness(route: RouteFacts, verdicts: dict[tuple[str, str], HolderVerdict]) -> RouteReadiness:
    """What a route still lacks: an assignment, or a compliant one, or a vehicle big enough."""
    missing: list[str] = []
    parts = (
        ("operator", "operator", route.operator_ref, True),
        ("vehicle", "vehicle", route.registration, True),
        ("driver", "driver", route.driver_ref, True),
        ("passenger assistant", "passenger_assistant", route.pa_ref, route.needs_pa),
    )
    for label, kind, ref, required in parts:
        if ref is None:
            if required:
                missing.append(f"no {label}")
            continue
        verdict = verdicts.get((kind, ref))
        if verdict is not None and not verdict.verdict.ok:
            missing.append(f"{label} {ref} not compliant: " + "; ".join(verdict.verdict.reasons))
    if route.registration is not None:
        seats_needed = route.pupils - route.wheelchairs + (1 if route.pa_ref else 0)  # the PA's seat
        if (route.wheelchair_spaces or 0) < route.wheelchairs or (route.seats or 0) < seats_needed:
            missing.append(f"vehicle {route.registration} too small for the route's pupils")
    return RouteReadiness(route.route_code, route.session, route.school, route.operator_ref, tuple(missing))


def route_facts(session: Session, *, operator_id: int | None = None,
                school_ids: Sequence[int] | None = None) -> list[RouteFacts]:
    """Every published route's assignments and its pupils' needs, in one aggregate query."""
    needs = (
        select(
            RouteStop.route_id.label("route_id"),
            func.count(Pupil.id).label("pupils"),
            func.coalesce(func.sum(case((Pupil.wheelchair.is_(True), 1), else_=0)), 0).label("wheelchairs"),
            func.coalesce(func.max(case((Pupil.passenger_assistant.is_(True), 1), else_=0)), 0).label("needs_pa"),
        )
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .join(Pupil, Pupil.id == route_stop_pupil.c.pupil_id)
        .group_by(RouteStop.route_id)
        .subquery()
    )
    driver, pa = aliased(Staff), aliased(Staff)
    query = (
        select(Route.route_code, Route.session, Route.days, School.name, Operator.operator_ref, Vehicle.registration,
               Vehicle.seats, Vehicle.wheelchair_spaces, driver.staff_ref, pa.staff_ref,
               func.coalesce(needs.c.pupils, 0), func.coalesce(needs.c.wheelchairs, 0),
               func.coalesce(needs.c.needs_pa, 0))
        .join(School, School.id == Route.school_id)
        .outerjoin(Operator, Operator.id == Route.operator_id)
        .outerjoin(Vehicle, Vehicle.id == Route.vehicle_id)
        .outerjoin(driver, driver.id == Route.driver_id)
        .outerjoin(pa, pa.id == Route.pa_id)
        .outerjoin(needs, needs.c.route_id == Route.id)
        .where(Route.withdrawn_on.is_(None))
        .order_by(Route.route_code)
    )
    if operator_id is not None:
        query = query.where(Route.operator_id == operator_id)
    if school_ids:
        query = query.where(Route.school_id.in_(school_ids))
    return [
        RouteFacts(code, str(session_name), days, school, operator_ref, registration, seats, spaces, driver_ref,
                   pa_ref, int(pupils), int(wheelchairs), bool(needs_pa))
        for (code, session_name, days, school, operator_ref, registration, seats, spaces, driver_ref, pa_ref, pupils,
             wheelchairs, needs_pa) in session.execute(query)
    ]


def readiness(session: Session, day: dt.date, policy: Policy, *, operator_id: int | None = None,
              school_ids: Sequence[int] | None = None) -> Readiness:
    """Readiness of every route (or an operator's, or some schools') for `day`."""
    verdicts = {(v.holder_type, v.holder_ref): v for v in evaluate_all(session, day, policy)}
    routes = route_facts(session, operator_id=operator_id, school_ids=school_ids)
    return Readiness(day, tuple(route_readiness(route, verdicts) for route in routes))
