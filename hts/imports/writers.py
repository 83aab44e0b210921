"""Upserting valid records by their key, touching only values that differ.

Setting an attribute only when its value changes keeps a re-import silent: no UPDATE is issued
and the audit log records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from hts.audit.log import Change, created_snapshot, record_many
from hts.audit.log import record as audit_record
from hts.imports.report import ImportReport
from hts.imports.route_rules import StopPlan
from hts.imports.rules import Record, document_key
from hts.operators.models import Document, Operator, Staff, Vehicle
from hts.people.models import Postcode, Pupil, PupilAddress, School
from hts.routing.models import Route, RouteStop, route_stop_pupil

M = TypeVar("M")


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Slices of at most `size` items (keeps IN lists within every database's limits)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes whose values differ; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def load_by(session: Session, model: type[M], column: Any, keys: Iterable[Any],
            *options: Any) -> dict[Any, M]:
    """Existing rows whose `column` is one of `keys`, by that value (a few IN queries)."""
    wanted = sorted(set(keys))
    found: dict[Any, M] = {}
    for chunk in chunks(wanted):
        for obj in session.scalars(select(model).where(column.in_(chunk)).options(*options)):
            found[getattr(obj, column.key)] = obj
    return found


def count(report: ImportReport, created: bool, changed: bool) -> None:
    """Add a written row to the report's created, updated or unchanged count."""
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


def upsert_simple(session: Session, model: type[M], column: Any, records: list[Record],
                  report: ImportReport) -> None:
    """Create or update one model per record, keyed by `column` (schools, operators, ...)."""
    existing = load_by(session, model, column, (r.key for r in records))
    for record in records:
        obj = existing.get(record.key)
        if obj is None:
            session.add(model(**record.values))
            count(report, True, True)
        else:
            count(report, False, assign(obj, record.values))


def write_schools(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert schools by urn."""
    upsert_simple(session, School, School.urn, records, report)


def write_operators(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert operators by operator_ref."""
    upsert_simple(session, Operator, Operator.operator_ref, records, report)


def write_staff(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert staff by staff_ref."""
    upsert_simple(session, Staff, Staff.staff_ref, records, report)


def write_vehicles(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert vehicles by normalised registration."""
    upsert_simple(session, Vehicle, Vehicle.registration, records, report)


def _document_key(values: dict[str, Any]) -> tuple[Any, ...]:
    holder_id = values["operator_id"] or values["staff_id"] or values["vehicle_id"]
    return document_key(values["holder_type"], holder_id, values["document_type"], values["reference"],
                        values["issued_on"])


def write_documents(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert documents by holder, document type and reference (and date, for Update Service checks)."""
    types = sorted({r.values["document_type"] for r in records})
    existing: dict[tuple[Any, ...], Document] = {}
    for document in session.scalars(select(Document).where(Document.document_type.in_(types))):
        existing[_document_key({c: getattr(document, c) for c in
                                ("holder_type", "operator_id", "staff_id", "vehicle_id",
                                 "document_type", "reference", "issued_on")})] = document
    for record in records:
        document = existing.get(_document_key(record.values))
        if document is None:
            session.add(Document(**record.values))
            count(report, True, True)
        else:
            count(report, False, assign(document, record.values))


def write_postcodes(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert postcodes; new ones go in with bulk INSERTs (the directory is large)."""
    existing = load_by(session, Postcode, Postcode.pcds, (r.key for r in records))
    new = []
    for record in records:
        postcode = existing.get(record.key)
        if postcode is None:
            new.append(record.values)
            count(report, True, True)
        else:
            count(report, False, assign(postcode, record.values))
    for chunk in chunks(new, 2000):
        session.execute(insert(Postcode), list(chunk))


def _assign_address(address: PupilAddress, values: dict[str, Any]) -> bool:
    values = dict(values)
    # The same place read back from an export keeps the name of the geocoder that found it.
    if (address.latitude, address.longitude) == (values["latitude"], values["longitude"]):
        values.pop("geocoded_by")
    return assign(address, values)


def write_pupils(session: Session, records: list[Record], report: ImportReport) -> None:
    """Upsert pupils by pupil_ref with their main address and any shared-care address."""
    existing = load_by(session, Pupil, Pupil.pupil_ref, (r.key for r in records),
                       selectinload(Pupil.addresses))
    for record in records:
        pupil = existing.get(record.key)
        if pupil is None:
            pupil = Pupil(**record.values)
            pupil.addresses = [PupilAddress(**child) for child in record.children]
            session.add(pupil)
            count(report, True, True)
            continue
        changed = assign(pupil, record.values)
        mains = [a for a in pupil.addresses if a.is_main]
        others = [a for a in pupil.addresses if not a.is_main]
        for child in record.children:
            pool = mains if child["is_main"] else others
            if pool:
                changed |= _assign_address(pool.pop(0), child)
            else:
                pupil.addresses.append(PupilAddress(**child))
                changed = True
        for gone in mains + others:  # a shared-care address no longer in the file
            pupil.addresses.remove(gone)
            changed = True
        count(report, False, changed)


def _stop_signature(kind: Any, latitude: float, longitude: float, planned: Any, school_id: int | None,
                    pupil_ids: Iterable[int]) -> tuple[Any, ...]:
    return (str(kind), latitude, longitude, planned, school_id, tuple(sorted(pupil_ids)))


def _write_stops(route: Route, plans: list[StopPlan], pupils_by_id: dict[int, Pupil]) -> None:
    for sequence, plan in enumerate(plans, start=1):
        values = dict(kind=plan.kind, latitude=plan.latitude, longitude=plan.longitude,
                      planned_time=plan.planned_time, school_id=plan.school_id)
        if sequence <= len(route.stops):
            stop = route.stops[sequence - 1]
            assign(stop, values)
        else:
            stop = RouteStop(sequence=sequence, **values)
            route.stops.append(stop)
        if sorted(p.id for p in stop.pupils) != sorted(plan.pupil_ids):
            stop.pupils = [pupils_by_id[i] for i in plan.pupil_ids]
    del route.stops[len(plans):]


def write_routes(session: Session, records: list[Record], report: ImportReport,
                 pupils_by_id: dict[int, Pupil]) -> None:
    """Upsert routes by route_code; rebuild stops that differ; bump the version on changes."""
    existing = load_by(session, Route, Route.route_code, (r.key for r in records),
                       selectinload(Route.stops).selectinload(RouteStop.pupils))
    crew = ("operator_id", "vehicle_id", "driver_id", "pa_id")
    created: list[tuple[Record, list[str]]] = []
    for record in records:
        plans: list[StopPlan] = record.children[0]["stops"]
        refs = _pupil_refs(plans, pupils_by_id)
        route = existing.get(record.key)
        if route is None:
            created.append((record, refs))
            count(report, True, True)
            continue
        before_refs = [p.pupil_ref for stop in route.stops
                       for p in sorted(stop.pupils, key=lambda p: p.pupil_ref)]
        crew_changed = any(getattr(route, c) != record.values[c] for c in crew)
        old = [_stop_signature(s.kind, s.latitude, s.longitude, s.planned_time, s.school_id,
                               (p.id for p in s.pupils)) for s in route.stops]
        new = [_stop_signature(p.kind, p.latitude, p.longitude, p.planned_time, p.school_id,
                               p.pupil_ids) for p in plans]
        changed = assign(route, record.values)
        if old != new:
            _write_stops(route, plans, pupils_by_id)
            changed = True
        if old != new or crew_changed:
            route.version += 1
        if before_refs != refs:
            audit_record(session, action="update", entity_type="route", entity_id=route.id,
                         entity_label=str(route), before={"pupils": " ".join(before_refs)},
                         after={"pupils": " ".join(refs)})
        count(report, False, changed)
    if created:
        session.flush()
        _insert_routes(session, created)


def _new_route_row(values: dict[str, Any]) -> dict[str, Any]:
    """Every column of a new route (defaults filled in as the ORM would), so its audit entry is whole."""
    row: dict[str, Any] = {}
    for column in Route.__table__.columns:
        if column.key == "id":
            continue
        if column.key in values:
            row[column.key] = values[column.key]
        elif column.default is None:
            row[column.key] = None
        elif column.default.is_callable:
            row[column.key] = column.default.arg(None)  # type: ignore[attr-defined]
        else:
            row[column.key] = column.default.arg  # type: ignore[attr-defined]
    row["version"] = 1
    return row


def _insert_routes(session: Session, created: list[tuple[Record, list[str]]]) -> None:
    """Insert new routes, their stops and the pupils at each stop with bulk INSERTs, and audit them.

    The ORM inserts rows one at a time when it needs their new ids back (SQLite cannot hand back a
    batch's ids in order), which made a city's routes most of a demo load. Here the ids come back
    a batch at a time and are matched by route code and stop sequence instead. The flush listener
    never sees these rows, so the same entries it would write (a create with every column, then
    the pupils) are written here.
    """
    routes, stops = Route.__table__, RouteStop.__table__
    rows = [_new_route_row(record.values) for record, _ in created]
    route_ids: dict[str, int] = {}
    for chunk in chunks(rows, 1000):
        query = insert(routes).returning(routes.c.id, routes.c.route_code)
        route_ids.update((code, id_) for id_, code in session.execute(query, list(chunk)))
    stop_rows = [
        {"route_id": route_ids[record.key], "sequence": sequence, "kind": plan.kind,
         "latitude": plan.latitude, "longitude": plan.longitude, "planned_time": plan.planned_time,
         "school_id": plan.school_id}
        for record, _ in created
        for sequence, plan in enumerate(record.children[0]["stops"], start=1)
    ]
    stop_ids: dict[tuple[int, int], int] = {}
    for chunk in chunks(stop_rows, 1000):
        query = insert(stops).returning(stops.c.id, stops.c.route_id, stops.c.sequence)
        stop_ids.update(((route_id, sequence), id_) for id_, route_id, sequence in session.execute(query, list(chunk)))
    links = [
        {"stop_id": stop_ids[(route_ids[record.key], sequence)], "pupil_id": pupil_id}
        for record, _ in created
        for sequence, plan in enumerate(record.children[0]["stops"], start=1)
        for pupil_id in plan.pupil_ids
    ]
    for chunk in chunks(links, 2000):
        session.execute(insert(route_stop_pupil), list(chunk))
    changes = [Change("create", "route", route_ids[row["route_code"]], row["route_code"], None,
                      created_snapshot(Route, {**row, "id": route_ids[row["route_code"]]}))
               for row in rows]
    changes += [Change("update", "route", route_ids[record.key], record.key, {"pupils": ""},
                       {"pupils": " ".join(refs)}) for record, refs in created]
    record_many(session, changes)


def _pupil_refs(plans: list[StopPlan], pupils_by_id: dict[int, Pupil]) -> list[str]:
    # Pupils sharing a stop are stored as a set: list them in reference order within a stop.
    return [ref for plan in plans
            for ref in sorted(pupils_by_id[i].pupil_ref for i in plan.pupil_ids)]


WRITERS: dict[str, Callable[[Session, list[Record], ImportReport], None]] = {
    "schools": write_schools,
    "pupils": write_pupils,
    "operators": write_operators,
    "staff": write_staff,
    "vehicles": write_vehicles,
    "documents": write_documents,
    "postcodes": write_postcodes,
}
