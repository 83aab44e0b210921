"""The log of who opened a child's record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hts.db import Base, utcnow


class PupilRecordView(Base):
    """One look at a pupil's record by a person or a command. Written once, never edited."""

    __tablename__ = "pupil_record_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    #: Who looked, readable even after the account is gone: an email, or 'cli:<user>'.
    actor: Mapped[str] = mapped_column(String(254))
    viewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: What was seen: 'pupil page', 'run sheet', 'subject access export'.
    what: Mapped[str] = mapped_column(String(60))

    # The one query is "views of this pupil, newest first".
    __table_args__ = (Index("ix_pupil_record_view_pupil", "pupil_id", "viewed_at"),)
