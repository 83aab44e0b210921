"""Accounts: creating users, checking passwords, throttling guesses."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hts.auth.models import LoginAttempt, Role, User
from hts.db import as_utc, utcnow
from hts.operators.models import Operator

MIN_PASSWORD_LENGTH = 10
#: About 20,000 common passwords, lower case, one a line (from Django; see the LICENSE file beside it).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# A wrong email still costs one hash check, so timing does not reveal which accounts exist.
@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))


class AccountError(ValueError):
    """Bad input for an account, with a message for the person who gave it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def hash_password(password: str) -> str:
    """A salted hash; tests may choose a cheaper method through PASSWORD_HASH_METHOD."""
    method = "scrypt"
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD", method)
    return generate_password_hash(password, method=method)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The offline list of common passwords, read once per process."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def password_problem(password: str) -> str | None:
    """Why a password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters long"
    # The list is lower case, as guessing tools try every capitalisation anyway.
    if password.strip().lower() in common_passwords():
        return ("Password is one of the most commonly used passwords, which are guessed first; "
                "choose another, for example three or four random words")
    if password.lower() == password and password.isalpha():
        return "Password must not be a single lower-case word; use several words or add digits"
    return None


def normalise_email(email: str) -> str:
    """Email addresses are matched without case or surrounding spaces."""
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    operator_ref: str | None = None,
) -> User:
    """Add a user; raises AccountError naming the field at fault."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise AccountError("email", f"'{email}' is not an email address")
    if not name.strip():
        raise AccountError("name", "Enter the person's name")
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError("role", f"'{role}' is not a role; choose one of {choices}") from None
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("email", f"An account for {email} already exists")
    operator_id = None
    if role == Role.OPERATOR:
        if not operator_ref:
            raise AccountError("operator", "An operator account must name its operator")
        operator_id = session.scalar(
            select(Operator.id).where(Operator.operator_ref == operator_ref.strip())
        )
        if operator_id is None:
            raise AccountError("operator", f"No operator with reference '{operator_ref}'")
    elif operator_ref:
        raise AccountError("operator", "Only operator accounts belong to an operator")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        operator_id=operator_id,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(32),
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change a password (checked against the policy) and end the user's other sessions."""
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(32)


def set_active(user: User, active: bool) -> None:
    """Lock or unlock an account; locking ends its sessions at once."""
    user.active = active
    user.session_token = secrets.token_hex(32)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt."""

    user: User | None
    message: str | None = None


def _recent_failures(session: Session, column: Any, value: str, since: dt.datetime) -> int:
    """Failures for this account or address in the window and since its last success."""
    last_success = as_utc(
        session.scalar(
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded.is_(True))
        )
    )
    floor = max(since, last_success) if last_success else since
    return session.scalar(
        select(func.count()).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > floor
        )
    ) or 0


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    max_failures: int,
    window_minutes: int,
) -> LoginResult:
    """Check a sign-in, refusing while the account or address has too many recent failures."""
    email = normalise_email(email)
    now = utcnow()
    since = now - dt.timedelta(minutes=window_minutes)
    if (
        _recent_failures(session, LoginAttempt.email, email, since) >= max_failures
        or _recent_failures(session, LoginAttempt.address, address, since) >= max_failures
    ):
        return LoginResult(
            None,
            f"Too many failed sign-in attempts. Wait {window_minutes} minutes and try again.",
        )
    user = session.scalar(select(User).where(User.email == email))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    ok = ok and user is not None
    session.add(LoginAttempt(at=now, email=email, address=address, succeeded=bool(ok and user.active)))
    if not ok:
        return LoginResult(None, "The email address or password is not right")
    assert user is not None
    if not user.active:
        return LoginResult(None, "This account is locked. Ask an administrator to unlock it.")
    user.session_token = secrets.token_hex(32)
    user.last_login_at = now
    return LoginResult(user)
