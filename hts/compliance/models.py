"""Compliance decisions: manual suspension, reinstatement and termination of operators."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts.db import Base, utcnow
from hts.operators.models import Operator, Staff


class DecisionKind(enum.StrEnum):
    """What a compliance officer decided about an operator."""

    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    TERMINATED = "terminated"


class OperatorDecision(Base):
    """A decision with a reason, a person and a date; decisions are added, never edited."""

    __tablename__ = "operator_decision"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(
        Enum(DecisionKind, name="decision_kind", native_enum=False, create_constraint=True,
             length=16, values_callable=lambda e: [m.value for m in e])
    )
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    operator: Mapped[Operator] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.decided_on.isoformat()}"


class SweepResult(Base):
    """What the compliance sweep found for a day; re-running the sweep rewrites it only on change."""

    __tablename__ = "sweep_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    holders_checked: Mapped[int] = mapped_column(Integer)
    not_compliant: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Holders compliant today who stop being compliant within the look-ahead, with the day and reasons.
    lapsing: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    routes_at_risk: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Drivers, PAs and vehicles taken off the day's runs (accumulated over the day's sweeps).
    runs_changed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings_queued: Mapped[int] = mapped_column(Integer, default=0)


class ReviewOutcome(enum.StrEnum):
    """The finding of a gateway review, or for one member of staff in it."""

    SATISFACTORY = "satisfactory"
    CONCERNS = "concerns"
    FAILED = "failed"


def _outcome_enum() -> Enum:
    return Enum(ReviewOutcome, name="review_outcome", native_enum=False, create_constraint=True, length=16,
                values_callable=lambda e: [m.value for m in e])


class GatewayReview(Base):
    """A termly review of an operator that samples its staff and checks the evidence."""

    __tablename__ = "gateway_review"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[ReviewOutcome | None] = mapped_column(_outcome_enum())
    notes: Mapped[str] = mapped_column(Text, default="")

    operator: Mapped[Operator] = relationship()
    items: Mapped[list[GatewayReviewItem]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="GatewayReviewItem.id"
    )

    def __str__(self) -> str:
        return f"Gateway review of {self.operator.operator_ref} opened {self.opened_on.isoformat()}"


class GatewayReviewItem(Base):
    """One sampled member of staff: what evidence was seen and the finding."""

    __tablename__ = "gateway_review_item"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("gateway_review.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    evidence_seen: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[ReviewOutcome | None] = mapped_column(_outcome_enum())
    notes: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[GatewayReview] = relationship(back_populates="items")
    staff: Mapped[Staff] = relationship()

    def __str__(self) -> str:
        return f"Review item {self.id}"
