"""The control room: the day's runs and a run's record (casework pages: hts.operations.casework_views;
school closures: hts.operations.closure_views).

Who may do what:
- the board and a run's page: operations and admin record; planners and managers look (managers
  arrive from a SITREP figure; a run's pupils are named only for roles that may see children's data);
- casework lists: operations, admin and managers (read only); forms: operations and admin.
Every form shows field-level errors, changes nothing unless all of it is valid, and the view
commits once. A change that touches a past day marks that day's stored SITREP stale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.compliance.rules import policy_from_config
from hts.compliance.sweep import keep_crew_compliant
from hts.operations import closures
from hts.operations.control import (
    RUN_FILTERS,
    RunFilter,
    absence_choices,
    control_room_source,
    crew_flags,
    crew_gaps,
    mark_absent,
    record_outcome_by_hand,
    run_query,
    status_counts,
    status_label,
)
from hts.operations.forms import AbsenceForm, CancelForm, GenerateForm, OutcomeForm
from hts.operations.models import Run, RunEvent, RunPupil, RunStatus
from hts.operations.runs import EventRefused, generate_runs, local_time
from hts.operators.models import Operator
from hts.people.models import Pupil, School
from hts.sitrep.snapshots import mark_stale
from hts.web import int_arg, local_today, paginate

bp = Blueprint("operations", __name__, url_prefix="/operations", template_folder="templates")

EDIT_ROLES = frozenset({Role.ADMIN, Role.OPERATIONS})
BOARD_ROLES = EDIT_ROLES | {Role.PLANNER, Role.MANAGER}
CASEWORK_ROLES = EDIT_ROLES | {Role.MANAGER}
#: The longest period the board lists at once (a term's drill-down from the SITREP trend).
MAX_PERIOD_DAYS = 200


def errors_of(form: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The first error of each field, then reasons found by the services, for the GOV.UK error summary."""
    errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors and name != "csrf_token"}
    if "csrf_token" in form._fields and form.csrf_token.errors:
        errors["csrf_token"] = "The form had expired: reload the page and try again"
    errors.update(extra or {})
    return errors


def date_arg(name: str) -> dt.date | None:
    """A date from the query string (YYYY-MM-DD), or None when absent or not a date."""
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def now() -> dt.datetime:
    """The current moment in UTC, for events recorded by hand."""
    return dt.datetime.now(dt.UTC)


def touched(days: set[dt.date]) -> None:
    """Mark the stored SITREP of past days stale after their data changed."""
    today = local_today()
    mark_stale(db.session(), {day for day in days if day < today})


def options(model: Any, label: Any) -> list[tuple[int, str]]:
    """(id, label) of every row of a small reference table, for menus."""
    return [(row[0], row[1]) for row in db.session.execute(select(model.id, label).order_by(label))]


# --- The board -------------------------------------------------------------------------------

def _board_filter() -> RunFilter:
    start, end = date_arg("start"), date_arg("end")
    if start is None or end is None or end < start or (end - start).days > MAX_PERIOD_DAYS:
        start = end = date_arg("date") or local_today()
    status = request.args.get("status") or None
    return RunFilter(start=start, end=end, school_id=int_arg("school"), operator_id=int_arg("operator"),
                     status=status if status in RUN_FILTERS else None)


def board_link(selected: RunFilter, **changes: Any) -> str:
    """The board's address for the filter with some parts changed (None removes a part)."""
    args: dict[str, Any] = {"school": selected.school_id, "operator": selected.operator_id, "status": selected.status}
    if selected.one_day:
        args["date"] = selected.start.isoformat()
    else:
        args["start"], args["end"] = selected.start.isoformat(), selected.end.isoformat()
    args.update(changes)
    return url_for("operations.board", **{k: v for k, v in args.items() if v is not None})


@bp.get("")
@roles_required(BOARD_ROLES)
def board() -> Any:
    """Today's runs (or another day's, or a period's from a SITREP figure) with their status."""
    selected = _board_filter()
    page = paginate(run_query(selected))
    counts = status_counts(db.session(), selected)
    operators = options(Operator, Operator.name)
    day_has_runs = db.session.scalar(select(Run.id).where(Run.run_on == selected.start).limit(1)) is not None
    closed = closures.on_day(db.session(), selected.start) if selected.one_day else []
    return render_template(
        "operations/board.html", page=page, selected=selected, counts=counts, filters=RUN_FILTERS,
        flags=crew_flags(db.session(), page.items),
        schools=options(School, School.name), operators=operators, operator_names=dict(operators),
        status_label=status_label, link=lambda **changes: board_link(selected, **changes), today=local_today(), day_has_runs=day_has_runs,
        generate_form=GenerateForm(data={"day": selected.start}), closed=closed,
    )



@bp.post("/generate")
@roles_required(EDIT_ROLES)
def generate() -> Any:
    """Generate a day's runs from the published routes."""
    form = GenerateForm()
    if not form.validate_on_submit():
        flash(errors_of(form).get("day", "Choose a day"), "error")
        return redirect(url_for("operations.board"))
    day = form.day.data
    report = generate_runs(db.session(), day)
    keep_crew_compliant(db.session(), day, policy_from_config(current_app.config))
    touched({day})
    db.session.commit()
    made = report.created + report.updated
    flash(f"{made} runs ready for {day:%-d %B %Y} ({report.not_required} not required, "
          f"{report.left_alone} already under way left alone).", "success")
    return redirect(url_for("operations.board", date=day.isoformat()))



# --- A run -----------------------------------------------------------------------------------

def _load_run(run_id: int) -> Run:
    run = db.session.scalar(
        select(Run).where(Run.id == run_id)
        .options(selectinload(Run.pupils).selectinload(RunPupil.pupil), selectinload(Run.route))
    )
    if run is None:
        abort(404)
    return run


def _run_page(run: Run, *, outcome: OutcomeForm | None = None, cancel: CancelForm | None = None,
              absence: AbsenceForm | None = None, errors: dict[str, str] | None = None,
              status: int = 200) -> Any:
    needed = run.pupils_expected - run.pupils_absent
    outcome = outcome or OutcomeForm(data={
        # A run still to be reported has no outcome to suggest: the user chooses one.
        "status": None if run.status in (RunStatus.SCHEDULED, RunStatus.UNDER_WAY) else run.status.value,
        "arrived_at_school": run.arrived_at_school, "reason": run.reason,
        "pupils_transported": run.pupils_transported if run.status.value in ("arrived", "completed") else needed,
    })
    absence = absence or AbsenceForm(data={"sessions": "run"})
    events = db.session.scalars(
        select(RunEvent).where(RunEvent.run_id == run.id).order_by(RunEvent.occurred_at, RunEvent.id)).all()
    pupils = {p.id: p for p in (rp.pupil for rp in run.pupils)}
    operator = db.session.get(Operator, run.operator_id) if run.operator_id else None
    return render_template(
        "operations/run.html", run=run, label=status_label(run), needed=needed, events=events, pupils=pupils,
        operator=operator, outcome=outcome, cancel=cancel or CancelForm(), absence=absence,
        absentees=absence_choices(run), errors=errors or {}, today=local_today(), local_time=local_time,
        gaps=crew_gaps(run) if run.status == RunStatus.SCHEDULED else [],
    ), status


@bp.get("/runs/<int:run_id>")
@roles_required(BOARD_ROLES)
def run(run_id: int) -> Any:
    """A run: its crew, pupils, events, and the forms to record what happened."""
    return _run_page(_load_run(run_id))



@bp.post("/runs/<int:run_id>/outcome")
@roles_required(EDIT_ROLES)
def run_outcome(run_id: int) -> Any:
    """Record a run's outcome by hand."""
    run = _load_run(run_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            record_outcome_by_hand(
                db.session(), run, status=RunStatus(form.status.data), arrived_at_school=form.arrived_at_school.data,
                pupils_transported=form.pupils_transported.data, reason=form.reason.data,
                tolerance_minutes=current_app.config["ON_TIME_TOLERANCE_MINUTES"],
                source=control_room_source(current_user.email), now=now())
        except EventRefused as refused:
            db.session.rollback()
            field = "pupils_transported" if "transported" in str(refused) else "status"
            return _run_page(_load_run(run_id), outcome=form, errors=errors_of(form, {field: _sentence(refused)}),
                             status=400)
        touched({run.run_on})
        db.session.commit()
        flash(f"Outcome recorded for {run}: {status_label(run)[0].lower()}.", "success")
        return redirect(url_for("operations.run", run_id=run.id))
    return _run_page(run, outcome=form, errors=errors_of(form), status=400)



def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:]


@bp.post("/runs/<int:run_id>/cancel")
@roles_required(EDIT_ROLES)
def run_cancel(run_id: int) -> Any:
    """Cancel a run, with the reason."""
    run = _load_run(run_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            record_outcome_by_hand(
                db.session(), run, status=RunStatus.CANCELLED, arrived_at_school=None, pupils_transported=None,
                reason=form.reason.data, tolerance_minutes=current_app.config["ON_TIME_TOLERANCE_MINUTES"],
                source=control_room_source(current_user.email), now=now())
        except EventRefused as refused:
            db.session.rollback()
            return _run_page(_load_run(run_id), cancel=form,
                             errors=errors_of(form, {"cancel_reason": _sentence(refused)}), status=400)
        touched({run.run_on})
        db.session.commit()
        flash(f"{run} is cancelled.", "success")
        return redirect(url_for("operations.run", run_id=run.id))
    errors = {("cancel_reason" if k == "reason" else k): v for k, v in errors_of(form).items()}
    return _run_page(run, cancel=form, errors=errors, status=400)



@bp.post("/runs/<int:run_id>/absence")
@roles_required(EDIT_ROLES)
def run_absence(run_id: int) -> Any:
    """Record a pupil on the run as not travelling today."""
    run = _load_run(run_id)
    form = AbsenceForm()
    if form.validate_on_submit():
        sessions = "both" if form.sessions.data == "both" else run.session
        try:
            changed = mark_absent(db.session(), run, pupil_id=form.pupil_id.data, sessions=sessions,
                                  reason=form.reason.data or "", actor_email=current_user.email, now=now())
        except EventRefused as refused:
            db.session.rollback()
            return _run_page(_load_run(run_id), absence=form,
                             errors=errors_of(form, {"pupil_id": _sentence(refused)}), status=400)
        touched({run.run_on})
        db.session.commit()
        pupil = db.session.get(Pupil, form.pupil_id.data)
        flash(f"{pupil.full_name if pupil else 'The pupil'} is recorded as not travelling "
              f"({len(changed)} run{'s' if len(changed) != 1 else ''} updated).", "success")
        return redirect(url_for("operations.run", run_id=run.id))
    errors = {("absence_reason" if k == "reason" else k): v for k, v in errors_of(form).items()}
    return _run_page(run, absence=form, errors=errors, status=400)


# The casework and closure pages live in their own modules on the same blueprint; importing them
# registers them.
from hts.operations import casework_views, closure_views  # noqa: E402,F401
