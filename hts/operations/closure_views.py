"""School closures on the day: the control room (and planners, who keep the calendar) close a
school, or every school, for a day or a few, and the runs already made for those days stand down.

Operations, planners and admin record and remove; managers look. Registered on the control
room's blueprint (hts.operations.views), which imports this module.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.compliance.rules import policy_from_config
from hts.operations import closures, run_notices
from hts.operations.closures import ClosureInput, ClosureRefused
from hts.operations.forms import EVERY_SCHOOL, ClosureForm
from hts.operations.models import ClosureKind, SchoolClosure
from hts.operations.runs import DayRefresh
from hts.operations.views import BOARD_ROLES, EDIT_ROLES, bp, errors_of, options
from hts.people.models import School
from hts.web import int_arg, local_today, paginate

CLOSURE_EDIT_ROLES = EDIT_ROLES | {Role.PLANNER}


def tell_operators(moved: list[DayRefresh]) -> str:
    """Queue a notice to each operator whose runs moved, and say what happened to the runs
    already made, as sentences for the page ('' when none moved)."""
    parts = []
    for day in moved:
        said = [f"{closures.runs_count(n)} {what}" for n, what in
                ((day.stood_down, "stood down"), (day.back_on, "back on")) if n]
        parts.append(f"{' and '.join(said)} for {closures.long_date(day.day)}")
    if not parts:
        return ""
    told = run_notices.notify_operators(db.session(), moved)
    return f" Runs already made: {'; '.join(parts)}." + (
        f" {told} operator{'s were' if told != 1 else ' was'} sent a notice." if told else "")


def _page(form: ClosureForm, errors: dict[str, str], status: int = 200) -> Any:
    schools = options(School, School.name)
    form.school.choices = [("", "Choose a school"), (EVERY_SCHOOL, "Every school"),
                           *[(str(i), name) for i, name in schools]]
    shown = int_arg("school")
    return render_template("operations/closures.html", form=form, errors=errors, schools=schools, shown=shown,
                           page=paginate(closures.upcoming(local_today(), shown)),
                           long_date=closures.long_date), status


@bp.get("/closures")
@roles_required(BOARD_ROLES)
def closures_page() -> Any:
    """School closures from today on, and the form to record one."""
    return _page(ClosureForm(data={"first_day": local_today(), "kind": ClosureKind.CLOSURE.value}), {})


def _school_of(choice: str) -> tuple[int | None, str | None]:
    """The school id chosen (None for every school) and its name; (None, None) when the choice is
    not a school."""
    if choice == EVERY_SCHOOL:
        return None, "Every school"
    school = db.session.get(School, int(choice)) if choice.isdigit() else None
    if school is None:
        return None, None
    return school.id, school.name


@bp.post("/closures")
@roles_required(CLOSURE_EDIT_ROLES)
def record_closure() -> Any:
    """Close a school (or every school) for one or more days; runs already made stand down."""
    form = ClosureForm()
    form.school.choices = []
    if not form.validate_on_submit():
        return _page(form, errors_of(form), 400)
    school_id, name = _school_of(form.school.data)
    if name is None:
        return _page(form, errors_of(form, {"school": "Choose a school from the list, or every school"}), 400)
    data = ClosureInput(school_id=school_id, first_day=form.first_day.data, last_day=form.last_day.data,
                        kind=ClosureKind(form.kind.data), reason=form.reason.data)
    try:
        rows, moved = closures.record_closure(db.session(), data, local_today(), policy_from_config(current_app.config))
    except ClosureRefused as refused:
        db.session.rollback()
        return _page(form, errors_of(form, refused.errors), 400)
    told = tell_operators(moved)
    db.session.commit()
    span = closures.long_date(rows[0].closed_on) if len(rows) == 1 else \
        f"{closures.long_date(rows[0].closed_on)} to {closures.long_date(rows[-1].closed_on)} ({len(rows)} weekdays)"
    flash(f"{name} closed on {span} ({data.kind.value}: {rows[0].reason}).{told}", "success")
    return redirect(url_for("operations.closures_page"))


@bp.post("/closures/<int:closure_id>/remove")
@roles_required(CLOSURE_EDIT_ROLES)
def remove_closure(closure_id: int) -> Any:
    """Open a school again on a day it was closed (recorded in error, or it reopened)."""
    closure = db.session.scalar(select(SchoolClosure).where(SchoolClosure.id == closure_id)) or abort(404)
    name = closure.school.name if closure.school else "Every school"
    day = closure.closed_on
    try:
        moved = closures.remove_closure(db.session(), closure, local_today(), policy_from_config(current_app.config))
    except ClosureRefused as refused:
        db.session.rollback()
        flash(refused.errors["closure"], "error")
        return redirect(url_for("operations.closures_page"))
    told = tell_operators(moved)
    db.session.commit()
    flash(f"{name} is open again on {closures.long_date(day)}.{told}", "success")
    return redirect(url_for("operations.closures_page"))
