"""Web pages of the audit domain: the administrator's audit log, and record histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import and_, or_, select

from hts import db, weekdays
from hts.audit.models import AuditEntry
from hts.auth.access import can_see_pupils, roles_required
from hts.web import ADMIN_ROLES, HISTORY_ROLES, contains, paginate, search_text

bp = Blueprint("audit", __name__, template_folder="templates")

#: The most entries a record's history shows on its page (newest first).
HISTORY_LIMIT = 100

#: Readable names of the audited tables.
ENTITY_LABELS = {
    "school": "School",
    "pupil": "Pupil",
    "pupil_address": "Pupil address",
    "operator": "Operator",
    "staff": "Staff",
    "vehicle": "Vehicle",
    "document": "Document",
    "route": "Route",
    "app_user": "User account",
}


def entity_label(entity_type: str) -> str:
    """A readable name for an audited table: 'pupil_address' reads 'Pupil address'."""
    return ENTITY_LABELS.get(entity_type, entity_type.replace("_", " ").capitalize())


def history_for(*records: tuple[str, list[int]]) -> list[AuditEntry] | None:
    """Newest changes to the given (entity type, ids), or None when the user may not see history."""
    if not current_user.is_authenticated or current_user.role not in HISTORY_ROLES:
        return None
    conditions = [
        and_(AuditEntry.entity_type == entity_type, AuditEntry.entity_id.in_(ids))
        for entity_type, ids in records
        if ids
    ]
    if not conditions:
        return []
    query = (
        select(AuditEntry)
        .where(or_(*conditions))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return list(db.session.scalars(query))


#: Fields of children's data recorded on other records' entries (a route's pupil references).
PUPIL_FIELDS = frozenset({"pupils"})
#: Weekday masks, shown as day names.
DAY_FIELDS = frozenset({"days", "travel_days"})
#: Fields that add nothing to a reader (the record's own id is in the entry).
HIDDEN_FIELDS = frozenset({"id"})


def readable(field: str, value: Any) -> str:
    """An audited value as a person reads it: Yes/No, pounds, kilometres, day names."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in DAY_FIELDS and isinstance(value, int):
        return weekdays.format_mask(value) or "none"
    if field.endswith("_pence") and isinstance(value, int):
        return f"£{value / 100:,.2f}"
    if field.endswith("_metres") and isinstance(value, int):
        return f"{value / 1000:,.1f} km"
    return str(value)


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) as readable text for each field an entry touched.

    Pupil references on other records' entries are withheld from roles without children's data.
    """
    before = entry.before or {}
    after = entry.after or {}
    hide_pupils = not can_see_pupils()
    rows = []
    for field in sorted((set(before) | set(after)) - HIDDEN_FIELDS):
        if hide_pupils and field in PUPIL_FIELDS:
            rows.append((field, "not shown to your role", "not shown to your role"))
            continue
        rows.append((field, readable(field, before.get(field)), readable(field, after.get(field))))
    return rows


bp.add_app_template_global(changes, "audit_changes")


def _parse_day(text: str) -> tuple[dt.date | None, str | None]:
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, "Enter a real date, for example 2026-03-27"


@bp.get("/audit")
@roles_required(ADMIN_ROLES)
def entries() -> Any:
    """The audit log, newest first, filterable by record type, actor and day."""
    entity_type = request.args.get("entity_type", "")
    search = search_text()
    actor = request.args.get("actor", "").strip()[:100]
    day_text = request.args.get("day", "").strip()
    day, day_error = _parse_day(day_text)
    # Every type in the log, so records of newer domains can be filtered too.
    types = db.session.scalars(select(AuditEntry.entity_type).distinct()).all()
    labels = {name: entity_label(name) for name in sorted(types, key=entity_label)}
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity_type in labels:
        query = query.where(AuditEntry.entity_type == entity_type)
    if search:
        query = query.where(AuditEntry.entity_label.ilike(contains(search), escape="\\"))
    if actor:
        query = query.where(AuditEntry.actor.ilike(contains(actor), escape="\\"))
    if day is not None:
        # Timestamps are stored in UTC; a day filter is a UTC day, as the page says.
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        query = query.where(AuditEntry.at >= start, AuditEntry.at < start + dt.timedelta(days=1))
    return render_template(
        "audit/entries.html", page=paginate(query), search=search, entity_type=entity_type, actor=actor,
        day=day_text, day_error=day_error, entity_labels=labels,
    )
