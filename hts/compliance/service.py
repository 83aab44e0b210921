"""Judge every holder for a day from the database, in a handful of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.compliance.models import DecisionKind, OperatorDecision
from hts.compliance.rules import Decision, DocumentFact, HolderFact, Policy, Verdict, evaluate
from hts.operators.models import Document, HolderType, Operator, Staff, StaffRole, Vehicle


@dataclass(frozen=True)
class HolderVerdict:
    """One holder's verdict for a day."""

    holder_type: str  # operator, driver, passenger_assistant or vehicle
    holder_ref: str
    operator_ref: str
    verdict: Verdict

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `hts compliance status`."""
        return {
            "holder_type": self.holder_type,
            "holder_ref": self.holder_ref,
            "operator_ref": self.operator_ref,
            "compliant": self.verdict.ok,
            "reasons": list(self.verdict.reasons),
        }


def _fact(document: Document) -> DocumentFact:
    return DocumentFact(document.document_type, document.reference, document.issued_on,
                        document.expires_on, document.status)


def standing_decisions(session: Session, day: dt.date) -> dict[int, Decision]:
    """Each operator's suspension or termination in force on `day` (a later reinstatement lifts it)."""
    latest: dict[int, OperatorDecision] = {}
    rows = session.scalars(
        select(OperatorDecision).where(OperatorDecision.decided_on <= day)
        .order_by(OperatorDecision.decided_on, OperatorDecision.id)
    )
    for decision in rows:
        latest[decision.operator_id] = decision
    return {
        operator_id: Decision(d.kind.value, d.decided_by, d.decided_on, d.reason)
        for operator_id, d in latest.items()
        if d.kind in (DecisionKind.SUSPENDED, DecisionKind.TERMINATED)
    }


@dataclass(frozen=True)
class Holder:
    """An operator, member of staff or vehicle with its documents, loaded once for many days."""

    holder_type: str
    holder_ref: str
    operator_id: int
    operator_ref: str
    seats: int
    documents: tuple[DocumentFact, ...]
    operator_documents: tuple[DocumentFact, ...]

    def judge(self, day: dt.date, decisions: dict[int, Decision], policy: Policy) -> HolderVerdict:
        """This holder's verdict for `day`."""
        fact = HolderFact(self.holder_type, seats=self.seats, operator_decision=decisions.get(self.operator_id),
                          operator_documents=self.operator_documents)
        return HolderVerdict(self.holder_type, self.holder_ref, self.operator_ref,
                             evaluate(fact, self.documents, day, policy))


def load_holders(session: Session) -> list[Holder]:
    """Every operator, member of staff and vehicle with its documents, in four column queries.

    Only the columns the rules read are loaded (no ORM objects): a city has tens of thousands
    of documents and the sweep, the dashboard and the readiness board all start here.
    """
    documents: dict[tuple[str, int], list[DocumentFact]] = defaultdict(list)
    rows = session.execute(select(
        Document.holder_type, Document.operator_id, Document.staff_id, Document.vehicle_id, Document.document_type,
        Document.reference, Document.issued_on, Document.expires_on, Document.status,
    ))
    for holder_type, operator_id, staff_id, vehicle_id, *fact in rows:
        holder_id = operator_id or staff_id or vehicle_id
        documents[(HolderType(holder_type).value, holder_id)].append(DocumentFact(*fact))
    operators = dict(session.execute(select(Operator.id, Operator.operator_ref).order_by(Operator.operator_ref)).all())
    holders = [
        Holder("operator", ref, operator_id, ref, 0, tuple(documents[("operator", operator_id)]), ())
        for operator_id, ref in operators.items()
    ]
    for staff_id, staff_ref, operator_id, role in session.execute(
        select(Staff.id, Staff.staff_ref, Staff.operator_id, Staff.role).order_by(Staff.staff_ref)
    ):
        holders.append(Holder(StaffRole(role).value, staff_ref, operator_id, operators[operator_id], 0,
                              tuple(documents[("staff", staff_id)]), ()))
    for vehicle_id, registration, operator_id, seats in session.execute(
        select(Vehicle.id, Vehicle.registration, Vehicle.operator_id, Vehicle.seats).order_by(Vehicle.registration)
    ):
        holders.append(Holder("vehicle", registration, operator_id, operators[operator_id], seats,
                              tuple(documents[("vehicle", vehicle_id)]),
                              tuple(documents[("operator", operator_id)])))
    return holders


def evaluate_all(session: Session, day: dt.date, policy: Policy | None = None,
                 holders: list[Holder] | None = None) -> list[HolderVerdict]:
    """Every operator, member of staff and vehicle judged for `day`."""
    policy = policy or Policy()
    decisions = standing_decisions(session, day)
    return [holder.judge(day, decisions, policy) for holder in (holders or load_holders(session))]


def summary(verdicts: Sequence[HolderVerdict]) -> dict[str, int]:
    """Counts of compliant and non-compliant holders by type."""
    counts: dict[str, int] = defaultdict(int)
    for item in verdicts:
        counts[f"{item.holder_type}_{'compliant' if item.verdict.ok else 'not_compliant'}"] += 1
    return dict(counts)
