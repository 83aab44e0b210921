"""Store each day's SITREP, and recompute days whose data changed after they were stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hts.compliance.rules import Policy
from hts.db import utcnow
from hts.operations.models import Run
from hts.sitrep.figures import sitrep
from hts.sitrep.models import SitrepSnapshot


def store_snapshot(session: Session, day: dt.date, policy: Policy | None = None) -> SitrepSnapshot:
    """Compute the day's figures and store them (replacing an earlier snapshot of the day)."""
    figures = sitrep(session, day, day, policy).as_dict()
    snapshot = session.scalar(select(SitrepSnapshot).where(SitrepSnapshot.day == day))
    if snapshot is None:
        snapshot = SitrepSnapshot(day=day, figures=figures)
        session.add(snapshot)
    snapshot.figures, snapshot.computed_at, snapshot.stale = figures, utcnow(), False
    session.flush()
    return snapshot


def mark_stale(session: Session, days: set[dt.date]) -> None:
    """Flag stored days whose data has just changed (calls, cases or returns imported late)."""
    if days:
        session.execute(update(SitrepSnapshot).where(SitrepSnapshot.day.in_(days)).values(stale=True))


def stale_days(session: Session) -> list[dt.date]:
    """Stored days flagged stale, or with a run changed after the snapshot was computed."""
    flagged = set(session.scalars(select(SitrepSnapshot.day).where(SitrepSnapshot.stale.is_(True))))
    changed = set(session.scalars(
        select(SitrepSnapshot.day).join(Run, Run.run_on == SitrepSnapshot.day)
        .where(Run.updated_at > SitrepSnapshot.computed_at).distinct()
    ))
    return sorted(flagged | changed)


def recompute_stale(session: Session, policy: Policy | None = None) -> list[dt.date]:
    """Recompute every stale day; returns the days recomputed."""
    days = stale_days(session)
    for day in days:
        store_snapshot(session, day, policy)
    return days
