"""The one place that refuses an assignment: web, CLI and API all come through here.

An operator, driver, passenger assistant or vehicle may be put on a route only when each is
compliant on the route's first day of service and on every scheduled day in the coming week,
the crew belongs to the route's operator, the vehicle fits the pupils, and a route whose pupils
need a passenger assistant has one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts import weekdays
from hts.compliance.rules import DocumentFact, HolderFact, Policy, evaluate
from hts.compliance.service import standing_decisions
from hts.compliance.sweep import keep_crew_compliant
from hts.operators.models import Document, Operator, Staff, StaffRole, Vehicle
from hts.routing import versions
from hts.routing.models import Route

LOOKAHEAD_DAYS = 7


class AssignmentRefused(Exception):
    """An assignment the gate will not allow, with every reason."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class RouteNeeds:
    """What a route's pupils need of its vehicle and crew."""

    walk_on: int
    wheelchairs: int
    needs_pa: bool


def route_needs(route: Route) -> RouteNeeds:
    """Seats, wheelchair spaces and PA the route's pupils need."""
    pupils = route.pupils
    wheelchairs = sum(1 for p in pupils if p.wheelchair)
    return RouteNeeds(walk_on=len(pupils) - wheelchairs, wheelchairs=wheelchairs,
                      needs_pa=any(p.passenger_assistant for p in pupils))


def service_days(route_days: int, today: dt.date, lookahead_days: int = LOOKAHEAD_DAYS) -> list[dt.date]:
    """The route's scheduled days from today through the coming week (its first day first)."""
    return [today + dt.timedelta(days=i) for i in range(lookahead_days)
            if weekdays.includes(route_days, today + dt.timedelta(days=i))]


def fit_problems(needs: RouteNeeds, *, vehicle: Vehicle | None, driver: Staff | None, pa: Staff | None,
                 operator: Operator | None) -> list[str]:
    """Reasons the crew and vehicle do not fit the route, whatever their documents say."""
    reasons: list[str] = []
    if vehicle is not None:
        seats_needed = needs.walk_on + (1 if pa is not None else 0)  # the PA sits in a seat too
        if vehicle.seats < seats_needed:
            reasons.append(f"vehicle {vehicle.registration} has {vehicle.seats} seats; the route needs "
                           f"{seats_needed}{' (with the PA)' if pa is not None else ''}")
        if vehicle.wheelchair_spaces < needs.wheelchairs:
            reasons.append(f"vehicle {vehicle.registration} has {vehicle.wheelchair_spaces} wheelchair spaces; "
                           f"the route needs {needs.wheelchairs}")
    if driver is not None and driver.role != StaffRole.DRIVER:
        reasons.append(f"{driver.staff_ref} is a passenger assistant, not a driver")
    if pa is not None and pa.role != StaffRole.PASSENGER_ASSISTANT:
        reasons.append(f"{pa.staff_ref} is a driver, not a passenger assistant")
    if needs.needs_pa and pa is None:
        reasons.append("a pupil on this route needs a passenger assistant and none is assigned")
    if operator is not None:
        for label, holder in (("vehicle", vehicle), ("driver", driver), ("passenger assistant", pa)):
            if holder is not None and holder.operator_id != operator.id:
                ref = holder.registration if isinstance(holder, Vehicle) else holder.staff_ref
                reasons.append(f"{label} {ref} belongs to another operator, not {operator.operator_ref}")
    return reasons


def _documents(session: Session, column, holder_id: int) -> list[DocumentFact]:  # type: ignore[no-untyped-def]
    return [DocumentFact(d.document_type, d.reference, d.issued_on, d.expires_on, d.status)
            for d in session.scalars(select(Document).where(column == holder_id))]


def compliance_problems(session: Session, days: Sequence[dt.date], policy: Policy, *,
                        operator: Operator | None, vehicle: Vehicle | None, driver: Staff | None,
                        pa: Staff | None) -> list[str]:
    """Reasons any of them is not compliant on one of the days (first failing day per holder)."""
    reasons: list[str] = []
    decisions_by_day = {day: standing_decisions(session, day) for day in days}
    holders: list[tuple[str, int, HolderFact, list[DocumentFact]]] = []
    if operator is not None:
        holders.append((f"operator {operator.operator_ref}", operator.id, HolderFact("operator"),
                        _documents(session, Document.operator_id, operator.id)))
    if vehicle is not None:
        operator_docs = tuple(_documents(session, Document.operator_id, vehicle.operator_id))
        holders.append((f"vehicle {vehicle.registration}", vehicle.operator_id,
                        HolderFact("vehicle", seats=vehicle.seats, operator_documents=operator_docs),
                        _documents(session, Document.vehicle_id, vehicle.id)))
    for staff in (driver, pa):
        if staff is not None:
            holders.append((f"{staff.role.value.replace('_', ' ')} {staff.staff_ref}", staff.operator_id,
                            HolderFact(staff.role.value), _documents(session, Document.staff_id, staff.id)))
    for label, operator_id, fact, documents in holders:
        for day in days:
            decision = decisions_by_day[day].get(operator_id)
            verdict = evaluate(HolderFact(fact.kind, fact.seats, decision, fact.operator_documents),
                               documents, day, policy)
            if not verdict.ok:
                reasons.extend(f"{label} on {day.isoformat()}: {reason}" for reason in verdict.reasons)
                break
    return reasons


def check(session: Session, route: Route, *, today: dt.date, policy: Policy,
          operator: Operator | None, vehicle: Vehicle | None, driver: Staff | None,
          pa: Staff | None) -> list[str]:
    """Every reason the route may not run with this operator, vehicle and crew (empty = allowed)."""
    reasons = fit_problems(route_needs(route), vehicle=vehicle, driver=driver, pa=pa, operator=operator)
    days = service_days(route.days, today)
    if not days:
        return reasons
    reasons += compliance_problems(session, days, policy, operator=operator, vehicle=vehicle,
                                   driver=driver, pa=pa)
    return reasons


def assign(session: Session, route: Route, *, today: dt.date, policy: Policy,
           operator: Operator | None = None, vehicle: Vehicle | None = None,
           driver: Staff | None = None, pa: Staff | None = None) -> Route:
    """Put the given operator/vehicle/crew on the route, keeping what is not given; refuse with reasons.

    Changing the operator clears crew and vehicle of the old operator unless new ones are given.
    A change is the route's next version; versions published for later dates keep it
    (versions.carry_crew_forward), and the route's runs already made from `today` on that have
    not started take the crew in force on their day (hts.operations.runs.recrew_runs).
    """
    new_operator = operator or route.operator
    keep = operator is None or operator.id == route.operator_id
    new_vehicle = vehicle or (route.vehicle if keep else None)
    new_driver = driver or (route.driver if keep else None)
    new_pa = pa or (route.pa if keep else None)
    reasons = check(session, route, today=today, policy=policy, operator=new_operator,
                    vehicle=new_vehicle, driver=new_driver, pa=new_pa)
    if reasons:
        raise AssignmentRefused(reasons)
    changed = (new_operator, new_vehicle, new_driver, new_pa) != (route.operator, route.vehicle, route.driver, route.pa)
    if not changed:
        return route
    old_crew = {name: getattr(route, name) for name in versions.CREW_FIELDS}
    route.operator, route.vehicle, route.driver, route.pa = new_operator, new_vehicle, new_driver, new_pa
    session.flush()
    versions.carry_crew_forward(session, route, old_crew)
    from hts.operations.runs import recrew_runs  # operations builds on compliance, not the reverse

    recrewed = recrew_runs(session, route, today)
    # Crew carried by a later version was not through this gate: check it as every generation does.
    for day in sorted({run.run_on for run in recrewed if run.route_version != route.version}):
        keep_crew_compliant(session, day, policy)
    return route
