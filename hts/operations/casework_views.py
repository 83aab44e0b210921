"""The control room's casework pages: calls, complaints, safeguarding cases and bus pass applications.

Operations and admin record; managers read the lists. Registered on the control room's blueprint
(hts.operations.views), which imports this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hts import db
from hts.auth.access import roles_required
from hts.operations import casework
from hts.operations.casework import CaseworkRefused
from hts.operations.forms import (
    BusPassForm,
    CallDayForm,
    ComplaintForm,
    SafeguardingForm,
    with_category,
)
from hts.operations.models import BusPassApplication, Complaint, SafeguardingCase
from hts.operations.views import (
    CASEWORK_ROLES,
    EDIT_ROLES,
    bp,
    date_arg,
    errors_of,
    options,
    touched,
)
from hts.operators.models import Operator, Staff
from hts.people.models import Pupil
from hts.routing.models import Route
from hts.sitrep.figures import percent
from hts.web import int_arg, local_today, paginate

# --- Calls -----------------------------------------------------------------------------------

def _calls_page(form: CallDayForm, errors: dict[str, str], status: int = 200) -> Any:
    start, end = date_arg("start"), date_arg("end")
    received, answered = casework.call_totals(db.session(), start, end)
    return render_template(
        "operations/calls.html", page=paginate(casework.call_query(start, end)), form=form, errors=errors,
        start=start, end=end, received=received, answered=answered, rate=percent(answered, received),
        percent=percent,
    ), status


@bp.get("/calls")
@roles_required(CASEWORK_ROLES)
def calls() -> Any:
    """Calls to the transport line per day, and the form to record a day."""
    return _calls_page(CallDayForm(data={"call_on": local_today()}), {})



@bp.post("/calls")
@roles_required(EDIT_ROLES)
def save_calls() -> Any:
    """Record (or correct) a day's calls."""
    form = CallDayForm()
    if form.validate_on_submit():
        try:
            row, days = casework.save_call_day(db.session(), call_on=form.call_on.data, received=form.received.data,
                                               answered=form.answered.data, today=local_today())
        except CaseworkRefused as refused:
            db.session.rollback()
            return _calls_page(form, errors_of(form, refused.errors), 400)
        touched(days)
        db.session.commit()
        flash(f"Calls recorded for {row.call_on:%-d %B %Y}: {row.answered} of {row.received} answered.", "success")
        return redirect(url_for("operations.calls"))
    return _calls_page(form, errors_of(form), 400)



# --- Complaints, safeguarding cases, bus passes ----------------------------------------------

def _state() -> str:
    state = request.args.get("state", "open")
    return state if state in casework.STATES else "open"


@bp.get("/complaints")
@roles_required(CASEWORK_ROLES)
def complaints() -> Any:
    """Complaints: open, overdue, closed or all."""
    state = _state()
    query = casework.complaint_query(state, local_today())
    operator_id = int_arg("operator")
    if operator_id is not None:
        query = query.where(Complaint.operator_id == operator_id)
    page = paginate(query)
    operators = dict(options(Operator, Operator.name))
    return render_template("operations/complaints.html", page=page, state=state, operators=operators,
                           operator_id=operator_id, today=local_today())



def _complaint_form_page(form: ComplaintForm, complaint: Complaint | None, errors: dict[str, str],
                         status: int = 200) -> Any:
    form.operator_id.choices = [("", "None or not known"), *options(Operator, Operator.name)]
    with_category(form.category, form.category.data)
    return render_template("operations/complaint_form.html", form=form, complaint=complaint, errors=errors), status


def _complaint_input(form: ComplaintForm) -> casework.ComplaintInput:
    return casework.ComplaintInput(
        reference=form.reference.data.strip(), received_on=form.received_on.data, category=form.category.data,
        operator_id=form.operator_id.data, route_code=form.route_code.data, response_due_on=form.response_due_on.data,
        closed_on=form.closed_on.data)


def _edit_complaint(complaint: Complaint | None) -> Any:
    if request.method == "GET":
        data = {"received_on": local_today(), "response_due_on": local_today() + dt.timedelta(days=28)}
        if complaint is not None:
            data = {"reference": complaint.reference, "received_on": complaint.received_on,
                    "category": complaint.category, "operator_id": complaint.operator_id,
                    "route_code": complaint.route.route_code if complaint.route else "",
                    "response_due_on": complaint.response_due_on, "closed_on": complaint.closed_on}
        return _complaint_form_page(ComplaintForm(data=data), complaint, {})
    form = ComplaintForm()
    form.operator_id.choices = [("", ""), *options(Operator, Operator.name)]
    with_category(form.category, complaint.category if complaint else None)
    if form.validate_on_submit():
        try:
            saved, days = casework.save_complaint(db.session(), complaint, _complaint_input(form), local_today())
        except CaseworkRefused as refused:
            db.session.rollback()
            return _complaint_form_page(form, complaint, errors_of(form, refused.errors), 400)
        touched(days)
        db.session.commit()
        flash(f"Complaint {saved.reference} {'saved' if complaint else 'recorded'}.", "success")
        return redirect(url_for("operations.complaints"))
    return _complaint_form_page(form, complaint, errors_of(form), 400)


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def new_complaint() -> Any:
    """Record a complaint."""
    return _edit_complaint(None)


@bp.route("/complaints/<int:complaint_id>", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def complaint(complaint_id: int) -> Any:
    """Change or close a complaint."""
    return _edit_complaint(db.session.get(Complaint, complaint_id) or abort(404))



@bp.get("/safeguarding")
@roles_required(CASEWORK_ROLES)
def safeguarding_cases() -> Any:
    """Safeguarding cases: open, closed or all."""
    state = _state()
    page = paginate(casework.safeguarding_query(state))
    routes = {row.id: row.route_code for row in db.session.execute(select(Route.id, Route.route_code).where(
        Route.id.in_({c.route_id for c in page.items if c.route_id})))}
    staff = {s.id: s for s in db.session.scalars(select(Staff).where(
        Staff.id.in_({c.staff_id for c in page.items if c.staff_id})))}
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(
        Pupil.id.in_({c.pupil_id for c in page.items if c.pupil_id})))}
    return render_template("operations/safeguarding.html", page=page, state=state, routes=routes, staff=staff,
                           pupils=pupils)



def _case_form_page(form: SafeguardingForm, case: SafeguardingCase | None, errors: dict[str, str],
                    status: int = 200) -> Any:
    with_category(form.category, form.category.data)
    return render_template("operations/safeguarding_form.html", form=form, case=case, errors=errors), status


def _edit_case(case: SafeguardingCase | None) -> Any:
    if request.method == "GET":
        data: dict[str, Any] = {"opened_on": local_today()}
        if case is not None:
            route = db.session.get(Route, case.route_id) if case.route_id else None
            staff = db.session.get(Staff, case.staff_id) if case.staff_id else None
            pupil = db.session.get(Pupil, case.pupil_id) if case.pupil_id else None
            data = {"reference": case.reference, "opened_on": case.opened_on, "category": case.category,
                    "route_code": route.route_code if route else "", "staff_ref": staff.staff_ref if staff else "",
                    "pupil_ref": pupil.pupil_ref if pupil else "", "closed_on": case.closed_on}
        return _case_form_page(SafeguardingForm(data=data), case, {})
    form = SafeguardingForm()
    with_category(form.category, case.category if case else None)
    if form.validate_on_submit():
        data_in = casework.SafeguardingInput(
            reference=form.reference.data.strip(), opened_on=form.opened_on.data, category=form.category.data,
            route_code=form.route_code.data, staff_ref=form.staff_ref.data, pupil_ref=form.pupil_ref.data,
            closed_on=form.closed_on.data)
        try:
            saved, days = casework.save_safeguarding_case(db.session(), case, data_in, local_today())
        except CaseworkRefused as refused:
            db.session.rollback()
            return _case_form_page(form, case, errors_of(form, refused.errors), 400)
        touched(days)
        db.session.commit()
        flash(f"Safeguarding case {saved.reference} {'saved' if case else 'opened'}.", "success")
        return redirect(url_for("operations.safeguarding_cases"))
    return _case_form_page(form, case, errors_of(form), 400)


@bp.route("/safeguarding/new", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def new_safeguarding_case() -> Any:
    """Open a safeguarding case."""
    return _edit_case(None)


@bp.route("/safeguarding/<int:case_id>", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def safeguarding_case(case_id: int) -> Any:
    """Change or close a safeguarding case."""
    return _edit_case(db.session.get(SafeguardingCase, case_id) or abort(404))



@bp.get("/bus-passes")
@roles_required(CASEWORK_ROLES)
def bus_passes() -> Any:
    """Bus pass applications: awaiting assessment, assessed or all."""
    state = _state()
    return render_template("operations/bus_passes.html", page=paginate(casework.bus_pass_query(state)),
                           state=state, today=local_today())



def _edit_bus_pass(application: BusPassApplication | None) -> Any:
    if request.method == "GET":
        data: dict[str, Any] = {"received_on": local_today()}
        if application is not None:
            data = {"reference": application.reference, "received_on": application.received_on,
                    "assessed_on": application.assessed_on}
        return render_template("operations/bus_pass_form.html", form=BusPassForm(data=data),
                               application=application, errors={})
    form = BusPassForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        data_in = casework.BusPassInput(reference=form.reference.data.strip(), received_on=form.received_on.data,
                                        assessed_on=form.assessed_on.data)
        try:
            saved, days = casework.save_bus_pass(db.session(), application, data_in, local_today())
        except CaseworkRefused as refused:
            db.session.rollback()
            errors = refused.errors
        else:
            touched(days)
            db.session.commit()
            flash(f"Bus pass application {saved.reference} {'saved' if application else 'recorded'}.", "success")
            return redirect(url_for("operations.bus_passes"))
    return render_template("operations/bus_pass_form.html", form=form, application=application,
                           errors=errors_of(form, errors)), 400


@bp.route("/bus-passes/new", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def new_bus_pass() -> Any:
    """Record a bus pass application."""
    return _edit_bus_pass(None)


@bp.route("/bus-passes/<int:application_id>", methods=["GET", "POST"])
@roles_required(EDIT_ROLES)
def bus_pass(application_id: int) -> Any:
    """Change a bus pass application, or record its assessment."""
    return _edit_bus_pass(db.session.get(BusPassApplication, application_id) or abort(404))



