"""Queue messages in the outbox and deliver them over SMTP when a server is configured."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.db import utcnow
from hts.mail.models import OutboxMessage


class Transport(Protocol):
    """Something that delivers one email."""

    def deliver(self, message: EmailMessage) -> None:
        """Send it or raise."""
        ...


@dataclass(frozen=True)
class SmtpTransport:
    """Plain SMTP to the council's relay."""

    host: str
    port: int = 25
    timeout_seconds: float = 10.0

    def deliver(self, message: EmailMessage) -> None:
        """Hand the message to the relay."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
            smtp.send_message(message)


def transport_from_config(config: dict[str, object]) -> Transport | None:
    """SMTP when MAIL_SMTP_HOST is set, otherwise None (messages stay in the outbox)."""
    host = str(config.get("MAIL_SMTP_HOST") or "")
    return SmtpTransport(host, int(config.get("MAIL_SMTP_PORT", 25))) if host else None  # type: ignore[call-overload]


def queue(session: Session, *, key: str, to: str, subject: str, body: str) -> OutboxMessage | None:
    """Add a message unless one with the same key exists; returns the new message or None."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    message = OutboxMessage(key=key, to_address=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    return message


def deliver_pending(session: Session, transport: Transport | None, sender: str, limit: int = 500) -> int:
    """Send outbox messages not yet sent; failures are recorded and retried next time."""
    if transport is None:
        return 0
    sent = 0
    # Locked until the caller commits, and skipped by anyone else delivering at the same time (the
    # scheduler's mail job and a sweep's own delivery), so no message is sent twice (PostgreSQL;
    # on SQLite the write lock already lets one deliverer in at a time).
    pending = session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)
    )
    for item in pending:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, item.to_address, item.subject
        message.set_content(item.body)
        try:
            transport.deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            item.error = str(exc)[:500]
            continue
        item.sent_at, item.error = utcnow(), None
        sent += 1
    session.flush()
    return sent
