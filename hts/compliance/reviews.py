"""Gateway reviews: sample an operator's staff each term, record the evidence seen and the outcome."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hts.compliance.models import GatewayReview, GatewayReviewItem, ReviewOutcome
from hts.operators.models import Operator, Staff


class ReviewRefused(ValueError):
    """A review step that cannot be taken, with the reason."""


def sample_size(staff_count: int, share: float) -> int:
    """How many staff to sample: the share rounded up, at least one when there are any."""
    if staff_count <= 0:
        return 0
    return min(staff_count, max(1, math.ceil(staff_count * share)))


def open_review(session: Session, operator: Operator, *, reviewer: str, opened_on: dt.date,
                share: float) -> GatewayReview:
    """Start a review with a random sample of the operator's staff (reproducible for the same day)."""
    if not reviewer.strip():
        raise ReviewRefused("Say who is carrying out the review")
    open_already = session.scalar(select(GatewayReview.id).where(
        GatewayReview.operator_id == operator.id, GatewayReview.completed_on.is_(None)))
    if open_already is not None:
        raise ReviewRefused(f"{operator.name} already has a review in progress")
    staff = list(session.scalars(select(Staff).where(Staff.operator_id == operator.id).order_by(Staff.staff_ref)))
    if not staff:
        raise ReviewRefused(f"{operator.name} has no staff to review")
    chosen = random.Random(f"{operator.operator_ref}:{opened_on.isoformat()}").sample(
        staff, sample_size(len(staff), share))
    review = GatewayReview(operator=operator, reviewer=reviewer.strip(), opened_on=opened_on, notes="")
    review.items = [GatewayReviewItem(staff=s, evidence_seen="", notes="") for s in sorted(chosen, key=lambda s: s.staff_ref)]
    session.add(review)
    session.flush()
    return review


def record_item(item: GatewayReviewItem, *, evidence_seen: str, outcome: ReviewOutcome | str, notes: str = "") -> None:
    """Record what was seen for one sampled person and the finding."""
    if item.review.completed_on is not None:
        raise ReviewRefused("This review is complete; open a new one to record more")
    if not evidence_seen.strip():
        raise ReviewRefused("Describe the evidence seen (for example: DBS certificate sighted, badge checked)")
    item.evidence_seen = evidence_seen.strip()
    item.outcome = ReviewOutcome(outcome)
    item.notes = notes.strip()


def complete_review(review: GatewayReview, *, completed_on: dt.date, notes: str = "") -> GatewayReview:
    """Close the review; its outcome is the worst finding among the sampled staff."""
    if review.completed_on is not None:
        raise ReviewRefused("This review is already complete")
    undone = [item.staff.staff_ref for item in review.items if item.outcome is None]
    if undone:
        raise ReviewRefused("Record the evidence for every sampled person first: " + ", ".join(undone))
    if completed_on < review.opened_on:
        raise ReviewRefused("A review cannot be completed before it was opened")
    order = [ReviewOutcome.SATISFACTORY, ReviewOutcome.CONCERNS, ReviewOutcome.FAILED]
    review.outcome = max((item.outcome for item in review.items), key=order.index)  # type: ignore[arg-type]
    review.completed_on = completed_on
    review.notes = notes.strip()
    return review


@dataclass(frozen=True)
class ReviewDue:
    """An operator whose review is due or overdue."""

    operator_id: int
    operator_ref: str
    operator_name: str
    last_completed_on: dt.date | None
    due_on: dt.date | None
    in_progress: bool
    #: Never reviewed, or the interval passed before today.
    overdue: bool


def reviews_due(session: Session, today: dt.date, interval_days: int) -> list[ReviewDue]:
    """Operators with staff whose last completed review is older than the interval (or never)."""
    last = (select(GatewayReview.operator_id, func.max(GatewayReview.completed_on).label("last"))
            .group_by(GatewayReview.operator_id).subquery())
    in_progress = set(session.scalars(select(GatewayReview.operator_id).where(GatewayReview.completed_on.is_(None))))
    with_staff = select(Staff.operator_id).distinct()
    rows = session.execute(
        select(Operator, last.c.last).outerjoin(last, last.c.operator_id == Operator.id)
        .where(Operator.id.in_(with_staff)).order_by(Operator.operator_ref)
    )
    due = []
    for operator, last_on in rows:
        due_on = last_on + dt.timedelta(days=interval_days) if last_on else None
        if due_on is None or due_on <= today:
            due.append(ReviewDue(operator.id, operator.operator_ref, operator.name, last_on, due_on,
                                 operator.id in in_progress, due_on is None or due_on < today))
    return due
