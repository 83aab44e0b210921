"""Write each kind back in its import format (CSV UTF-8 with a header row).

Exported files import again unchanged. Text that a spreadsheet would run as a formula gets a
leading quote, which the reader strips again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from hts import weekdays
from hts.imports.fields import number_text, pence_to_pounds
from hts.imports.service import kind_spec
from hts.operations.models import (
    DELIVERED,
    BusPassApplication,
    CallDay,
    Complaint,
    Run,
    RunStatus,
    SafeguardingCase,
    SchoolClosure,
    SchoolTerm,
)
from hts.operators.models import Document, Operator, Staff, Vehicle
from hts.people.models import Postcode, Pupil, School
from hts.routing.models import PupilIncompatibility, Route, RouteStop

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed decimal number is the one formula-looking text left as it is (a longitude, -1.85).
# Not Python's float(): it also takes "-inf", "-nan" and "-1_0", which a spreadsheet would run.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """A cell as text, with a quote before text a spreadsheet would read as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Whitespace alone (a lone tab) runs nothing, and a quote before it would read back as "'".
    if text.startswith(_FORMULA_STARTS) and text.strip() and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def _schools(session: Session) -> Iterator[list[Any]]:
    for s in session.scalars(select(School).order_by(School.urn)):
        yield [s.urn, s.name, s.postcode, number_text(s.latitude), number_text(s.longitude),
               f"{s.start_time:%H:%M}", f"{s.finish_time:%H:%M}"]


def _pupils(session: Session) -> Iterator[list[Any]]:
    # Anonymised pupils hold no names or address to export (and could not be imported again).
    query = (select(Pupil).where(Pupil.anonymised_at.is_(None)).order_by(Pupil.pupil_ref)
             .options(selectinload(Pupil.addresses), selectinload(Pupil.school)))
    for p in session.scalars(query):
        main = next(a for a in p.addresses if a.is_main)
        alt = next((a for a in p.addresses if not a.is_main), None)
        row = [p.pupil_ref, p.first_name, p.last_name, _date(p.date_of_birth), p.school.urn,
               main.address, main.postcode, number_text(main.latitude), number_text(main.longitude),
               _yes(p.wheelchair), _yes(p.passenger_assistant), _yes(p.solo),
               p.max_ride_minutes or "", weekdays.format_mask(p.travel_days)]
        if alt is None:
            row += ["", "", "", "", ""]
        else:
            row += [alt.address, alt.postcode, number_text(alt.latitude), number_text(alt.longitude),
                    weekdays.format_mask(alt.days)]
        row.append(_date(p.transport_ended_on))
        yield row


def _operators(session: Session) -> Iterator[list[Any]]:
    for o in session.scalars(select(Operator).order_by(Operator.operator_ref)):
        yield [o.operator_ref, o.name, o.contact_email, o.depot_postcode,
               number_text(o.depot_latitude), number_text(o.depot_longitude)]


def _staff(session: Session) -> Iterator[list[Any]]:
    query = select(Staff).order_by(Staff.staff_ref).options(selectinload(Staff.operator))
    for s in session.scalars(query):
        yield [s.staff_ref, s.operator.operator_ref, str(s.role), s.first_name, s.last_name,
               _date(s.date_of_birth)]


def _vehicles(session: Session) -> Iterator[list[Any]]:
    query = select(Vehicle).order_by(Vehicle.registration).options(selectinload(Vehicle.operator))
    for v in session.scalars(query):
        yield [v.registration, v.operator.operator_ref, str(v.vehicle_type), v.seats, v.wheelchair_spaces]


def _documents(session: Session) -> Iterator[list[Any]]:
    query = select(Document).order_by(Document.id).options(
        selectinload(Document.operator), selectinload(Document.staff), selectinload(Document.vehicle))
    for d in session.scalars(query):
        yield [str(d.holder_type), d.holder_ref, d.document_type, d.reference, _date(d.issued_on),
               _date(d.expires_on), d.status]


def _routes(session: Session) -> Iterator[list[Any]]:
    query = select(Route).order_by(Route.route_code).options(
        selectinload(Route.school), selectinload(Route.operator), selectinload(Route.vehicle),
        selectinload(Route.driver), selectinload(Route.pa),
        selectinload(Route.stops).selectinload(RouteStop.pupils))
    for r in session.scalars(query):
        yield [r.route_code, str(r.session), r.school.urn, r.operator.operator_ref if r.operator else "",
               r.vehicle.registration if r.vehicle else "", r.driver.staff_ref if r.driver else "",
               r.pa.staff_ref if r.pa else "", pence_to_pounds(r.daily_price_pence),
               " ".join(p.pupil_ref for p in r.pupils), weekdays.format_mask(r.days)]


def _postcodes(session: Session) -> Iterator[list[Any]]:
    for p in session.scalars(select(Postcode).order_by(Postcode.pcds)):
        yield [p.pcds, number_text(p.latitude), number_text(p.longitude)]


def _school_urns(session: Session) -> dict[int | None, str]:
    urns: dict[int | None, str] = {None: ""}
    urns.update((id_, urn) for id_, urn in session.execute(select(School.id, School.urn)))
    return urns


def _follows(last: dt.date, day: dt.date) -> bool:
    # The next day, or Monday after Friday: a closure over a weekend is one range.
    return (day - last).days == 1 or (last.weekday() == 4 and (day - last).days == 3)


def _calendar(session: Session) -> Iterator[list[Any]]:
    urns = _school_urns(session)
    rows: list[list[Any]] = [[urns[t.school_id], "term", t.starts_on, t.ends_on, t.name]
                             for t in session.scalars(select(SchoolTerm))]
    ranges: dict[tuple[int | None, str], list[list[Any]]] = {}
    closures = sorted(session.execute(select(SchoolClosure.school_id, SchoolClosure.kind,
                                             SchoolClosure.closed_on, SchoolClosure.reason)),
                      key=lambda c: (urns[c.school_id], str(c.kind), c.closed_on))
    for school_id, kind, day, reason in closures:
        group = ranges.setdefault((school_id, str(kind)), [])
        if group and group[-1][4] == reason and _follows(group[-1][3], day):
            group[-1][3] = day
        else:
            group.append([urns[school_id], str(kind), day, day, reason])
    rows += [row for group in ranges.values() for row in group]
    order = {"term": 0, "inset": 1, "closure": 2}
    for row in sorted(rows, key=lambda r: (r[0], order[r[1]], r[2])):
        yield [row[0], row[1], _date(row[2]), _date(row[3]), row[4]]


def _incompatibilities(session: Session) -> Iterator[list[Any]]:
    first, other = aliased(Pupil), aliased(Pupil)
    query = (select(first.pupil_ref, other.pupil_ref, PupilIncompatibility.reason)
             .join(first, first.id == PupilIncompatibility.pupil_id)
             .join(other, other.id == PupilIncompatibility.other_pupil_id)
             .order_by(first.pupil_ref, other.pupil_ref))
    for row in session.execute(query):
        yield list(row)


#: A run's status as a daily return writes it; runs without an outcome yet are not exported.
_RETURN_STATUS = {**{s: "delivered" for s in DELIVERED}, RunStatus.CANCELLED: "cancelled",
                  RunStatus.NOT_REQUIRED: "not_required"}


def _runs(session: Session) -> Iterator[list[Any]]:
    query = (select(Run.run_on, Route.route_code, Run.session, Run.status, Run.arrived_at_school,
                    Run.pupils_expected, Run.pupils_absent, Run.pupils_transported)
             .join(Route, Route.id == Run.route_id)
             .where(Run.status.in_(list(_RETURN_STATUS)))
             .order_by(Run.run_on, Route.route_code))
    for day, code, session_name, status, arrived, expected, absent, transported in session.execute(query):
        yield [_date(day), code, session_name, _RETURN_STATUS[RunStatus(status)],
               f"{arrived:%H:%M}" if arrived else "", expected, absent, transported]


def _calls(session: Session) -> Iterator[list[Any]]:
    for c in session.scalars(select(CallDay).order_by(CallDay.call_on)):
        yield [_date(c.call_on), c.received, c.answered]


def _complaints(session: Session) -> Iterator[list[Any]]:
    query = (select(Complaint, Operator.operator_ref, Route.route_code)
             .outerjoin(Operator, Operator.id == Complaint.operator_id)
             .outerjoin(Route, Route.id == Complaint.route_id)
             .order_by(Complaint.reference))
    for c, operator_ref, route_code in session.execute(query):
        yield [c.reference, _date(c.received_on), c.category, operator_ref or "", route_code or "",
               _date(c.response_due_on), _date(c.closed_on)]


def _safeguarding(session: Session) -> Iterator[list[Any]]:
    query = (select(SafeguardingCase, Route.route_code, Staff.staff_ref, Pupil.pupil_ref)
             .outerjoin(Route, Route.id == SafeguardingCase.route_id)
             .outerjoin(Staff, Staff.id == SafeguardingCase.staff_id)
             .outerjoin(Pupil, Pupil.id == SafeguardingCase.pupil_id)
             .order_by(SafeguardingCase.reference))
    for c, route_code, staff_ref, pupil_ref in session.execute(query):
        yield [c.reference, _date(c.opened_on), c.category, route_code or "", staff_ref or "",
               pupil_ref or "", _date(c.closed_on)]


def _bus_passes(session: Session) -> Iterator[list[Any]]:
    for a in session.scalars(select(BusPassApplication).order_by(BusPassApplication.reference)):
        yield [a.reference, _date(a.received_on), _date(a.assessed_on)]


_ROWS = {
    "schools": _schools, "pupils": _pupils, "operators": _operators, "staff": _staff,
    "vehicles": _vehicles, "documents": _documents, "routes": _routes, "postcodes": _postcodes,
    "calendar": _calendar, "incompatibilities": _incompatibilities, "runs": _runs, "calls": _calls,
    "complaints": _complaints, "safeguarding": _safeguarding, "bus_passes": _bus_passes,
}


def write_export(session: Session, kind: str, out: IO[str]) -> int:
    """Write a kind's rows as CSV to a text stream; returns the number of data rows."""
    spec = kind_spec(kind)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(spec.names)
    count = 0
    for row in _ROWS[kind](session):
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def run_export(session: Session, kind: str, path: str | Path) -> int:
    """Write a kind to a CSV file (UTF-8); returns the number of data rows."""
    buffer = io.StringIO()
    count = write_export(session, kind, buffer)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return count
