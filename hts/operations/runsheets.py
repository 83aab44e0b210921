"""Run sheets: one route's day for the operator and crew, as data, CSV, PDF and plain text.

A run sheet carries what the crew needs and nothing more personal: the stops in order with
their times and pickup (or drop-off) addresses, each pupil's first name and the needs the crew
must know, the school, the crew and vehicle, and whom to call. No surnames, dates of birth or
the reasons pupils must not travel together.

The source is the day's run when there is one (its pupils, crew and absences), otherwise the
route version in force that day. `build_run_sheet` makes the data (`RunSheet`); the three
renderings are pure functions of it. fpdf2 is imported only when a PDF is asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts import weekdays
from hts.imports.exports import safe_cell
from hts.operations.calendar import load_calendar
from hts.operations.models import Run, RunPupilStatus, RunStatus
from hts.operations.runs import absences, due_school
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.models import Pupil, School
from hts.routing.models import Route
from hts.routing.versions import is_withdrawal, pending_version, snapshot_of

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CSV_HEADER = ("route_code", "date", "session", "stop", "time", "action", "address", "postcode", "first_name",
              "travels_in", "wheelchair", "needs_passenger_assistant", "travels_solo", "status")


@dataclass(frozen=True)
class SheetPupil:
    """A pupil as the crew sees them: a first name and the needs that shape the journey."""

    first_name: str
    wheelchair: bool
    passenger_assistant: bool
    solo: bool
    absent: bool = False

    @property
    def travels_in(self) -> str:
        """Where the pupil sits: a seat, or their wheelchair in a wheelchair space."""
        return "wheelchair space" if self.wheelchair else "seat"

    @property
    def needs(self) -> list[str]:
        """The needs the crew must know, in words (empty for a pupil with none)."""
        words = []
        if self.wheelchair:
            words.append("wheelchair user, in a wheelchair space")
        if self.passenger_assistant:
            words.append("needs a passenger assistant")
        if self.solo:
            words.append("travels solo (no other pupils on board)")
        return words

    @property
    def need_words(self) -> list[str]:
        """Where the pupil sits and what they need: 'seat', or the wheelchair space, then PA and solo."""
        return self.needs if self.wheelchair else ["seat", *self.needs]

    def describe(self) -> str:
        """'Ruby: wheelchair user, in a wheelchair space; needs a passenger assistant', marked when absent."""
        return f"{self.first_name}: {'; '.join(self.need_words)}" + (" (ABSENT today)" if self.absent else "")


@dataclass(frozen=True)
class SheetStop:
    """A stop in travel order: when, what happens, where, and who gets on or off."""

    sequence: int
    kind: str
    time: str
    action: str
    address: str
    postcode: str
    pupils: tuple[SheetPupil, ...] = ()

    @property
    def place(self) -> str:
        """Address and postcode on one line."""
        return ", ".join(part for part in (self.address, self.postcode) if part)


@dataclass(frozen=True)
class Contact:
    """Whom the crew or operator can reach, and how."""

    name: str
    phone: str
    email: str

    def describe(self) -> str:
        """'Council transport office: 0121 496 0000, transport@council.example'."""
        means = ", ".join(part for part in (self.phone, self.email) if part)
        return f"{self.name}: {means or 'no contact details held'}"


@dataclass(frozen=True)
class RunSheet:
    """Everything on one route's run sheet for one day, ready to render."""

    route_code: str
    day: dt.date
    session: str
    version: int
    #: "run" when the day's run was the source, "route" when the version in force was.
    source: str
    school_name: str
    school_postcode: str
    school_time: str
    operator: str
    vehicle: str
    driver: str
    passenger_assistant: str
    stops: tuple[SheetStop, ...]
    contacts: tuple[Contact, ...]
    #: Why the route does not run that day (closure, weekday, cancellation), when it does not.
    notice: str | None = None
    #: The operator running it that day (decides which operator may see the sheet); not printed.
    operator_id: int | None = None

    @property
    def session_words(self) -> str:
        """'morning (to school)' or 'afternoon (home from school)'."""
        return "morning (to school)" if self.session == "am" else "afternoon (home from school)"

    @property
    def date_words(self) -> str:
        """'Wednesday 25 November 2026'."""
        return f"{DAY_NAMES[self.day.weekday()]} {self.day.day} {self.day:%B %Y}"

    @property
    def title(self) -> str:
        """'Run sheet R-101: Wednesday 25 November 2026, morning (to school)'."""
        return f"Run sheet {self.route_code}: {self.date_words}, {self.session_words}"

    @property
    def pupils(self) -> list[SheetPupil]:
        """Every pupil on the sheet in stop order, absent ones included."""
        return [pupil for stop in self.stops for pupil in stop.pupils]

    @property
    def pupil_count_words(self) -> str:
        """'4 pupils travelling, 1 absent'."""
        absent = sum(1 for p in self.pupils if p.absent)
        travelling = len(self.pupils) - absent
        words = f"{travelling} pupil{'' if travelling == 1 else 's'} travelling"
        return words + (f", {absent} absent" if absent else "")

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The sheet's heading facts as (label, value), in the order every rendering shows them."""
        return [
            ("School", f"{self.school_name}, {self.school_postcode} "
                       f"({'starts' if self.session == 'am' else 'finishes'} {self.school_time})"),
            ("Operator", self.operator),
            ("Vehicle", self.vehicle),
            ("Driver", self.driver),
            ("Passenger assistant", self.passenger_assistant),
            ("Pupils", self.pupil_count_words),
            ("Route version", f"{self.version} "
                              f"({'as on the day’s run' if self.source == 'run' else 'the version in force that day'})"),
        ]


def _staff_words(staff: Staff | None, none: str) -> str:
    return f"{staff.full_name} ({staff.staff_ref})" if staff else none


def _vehicle_words(vehicle: Vehicle | None, contracted: str | None) -> str:
    if vehicle is not None:
        wheelchair = f", {vehicle.wheelchair_spaces} wheelchair space{'' if vehicle.wheelchair_spaces == 1 else 's'}" \
            if vehicle.wheelchair_spaces else ""
        return f"{vehicle.registration} ({str(vehicle.vehicle_type).upper()}, {vehicle.seats} seats{wheelchair})"
    return f"Not assigned yet (contracted: {contracted.upper()})" if contracted else "Not assigned yet"


def _action(kind: str, session_name: str, school: School) -> str:
    if kind == "pickup":
        return "Pick up"
    if kind == "dropoff":
        return "Drop off"
    return f"{'Arrive at' if session_name == 'am' else 'Leave'} {school.name}"


def _snapshot_for(session: Session, route: Route, day: dt.date) -> tuple[int, dict[str, Any]]:
    """The version number and snapshot in force on `day` (as `versions.in_force`, with its number)."""
    pending = pending_version(session, route.id, day)
    if pending is not None:
        return pending.version, dict(pending.snapshot)
    return route.version, snapshot_of(route)


def _not_running(route: Route, snapshot: dict[str, Any], day: dt.date, closed: str | None) -> str | None:
    """Why a route with no run that day does not run, or None when it should (`closed`: why every
    school it serves is closed that day, see `Calendar.route_closures`)."""
    if route.withdrawn_on is not None and route.withdrawn_on <= day:
        return f"This route was withdrawn on {route.withdrawn_on:%-d %B %Y}: it does not run."
    if is_withdrawal(snapshot):
        return "A published change withdraws this route before this day: it does not run."
    if route.starts_on is not None and day < route.starts_on:
        return f"This route starts on {route.starts_on:%-d %B %Y}: it does not run before then."
    if not weekdays.includes(int(snapshot.get("days", weekdays.SCHOOL_DAYS)), day):
        return f"This route does not run on {DAY_NAMES[day.weekday()]}s."
    if closed:
        return f"No run on this day: the school is closed ({closed})."
    return None


@dataclass
class _Day:
    """Who travels and who crews the route that day, before it is turned into words."""

    version: int
    session_name: str
    school_id: int
    operator_id: int | None
    vehicle_id: int | None
    driver_id: int | None
    pa_id: int | None
    #: pupil id -> absent that day, for every pupil travelling (absent or not).
    absent: dict[int, bool]
    notice: str | None


def _day_from_run(run: Run) -> _Day:
    # The run's own list decides who travels that day; absences are already marked on it.
    notice = None
    if run.status in (RunStatus.CANCELLED, RunStatus.NOT_REQUIRED):
        words = "cancelled" if run.status == RunStatus.CANCELLED else "not required"
        notice = f"This run is {words}" + (f": {run.reason}." if run.reason else ".")
    return _Day(run.route_version, run.session, run.school_id, run.operator_id, run.vehicle_id, run.driver_id,
                run.pa_id, {rp.pupil_id: rp.status == RunPupilStatus.ABSENT for rp in run.pupils}, notice)


def _day_from_route(session: Session, route: Route, version: int, snapshot: dict[str, Any],
                    plan: dict[str, Any], day: dt.date) -> _Day:
    session_name = str(plan.get("session") or route.session)
    school_id = int(plan.get("school_id") or route.school_id)
    ids = [pid for stop in plan.get("stops", []) for pid in stop.get("pupil_ids", [])]
    riders = {pid: (days, school) for pid, days, school in session.execute(
        select(Pupil.id, Pupil.travel_days, Pupil.school_id).where(Pupil.id.in_(ids)))} if ids else {}
    schools = {school for _, school in riders.values()}
    closed, closed_schools = load_calendar(session, [school_id, *schools]).route_closures(school_id, schools, day)
    if school_id in closed_schools and not closed:  # nearby schools share it: due where it runs to
        school_id = due_school(route, session_name, closed_schools).id
    away = absences(session, day)
    absent = {pid: session_name in away.get(pid, set()) for pid, (days, school) in riders.items()
              if weekdays.includes(days, day) and school not in closed_schools}
    return _Day(version, session_name, school_id, plan.get("operator_id"), plan.get("vehicle_id"),
                plan.get("driver_id"), plan.get("pa_id"), absent, _not_running(route, snapshot, day, closed))


def _stops(session: Session, plan: dict[str, Any], facts: _Day, school: School, day: dt.date) -> list[SheetStop]:
    pupils = {p.id: p for p in session.scalars(
        select(Pupil).where(Pupil.id.in_(list(facts.absent))).options(selectinload(Pupil.addresses)))} \
        if facts.absent else {}
    travelling_to = {p.school_id for p in pupils.values()}
    stops: list[SheetStop] = []
    for stop in plan.get("stops", []):
        riders = [pupils[pid] for pid in stop.get("pupil_ids", []) if pid in pupils]
        kind = str(stop.get("kind"))
        if kind != "school" and not riders:
            continue  # nobody to collect or set down here that day
        if kind == "school" and stop.get("school_id") not in (None, school.id, *travelling_to):
            continue  # a school sharing the run with nobody on it that day (closed, say)
        place = school  # a school stop names its own school: nearby schools may share the run
        if kind == "school":
            place = (session.get(School, stop["school_id"]) if stop.get("school_id") else None) or school
            address, postcode = place.name, place.postcode
        else:
            homes: list[tuple[str, str]] = []
            for pupil in riders:
                home = pupil.address_on(day)  # the address used that weekday (shared care)
                if home is not None and (home.address, home.postcode) not in homes:
                    homes.append((home.address, home.postcode))
            address = " / ".join(a for a, _ in homes)
            postcode = " / ".join(dict.fromkeys(p for _, p in homes))
        stops.append(SheetStop(
            sequence=len(stops) + 1, kind=kind, time=str(stop.get("time", ""))[:5],
            action=_action(kind, facts.session_name, place), address=address, postcode=postcode,
            pupils=tuple(SheetPupil(first_name=p.first_name, wheelchair=p.wheelchair,
                                    passenger_assistant=p.passenger_assistant, solo=p.solo,
                                    absent=facts.absent[p.id]) for p in riders),
        ))
    return stops


def build_run_sheet(session: Session, route: Route, day: dt.date, *, config: Mapping[str, Any]) -> RunSheet:
    """The run sheet of a route on a day: from the day's run if there is one, else the version in force."""
    version, snapshot = _snapshot_for(session, route, day)
    # A withdrawn route is shown as it last ran, under the notice that it no longer runs.
    plan = snapshot_of(route) if is_withdrawal(snapshot) else snapshot
    run = session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == day)
                         .options(selectinload(Run.pupils)))
    facts = _day_from_run(run) if run is not None else _day_from_route(session, route, version, snapshot, plan, day)
    school = session.get(School, facts.school_id) or route.school
    operator = session.get(Operator, facts.operator_id) if facts.operator_id else None
    vehicle = session.get(Vehicle, facts.vehicle_id) if facts.vehicle_id else None
    contacts = [Contact("Council transport office", str(config.get("CONTACT_PHONE", "")),
                        str(config.get("CONTACT_EMAIL", "")))]
    if operator is not None:
        contacts.append(Contact(f"Operator: {operator.name}", "", operator.contact_email))
    school_time = school.start_time if facts.session_name == "am" else school.finish_time
    return RunSheet(
        route_code=str(plan.get("route_code") or route.route_code).split("~")[0], day=day,
        session=facts.session_name, version=facts.version, source="run" if run is not None else "route",
        school_name=school.name, school_postcode=school.postcode, school_time=f"{school_time:%H:%M}",
        operator=operator.name if operator else "Not assigned yet",
        vehicle=_vehicle_words(vehicle, plan.get("vehicle_type")),
        driver=_staff_words(session.get(Staff, facts.driver_id) if facts.driver_id else None, "Not assigned yet"),
        passenger_assistant=_staff_words(session.get(Staff, facts.pa_id) if facts.pa_id else None, "None"),
        stops=tuple(_stops(session, plan, facts, school, day)), contacts=tuple(contacts), notice=facts.notice,
        operator_id=operator.id if operator else None,
    )


def run_sheet_csv(sheet: RunSheet) -> str:
    """The stops as CSV, one row per pupil (and one for the school); formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for stop in sheet.stops:
        common = [sheet.route_code, sheet.day.isoformat(), sheet.session, stop.sequence, stop.time, stop.action,
                  stop.address, stop.postcode]
        if not stop.pupils:
            writer.writerow([safe_cell(cell) for cell in [*common, "", "", "", "", "", ""]])
        for pupil in stop.pupils:
            row = [*common, pupil.first_name, pupil.travels_in, _yes(pupil.wheelchair),
                   _yes(pupil.passenger_assistant), _yes(pupil.solo), "absent" if pupil.absent else "expected"]
            writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def run_sheet_text(sheet: RunSheet) -> str:
    """The sheet as plain text, for the body of an email to the operator."""
    lines = [sheet.title, "=" * len(sheet.title), ""]
    if sheet.notice:
        lines += [f"NOTE: {sheet.notice}", ""]
    width = max(len(label) for label, _ in sheet.facts)
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in sheet.facts]
    lines += ["", "Stops", "-----"]
    for stop in sheet.stops:
        where = stop.place if stop.kind != "school" else stop.postcode
        lines.append(f"{stop.sequence:>2}. {stop.time}  {stop.action}" + (f" at {where}" if stop.kind != "school"
                                                                         else f" ({where})"))
        lines += [f"      {pupil.describe()}" for pupil in stop.pupils]
    lines += ["", "Contacts", "--------"]
    lines += [contact.describe() for contact in sheet.contacts]
    lines += ["", "This sheet names pupils by first name only. Keep it with the vehicle's paperwork and "
                  "destroy it when the run is over."]
    return "\n".join(lines) + "\n"


#: Characters the PDF's built-in fonts lack, with the nearest they have.
_PLAIN = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h", "‘": "'", "’": "'",
                        "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "•": "-"})


def pdf_text(text: str) -> str:
    """Text the PDF's built-in (Latin-1) fonts can print: accents kept where they can be, else dropped."""
    text = text.translate(_PLAIN)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and base.isascii() else "?")
    return "".join(out)


def run_sheet_pdf(sheet: RunSheet, *, council: str = "") -> bytes:
    """The sheet as a printable A4 PDF: facts, stops with pupils and needs, contacts."""
    from fpdf.fonts import FontFace  # fpdf2 is loaded only when a PDF is asked for

    from hts.sitrep.pdf import new_a4

    pdf = new_a4(title=pdf_text(f"Run sheet {sheet.route_code}"), footer_text=pdf_text(sheet.date_words),
                 full_title=pdf_text(sheet.title), author=council)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, pdf_text(f"Run sheet {sheet.route_code}"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 7, pdf_text(f"{sheet.date_words}, {sheet.session_words}"), align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if sheet.notice:
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, pdf_text(f"NOTE: {sheet.notice}"), border=1, align="L", padding=2,
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(col_widths=(40, 134), text_align=("LEFT", "LEFT"), first_row_as_headings=False,
                   line_height=5.5) as table:
        for label, value in sheet.facts:
            row = table.row()
            row.cell(pdf_text(label), style=FontFace(emphasis="BOLD"))
            row.cell(pdf_text(value))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 8, "Stops", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(col_widths=(12, 15, 67, 80), text_align=("RIGHT", "LEFT", "LEFT", "LEFT"),
                   headings_style=heading, line_height=5.5, repeat_headings=1) as table:
        table.row(["Stop", "Time", "What and where", "Pupils (first name) and needs"])
        for stop in sheet.stops:
            where = stop.place if stop.kind != "school" else stop.postcode
            table.row([str(stop.sequence), stop.time, pdf_text(f"{stop.action}\n{where}"),
                       pdf_text("\n".join(p.describe() for p in stop.pupils) or "-")])
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 8, "Contacts", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for contact in sheet.contacts:
        pdf.multi_cell(0, 5.5, pdf_text(contact.describe()), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4.5, "This sheet names pupils by first name only. Keep it with the vehicle's paperwork and "
                           "destroy it when the run is over.", align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
