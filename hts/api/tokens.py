"""Issue, check and revoke operators' API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.api.models import ApiToken
from hts.db import utcnow
from hts.operators.models import Operator

PREFIX = "hts_"


def _digest(token: str) -> str:
    # Tokens are long and random, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, operator: Operator, name: str) -> tuple[ApiToken, str]:
    """A new token for the operator; returns the row and the token, which is never shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(operator=operator, name=name.strip() or "API token", token_hash=_digest(token))
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The live token row for a presented token, or None."""
    if not token.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row


def revoke(row: ApiToken) -> None:
    """Stop a token working at once."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
