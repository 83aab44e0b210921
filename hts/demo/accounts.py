"""The demo's sign-in accounts: one per role, sharing one password chosen at each run."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.auth.models import ROLE_LABELS, Role, User
from hts.auth.service import create_user, password_problem, set_active, set_password
from hts.operators.models import Operator

DEMO_DOMAIN = "demo.hts.test"
DEMO_URL = "http://127.0.0.1:5000"


def demo_email(role: Role) -> str:
    """The demo account's address for a role, e.g. planner@demo.hts.test."""
    return f"{role.value}@{DEMO_DOMAIN}"


def new_password() -> str:
    """A fresh random password that meets the account policy."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password) is None:
            return password


def reset_demo_accounts(session: Session, operator_ref: str, password: str) -> list[User]:
    """Make (or reset, unlock and re-point) one demo account per role; flushes, never commits."""
    operator_id = session.scalar(select(Operator.id).where(Operator.operator_ref == operator_ref))
    users = []
    for role in Role:
        email = demo_email(role)
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session, email=email, name=f"Demo {ROLE_LABELS[role].lower()}",
                               role=role, password=password,
                               operator_ref=operator_ref if role == Role.OPERATOR else None)
        else:
            # Someone may have changed the account while trying the demo: put it back.
            user.role = role
            user.operator_id = operator_id if role == Role.OPERATOR else None
            set_password(user, password)
            set_active(user, True)
        # The head of transport (the demo manager) approves the planners' route changes.
        user.route_approver = role == Role.MANAGER
        users.append(user)
    session.flush()
    return users
