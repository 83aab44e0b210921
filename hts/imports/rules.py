"""Row rules of every kind but routes: pure functions from a row (and lookups) to a record.

Each `parse_<kind>` reads one row, appends every problem it finds to `Cells.problems`, and
returns a Record of model attribute values (or None when the row cannot be used). Nothing here
touches the database: the service loads the lookups first, in one query per table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hts import weekdays
from hts.imports import fields
from hts.imports.cells import Cells
from hts.imports.report import Problem
from hts.operators.models import (
    DBS_RESULT_CODES,
    DOCUMENT_HOLDERS,
    DOCUMENT_STATUSES,
    DOCUMENT_TYPES,
    HolderType,
    StaffRole,
    VehicleType,
)
from hts.people.geocoding import Geocoder

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: The ONS directory marks postcodes without a grid reference with this latitude.
ONS_NO_LOCATION = 99.999999


@dataclass(frozen=True)
class StaffRef:
    """What the rules need to know about an existing member of staff."""

    id: int
    operator_id: int
    role: StaffRole


@dataclass(frozen=True)
class VehicleRef:
    """What the rules need to know about an existing vehicle."""

    id: int
    operator_id: int
    seats: int
    wheelchair_spaces: int


@dataclass(frozen=True)
class RouteRef:
    """What the rules need to know about an existing route."""

    id: int
    session: str
    days: int
    withdrawn_on: dt.date | None


@dataclass
class Lookups:
    """Existing references by their keys, loaded by the service before any row is read."""

    school_ids: dict[str, int] = field(default_factory=dict)
    operator_ids: dict[str, int] = field(default_factory=dict)
    staff: dict[str, StaffRef] = field(default_factory=dict)
    vehicles: dict[str, VehicleRef] = field(default_factory=dict)
    routes: dict[str, RouteRef] = field(default_factory=dict)
    pupil_ids: dict[str, int] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    #: Minutes after the due time that still count as on time (HTS_ON_TIME_TOLERANCE_MINUTES).
    on_time_tolerance_minutes: int = 0


@dataclass
class Record:
    """A valid row: its key, the model's attribute values and any child rows."""

    line: int
    key: Any
    values: dict[str, Any]
    children: list[dict[str, Any]] = field(default_factory=list)


def duplicate_keys(records: Iterable[Record], column: str) -> list[Problem]:
    """A problem for every row whose key an earlier row already used."""
    first: dict[Any, int] = {}
    problems = []
    for record in records:
        if record.key in first:
            problems.append(Problem(record.line, column,
                                    f"duplicate key: line {first[record.key]} has the same {column}"))
        else:
            first[record.key] = record.line
    return problems


def _reference(cells: Cells, column: str, known: dict[str, Any], what: str) -> Any:
    ref = cells.text(column, required=True, max_length=32)
    if ref is None:
        return None
    if ref not in known:
        cells.problem(column, f"unknown {what} '{ref}': import the {what}s first")
        return None
    return known[ref]


def _born(cells: Cells, column: str, today: dt.date) -> dt.date | None:
    born = cells.date(column, required=True)
    if born is not None and born > today:
        cells.problem(column, f"{born.isoformat()} is in the future")
        return None
    return born


def parse_school(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A school row: urn, name, postcode, location, start and finish times."""
    urn = cells.text("urn", required=True, max_length=16)
    name = cells.text("name", required=True)
    postcode = cells.postcode("postcode", required=True)
    start = cells.time("start_time", required=True)
    finish = cells.time("finish_time", required=True)
    if start is not None and finish is not None and not start < finish:
        cells.problem("finish_time", f"{finish:%H:%M} is not after start_time {start:%H:%M}")
    where = cells.location(postcode, "latitude", "longitude", geocoder, postcode_column="postcode")
    if cells.problems or where is None:
        return None
    return Record(cells.line, urn, dict(urn=urn, name=name, postcode=postcode, latitude=where[0],
                                        longitude=where[1], start_time=start, finish_time=finish))


def parse_pupil(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A pupil row with the main home address and, for shared care, a second one."""
    ref = cells.text("pupil_ref", required=True, max_length=32)
    first = cells.text("first_name", required=True, max_length=100)
    last = cells.text("last_name", required=True, max_length=100)
    born = _born(cells, "date_of_birth", lookups.today)
    school_id = _reference(cells, "school_urn", lookups.school_ids, "school")
    address = cells.text("address", required=True, max_length=300)
    postcode = cells.postcode("postcode", required=True)
    values = dict(
        pupil_ref=ref, first_name=first, last_name=last, date_of_birth=born, school_id=school_id,
        wheelchair=cells.yes_no("wheelchair"),
        passenger_assistant=cells.yes_no("passenger_assistant"), solo=cells.yes_no("solo"),
        max_ride_minutes=cells.integer("max_ride_minutes", minimum=1),
    )
    travel_days = cells.days("travel_days")
    values["travel_days"] = weekdays.SCHOOL_DAYS if travel_days is None else travel_days
    # Optional column: a file without it keeps the end dates already held.
    if "transport_ended_on" in cells.row.cells:
        ended = cells.date("transport_ended_on")
        if ended is not None and born is not None and ended < born:
            cells.problem("transport_ended_on", f"{ended:%Y-%m-%d} is before the date of birth")
        values["transport_ended_on"] = ended
    main = cells.location(postcode, "latitude", "longitude", geocoder, postcode_column="postcode",
                          address=address)
    children: list[dict[str, Any]] = []
    alt_columns = ("alt_address", "alt_postcode", "alt_latitude", "alt_longitude", "alt_days")
    main_days = values["travel_days"]
    if any(cells.raw(c) for c in alt_columns):
        alt_address = cells.text("alt_address", required=True, max_length=300)
        alt_postcode = cells.postcode("alt_postcode", required=True)
        alt_days = cells.days("alt_days")
        if alt_days is None and not cells.raw("alt_days"):
            cells.problem("alt_days", "is blank: say which weekdays the pupil spends at alt_address")
        elif alt_days is not None:
            extra = alt_days & ~values["travel_days"]
            if extra:
                cells.problem("alt_days", f"{weekdays.format_mask(extra)} is not in travel_days")
            elif alt_days == values["travel_days"]:
                cells.problem("alt_days", "covers every travel day: put that address in address "
                              "and postcode instead")
            main_days = values["travel_days"] & ~alt_days
        alt = cells.location(alt_postcode, "alt_latitude", "alt_longitude", geocoder,
                             postcode_column="alt_postcode", address=alt_address)
        if alt is not None and alt_days is not None:
            children.append(dict(is_main=False, address=alt_address, postcode=alt_postcode,
                                 latitude=alt[0], longitude=alt[1], days=alt_days, geocoded_by=alt[2]))
    if cells.problems or main is None:
        return None
    children.insert(0, dict(is_main=True, address=address, postcode=postcode, latitude=main[0],
                            longitude=main[1], days=main_days, geocoded_by=main[2]))
    return Record(cells.line, ref, values, children)


def parse_operator(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """An operator row with its depot."""
    ref = cells.text("operator_ref", required=True, max_length=32)
    name = cells.text("name", required=True)
    email = cells.text("contact_email", required=True, max_length=254)
    if email is not None and not _EMAIL.match(email):
        cells.problem("contact_email", f"'{email}' is not an email address")
    postcode = cells.postcode("depot_postcode", required=True)
    where = cells.location(postcode, "depot_latitude", "depot_longitude", geocoder,
                           postcode_column="depot_postcode")
    if cells.problems or where is None:
        return None
    return Record(cells.line, ref, dict(operator_ref=ref, name=name, contact_email=email,
                                        depot_postcode=postcode, depot_latitude=where[0],
                                        depot_longitude=where[1]))


def parse_staff(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A driver or passenger assistant of an existing operator."""
    ref = cells.text("staff_ref", required=True, max_length=32)
    operator_id = _reference(cells, "operator_ref", lookups.operator_ids, "operator")
    role = cells.choice("role", [r.value for r in StaffRole], required=True, what="role")
    values = dict(staff_ref=ref, operator_id=operator_id, role=StaffRole(role) if role else None,
                  first_name=cells.text("first_name", required=True, max_length=100),
                  last_name=cells.text("last_name", required=True, max_length=100),
                  date_of_birth=_born(cells, "date_of_birth", lookups.today))
    return None if cells.problems else Record(cells.line, ref, values)


def parse_vehicle(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A vehicle of an existing operator, with its seats and wheelchair spaces."""
    text = cells.text("registration", required=True, max_length=16)
    registration = fields.registration(text) if text else None
    operator_id = _reference(cells, "operator_ref", lookups.operator_ids, "operator")
    kind = cells.choice("vehicle_type", [v.value for v in VehicleType], required=True,
                        what="vehicle type")
    seats = cells.integer("seats", required=True, minimum=0)
    spaces = cells.integer("wheelchair_spaces", minimum=0)
    spaces = 0 if spaces is None and not cells.raw("wheelchair_spaces") else spaces
    if seats is not None and spaces is not None and seats + spaces == 0:
        cells.problem("seats", "the vehicle has no seats and no wheelchair spaces")
    if cells.problems:
        return None
    return Record(cells.line, registration, dict(
        registration=registration, operator_id=operator_id, vehicle_type=VehicleType(kind),
        seats=seats, wheelchair_spaces=spaces))


def parse_document(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A document held by an existing operator, member of staff or vehicle."""
    holder_type = cells.choice("holder_type", [h.value for h in HolderType], required=True,
                               what="holder type")
    holder_text = cells.text("holder_ref", required=True, max_length=32)
    document_type = cells.choice("document_type", DOCUMENT_TYPES, required=True, what="document type")
    reference = cells.text("reference", required=True, max_length=64)
    issued = cells.date("issued_on")
    expires = cells.date("expires_on")
    holder_ref = holder_text
    holder_id = None
    if holder_type and holder_text:
        if holder_type == HolderType.VEHICLE:
            holder_ref = fields.registration(holder_text)
            found = lookups.vehicles.get(holder_ref)
            holder_id = found.id if found else None
        elif holder_type == HolderType.STAFF:
            found_staff = lookups.staff.get(holder_text)
            holder_id = found_staff.id if found_staff else None
        else:
            holder_id = lookups.operator_ids.get(holder_text)
        if holder_id is None:
            what = "member of staff" if holder_type == "staff" else holder_type
            kind = {"staff": "staff", "vehicle": "vehicles", "operator": "operators"}[holder_type]
            cells.problem("holder_ref", f"unknown {what} '{holder_text}': import the {kind} first")
    if holder_type and document_type and document_type not in DOCUMENT_HOLDERS[holder_type]:
        allowed = ", ".join(sorted(DOCUMENT_HOLDERS[holder_type]))
        cells.problem("document_type", f"a {holder_type} cannot hold a {document_type} (allowed: {allowed})")
    if document_type == "dbs_enhanced" and reference is not None and not re.fullmatch(r"\d{12}", reference):
        cells.problem("reference", f"'{reference}' is not a DBS certificate number (12 digits)")
    if issued is not None and expires is not None and expires < issued:
        cells.problem("expires_on", f"{expires.isoformat()} is before issued_on {issued.isoformat()}")
    if issued is not None and issued > lookups.today:
        cells.problem("issued_on", f"{issued.isoformat()} is in the future")
    status = _document_status(cells, document_type, issued)
    if cells.problems:
        return None
    values: dict[str, Any] = dict(holder_type=HolderType(holder_type), operator_id=None, staff_id=None,
                                  vehicle_id=None, document_type=document_type, reference=reference,
                                  issued_on=issued, expires_on=expires, status=status)
    values[f"{'staff' if holder_type == 'staff' else holder_type}_id"] = holder_id
    return Record(cells.line, document_key(holder_type, holder_ref, document_type, reference, issued),
                  values)


def document_key(holder_type: str, holder: Any, document_type: str, reference: str,
                 issued_on: dt.date | None) -> tuple[Any, ...]:
    """A document's upsert key: holder, type and reference, plus the date for Update Service checks.

    The DBS Update Service is asked about the same certificate again and again, and each answer
    is a document of its own (as `hts.compliance.dbs` stores them), so the day of the check is
    part of the key for `dbs_update_check`.
    """
    key: tuple[Any, ...] = (str(holder_type), holder, document_type, reference)
    return key + (issued_on,) if document_type == "dbs_update_check" else key


def _document_status(cells: Cells, document_type: str | None, issued: dt.date | None) -> str | None:
    if document_type == "dbs_update_check":
        if issued is None and not cells.raw("issued_on"):
            cells.problem("issued_on", "is blank: give the date of the Update Service check")
        code = cells.choice("status", DBS_RESULT_CODES, required=True, what="DBS result code",
                            lower=False)
        return code
    status = cells.choice("status", DOCUMENT_STATUSES, what="status")
    return status or "verified"


def parse_postcode(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """An ONS Postcode Directory row; rows the ONS gives no location are skipped (None)."""
    pcds = cells.postcode("pcds", required=True)
    lat_text = cells.raw("lat")
    try:
        if lat_text and abs(float(lat_text) - ONS_NO_LOCATION) < 1e-6:
            return None
    except ValueError:
        pass
    latitude = cells.parse("lat", lambda t: fields.coordinate(t, "latitude"), True)
    longitude = cells.parse("long", lambda t: fields.coordinate(t, "longitude"), True)
    if latitude is not None and longitude is not None and not fields.in_uk(latitude, longitude):
        cells.problem("lat", f"the location {latitude}, {longitude} is outside the UK")
    if cells.problems:
        return None
    return Record(cells.line, pcds, dict(pcds=pcds, latitude=latitude, longitude=longitude))


PARSERS: dict[str, Callable[[Cells, Lookups, Geocoder | None], Record | None]] = {
    "schools": parse_school,
    "pupils": parse_pupil,
    "operators": parse_operator,
    "staff": parse_staff,
    "vehicles": parse_vehicle,
    "documents": parse_document,
    "postcodes": parse_postcode,
}
