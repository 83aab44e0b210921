"""The column specifications of every import kind: names, whether required, format, example.

The docs page, the example files and the header check are all generated from these specs, so
they cannot drift apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hts.operators.models import (
    DBS_RESULT_CODES,
    DOCUMENT_HOLDERS,
    DOCUMENT_STATUSES,
    DOCUMENT_TYPES,
    StaffRole,
    VehicleType,
)


@dataclass(frozen=True)
class Column:
    """One column of an import file. A required column must be present and never blank."""

    name: str
    required: bool
    format: str
    description: str = ""


@dataclass(frozen=True)
class Kind:
    """An import kind: its columns, the column (or columns) that key a row, and example rows."""

    name: str
    title: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    example: tuple[tuple[str, ...], ...]

    @property
    def names(self) -> list[str]:
        """Every column name, in file order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The columns a file must have."""
        return [c.name for c in self.columns if c.required]

    def example_csv(self) -> str:
        """An example file of this kind (header and rows), as CSV text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.names)
        writer.writerows(self.example)
        return out.getvalue()


def _c(name: str, required: bool, format: str, description: str = "") -> Column:
    return Column(name, required, format, description)


YES_NO = "yes/no: yes, no, y, n, true, false, 1, 0 (blank is no)"
DATE = "date: YYYY-MM-DD or DD/MM/YYYY"
TIME = "time: HH:MM (24-hour)"
POSTCODE = "UK postcode, e.g. B1 1AA"
LATITUDE = "decimal degrees, inside the UK; blank: found from the postcode"
LONGITUDE = "decimal degrees, inside the UK; blank: found from the postcode"
WEEKDAYS = "weekdays separated by spaces, e.g. Mon Tue Wed Thu Fri"

SCHOOLS = Kind(
    "schools", "Schools", ("urn",),
    (
        _c("urn", True, "text", "the school's unique reference number"),
        _c("name", True, "text"),
        _c("postcode", True, POSTCODE),
        _c("latitude", False, LATITUDE),
        _c("longitude", False, LONGITUDE),
        _c("start_time", True, TIME, "when the school day starts"),
        _c("finish_time", True, TIME, "when pupils are collected; after start_time"),
    ),
    (
        ("103456", "Hillside Primary School", "B15 2TT", "52.4508", "-1.9305", "08:50", "15:15"),
        ("103999", "Parkview Special School", "B23 6SA", "", "", "09:15", "15:00"),
    ),
)

PUPILS = Kind(
    "pupils", "Pupils", ("pupil_ref",),
    (
        _c("pupil_ref", True, "text", "the council's reference for the pupil"),
        _c("first_name", True, "text"),
        _c("last_name", True, "text"),
        _c("date_of_birth", True, DATE, "not in the future"),
        _c("school_urn", True, "text", "the urn of a school already imported"),
        _c("address", True, "text", "the main home address"),
        _c("postcode", True, POSTCODE),
        _c("latitude", False, LATITUDE),
        _c("longitude", False, LONGITUDE),
        _c("wheelchair", False, YES_NO, "travels in a wheelchair"),
        _c("passenger_assistant", False, YES_NO, "needs a passenger assistant on the vehicle"),
        _c("solo", False, YES_NO, "must travel alone"),
        _c("max_ride_minutes", False, "whole number above 0; blank: the policy limit",
           "an individual journey limit"),
        _c("travel_days", False, WEEKDAYS + "; blank: every school day"),
        _c("alt_address", False, "text", "a second home address (shared care)"),
        _c("alt_postcode", False, POSTCODE, "required with alt_address"),
        _c("alt_latitude", False, LATITUDE),
        _c("alt_longitude", False, LONGITUDE),
        _c("alt_days", False, WEEKDAYS, "the travel days spent at the second address; required "
           "with alt_address"),
        _c("transport_ended_on", False, DATE + "; blank: still travelling",
           "the day the pupil stopped using transport; the retention period counts from it. "
           "Leave the column out to keep the dates already held"),
    ),
    (
        ("P000101", "Amira", "Khan", "2015-03-14", "103456", "12 Elm Road", "B15 3AA", "52.4571",
         "-1.9312", "no", "no", "no", "", "Mon Tue Wed Thu Fri", "", "", "", "", "", ""),
        ("P000102", "Jack", "Doyle", "02/11/2011", "103999", "4 Mill Lane", "B23 5XY", "", "",
         "yes", "yes", "no", "60", "", "9 Brook Street", "B24 8QQ", "52.5201", "-1.8220",
         "Thu Fri", ""),
    ),
)

OPERATORS = Kind(
    "operators", "Operators", ("operator_ref",),
    (
        _c("operator_ref", True, "text", "the council's reference for the operator"),
        _c("name", True, "text"),
        _c("contact_email", True, "email address"),
        _c("depot_postcode", True, POSTCODE),
        _c("depot_latitude", False, LATITUDE),
        _c("depot_longitude", False, LONGITUDE),
    ),
    (
        ("OP001", "Acme Cars Ltd", "bookings@acmecars.example", "B7 4BB", "52.4901", "-1.8780"),
        ("OP002", "Northfield Minibuses", "office@northfield.example", "B31 2PA", "", ""),
    ),
)

STAFF = Kind(
    "staff", "Staff", ("staff_ref",),
    (
        _c("staff_ref", True, "text", "the council's reference for the person"),
        _c("operator_ref", True, "text", "the operator employing them"),
        _c("role", True, " or ".join(r.value for r in StaffRole)),
        _c("first_name", True, "text"),
        _c("last_name", True, "text"),
        _c("date_of_birth", True, DATE),
    ),
    (
        ("S0001", "OP001", "driver", "Dev", "Patel", "1978-06-02"),
        ("S0002", "OP001", "passenger_assistant", "Mary", "Quinn", "21/09/1969"),
    ),
)

VEHICLES = Kind(
    "vehicles", "Vehicles", ("registration",),
    (
        _c("registration", True, "text; stored in upper case with single spaces"),
        _c("operator_ref", True, "text", "the operator running it"),
        _c("vehicle_type", True, " | ".join(v.value for v in VehicleType)),
        _c("seats", True, "whole number, 0 or more", "passenger seats"),
        _c("wheelchair_spaces", False, "whole number, 0 or more; blank: 0"),
    ),
    (
        ("AB12 CDE", "OP001", "car", "4", "0"),
        ("WX68 WAV", "OP001", "wav", "4", "1"),
        ("MN19 BUS", "OP002", "minibus", "14", "1"),
    ),
)

DOCUMENTS = Kind(
    "documents", "Documents", ("holder_type", "holder_ref", "document_type", "reference"),
    (
        _c("holder_type", True, "operator | staff | vehicle"),
        _c("holder_ref", True, "text", "operator_ref, staff_ref or registration of the holder"),
        _c("document_type", True, " | ".join(DOCUMENT_TYPES),
           "allowed per holder: " + "; ".join(
               f"{holder}: {', '.join(sorted(types))}" for holder, types in DOCUMENT_HOLDERS.items())),
        _c("reference", True, "text", "for dbs_enhanced, the 12-digit certificate number"),
        _c("issued_on", False, DATE, "for dbs_update_check, the date of the check (required; part of the key)"),
        _c("expires_on", False, DATE, "on or after issued_on"),
        _c("status", False, " | ".join(DOCUMENT_STATUSES) + " (blank: verified); for "
           "dbs_update_check the result code: " + " | ".join(DBS_RESULT_CODES)),
    ),
    (
        ("staff", "S0001", "dbs_enhanced", "001234567890", "2024-02-01", "", "verified"),
        ("staff", "S0001", "dbs_update_check", "001234567890", "2026-06-30", "",
         "BLANK_NO_NEW_INFO"),
        ("vehicle", "AB12 CDE", "mot", "MOT-55821", "2026-03-01", "2027-02-28", "verified"),
        ("operator", "OP001", "public_liability_insurance", "PL-1182", "01/04/2026", "31/03/2027",
         "verified"),
    ),
)

ROUTES = Kind(
    "routes", "Routes", ("route_code",),
    (
        _c("route_code", True, "text", "the route's unique code"),
        _c("session", True, "am | pm", "am: home to school; pm: school to home"),
        _c("school_urn", True, "text", "every pupil on the route attends this school"),
        _c("operator_ref", False, "text", "required when a vehicle, driver or PA is given"),
        _c("vehicle_registration", False, "text", "a vehicle of the route's operator"),
        _c("driver_ref", False, "text", "a driver of the route's operator"),
        _c("pa_ref", False, "text", "a passenger assistant of the route's operator"),
        _c("daily_price", False, "pounds, e.g. 86.50; blank: 0"),
        _c("pupil_refs", True, "pupil references separated by spaces, in pickup order (am) or "
           "drop-off order (pm)"),
        _c("days", False, WEEKDAYS + "; blank: Mon to Fri"),
    ),
    (
        ("R-103456-AM1", "am", "103456", "OP001", "AB12 CDE", "S0001", "", "62.00", "P000101", ""),
        ("R-103999-PM1", "pm", "103999", "OP001", "WX68 WAV", "S0001", "S0002", "118.50",
         "P000102", "Mon Tue Wed"),
    ),
)

POSTCODES = Kind(
    "postcodes", "Postcodes (ONS Postcode Directory)", ("pcds",),
    (
        _c("pcds", True, POSTCODE, "the ONS 'pcds' column"),
        _c("lat", True, "decimal degrees; 99.999999 (no location) rows are skipped"),
        _c("long", True, "decimal degrees"),
    ),
    (
        ("B15 2TT", "52.450812", "-1.930501"),
        ("B23 6SA", "52.530127", "-1.835712"),
        ("B23 5XY", "52.527310", "-1.841920"),
        ("B31 2PA", "52.410650", "-1.977820"),
    ),
)

CALENDAR = Kind(
    "calendar", "School calendar", ("school_urn", "kind", "starts_on"),
    (
        _c("school_urn", False, "text; blank: every school", "a school already imported"),
        _c("kind", True, "term | inset | closure"),
        _c("starts_on", True, DATE),
        _c("ends_on", False, DATE + "; blank: the same as starts_on", "on or after starts_on"),
        _c("name_or_reason", True, "text", "the term's name, or why the school is shut"),
    ),
    (
        ("", "term", "2026-09-03", "2026-10-23", "Autumn 1"),
        ("", "term", "2026-11-02", "2026-12-18", "Autumn 2"),
        ("103456", "inset", "2026-09-03", "2026-09-04", "staff training"),
        ("103999", "closure", "2026-11-27", "", "heating failure"),
    ),
)

INCOMPATIBILITIES = Kind(
    "incompatibilities", "Incompatible pupils", ("pupil_ref", "other_pupil_ref"),
    (
        _c("pupil_ref", True, "text", "a pupil already imported"),
        _c("other_pupil_ref", True, "text", "another pupil already imported"),
        _c("reason", True, "text", "why they must not travel together (kept from the crew)"),
    ),
    (
        ("P000101", "P000102", "safeguarding: keep apart"),
    ),
)

RUNS = Kind(
    "runs", "Daily returns (runs)", ("route_code", "date"),
    (
        _c("date", True, DATE, "the day of the run"),
        _c("route_code", True, "text", "a route already imported, running on that weekday"),
        _c("session", True, "am | pm", "the route's session"),
        _c("status", True, "delivered | cancelled | not_required"),
        _c("arrival_time", False, TIME, "arrival at school; required when delivered, blank "
           "otherwise"),
        _c("pupils_expected", True, "whole number, 0 or more"),
        _c("pupils_absent", False, "whole number, 0 or more; blank: 0", "at most pupils_expected"),
        _c("pupils_transported", False, "whole number, 0 or more; blank: expected less absent when "
           "delivered, 0 otherwise", "at most pupils_expected less pupils_absent; 0 unless delivered"),
    ),
    (
        ("2026-09-09", "R-103456-AM1", "am", "delivered", "08:41", "1", "0", "1"),
        ("2026-09-09", "R-103999-PM1", "pm", "cancelled", "", "1", "0", "0"),
        ("08/09/2026", "R-103999-PM1", "pm", "not_required", "", "1", "1", "0"),
    ),
)

CALLS = Kind(
    "calls", "Calls", ("date",),
    (
        _c("date", True, DATE, "not in the future"),
        _c("received", True, "whole number, 0 or more", "calls to the transport line that day"),
        _c("answered", True, "whole number, 0 or more", "at most received"),
    ),
    (
        ("2026-09-07", "131", "122"),
        ("2026-09-08", "118", "109"),
    ),
)

COMPLAINTS = Kind(
    "complaints", "Complaints", ("reference",),
    (
        _c("reference", True, "text"),
        _c("received", True, DATE, "not in the future"),
        _c("category", True, "text", "e.g. lateness, driver conduct"),
        _c("operator_ref", False, "text", "the operator complained about"),
        _c("route_code", False, "text", "the route complained about"),
        _c("response_due", True, DATE, "on or after received"),
        _c("closed", False, DATE, "on or after received, not in the future; blank: open"),
    ),
    (
        ("C-2026-0001", "2026-09-08", "lateness", "OP001", "R-103456-AM1", "2026-09-22", "2026-09-15"),
        ("C-2026-0002", "10/09/2026", "driver conduct", "", "", "24/09/2026", ""),
    ),
)

SAFEGUARDING = Kind(
    "safeguarding", "Safeguarding cases", ("reference",),
    (
        _c("reference", True, "text"),
        _c("opened", True, DATE, "not in the future"),
        _c("category", True, "text"),
        _c("route_code", False, "text", "the route concerned"),
        _c("staff_ref", False, "text", "the member of staff concerned"),
        _c("pupil_ref", False, "text", "the pupil concerned"),
        _c("closed", False, DATE, "on or after opened, not in the future; blank: open"),
    ),
    (
        ("SG-2026-001", "2026-09-09", "conduct of staff", "R-103999-PM1", "S0002", "P000102", ""),
    ),
)

BUS_PASSES = Kind(
    "bus_passes", "Bus pass applications", ("reference",),
    (
        _c("reference", True, "text"),
        _c("received", True, DATE, "not in the future"),
        _c("assessed", False, DATE, "on or after received, not in the future; blank: awaiting "
           "assessment"),
    ),
    (
        ("BP-2026-1001", "2026-09-01", "2026-09-10"),
        ("BP-2026-1002", "2026-09-04", ""),
    ),
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (SCHOOLS, PUPILS, OPERATORS, STAFF, VEHICLES, DOCUMENTS, ROUTES, POSTCODES, CALENDAR,
                 INCOMPATIBILITIES, RUNS, CALLS, COMPLAINTS, SAFEGUARDING, BUS_PASSES)
}
