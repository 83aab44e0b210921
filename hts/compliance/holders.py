"""Read-only queries behind the compliance pages: one holder's verdict, an operator's fleet
judged at once, the holders not compliant on a day, and the next school day.

The verdicts come from `rules.evaluate` exactly as the gate and the sweep judge them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.compliance.rules import Decision, DocumentFact, HolderFact, Policy, Verdict, evaluate
from hts.compliance.service import evaluate_all, standing_decisions
from hts.operators.models import Document, Operator, Staff, Vehicle

Holder = Operator | Staff | Vehicle


def fact_of(document: Document) -> DocumentFact:
    """What the rules need of a stored document."""
    return DocumentFact(document.document_type, document.reference, document.issued_on,
                        document.expires_on, document.status)


def _documents(session: Session, column, holder_id: int) -> tuple[DocumentFact, ...]:  # type: ignore[no-untyped-def]
    return tuple(fact_of(d) for d in session.scalars(select(Document).where(column == holder_id)))


def verdict_of(session: Session, holder: Holder, day: dt.date, policy: Policy) -> Verdict:
    """One operator's, member of staff's or vehicle's verdict for `day`."""
    decisions = standing_decisions(session, day)
    if isinstance(holder, Operator):
        fact = HolderFact("operator", operator_decision=decisions.get(holder.id))
        return evaluate(fact, _documents(session, Document.operator_id, holder.id), day, policy)
    decision = decisions.get(holder.operator_id)
    if isinstance(holder, Staff):
        fact = HolderFact(holder.role.value, operator_decision=decision)
        return evaluate(fact, _documents(session, Document.staff_id, holder.id), day, policy)
    fact = HolderFact("vehicle", seats=holder.seats, operator_decision=decision,
                      operator_documents=_documents(session, Document.operator_id, holder.operator_id))
    return evaluate(fact, _documents(session, Document.vehicle_id, holder.id), day, policy)


@dataclass(frozen=True)
class FleetVerdicts:
    """An operator's verdict and those of its staff and vehicles, by id."""

    operator: Verdict
    staff: dict[int, Verdict]
    vehicles: dict[int, Verdict]


def fleet_verdicts(session: Session, operator: Operator, staff: list[Staff], vehicles: list[Vehicle],
                   day: dt.date, policy: Policy) -> FleetVerdicts:
    """Judge an operator with all its staff and vehicles in three queries, not one per holder."""
    decision: Decision | None = standing_decisions(session, day).get(operator.id)
    by_holder: dict[tuple[str, int], list[DocumentFact]] = defaultdict(list)
    staff_ids = [s.id for s in staff]
    vehicle_ids = [v.id for v in vehicles]
    rows = session.scalars(select(Document).where(
        (Document.operator_id == operator.id) | Document.staff_id.in_(staff_ids) | Document.vehicle_id.in_(vehicle_ids)
    ))
    for document in rows:
        if document.operator_id is not None:
            by_holder[("operator", document.operator_id)].append(fact_of(document))
        elif document.staff_id is not None:
            by_holder[("staff", document.staff_id)].append(fact_of(document))
        elif document.vehicle_id is not None:
            by_holder[("vehicle", document.vehicle_id)].append(fact_of(document))
    own = tuple(by_holder[("operator", operator.id)])
    return FleetVerdicts(
        operator=evaluate(HolderFact("operator", operator_decision=decision), own, day, policy),
        staff={s.id: evaluate(HolderFact(s.role.value, operator_decision=decision), by_holder[("staff", s.id)],
                              day, policy) for s in staff},
        vehicles={v.id: evaluate(HolderFact("vehicle", seats=v.seats, operator_decision=decision,
                                            operator_documents=own), by_holder[("vehicle", v.id)], day, policy)
                  for v in vehicles},
    )


@dataclass(frozen=True)
class NotCompliant:
    """A holder not compliant on a day, with where its page is."""

    holder_type: str
    holder_ref: str
    name: str
    operator_ref: str
    endpoint: str
    holder_id: int
    reasons: tuple[str, ...]

    @property
    def url_args(self) -> dict[str, int]:
        """The argument of the holder's compliance page."""
        key = {"compliance.operator": "operator_id", "compliance.vehicle": "vehicle_id"}.get(self.endpoint, "staff_id")
        return {key: self.holder_id}


HOLDER_TYPES = {
    "operator": "Operators",
    "driver": "Drivers",
    "passenger_assistant": "Passenger assistants",
    "vehicle": "Vehicles",
}


def not_compliant(session: Session, day: dt.date, policy: Policy) -> list[NotCompliant]:
    """Every holder not compliant on `day`, with its reasons and page, in type then reference order."""
    verdicts = [v for v in evaluate_all(session, day, policy) if not v.verdict.ok]
    operators = {ref: (id_, name) for id_, ref, name in session.execute(
        select(Operator.id, Operator.operator_ref, Operator.name))}
    staff = {ref: (id_, f"{first} {last}") for id_, ref, first, last in session.execute(
        select(Staff.id, Staff.staff_ref, Staff.first_name, Staff.last_name))}
    vehicles = {ref: (id_, ref) for id_, ref in session.execute(select(Vehicle.id, Vehicle.registration))}
    found = []
    for item in verdicts:
        if item.holder_type == "operator":
            (holder_id, name), endpoint = operators[item.holder_ref], "compliance.operator"
        elif item.holder_type == "vehicle":
            (holder_id, name), endpoint = vehicles[item.holder_ref], "compliance.vehicle"
        else:
            (holder_id, name), endpoint = staff[item.holder_ref], "compliance.staff"
        found.append(NotCompliant(item.holder_type, item.holder_ref, name, item.operator_ref, endpoint,
                                  holder_id, item.verdict.reasons))
    order = list(HOLDER_TYPES)
    return sorted(found, key=lambda n: (order.index(n.holder_type), n.holder_ref))


def next_school_day(session: Session, after: dt.date) -> dt.date:
    """The first council-wide school day after `after` (weekends, bank holidays and holidays skipped)."""
    from hts.operations.calendar import load_calendar

    calendar = load_calendar(session, school_ids=[])
    for offset in range(1, 120):
        day = after + dt.timedelta(days=offset)
        # No school has id 0: this asks about council-wide term dates and closures only.
        if calendar.is_school_day(0, day):
            return day
    return after + dt.timedelta(days=1)
