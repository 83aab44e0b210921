"""Audit log entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hts.db import Base, utcnow


class AuditEntry(Base):
    """One change to one audited record. Written by the session listener, never edited."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    #: Who acted, readable even after the account is gone: an email, or 'cli:<user>'.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_label: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Lists by record are the common query ("history of this pupil").
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)


class AuditRedactionPermit(Base):
    """A permit to rewrite audit entries, held only inside the retention job's own transaction.

    Database triggers (migration 0020) refuse every UPDATE of `audit_entry` unless a row exists
    here, and every DELETE always. The retention job inserts a row, redacts the personal data of
    anonymised pupils, and deletes the row before it commits, so no other transaction ever sees
    a permit (see docs/architecture.md, "The audit log is append-only").
    """

    __tablename__ = "audit_redaction_permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(String(200))
