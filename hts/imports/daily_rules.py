"""Row rules of the day's kinds: daily returns, calls, cases, the school calendar, incompatibilities.

Pure functions like `hts.imports.rules`: each reads one row into a Record (or None), adding every
problem it finds to `Cells.problems`, and never touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from hts import weekdays
from hts.imports.cells import Cells
from hts.imports.report import Problem
from hts.imports.rules import Lookups, Record, RouteRef
from hts.operations.models import ClosureKind, RunStatus
from hts.people.geocoding import Geocoder

#: A daily return's status -> the run status it records.
RETURN_STATUSES = {"delivered": RunStatus.COMPLETED, "cancelled": RunStatus.CANCELLED,
                   "not_required": RunStatus.NOT_REQUIRED}
#: The file has no reason column, and a cancelled run must say why.
RETURN_REASONS = {"cancelled": "cancelled (daily return)", "not_required": "not required (daily return)"}
CALENDAR_KINDS = ("term", ClosureKind.INSET.value, ClosureKind.CLOSURE.value)
#: A calendar range longer than this is a typing slip (2062 for 2026), not a term or closure.
LONGEST_RANGE_DAYS = 366


def _optional(cells: Cells, column: str, known: dict[str, Any], what: str, kind: str) -> Any:
    ref = cells.text(column, max_length=32)
    if ref is None:
        return None
    if ref not in known:
        cells.problem(column, f"unknown {what} '{ref}': import the {kind} first")
        return None
    return known[ref]


def _required(cells: Cells, column: str, known: dict[str, Any], what: str, kind: str) -> Any:
    if not cells.raw(column):
        cells.problem(column, "is blank: a value is required")
        return None
    return _optional(cells, column, known, what, kind)


def _past_date(cells: Cells, column: str, today: dt.date, *, required: bool = False) -> dt.date | None:
    day = cells.date(column, required=required)
    if day is not None and day > today:
        cells.problem(column, f"{day.isoformat()} is in the future")
        return None
    return day


def _not_before(cells: Cells, column: str, day: dt.date | None, opened: dt.date | None,
                opened_column: str) -> None:
    if day is not None and opened is not None and day < opened:
        cells.problem(column, f"{day.isoformat()} is before {opened_column} {opened.isoformat()}")


def _route(cells: Cells, lookups: Lookups, *, required: bool) -> RouteRef | None:
    if required:
        return _required(cells, "route_code", lookups.routes, "route", "routes")
    return _optional(cells, "route_code", lookups.routes, "route", "routes")


def parse_run(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A daily return: how one route ran on one day, with its pupil counts."""
    day = cells.date("date", required=True)
    route = _route(cells, lookups, required=True)
    code = cells.raw("route_code")
    session = cells.choice("session", ["am", "pm"], required=True, what="session")
    if route is not None and session is not None and session != route.session:
        cells.problem("session", f"route {code} is an {route.session} route, not {session}")
    if route is not None and day is not None:
        # The withdrawal day itself may still have run: a plan is promoted during a day.
        if route.withdrawn_on is not None and day > route.withdrawn_on:
            cells.problem("date", f"route {code} was withdrawn on {route.withdrawn_on.isoformat()}")
        elif not weekdays.includes(route.days, day):
            cells.problem("date", f"{day.isoformat()} is a {day:%A}: route {code} runs on "
                          f"{weekdays.format_mask(route.days)}")
    status = cells.choice("status", RETURN_STATUSES, required=True, what="status")
    arrival = cells.time("arrival_time")
    if status == "delivered":
        if arrival is None and not cells.raw("arrival_time"):
            cells.problem("arrival_time", "is blank: a delivered run needs its arrival time at school")
        if day is not None and day > lookups.today:
            cells.problem("date", f"{day.isoformat()} is in the future: a run is delivered on the day")
    elif status is not None and cells.raw("arrival_time"):
        cells.problem("arrival_time", f"a {status} run has no arrival time: leave it blank")
    expected = cells.integer("pupils_expected", required=True, minimum=0)
    absent = cells.integer("pupils_absent", minimum=0)
    absent = 0 if absent is None and not cells.raw("pupils_absent") else absent
    transported = cells.integer("pupils_transported", minimum=0)
    if expected is not None and absent is not None:
        if absent > expected:
            cells.problem("pupils_absent", f"{absent} absent is more than the {expected} expected")
        elif transported is not None and status is not None:
            if status != "delivered" and transported > 0:
                cells.problem("pupils_transported", f"a {status} run transports no pupils: write 0 or "
                              f"leave it blank")
            elif transported > expected - absent:
                cells.problem("pupils_transported", f"{transported} transported is more than the "
                              f"{expected - absent} expected less absent")
    if cells.problems or route is None or day is None or status is None:
        return None
    values = dict(route_id=route.id, run_on=day, pupils_expected=expected, pupils_absent=absent)
    outcome = dict(status=RETURN_STATUSES[status], arrived_at_school=arrival,
                   pupils_transported=transported if status == "delivered" else 0,
                   reason=RETURN_REASONS.get(status), tolerance_minutes=lookups.on_time_tolerance_minutes)
    return Record(cells.line, (code, day), values, [outcome])


def parse_call_day(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """One day's calls to the transport line, as the telephony system counts them."""
    day = _past_date(cells, "date", lookups.today, required=True)
    received = cells.integer("received", required=True, minimum=0)
    answered = cells.integer("answered", required=True, minimum=0)
    if received is not None and answered is not None and answered > received:
        cells.problem("answered", f"{answered} answered is more than the {received} received")
    if cells.problems:
        return None
    return Record(cells.line, day, dict(call_on=day, received=received, answered=answered))


def parse_complaint(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A complaint, optionally about an operator and a route, with its response date."""
    reference = cells.text("reference", required=True, max_length=32)
    received = _past_date(cells, "received", lookups.today, required=True)
    category = cells.text("category", required=True, max_length=60)
    operator_id = _optional(cells, "operator_ref", lookups.operator_ids, "operator", "operators")
    route = _route(cells, lookups, required=False)
    due = cells.date("response_due", required=True)
    _not_before(cells, "response_due", due, received, "received")
    closed = _past_date(cells, "closed", lookups.today)
    _not_before(cells, "closed", closed, received, "received")
    if cells.problems:
        return None
    return Record(cells.line, reference, dict(
        reference=reference, received_on=received, category=category, operator_id=operator_id,
        route_id=route.id if route else None, response_due_on=due, closed_on=closed))


def parse_safeguarding(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A safeguarding case, optionally about a route, a member of staff and a pupil."""
    reference = cells.text("reference", required=True, max_length=32)
    opened = _past_date(cells, "opened", lookups.today, required=True)
    category = cells.text("category", required=True, max_length=60)
    route = _route(cells, lookups, required=False)
    staff = _optional(cells, "staff_ref", lookups.staff, "member of staff", "staff")
    pupil_id = _optional(cells, "pupil_ref", lookups.pupil_ids, "pupil", "pupils")
    closed = _past_date(cells, "closed", lookups.today)
    _not_before(cells, "closed", closed, opened, "opened")
    if cells.problems:
        return None
    return Record(cells.line, reference, dict(
        reference=reference, opened_on=opened, category=category, route_id=route.id if route else None,
        staff_id=staff.id if staff else None, pupil_id=pupil_id, closed_on=closed))


def parse_bus_pass(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A bus pass application, awaiting assessment until it has an assessed date."""
    reference = cells.text("reference", required=True, max_length=32)
    received = _past_date(cells, "received", lookups.today, required=True)
    assessed = _past_date(cells, "assessed", lookups.today)
    _not_before(cells, "assessed", assessed, received, "received")
    if cells.problems:
        return None
    return Record(cells.line, reference, dict(reference=reference, received_on=received,
                                              assessed_on=assessed))


def parse_calendar(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """A term, or a range of inset or closure days, for one school or (blank urn) every school."""
    urn = cells.text("school_urn", max_length=16)
    school_id = None
    if urn is not None:
        school_id = lookups.school_ids.get(urn)
        if school_id is None:
            cells.problem("school_urn", f"unknown school '{urn}': import the schools first")
    kind = cells.choice("kind", CALENDAR_KINDS, required=True, what="calendar kind")
    starts = cells.date("starts_on", required=True)
    ends = cells.date("ends_on")
    ends = starts if ends is None and not cells.raw("ends_on") else ends
    name = cells.text("name_or_reason", required=True, max_length=100 if kind == "term" else 200)
    if starts is not None and ends is not None:
        if ends < starts:
            cells.problem("ends_on", f"{ends.isoformat()} is before starts_on {starts.isoformat()}")
        elif (ends - starts).days >= LONGEST_RANGE_DAYS:
            cells.problem("ends_on", f"{starts.isoformat()} to {ends.isoformat()} is longer than a year")
        elif kind != "term" and not weekdays.weekdays_between(starts, ends):
            cells.problem("starts_on", f"{starts.isoformat()} to {ends.isoformat()} has no weekdays: "
                          f"schools are shut at weekends anyway")
    if cells.problems:
        return None
    return Record(cells.line, (urn or "", kind, starts),
                  dict(school_id=school_id, kind=kind, starts_on=starts, ends_on=ends, name=name))


def calendar_overlaps(records: Iterable[Record]) -> list[Problem]:
    """A problem for each term overlapping an earlier term of the same school in the file, and
    each inset or closure range sharing a day with an earlier one of the same school and kind."""
    seen: dict[tuple[Any, str], list[tuple[dt.date, dt.date, int]]] = {}
    problems = []
    for record in records:
        values = record.values
        group = (values["school_id"], values["kind"])
        # The same first day is a duplicate key, reported as such.
        earlier = next((line for start, end, line in seen.get(group, [])
                        if start <= values["ends_on"] and values["starts_on"] <= end
                        and start != values["starts_on"]), None)
        if earlier is not None:
            what = "term" if values["kind"] == "term" else f"{values['kind']} days"
            problems.append(Problem(record.line, "starts_on",
                                    f"overlaps the {what} on line {earlier} for the same school"))
        seen.setdefault(group, []).append((values["starts_on"], values["ends_on"], record.line))
    return problems


def parse_incompatibility(cells: Cells, lookups: Lookups, geocoder: Geocoder | None) -> Record | None:
    """Two pupils who must not travel together; either order names the same pair."""
    first = _required(cells, "pupil_ref", lookups.pupil_ids, "pupil", "pupils")
    other = _required(cells, "other_pupil_ref", lookups.pupil_ids, "pupil", "pupils")
    reason = cells.text("reason", required=True, max_length=200)
    refs = (cells.raw("pupil_ref"), cells.raw("other_pupil_ref"))
    if refs[0] and refs[0] == refs[1]:
        cells.problem("other_pupil_ref", f"pupil {refs[0]} cannot be incompatible with themself")
    if cells.problems:
        return None
    return Record(cells.line, tuple(sorted(refs)), dict(pupil_id=min(first, other),
                                                        other_pupil_id=max(first, other), reason=reason))


PARSERS: dict[str, Callable[[Cells, Lookups, Geocoder | None], Record | None]] = {
    "calendar": parse_calendar,
    "incompatibilities": parse_incompatibility,
    "runs": parse_run,
    "calls": parse_call_day,
    "complaints": parse_complaint,
    "safeguarding": parse_safeguarding,
    "bus_passes": parse_bus_pass,
}

#: Checks across the rows of a file, after each row passed on its own.
FILE_CHECKS: dict[str, Callable[[list[Record]], list[Problem]]] = {
    "calendar": calendar_overlaps,
}
