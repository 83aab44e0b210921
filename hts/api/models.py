"""API tokens: one or more per operator, stored only as a hash."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts.db import Base, utcnow
from hts.operators.models import Operator


class ApiToken(Base):
    """A bearer token that acts for one operator; the token itself is shown once and never stored."""

    __tablename__ = "api_token"
    __audited__ = True
    __audit_exclude__ = frozenset({"token_hash", "last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    operator: Mapped[Operator] = relationship()

    def __str__(self) -> str:
        return f"API token '{self.name}' of {self.operator.operator_ref if self.operator else self.operator_id}"
