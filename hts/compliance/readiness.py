"""Mobilisation readiness: is each route fully assigned and compliant for a day?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts.compliance.rules import Policy
from hts.compliance.service import HolderVerdict, evaluate_all
from hts.routing.models import Route, RouteStop


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


def route_readiness(route: Route, verdicts: dict[tuple[str, str], HolderVerdict]) -> RouteReadiness:
    """What a route still lacks: an assignment, or a compliant one."""
    missing: list[str] = []
    needs_pa = any(p.passenger_assistant for p in route.pupils)
    parts = (
        ("operator", "operator", route.operator.operator_ref if route.operator else None, True),
        ("vehicle", "vehicle", route.vehicle.registration if route.vehicle else None, True),
        ("driver", "driver", route.driver.staff_ref if route.driver else None, True),
        ("passenger assistant", "passenger_assistant", route.pa.staff_ref if route.pa else None, needs_pa),
    )
    for label, kind, ref, required in parts:
        if ref is None:
            if required:
                missing.append(f"no {label}")
            continue
        verdict = verdicts.get((kind, ref))
        if verdict is not None and not verdict.verdict.ok:
            missing.append(f"{label} {ref} not compliant: " + "; ".join(verdict.verdict.reasons))
    if route.vehicle is not None:
        wheelchairs = sum(1 for p in route.pupils if p.wheelchair)
        seats_needed = len(route.pupils) - wheelchairs + (1 if route.pa is not None else 0)  # the PA's seat
        if route.vehicle.wheelchair_spaces < wheelchairs or route.vehicle.seats < seats_needed:
            missing.append(f"vehicle {route.vehicle.registration} too small for the route's pupils")
    return RouteReadiness(route.route_code, str(route.session), route.school.name,
                          route.operator.operator_ref if route.operator else None, tuple(missing))


def readiness(session: Session, day: dt.date, policy: Policy, *, operator_id: int | None = None,
              school_ids: Sequence[int] | None = None) -> Readiness:
    """Readiness of every route (or an operator's, or some schools') for `day`."""
    verdicts = {(v.holder_type, v.holder_ref): v for v in evaluate_all(session, day, policy)}
    query = select(Route).options(
        selectinload(Route.operator), selectinload(Route.vehicle), selectinload(Route.driver),
        selectinload(Route.pa), selectinload(Route.school),
        selectinload(Route.stops).selectinload(RouteStop.pupils),
    ).where(Route.withdrawn_on.is_(None)).order_by(Route.route_code)
    if operator_id is not None:
        query = query.where(Route.operator_id == operator_id)
    if school_ids:
        query = query.where(Route.school_id.in_(school_ids))
    return Readiness(day, tuple(route_readiness(route, verdicts) for route in session.scalars(query)))
