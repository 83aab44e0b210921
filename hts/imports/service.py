"""Run an import: parse -> validate every row -> write all or nothing.

The service flushes and never commits: the command or view that called it commits once when
the report is ok and it was not a dry run. A rejected file or a dry run leaves the database as
it was, because the writes happen inside a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts.clock import local_today
from hts.compliance.rules import Policy, policy_from_config
from hts.imports import daily_rules, daily_writers, fields
from hts.imports.cells import Cells
from hts.imports.kinds import KINDS, Kind
from hts.imports.reader import ImportFileError, Row, check_headers, read_table
from hts.imports.report import ImportReport, Problem
from hts.imports.route_rules import (
    PupilRef,
    RouteLookups,
    SchoolRef,
    parse_route,
    pupil_clashes,
)
from hts.imports.rules import (
    PARSERS,
    Lookups,
    Record,
    RouteRef,
    StaffRef,
    VehicleRef,
    duplicate_keys,
)
from hts.imports.writers import WRITERS, chunks, write_routes
from hts.operations.closures import long_date, runs_count
from hts.operations.run_notices import notify_operators
from hts.operations.runs import refresh_generated_days
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.geocoding import Geocoder, geocoder_for
from hts.people.models import Pupil, School
from hts.routing.matrix import default_provider
from hts.routing.models import Route, RouteStop, route_stop_pupil
from hts.routing.timing import TimingSettings

#: Every kind's row rules and writer but routes' (whose rules need more than a row and lookups).
_PARSERS = {**PARSERS, **daily_rules.PARSERS}
_WRITERS = {**WRITERS, **daily_writers.WRITERS}

#: The postcode columns to geocode when the location columns beside them are blank.
_GEOCODED = {
    "schools": (("postcode", "latitude"),),
    "pupils": (("postcode", "latitude"), ("alt_postcode", "alt_latitude")),
    "operators": (("depot_postcode", "depot_latitude"),),
}


class UnknownKind(ValueError):
    """The kind is not one of the import kinds."""


def kind_spec(kind: str) -> Kind:
    """The spec of an import kind; raises UnknownKind."""
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(f"'{kind}' is not an import kind (use one of: {', '.join(KINDS)})") from None


def run_import(session: Session, kind: str, path_or_stream: str | Path | IO[bytes], *, filename: str,
               dry_run: bool = False, geocoder: Geocoder | None = None,
               config: Mapping[str, Any] | None = None, today: dt.date | None = None) -> ImportReport:
    """Import one file of a kind; see the module docstring for what is written when."""
    spec = kind_spec(kind)
    report = ImportReport(kind=kind, filename=Path(filename).name, dry_run=dry_run)
    try:
        table = read_table(path_or_stream, filename)
    except ImportFileError as exc:
        report.problems.append(Problem(0, "", exc.message))
        return report
    report.rows_read = len(table.rows)
    header_problems, report.warnings = check_headers(table.headers, spec.names, spec.required, kind)
    report.problems.extend(header_problems + table.problems)
    if header_problems:
        return report
    if not table.rows:
        report.problems.append(Problem(0, "", "the file has a header row but no data rows"))
        return report
    if config is None:
        config = current_app.config if has_app_context() else {}
    if geocoder is None and kind in _GEOCODED and _needs_geocoding(kind, table.rows):
        geocoder = geocoder_for(config, session)
    savepoint = session.begin_nested()
    try:
        records = _validate(session, spec, table.rows, report, geocoder, config,
                            today or local_today())
        if report.problems:
            savepoint.rollback()
            report.problems.sort()
            return report
        skipped = report.rows_read - len(records)
        if skipped and kind == "postcodes":
            report.warnings.append(f"skipped {skipped} rows that the ONS gives no location")
        if kind == "routes":
            write_routes(session, records, report, _pupils_by_id(session, records))
            session.flush()
            report.warnings.extend(_crew_warnings(session, records, config, today or local_today()))
        else:
            _WRITERS[kind](session, records, report)
        session.flush()
        if kind == "calendar":
            # Outside an app (no config) the compliance policy is the default one.
            policy = policy_from_config(config) if config else Policy()  # type: ignore[arg-type]
            report.warnings.extend(_runs_refreshed(session, today or local_today(), dry_run, policy))
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


def _runs_refreshed(session: Session, today: dt.date, dry_run: bool, policy: Policy) -> list[str]:
    """Runs already made for today or later follow the calendar just written: a line per day moved,
    and their operators are sent a notice (not on a dry run)."""
    lines = []
    refreshed = refresh_generated_days(session, today, policy)
    for moved in refreshed:
        parts = [f"{runs_count(moved.stood_down)} now not required" if moved.stood_down else "",
                 f"{runs_count(moved.back_on)} back on" if moved.back_on else ""]
        lines.append(f"The runs already made for {long_date(moved.day)} "
                     f"{'would follow' if dry_run else 'follow'} the new calendar: "
                     f"{' and '.join(p for p in parts if p)}.")
    told = 0 if dry_run else notify_operators(session, refreshed)
    if told:
        lines.append(f"{told} operator{'s were' if told != 1 else ' was'} sent a notice of the runs that moved.")
    return lines


MAX_CREW_WARNINGS = 20


def _crew_warnings(session: Session, records: list[Record], config: Mapping[str, Any],
                   today: dt.date) -> list[str]:
    """Imported routes whose next service day lacks a compliant crew (the file is the network as it
    stands, so it is loaded; the warning tells the planner what the compliance gate would refuse)."""
    from hts.compliance.rules import Policy, policy_from_config
    from hts.compliance.sweep import routes_at_risk

    codes = {r.key for r in records}
    policy = policy_from_config(config) if "COMPLIANCE_DBS_MAX_AGE_DAYS" in config else Policy()
    at_risk = [r for r in routes_at_risk(session, today, policy) if r["route_code"] in codes]
    warnings = [f"route {r['route_code']} is at risk on {r['day']}: {'; '.join(r['reasons'])}"
                for r in at_risk[:MAX_CREW_WARNINGS]]
    if len(at_risk) > MAX_CREW_WARNINGS:
        warnings.append(f"... and {len(at_risk) - MAX_CREW_WARNINGS} more routes at risk: see the compliance "
                        "dashboard's routes at risk")
    return warnings


def _needs_geocoding(kind: str, rows: list[Row]) -> bool:
    return any(row.get(postcode) and not row.get(lat)
               for row in rows for postcode, lat in _GEOCODED[kind])


def _prefetch(geocoder: Geocoder, kind: str, rows: list[Row]) -> None:
    wanted = set()
    for row in rows:
        for postcode, lat in _GEOCODED[kind]:
            if row.get(postcode) and not row.get(lat):
                try:
                    wanted.add(fields.postcode(row.get(postcode)))
                except ValueError:
                    continue
    geocoder.prefetch(wanted)


def _validate(session: Session, spec: Kind, rows: list[Row], report: ImportReport,
              geocoder: Geocoder | None, config: Mapping[str, Any], today: dt.date) -> list[Record]:
    records: list[Record] = []
    if geocoder is not None and spec.name in _GEOCODED:
        _prefetch(geocoder, spec.name, rows)
    if spec.name == "routes":
        lookups = _route_lookups(session, rows, today)
        settings = TimingSettings.from_config(config)
        provider = default_provider(dict(config))
        for row in rows:
            cells = Cells(row)
            record = parse_route(cells, lookups, settings, provider, report.warnings)
            report.problems.extend(cells.problems)
            if record is not None:
                records.append(record)
        report.problems.extend(duplicate_keys(records, spec.key[0]))
        report.problems.extend(pupil_clashes(records, lookups))
        return records
    lookups = _lookups(session, spec.name, today, config)
    parse = _PARSERS[spec.name]
    for row in rows:
        cells = Cells(row)
        record = parse(cells, lookups, geocoder)
        report.problems.extend(cells.problems)
        if record is not None:
            records.append(record)
    # A key of several columns is reported at its last column (a document's reference, a day).
    report.problems.extend(duplicate_keys(records, spec.key[-1]))
    if spec.name in daily_rules.FILE_CHECKS:
        report.problems.extend(daily_rules.FILE_CHECKS[spec.name](records))
    return records


def _staff(session: Session) -> dict[str, StaffRef]:
    return {row.staff_ref: StaffRef(row.id, row.operator_id, row.role)
            for row in session.execute(select(Staff.staff_ref, Staff.id, Staff.operator_id, Staff.role))}


def _vehicles(session: Session) -> dict[str, VehicleRef]:
    return {row.registration: VehicleRef(row.id, row.operator_id, row.seats, row.wheelchair_spaces)
            for row in session.execute(select(Vehicle.registration, Vehicle.id, Vehicle.operator_id,
                                              Vehicle.seats, Vehicle.wheelchair_spaces))}


def _operator_ids(session: Session) -> dict[str, int]:
    return {ref: id_ for ref, id_ in session.execute(select(Operator.operator_ref, Operator.id))}


def _lookups(session: Session, kind: str, today: dt.date, config: Mapping[str, Any]) -> Lookups:
    lookups = Lookups(today=today,
                      on_time_tolerance_minutes=int(config.get("ON_TIME_TOLERANCE_MINUTES", 0)))
    if kind in ("pupils", "calendar"):
        lookups.school_ids = {urn: id_ for urn, id_ in session.execute(select(School.urn, School.id))}
    if kind in ("staff", "vehicles", "documents", "complaints"):
        lookups.operator_ids = _operator_ids(session)
    if kind in ("documents", "safeguarding"):
        lookups.staff = _staff(session)
    if kind == "documents":
        lookups.vehicles = _vehicles(session)
    if kind in ("runs", "complaints", "safeguarding"):
        lookups.routes = {row.route_code: RouteRef(row.id, str(row.session), row.days, row.withdrawn_on)
                          for row in session.execute(select(Route.route_code, Route.id, Route.session,
                                                            Route.days, Route.withdrawn_on))}
    if kind in ("safeguarding", "incompatibilities"):
        lookups.pupil_ids = {ref: id_ for ref, id_ in session.execute(select(Pupil.pupil_ref, Pupil.id))}
    return lookups


def _route_lookups(session: Session, rows: list[Row], today: dt.date) -> RouteLookups:
    lookups = RouteLookups(today=today, operator_ids=_operator_ids(session), staff=_staff(session),
                           vehicles=_vehicles(session))
    for school in session.scalars(select(School)):
        lookups.schools[school.urn] = SchoolRef(school.id, school.latitude, school.longitude,
                                                school.start_time, school.finish_time)
    refs = sorted({ref for row in rows for ref in row.get("pupil_refs").replace(",", " ").split()})
    for chunk in chunks(refs):
        query = select(Pupil).where(Pupil.pupil_ref.in_(chunk)).options(selectinload(Pupil.addresses))
        for pupil in session.scalars(query):
            lookups.pupils[pupil.pupil_ref] = PupilRef(
                pupil.id, pupil.pupil_ref, pupil.school_id, pupil.wheelchair,
                pupil.passenger_assistant, pupil.solo,
                tuple((a.is_main, a.days, a.latitude, a.longitude) for a in pupil.addresses))
    query = (select(route_stop_pupil.c.pupil_id, Route.route_code, Route.session, Route.days)
             .join(RouteStop, RouteStop.id == route_stop_pupil.c.stop_id)
             .join(Route, Route.id == RouteStop.route_id))
    for row in session.execute(query):
        lookups.assignments.setdefault(row.pupil_id, []).append(
            (row.route_code, str(row.session), row.days))
    return lookups


def _pupils_by_id(session: Session, records: list[Record]) -> dict[int, Pupil]:
    ids = sorted({i for r in records for stop in r.children[0]["stops"] for i in stop.pupil_ids})
    found: dict[int, Pupil] = {}
    for chunk in chunks(ids):
        for pupil in session.scalars(select(Pupil).where(Pupil.id.in_(chunk))):
            found[pupil.id] = pupil
    return found
