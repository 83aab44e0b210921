"""Who viewed a child's record, and the subject access export of everything held about a pupil."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from typing import Any

from sqlalchemy import String, cast, inspect, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from hts.audit.log import current_actor
from hts.audit.models import AuditEntry
from hts.db import utcnow
from hts.operations.models import PupilAbsence, Run, RunEvent, RunPupil, SafeguardingCase
from hts.people.models import Pupil
from hts.privacy.models import PupilRecordView
from hts.routing.models import PupilIncompatibility, Route, RouteStop, route_stop_pupil

#: What a subject access export is logged as, among the record's views.
EXPORT_VIEW = "subject access export"

README = (
    "This file holds everything the home-to-school transport system keeps about one pupil, "
    "as required for a subject access request under the UK GDPR. Sections: 'pupil' is the "
    "record itself; 'addresses' the home addresses; 'routes_current' the published routes the "
    "pupil is on now and 'routes_withdrawn' earlier routes (past versions) they were on; "
    "'route_changes' the changes to routes' pupil lists that name the pupil; 'runs' each day's "
    "journey they were expected on and what happened; 'run_events' events reported about them; "
    "'absences' days they were not travelling; 'incompatibilities' pupils they must not travel "
    "with (other children are not named: their data is not part of this request); "
    "'safeguarding_cases' cases that name them; 'audit_entries' every recorded change to the "
    "pupil and their addresses, with who made it; 'record_views' who opened the record and "
    "when, including the export that produced this file. Times are UTC (ISO 8601)."
)


def record_view(session: Session, pupil_id: int, what: str) -> PupilRecordView:
    """Log that the current user or command looked at a pupil's record (flushes, no commit)."""
    actor = current_actor()
    view = PupilRecordView(pupil_id=pupil_id, user_id=actor.user_id, actor=actor.label,
                           viewed_at=utcnow(), what=what)
    session.add(view)
    session.flush()
    return view


def views_query(pupil_id: int) -> Any:
    """Views of one pupil's record, newest first."""
    return (select(PupilRecordView).where(PupilRecordView.pupil_id == pupil_id)
            .order_by(PupilRecordView.viewed_at.desc(), PupilRecordView.id.desc()))


def find_pupil(session: Session, pupil_ref: str) -> Pupil | None:
    """The pupil with this reference, or None."""
    return session.scalar(select(Pupil).where(Pupil.pupil_ref == pupil_ref.strip()))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _row(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row, as JSON-ready values."""
    return {c.key: _plain(getattr(obj, c.key)) for c in inspect(type(obj)).column_attrs if c.key not in skip}


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {"at": _plain(entry.at), "actor": entry.actor, "action": entry.action,
            "record": entry.entity_type, "record_id": entry.entity_id, "label": entry.entity_label,
            "before": entry.before, "after": entry.after}


def _routes(session: Session, pupil: Pupil) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    stops = session.scalars(
        select(RouteStop)
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .where(route_stop_pupil.c.pupil_id == pupil.id)
        .options(joinedload(RouteStop.route).joinedload(Route.operator),
                 joinedload(RouteStop.route).joinedload(Route.school))
        .order_by(RouteStop.route_id, RouteStop.sequence)
    ).all()
    current: list[dict[str, Any]] = []
    withdrawn: list[dict[str, Any]] = []
    for stop in stops:
        route = stop.route
        item = {
            "route_code": route.route_code, "session": _plain(route.session), "version": route.version,
            "school": route.school.name, "operator": route.operator.name if route.operator else None,
            "days": route.days, "published_at": _plain(route.published_at),
            "withdrawn_on": _plain(route.withdrawn_on),
            "stop": {"sequence": stop.sequence, "kind": _plain(stop.kind), "planned_time": _plain(stop.planned_time),
                     "latitude": stop.latitude, "longitude": stop.longitude},
        }
        (withdrawn if route.withdrawn_on else current).append(item)
    return current, withdrawn


def _route_changes(session: Session, pupil: Pupil) -> list[dict[str, Any]]:
    # Route pupil lists are audited as space-separated references: narrow in SQL, confirm exactly here.
    pattern = f"%{pupil.pupil_ref}%"
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "route",
               or_(cast(AuditEntry.before, String).like(pattern), cast(AuditEntry.after, String).like(pattern)))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()

    def names(side: dict[str, Any] | None) -> bool:
        return pupil.pupil_ref in str((side or {}).get("pupils", "")).split()

    return [_entry(e) for e in entries if names(e.before) or names(e.after)]


def _audit_entries(session: Session, pupil: Pupil) -> list[dict[str, Any]]:
    # Addresses deleted since are found through the pupil_id their entries recorded.
    pattern = f'%"pupil_id": {pupil.id}%'
    address_entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "pupil_address",
               or_(AuditEntry.entity_id.in_([a.id for a in pupil.addresses]),
                   cast(AuditEntry.before, String).like(pattern), cast(AuditEntry.after, String).like(pattern)))
    ).all()
    ids = {a.id for a in pupil.addresses}
    for entry in address_entries:
        for side in (entry.before, entry.after):
            if side and side.get("pupil_id") == pupil.id:
                ids.add(entry.entity_id)
    entries = session.scalars(
        select(AuditEntry)
        .where(or_((AuditEntry.entity_type == "pupil") & (AuditEntry.entity_id == pupil.id),
                   (AuditEntry.entity_type == "pupil_address") & AuditEntry.entity_id.in_(ids)))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return [_entry(e) for e in entries]


def subject_access_export(session: Session, pupil: Pupil) -> dict[str, Any]:
    """Log the export as a view, then gather everything held about the pupil (flushes, no commit)."""
    record_view(session, pupil.id, EXPORT_VIEW)
    pupil = session.get(Pupil, pupil.id, options=[selectinload(Pupil.addresses), joinedload(Pupil.school)]) or pupil
    current, withdrawn = _routes(session, pupil)
    runs = session.scalars(
        select(RunPupil).where(RunPupil.pupil_id == pupil.id)
        .options(joinedload(RunPupil.run).joinedload(Run.route))
        .join(Run, Run.id == RunPupil.run_id).order_by(Run.run_on, Run.session)
    ).all()
    events = session.scalars(
        select(RunEvent).where(RunEvent.pupil_id == pupil.id).order_by(RunEvent.occurred_at, RunEvent.id)
    ).all()
    run_codes: dict[int, str] = {run_id: code for run_id, code in session.execute(
        select(Run.id, Route.route_code).join(Route, Route.id == Run.route_id)
        .where(Run.id.in_({e.run_id for e in events}))
    )}
    absences = session.scalars(
        select(PupilAbsence).where(PupilAbsence.pupil_id == pupil.id).order_by(PupilAbsence.absent_on)
    ).all()
    incompatibilities = session.scalars(
        select(PupilIncompatibility)
        .where(or_(PupilIncompatibility.pupil_id == pupil.id, PupilIncompatibility.other_pupil_id == pupil.id))
        .order_by(PupilIncompatibility.id)
    ).all()
    cases = session.scalars(
        select(SafeguardingCase).where(SafeguardingCase.pupil_id == pupil.id).order_by(SafeguardingCase.opened_on)
    ).all()
    views = session.scalars(views_query(pupil.id)).all()
    actor = current_actor()
    return {
        "readme": README,
        "exported_at": _plain(utcnow()),
        "exported_by": actor.label,
        "pupil": {**_row(pupil), "school": pupil.school.name, "school_urn": pupil.school.urn},
        "addresses": [_row(address) for address in pupil.addresses],
        "routes_current": current,
        "routes_withdrawn": withdrawn,
        "route_changes": _route_changes(session, pupil),
        "runs": [{"run_on": _plain(rp.run.run_on), "session": rp.run.session, "route_code": rp.run.route.route_code,
                  "run_status": _plain(rp.run.status), "pupil_status": _plain(rp.status), "sequence": rp.sequence}
                 for rp in runs],
        "run_events": [{**_row(event, skip=("idempotency_key",)), "route_code": run_codes.get(event.run_id)}
                       for event in events],
        "absences": [_row(absence) for absence in absences],
        "incompatibilities": [{"reason": item.reason} for item in incompatibilities],
        "safeguarding_cases": [_row(case) for case in cases],
        "audit_entries": _audit_entries(session, pupil),
        "record_views": [{"viewed_at": _plain(v.viewed_at), "by": v.actor, "what": v.what} for v in views],
    }


def export_json(data: dict[str, Any]) -> str:
    """The export as pretty-printed UTF-8 JSON text (readme first)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
