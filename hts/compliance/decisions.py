"""Suspend, reinstate and terminate operators: decisions with a reason, a person and a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.compliance.models import DecisionKind, OperatorDecision
from hts.operators.models import Operator
from hts.routing.models import Route


class DecisionRefused(ValueError):
    """A decision that cannot be made as asked, with the reason."""


@dataclass
class DecisionOutcome:
    """The decision recorded, and the routes it left without an operator."""

    decision: OperatorDecision
    unassigned_routes: list[str] = field(default_factory=list)


def current_standing(session: Session, operator: Operator) -> OperatorDecision | None:
    """The operator's latest decision, or None when it has never had one."""
    return session.scalar(
        select(OperatorDecision).where(OperatorDecision.operator_id == operator.id)
        .order_by(OperatorDecision.decided_on.desc(), OperatorDecision.id.desc()).limit(1)
    )


def history(session: Session, operator: Operator) -> list[OperatorDecision]:
    """Every decision about the operator, newest first."""
    return list(session.scalars(
        select(OperatorDecision).where(OperatorDecision.operator_id == operator.id)
        .order_by(OperatorDecision.decided_on.desc(), OperatorDecision.id.desc())
    ))


def decide(session: Session, operator: Operator, *, kind: DecisionKind | str, reason: str, decided_by: str,
           decided_on: dt.date) -> DecisionOutcome:
    """Record a decision; terminating also takes the operator and its crew off all its routes."""
    kind = DecisionKind(kind)
    if not reason.strip():
        raise DecisionRefused("Give the reason for the decision")
    if not decided_by.strip():
        raise DecisionRefused("Say who made the decision")
    latest = current_standing(session, operator)
    standing = latest.kind if latest else None
    if standing == DecisionKind.TERMINATED:
        raise DecisionRefused(
            f"{operator.name} was terminated on {latest.decided_on.isoformat()}; "  # type: ignore[union-attr]
            "a terminated operator needs a new contract, not a decision"
        )
    if kind == DecisionKind.SUSPENDED and standing == DecisionKind.SUSPENDED:
        raise DecisionRefused(f"{operator.name} is already suspended")
    if kind == DecisionKind.REINSTATED and standing != DecisionKind.SUSPENDED:
        raise DecisionRefused(f"{operator.name} is not suspended, so it cannot be reinstated")
    if latest is not None and decided_on < latest.decided_on:
        raise DecisionRefused(
            f"The decision date must not be before the last decision ({latest.decided_on.isoformat()})"
        )
    decision = OperatorDecision(operator=operator, kind=kind, reason=reason.strip(),
                                decided_by=decided_by.strip(), decided_on=decided_on)
    session.add(decision)
    outcome = DecisionOutcome(decision)
    if kind == DecisionKind.TERMINATED:
        routes = session.scalars(select(Route).where(Route.operator_id == operator.id).order_by(Route.route_code))
        for route in routes:
            route.operator = route.vehicle = route.driver = route.pa = None
            route.version += 1
            outcome.unassigned_routes.append(route.route_code)
    session.flush()
    return outcome
