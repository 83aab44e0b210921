"""Retention: anonymise pupils who left transport more than RETENTION_YEARS ago (UK GDPR).

What changes for each pupil, and what is kept:

- the record: a new reference (ANON-<id>), the names replaced, the date of birth reduced to
  1 September of the pupil's school year (so the year group stays); school, needs and travel
  days are kept, because the figures count them;
- addresses: the lines and postcode cleared, coordinates rounded to 2 decimal places (about a
  kilometre), and the same for the stops of old routes, published route versions and draft
  plans whose pupils are all anonymised (draft plans also get the new references);
- incompatibilities: the reason cleared (the other child stays on the record, unnamed);
- free text linked to the pupil by id (run events, absences): their names and reference
  replaced by "[pupil]";
- audit entries of the pupil, their addresses and incompatibilities, and route entries naming
  their reference: the same replacements, written under the one audit redaction permit. An
  "anonymise" entry records that it was done, with no personal data.

Runs, run pupils, absences, events and cases keep their rows, so every SITREP figure is the
same before and after. Pupils still on a current route or named by an open safeguarding case
are skipped with the reason, for a person to resolve.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, exists, not_, or_, select, update
from sqlalchemy.orm import Session

from hts.audit.log import record
from hts.audit.models import AuditEntry
from hts.audit.redaction import redaction_permit, rewrite_entry
from hts.db import utcnow
from hts.operations.models import PupilAbsence, RunEvent, SafeguardingCase
from hts.people.models import Pupil, PupilAddress
from hts.routing.models import (
    DraftRoute,
    PupilIncompatibility,
    Route,
    RouteStop,
    RouteVersion,
    route_stop_pupil,
)

ANONYMISED_FIRST_NAME = "Anonymised"
ANONYMISED_LAST_NAME = "pupil"
REDACTED = "[pupil]"
REASON_REMOVED = "Removed under the retention policy"
#: Decimal places kept of an anonymised address's coordinates: 0.01 degree is about 1 km.
COORDINATE_PLACES = 2


@dataclass
class RetentionReport:
    """What a retention run did (or, for a dry run, would do)."""

    cutoff: dt.date
    dry_run: bool
    pupils: list[str] = field(default_factory=list)  # references before anonymising
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)
    addresses: int = 0
    incompatibilities: int = 0
    texts_redacted: int = 0
    stops_coarsened: int = 0
    draft_routes: int = 0
    audit_entries: int = 0

    def summary(self) -> str:
        """One line of counts, for the job's status and the command's output."""
        verb = "would anonymise" if self.dry_run else "anonymised"
        return (f"{verb} {len(self.pupils)} pupils who left transport before {self.cutoff.isoformat()}: "
                f"{self.addresses} addresses, {self.incompatibilities} incompatibility reasons, "
                f"{self.texts_redacted} notes, {self.stops_coarsened} route stops, "
                f"{self.draft_routes} draft plan routes, "
                f"{self.audit_entries} audit entries; {len(self.skipped)} skipped")


def cutoff_for(today: dt.date, years: int) -> dt.date:
    """The day `years` years before today (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def school_year_start(born: dt.date) -> dt.date:
    """1 September of the school year (September to August) a child born that day belongs to."""
    return dt.date(born.year if born.month >= 9 else born.year - 1, 9, 1)


def anonymous_ref(pupil_id: int) -> str:
    """The reference an anonymised pupil is given: unique, and naming no one."""
    return f"ANON-{pupil_id:06d}"


def coarse(value: float | None) -> float | None:
    """A coordinate rounded to COORDINATE_PLACES."""
    return None if value is None else round(value, COORDINATE_PLACES)


def redact_text(text: str | None, words: list[str]) -> str | None:
    """Text with each of the words (names, reference) replaced by REDACTED, ignoring case."""
    if not text:
        return text
    words = sorted({w.strip() for w in words if w and len(w.strip()) > 1}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    return pattern.sub(REDACTED, text)


def blocking_reason(session: Session, pupil: Pupil, today: dt.date) -> str | None:
    """Why a pupil due for anonymising must be left for now, or None."""
    route_code = session.scalar(
        select(Route.route_code)
        .join(RouteStop, RouteStop.route_id == Route.id)
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .where(route_stop_pupil.c.pupil_id == pupil.id,
               or_(Route.withdrawn_on.is_(None), Route.withdrawn_on > today))
        .order_by(Route.route_code).limit(1)
    )
    if route_code is not None:
        return (f"still on current route {route_code}: take them off it, or correct "
                f"transport_ended_on")
    case = session.scalar(
        select(SafeguardingCase.reference)
        .where(SafeguardingCase.pupil_id == pupil.id, SafeguardingCase.closed_on.is_(None))
        .order_by(SafeguardingCase.reference).limit(1)
    )
    if case is not None:
        return f"named by open safeguarding case {case}: close it first"
    return None


def due_pupils(session: Session, cutoff: dt.date) -> list[Pupil]:
    """Pupils not yet anonymised whose transport ended before the cutoff."""
    return list(session.scalars(
        select(Pupil)
        .where(Pupil.transport_ended_on < cutoff, Pupil.anonymised_at.is_(None))
        .order_by(Pupil.pupil_ref)
    ))


def _replace_in(side: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any] | None:
    """An audit entry's before/after with the given keys replaced where present."""
    if not side:
        return side
    return {key: values.get(key, value) for key, value in side.items()}


def _address_values(side: dict[str, Any] | None) -> dict[str, Any]:
    values: dict[str, Any] = {"address": "", "postcode": "", "geocoded_by": "anonymised"}
    for key in ("latitude", "longitude"):
        if side and isinstance(side.get(key), int | float):
            values[key] = coarse(side[key])
    return values


def _redact_audit(session: Session, pupil: Pupil, old: dict[str, Any], address_ids: set[int],
                  incompatibility_ids: set[int]) -> int:
    """Remove the pupil's personal data from every audit entry that holds it; returns the count."""
    pupil_values = {"pupil_ref": pupil.pupil_ref, "first_name": pupil.first_name,
                    "last_name": pupil.last_name, "date_of_birth": pupil.date_of_birth.isoformat()}
    # Addresses deleted since are found by the pupil_id their entries recorded (as the subject
    # access export does); narrowed in SQL, confirmed on the decoded JSON.
    # The same for incompatibilities removed since ('"pupil_id": N' also finds other_pupil_id).
    pattern = f'%"pupil_id": {pupil.id}%'
    for entry in session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type.in_(("pupil_address", "pupil_incompatibility")),
            or_(cast(AuditEntry.before, String).like(pattern), cast(AuditEntry.after, String).like(pattern)))
    ):
        keys = ("pupil_id",) if entry.entity_type == "pupil_address" else ("pupil_id", "other_pupil_id")
        if any(side and pupil.id in (side.get(k) for k in keys) for side in (entry.before, entry.after)):
            (address_ids if entry.entity_type == "pupil_address" else incompatibility_ids).add(entry.entity_id)
    ref_pattern = f"%{old['pupil_ref']}%"
    entries = session.scalars(
        select(AuditEntry).where(or_(
            and_(AuditEntry.entity_type == "pupil", AuditEntry.entity_id == pupil.id),
            and_(AuditEntry.entity_type == "pupil_address", AuditEntry.entity_id.in_(address_ids)),
            and_(AuditEntry.entity_type == "pupil_incompatibility",
                 AuditEntry.entity_id.in_(incompatibility_ids)),
            and_(AuditEntry.entity_type == "route",
                 or_(cast(AuditEntry.before, String).like(ref_pattern),
                     cast(AuditEntry.after, String).like(ref_pattern))),
        )).order_by(AuditEntry.id)
    ).all()
    changed = 0
    for entry in entries:
        before, after, label = entry.before, entry.after, entry.entity_label
        if entry.entity_type == "pupil":
            before, after = _replace_in(before, pupil_values), _replace_in(after, pupil_values)
            label = str(pupil)
        elif entry.entity_type == "pupil_address":
            before = _replace_in(before, _address_values(before))
            after = _replace_in(after, _address_values(after))
            label = "address of an anonymised pupil"
        elif entry.entity_type == "pupil_incompatibility":
            before = _replace_in(before, {"reason": REASON_REMOVED})
            after = _replace_in(after, {"reason": REASON_REMOVED})
        else:  # route pupil lists: space-separated references
            def swap(side: dict[str, Any] | None) -> dict[str, Any] | None:
                if not side or "pupils" not in side:
                    return side
                refs = str(side["pupils"]).split()
                return {**side, "pupils": " ".join(pupil.pupil_ref if r == old["pupil_ref"] else r
                                                   for r in refs)}
            before, after = swap(before), swap(after)
        if (before, after, label) != (entry.before, entry.after, entry.entity_label):
            rewrite_entry(session, entry.id, before=before, after=after, entity_label=label)
            changed += 1
    return changed


def _anonymise_one(session: Session, pupil: Pupil, report: RetentionReport, now: dt.datetime) -> None:
    old = {"pupil_ref": pupil.pupil_ref, "first_name": pupil.first_name, "last_name": pupil.last_name}
    words = [pupil.first_name, pupil.last_name, pupil.full_name, pupil.pupil_ref]
    address_ids = {a.id for a in pupil.addresses}
    # Core UPDATEs, not attribute changes: the flush listener would copy the old names into a
    # new audit entry. The one "anonymise" entry below records the change instead.
    session.execute(update(Pupil).where(Pupil.id == pupil.id).values(
        pupil_ref=anonymous_ref(pupil.id), first_name=ANONYMISED_FIRST_NAME,
        last_name=ANONYMISED_LAST_NAME, date_of_birth=school_year_start(pupil.date_of_birth),
        anonymised_at=now, updated_at=now,
    ), execution_options={"synchronize_session": "fetch"})
    for address in list(pupil.addresses):
        session.execute(update(PupilAddress).where(PupilAddress.id == address.id).values(
            address="", postcode="", latitude=coarse(address.latitude),
            longitude=coarse(address.longitude), geocoded_by="anonymised",
        ), execution_options={"synchronize_session": "fetch"})
        report.addresses += 1
    incompatibility_ids = set(session.scalars(select(PupilIncompatibility.id).where(
        or_(PupilIncompatibility.pupil_id == pupil.id, PupilIncompatibility.other_pupil_id == pupil.id))))
    if incompatibility_ids:
        session.execute(update(PupilIncompatibility)
                        .where(PupilIncompatibility.id.in_(incompatibility_ids))
                        .values(reason=REASON_REMOVED), execution_options={"synchronize_session": "fetch"})
        report.incompatibilities += len(incompatibility_ids)
    for model in (RunEvent, PupilAbsence):
        for row_id, reason in session.execute(
            select(model.id, model.reason).where(model.pupil_id == pupil.id, model.reason.is_not(None))
        ).all():
            cleaned = redact_text(reason, words)
            if cleaned != reason:
                session.execute(update(model).where(model.id == row_id).values(reason=cleaned),
                                execution_options={"synchronize_session": "fetch"})
                report.texts_redacted += 1
    session.refresh(pupil)
    report.audit_entries += _redact_audit(session, pupil, old, address_ids, incompatibility_ids)
    record(session, action="anonymise", entity_type="pupil", entity_id=pupil.id, entity_label=str(pupil),
           before=None, after={"anonymised_at": now.isoformat(),
                               "transport_ended_on": pupil.transport_ended_on.isoformat()
                               if pupil.transport_ended_on else None})


def _coarsen_stops(session: Session, pupil_ids: list[int]) -> int:
    """Round the coordinates of stops (home pickups) whose pupils are all anonymised."""
    other = route_stop_pupil.alias("other")
    stops = session.scalars(
        select(RouteStop)
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .where(route_stop_pupil.c.pupil_id.in_(pupil_ids))
        .where(not_(exists(
            select(other.c.pupil_id).join(Pupil, Pupil.id == other.c.pupil_id)
            .where(other.c.stop_id == RouteStop.id, Pupil.anonymised_at.is_(None))
        )))
        .distinct()
    ).all()
    changed = 0
    for stop in stops:
        latitude, longitude = coarse(stop.latitude), coarse(stop.longitude)
        if (latitude, longitude) != (stop.latitude, stop.longitude):
            session.execute(update(RouteStop).where(RouteStop.id == stop.id)
                            .values(latitude=latitude, longitude=longitude),
                            execution_options={"synchronize_session": "fetch"})
            changed += 1
    return changed


def _coarse_stop(stop: dict[str, Any]) -> dict[str, Any]:
    return {**stop, **{key: coarse(stop[key]) for key in ("latitude", "longitude")
                       if isinstance(stop.get(key), int | float)}}


def _coarsen_versions(session: Session) -> int:
    """Round the pickup coordinates in published route versions whose pupils are all anonymised."""
    anonymised = set(session.scalars(select(Pupil.id).where(Pupil.anonymised_at.is_not(None))))
    changed = 0
    for version_id, snapshot in session.execute(select(RouteVersion.id, RouteVersion.snapshot)).all():
        stops = (snapshot or {}).get("stops") or []
        new_stops = [_coarse_stop(stop) if stop.get("pupil_ids") and set(stop["pupil_ids"]) <= anonymised
                     else stop for stop in stops]
        if new_stops != stops:
            session.execute(update(RouteVersion).where(RouteVersion.id == version_id)
                            .values(snapshot={**snapshot, "stops": new_stops}),
                            execution_options={"synchronize_session": "fetch"})
            changed += sum(1 for a, b in zip(stops, new_stops, strict=True) if a != b)
    return changed


def _rewrite_draft_routes(session: Session, renamed: dict[str, str]) -> int:
    """Give draft plans' routes the new references, and round the stops of anonymised pupils."""
    if not renamed:
        return 0
    anonymous = set(session.scalars(select(Pupil.pupil_ref).where(Pupil.anonymised_at.is_not(None))))
    changed = 0
    mentions = or_(*[cast(DraftRoute.ride_minutes, String).like(f"%{old}%") for old in renamed])
    for draft in session.execute(select(DraftRoute.id, DraftRoute.stops, DraftRoute.ride_minutes)
                                 .where(mentions)).all():
        stops = []
        for stop in draft.stops or []:
            if "pupil_refs" in stop:
                refs = [renamed.get(ref, ref) for ref in stop["pupil_refs"]]
                stop = {**stop, "pupil_refs": refs}
                if refs and set(refs) <= anonymous:
                    stop = _coarse_stop(stop)
            stops.append(stop)
        minutes = {renamed.get(ref, ref): value for ref, value in (draft.ride_minutes or {}).items()}
        if (stops, minutes) != (draft.stops, draft.ride_minutes):
            session.execute(update(DraftRoute).where(DraftRoute.id == draft.id)
                            .values(stops=stops, ride_minutes=minutes),
                            execution_options={"synchronize_session": "fetch"})
            changed += 1
    return changed


def anonymise_due(session: Session, *, today: dt.date, years: int, dry_run: bool = False) -> RetentionReport:
    """Anonymise every pupil due under the retention policy (flushes; the caller commits).

    A dry run does the same work, so its counts are exact, and the caller rolls it back.
    """
    if years < 1:
        raise ValueError("the retention period must be at least one year")
    report = RetentionReport(cutoff=cutoff_for(today, years), dry_run=dry_run)
    session.flush()
    due = due_pupils(session, report.cutoff)
    if not due:
        return report
    now = utcnow()
    done: list[int] = []
    with redaction_permit(session, f"retention: pupils who left transport before {report.cutoff}"):
        for pupil in due:
            why = blocking_reason(session, pupil, today)
            if why is not None:
                report.skipped.append((pupil.pupil_ref, why))
                continue
            report.pupils.append(pupil.pupil_ref)
            _anonymise_one(session, pupil, report, now)
            done.append(pupil.id)
        if done:
            report.stops_coarsened = _coarsen_stops(session, done) + _coarsen_versions(session)
            report.draft_routes = _rewrite_draft_routes(
                session, {old: anonymous_ref(pupil_id) for old, pupil_id in zip(report.pupils, done, strict=True)})
    session.flush()
    return report
