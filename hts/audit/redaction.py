"""The one sanctioned way to rewrite audit entries: a permit held inside a single transaction.

The database refuses UPDATE of `audit_entry` unless `audit_redaction_permit` has a row, and
DELETE always (migration 0020). Only the retention job uses this, to remove the personal data
of pupils it anonymises from their audit entries; everything else can only add entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from hts.audit.models import AuditEntry, AuditRedactionPermit
from hts.db import utcnow


@contextlib.contextmanager
def redaction_permit(session: Session, reason: str) -> Iterator[None]:
    """Let the block update audit entries; the permit row is removed before the block returns.

    On an exception the permit is left for the caller's rollback to remove (a failed
    PostgreSQL transaction accepts no further statement), so it is never committed.
    """
    result = session.execute(
        insert(AuditRedactionPermit).values(granted_at=utcnow(), reason=reason[:200])
        .returning(AuditRedactionPermit.id)
    )
    permit_id = result.scalar_one()
    yield
    session.execute(delete(AuditRedactionPermit).where(AuditRedactionPermit.id == permit_id))


def rewrite_entry(session: Session, entry_id: int, **values: Any) -> None:
    """Replace columns of one audit entry (only inside `redaction_permit`)."""
    session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(**values))
