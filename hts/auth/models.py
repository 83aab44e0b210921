"""Accounts, roles and login attempts."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts.db import Base, utcnow
from hts.operators.models import Operator


class Role(enum.StrEnum):
    """What a user is there to do."""

    ADMIN = "admin"
    PLANNER = "planner"
    COMPLIANCE = "compliance"
    MANAGER = "manager"
    OPERATIONS = "operations"
    OPERATOR = "operator"

    @property
    def label(self) -> str:
        """A readable name for the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.PLANNER: "Transport planner",
    Role.COMPLIANCE: "Compliance officer",
    Role.MANAGER: "Manager",
    Role.OPERATIONS: "Control room",
    Role.OPERATOR: "Operator",
}


class User(UserMixin, Base):
    """A person who signs in; an operator user belongs to exactly one operator."""

    __tablename__ = "app_user"
    __audited__ = True
    __audit_exclude__ = frozenset({"password_hash", "session_token", "last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", native_enum=False, create_constraint=True, length=16,
             values_callable=lambda e: [m.value for m in e])
    )
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: May approve route change requests (never their own), whatever their role.
    route_approver: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Changes on every login and password change, so old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    operator: Mapped[Operator | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(role = 'operator') = (operator_id IS NOT NULL)", name="operator_users_name_operator"
        ),
    )

    def get_id(self) -> str:
        """Flask-Login's id: the session token, so a new login or a lock ends old sessions."""
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_role(self, *roles: Role | str) -> bool:
        """Whether the user has one of the roles."""
        return self.role in roles

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LoginAttempt(Base):
    """One try at signing in, kept to throttle guessing by account and by address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
