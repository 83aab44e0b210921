"""Casework of the control room: calls, complaints, safeguarding cases and bus pass applications.

The rules are pure functions that return reasons per form field; the services below them
validate against the database (unique references, known routes), change rows and flush. The
view commits once. Every service returns the past days whose SITREP a change touches, so the
view can mark those stored snapshots stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from hts.operations.models import BusPassApplication, CallDay, Complaint, SafeguardingCase
from hts.operators.models import Staff
from hts.people.models import Pupil
from hts.routing.models import Route

#: Categories offered on the complaint and safeguarding forms (a stored value outside the list,
#: e.g. from an import, stays selectable on its record).
COMPLAINT_CATEGORIES = (
    "Lateness", "Missed pickup", "Driver or assistant conduct", "Vehicle", "Route or journey time",
    "Communication", "Other",
)
SAFEGUARDING_CATEGORIES = (
    "Conduct of driver or assistant", "Pupil left unattended", "Wrong drop-off", "Injury or restraint",
    "Bullying between pupils", "Disclosure by a pupil", "Other",
)

#: The list filters every casework list offers.
STATES = ("open", "overdue", "closed", "all")

Errors = dict[str, str]


# --- Pure rules ------------------------------------------------------------------------------

def call_day_errors(*, call_on: dt.date | None, received: int | None, answered: int | None,
                    today: dt.date) -> Errors:
    """Reasons a day's call counts cannot be saved (empty when they can)."""
    errors: Errors = {}
    if call_on is not None and call_on > today:
        errors["call_on"] = "The date must be today or in the past"
    if received is not None and received < 0:
        errors["received"] = "Calls received must be 0 or more"
    if answered is not None and answered < 0:
        errors["answered"] = "Calls answered must be 0 or more"
    elif received is not None and answered is not None and received >= 0 and answered > received:
        errors["answered"] = f"Calls answered must be no more than calls received ({received})"
    return errors


def dated_case_errors(*, opened: dt.date | None, closed: dt.date | None, today: dt.date,
                      opened_field: str, closed_field: str, closed_word: str = "closed",
                      due: dt.date | None = None, due_field: str | None = None) -> Errors:
    """Reasons the dates of a case cannot be saved: none in the future, none before it opened."""
    errors: Errors = {}
    if opened is not None and opened > today:
        errors[opened_field] = "The date must be today or in the past"
    if closed is not None and closed > today:
        errors[closed_field] = f"The date {closed_word} must be today or in the past"
    elif closed is not None and opened is not None and closed < opened:
        errors[closed_field] = f"The date {closed_word} must be on or after {opened.strftime('%-d %B %Y')}"
    if due_field and due is not None and opened is not None and due < opened:
        errors[due_field] = f"The response due date must be on or after {opened.strftime('%-d %B %Y')}"
    return errors


def touched_past_days(today: dt.date, *days: dt.date | None) -> set[dt.date]:
    """The days before today among `days`: their stored SITREP no longer matches the data."""
    return {day for day in days if day is not None and day < today}


def casework_days(today: dt.date, before: tuple[dt.date | None, ...], after: tuple[dt.date | None, ...]) -> set[dt.date]:
    """Past days whose open-case counts change when a case's dates change from `before` to `after`.

    A case counts as open on every day from its opening to the day before it closed, so a change
    touches every stored day between the earliest and the latest of the old and new dates.
    """
    dates = [d for d in (*before, *after) if d is not None]
    if not dates:
        return set()
    yesterday = today - dt.timedelta(days=1)
    first = min(dates)
    # Still open before or after the change (or just created): every day since opening may change.
    last = yesterday if None in (before[-1], after[-1]) else min(max(dates), yesterday)
    days: set[dt.date] = set()
    day = first
    while day <= last:
        days.add(day)
        day += dt.timedelta(days=1)
    return days


# --- Lists -----------------------------------------------------------------------------------

def complaint_query(state: str, today: dt.date) -> Select[tuple[Complaint]]:
    """Complaints in a state: open, overdue (open past the response date), closed or all."""
    query = select(Complaint).options(selectinload(Complaint.route))
    if state == "open":
        query = query.where(Complaint.closed_on.is_(None))
    elif state == "overdue":
        query = query.where(Complaint.closed_on.is_(None), Complaint.response_due_on < today)
    elif state == "closed":
        query = query.where(Complaint.closed_on.is_not(None))
    return query.order_by(Complaint.received_on.desc(), Complaint.reference)


def safeguarding_query(state: str) -> Select[tuple[SafeguardingCase]]:
    """Safeguarding cases open, closed or all."""
    query = select(SafeguardingCase)
    if state in ("open", "overdue"):
        query = query.where(SafeguardingCase.closed_on.is_(None))
    elif state == "closed":
        query = query.where(SafeguardingCase.closed_on.is_not(None))
    return query.order_by(SafeguardingCase.opened_on.desc(), SafeguardingCase.reference)


def bus_pass_query(state: str) -> Select[tuple[BusPassApplication]]:
    """Bus pass applications awaiting assessment ('open'), assessed ('closed') or all."""
    query = select(BusPassApplication)
    if state in ("open", "overdue"):
        query = query.where(BusPassApplication.assessed_on.is_(None))
    elif state == "closed":
        query = query.where(BusPassApplication.assessed_on.is_not(None))
    return query.order_by(BusPassApplication.received_on, BusPassApplication.reference)


def call_query(start: dt.date | None, end: dt.date | None) -> Select[tuple[CallDay]]:
    """Call days in a period (either end may be open), newest first."""
    query = select(CallDay)
    if start is not None:
        query = query.where(CallDay.call_on >= start)
    if end is not None:
        query = query.where(CallDay.call_on <= end)
    return query.order_by(CallDay.call_on.desc())


def call_totals(session: Session, start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """Calls received and answered over the period, summed in SQL."""
    query = select(func.coalesce(func.sum(CallDay.received), 0), func.coalesce(func.sum(CallDay.answered), 0))
    if start is not None:
        query = query.where(CallDay.call_on >= start)
    if end is not None:
        query = query.where(CallDay.call_on <= end)
    received, answered = session.execute(query).one()
    return int(received), int(answered)


# --- Services --------------------------------------------------------------------------------

class CaseworkRefused(ValueError):
    """A change that the database forbids (taken reference, unknown route), with field reasons."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _reference_taken(session: Session, model: Any, reference: str, own_id: int | None) -> bool:
    query = select(model.id).where(func.upper(model.reference) == reference.upper())
    if own_id is not None:
        query = query.where(model.id != own_id)
    return session.scalar(query) is not None


def route_by_code(session: Session, code: str | None) -> Route | None:
    """The route with this code (any case), None for an empty code; raises for an unknown one."""
    code = (code or "").strip()
    if not code:
        return None
    route = session.scalar(select(Route).where(func.upper(Route.route_code) == code.upper()))
    if route is None:
        raise CaseworkRefused({"route_code": f"There is no route {code}: check the route code"})
    return route


def save_call_day(session: Session, *, call_on: dt.date, received: int, answered: int,
                  today: dt.date) -> tuple[CallDay, set[dt.date]]:
    """Record a day's calls, replacing what was recorded for that day; returns it and past days touched."""
    errors = call_day_errors(call_on=call_on, received=received, answered=answered, today=today)
    if errors:
        raise CaseworkRefused(errors)
    row = session.scalar(select(CallDay).where(CallDay.call_on == call_on))
    if row is None:
        row = CallDay(call_on=call_on, received=received, answered=answered)
        session.add(row)
    row.received, row.answered = received, answered
    session.flush()
    return row, touched_past_days(today, call_on)


@dataclass(frozen=True)
class ComplaintInput:
    """A complaint as entered on the form."""

    reference: str
    received_on: dt.date
    category: str
    operator_id: int | None
    route_code: str | None
    response_due_on: dt.date
    closed_on: dt.date | None


def save_complaint(session: Session, complaint: Complaint | None, data: ComplaintInput,
                   today: dt.date) -> tuple[Complaint, set[dt.date]]:
    """Create (complaint None) or change a complaint; returns it and the past days touched."""
    errors = dated_case_errors(opened=data.received_on, closed=data.closed_on, today=today,
                               opened_field="received_on", closed_field="closed_on",
                               due=data.response_due_on, due_field="response_due_on")
    if _reference_taken(session, Complaint, data.reference, complaint.id if complaint else None):
        errors["reference"] = f"Complaint {data.reference} already exists: use another reference"
    try:
        route = route_by_code(session, data.route_code)
    except CaseworkRefused as refused:
        errors.update(refused.errors)
        route = None
    if errors:
        raise CaseworkRefused(errors)
    before = (complaint.received_on, complaint.response_due_on, complaint.closed_on) if complaint else ()
    if complaint is None:
        complaint = Complaint()
        session.add(complaint)
    complaint.reference, complaint.received_on, complaint.category = data.reference, data.received_on, data.category
    complaint.operator_id = data.operator_id if data.operator_id else (route.operator_id if route else None)
    complaint.route_id = route.id if route else None
    complaint.response_due_on, complaint.closed_on = data.response_due_on, data.closed_on
    session.flush()
    after = (data.received_on, data.response_due_on, data.closed_on)
    return complaint, casework_days(today, before or (None, None, None), after)


@dataclass(frozen=True)
class SafeguardingInput:
    """A safeguarding case as entered on the form."""

    reference: str
    opened_on: dt.date
    category: str
    route_code: str | None
    staff_ref: str | None
    pupil_ref: str | None
    closed_on: dt.date | None


def save_safeguarding_case(session: Session, case: SafeguardingCase | None, data: SafeguardingInput,
                           today: dt.date) -> tuple[SafeguardingCase, set[dt.date]]:
    """Create (case None) or change a safeguarding case; returns it and the past days touched."""
    errors = dated_case_errors(opened=data.opened_on, closed=data.closed_on, today=today,
                               opened_field="opened_on", closed_field="closed_on")
    if _reference_taken(session, SafeguardingCase, data.reference, case.id if case else None):
        errors["reference"] = f"Case {data.reference} already exists: use another reference"
    try:
        route = route_by_code(session, data.route_code)
    except CaseworkRefused as refused:
        errors.update(refused.errors)
        route = None
    staff_id = pupil_id = None
    if (data.staff_ref or "").strip():
        staff_id = session.scalar(select(Staff.id).where(func.upper(Staff.staff_ref) == data.staff_ref.strip().upper()))  # type: ignore[union-attr]
        if staff_id is None:
            errors["staff_ref"] = f"There is no driver or assistant {data.staff_ref.strip()}: check the staff reference"  # type: ignore[union-attr]
    if (data.pupil_ref or "").strip():
        pupil_id = session.scalar(select(Pupil.id).where(func.upper(Pupil.pupil_ref) == data.pupil_ref.strip().upper()))  # type: ignore[union-attr]
        if pupil_id is None:
            errors["pupil_ref"] = f"There is no pupil {data.pupil_ref.strip()}: check the pupil reference"  # type: ignore[union-attr]
    if errors:
        raise CaseworkRefused(errors)
    before = (case.opened_on, case.closed_on) if case else (None, None)
    if case is None:
        case = SafeguardingCase()
        session.add(case)
    case.reference, case.opened_on, case.category = data.reference, data.opened_on, data.category
    case.route_id = route.id if route else None
    case.staff_id, case.pupil_id, case.closed_on = staff_id, pupil_id, data.closed_on
    session.flush()
    return case, casework_days(today, before, (data.opened_on, data.closed_on))


@dataclass(frozen=True)
class BusPassInput:
    """A bus pass application as entered on the form."""

    reference: str
    received_on: dt.date
    assessed_on: dt.date | None


def save_bus_pass(session: Session, application: BusPassApplication | None, data: BusPassInput,
                  today: dt.date) -> tuple[BusPassApplication, set[dt.date]]:
    """Create (application None) or change a bus pass application; returns it and past days touched."""
    errors = dated_case_errors(opened=data.received_on, closed=data.assessed_on, today=today,
                               opened_field="received_on", closed_field="assessed_on", closed_word="assessed")
    if _reference_taken(session, BusPassApplication, data.reference, application.id if application else None):
        errors["reference"] = f"Application {data.reference} already exists: use another reference"
    if errors:
        raise CaseworkRefused(errors)
    before = (application.received_on, application.assessed_on) if application else (None, None)
    if application is None:
        application = BusPassApplication()
        session.add(application)
    application.reference, application.received_on = data.reference, data.received_on
    application.assessed_on = data.assessed_on
    session.flush()
    return application, casework_days(today, before, (data.received_on, data.assessed_on))
