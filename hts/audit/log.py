"""Record changes to audited models as they are flushed.

A model opts in with `__audited__ = True` and may hide columns with `__audit_exclude__`.
The actor comes from a context variable set per request (the signed-in user) or per CLI
command, so services never pass it around.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, object_session

from hts.audit.models import AuditEntry
from hts.db import Base, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is making changes."""

    label: str
    user_id: int | None = None


_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "hts_actor", default=Actor("system")  # noqa: B039 (Actor is frozen)
)


def current_actor() -> Actor:
    """The actor of the current request, command or job."""
    return _actor.get()


def set_actor(actor: Actor) -> contextvars.Token[Actor]:
    """Make `actor` the author of changes from here on; returns a token to reset it."""
    return _actor.set(actor)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute changes inside the block to `actor`."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


#: Values stored as they are; checked first because nearly every column holds one.
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


@functools.cache
def audited_columns(model: type) -> tuple[str, ...]:
    """The attribute keys of a model that its audit entries hold (worked out once per model)."""
    exclude = getattr(model, "__audit_exclude__", frozenset()) | {"created_at", "updated_at"}
    return tuple(c.key for c in inspect(model).column_attrs if c.key not in exclude)


def _columns(obj: Any) -> tuple[str, ...]:
    return audited_columns(type(obj))


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: _plain(getattr(obj, key)) for key in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _plain(old) == _plain(new):
            continue
        before[key] = _plain(old)
        after[key] = _plain(new)
    return before, after


def _label(obj: Any) -> str:
    try:
        return str(obj)[:200]
    except Exception:  # a half-loaded object must not break the flush
        return f"{type(obj).__name__} {getattr(obj, 'id', '')}"


def _audited(obj: Any) -> bool:
    return getattr(type(obj), "__audited__", False)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Capture updates before the flush clears attribute history; deletions are captured row by
    # row as they happen (`_after_delete`, which also sees orphans removed from a relationship);
    # inserts are captured after the flush, with their ids.
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                pending.append(("update", obj, before, after))
    session.info["audit_new"] = [obj for obj in session.new if _audited(obj)]


def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop("audit_pending", [])
    new = session.info.pop("audit_new", [])
    actor = current_actor()
    now = utcnow()
    rows = []
    for obj in new:
        pending.append(("create", obj, None, _snapshot(obj)))
    for action, obj, before, after in pending:
        rows.append(
            {
                "at": now,
                "user_id": actor.user_id,
                "actor": actor.label,
                "action": action,
                "entity_type": type(obj).__tablename__,
                "entity_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                "entity_label": _label(obj),
                "before": before,
                "after": after,
            }
        )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def _after_delete(_mapper: Any, _connection: Any, target: Any) -> None:
    if not _audited(target):
        return
    session = object_session(target)
    if session is not None:
        session.info.setdefault("audit_pending", []).append(("delete", target, _snapshot(target), None))


def install() -> None:
    """Listen on every ORM session and every mapped class (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Base, "after_delete", _after_delete, propagate=True)


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: int,
    entity_label: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Write an explicit entry, for changes that are not one row's columns (a route's pupils)."""
    actor = current_actor()
    session.add(
        AuditEntry(
            at=utcnow(), user_id=actor.user_id, actor=actor.label, action=action,
            entity_type=entity_type, entity_id=entity_id, entity_label=entity_label[:200],
            before=before, after=after,
        )
    )


@dataclass(frozen=True)
class Change:
    """One entry for `record_many`: a change the flush listener cannot see (a bulk INSERT)."""

    action: str
    entity_type: str
    entity_id: int
    entity_label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def created_snapshot(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """What the listener records as `after` when a `model` row with these column values is created."""
    return {key: _plain(values.get(key)) for key in audited_columns(model)}


def record_many(session: Session, changes: list[Change]) -> None:
    """Write entries for rows written with bulk INSERTs, in order, in one statement per 1,000.

    Writers that insert rows with Core (bypassing the flush listener) call this so the log holds
    the same entries as for rows added through the ORM.
    """
    actor = current_actor()
    now = utcnow()
    rows = [
        {"at": now, "user_id": actor.user_id, "actor": actor.label, "action": c.action,
         "entity_type": c.entity_type, "entity_id": c.entity_id, "entity_label": c.entity_label[:200],
         "before": c.before, "after": c.after}
        for c in changes
    ]
    for start in range(0, len(rows), 1000):
        session.connection().execute(insert(AuditEntry), rows[start:start + 1000])
