"""An operator's own runs on the web (rules: hts.operations.our_runs): a day's list, a run's page
and the form that reports how it went.

Who: an operator's users only, each confined to its own operator's runs; another operator's run
is a 404, as its routes are. Council staff use the control room (hts.operations.views), where
pupils are named; here the run page counts them and links to the run sheet, which names them by
first name for the crew. A report changes nothing unless the whole form is valid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hts import db
from hts.auth.access import operator_scope, roles_required
from hts.auth.models import Role
from hts.operations import closures
from hts.operations.control import (
    RunFilter,
    crew_flags,
    crew_gaps,
    record_outcome_by_hand,
    run_query,
    status_counts,
    status_label,
)
from hts.operations.forms import OperatorOutcomeForm
from hts.operations.models import Run, RunEvent, RunPupil, RunStatus
from hts.operations.our_runs import OPERATOR_FILTERS, operator_source, report_refusal
from hts.operations.run_notices import SESSIONS
from hts.operations.runs import EventRefused, local_time
from hts.operations.views import errors_of, now, touched
from hts.web import day_arg, local_today, paginate

bp = Blueprint("our_runs", __name__, url_prefix="/our-runs", template_folder="templates")

OPERATOR_ONLY = frozenset({Role.OPERATOR})


def _operator_id() -> int:
    scope = operator_scope()
    if scope is None:  # an operator account always names its operator (hts.auth.service)
        abort(403)
    return scope


@bp.get("")
@roles_required(OPERATOR_ONLY)
def runs() -> Any:
    """The operator's runs on a day (today unless another is chosen), with what is still to report."""
    operator_id = _operator_id()
    today = local_today()
    day, date_error = day_arg(today)
    shown = request.args.get("show") or None
    shown = shown if shown in OPERATOR_FILTERS else None
    selected = RunFilter(start=day, end=day, operator_id=operator_id)
    query = run_query(selected)
    if shown:
        query = query.where(OPERATOR_FILTERS[shown][1])
    counts = status_counts(db.session(), selected)
    counts["to_report"] = counts["scheduled"] + counts["under_way"]
    page = paginate(query)
    return render_template(
        "operations/our_runs.html", page=page, day=day, today=today, shown=shown, filters=OPERATOR_FILTERS,
        counts=counts, flags=crew_flags(db.session(), page.items), status_label=status_label,
        one_day=dt.timedelta(days=1), closed=closures.on_day(db.session(), day, operator_id=operator_id),
        date_error=date_error,
    ), (400 if date_error else 200)


def _own_run(run_id: int) -> Run:
    run = db.session.scalar(select(Run).where(Run.id == run_id).options(
        selectinload(Run.route), selectinload(Run.pupils).selectinload(RunPupil.pupil)))  # crew_gaps reads them
    if run is None or run.operator_id != _operator_id():
        abort(404)  # another operator's run looks like no run at all
    return run


def _run_page(run: Run, *, form: OperatorOutcomeForm | None = None, errors: dict[str, str] | None = None,
              status: int = 200) -> Any:
    needed = run.pupils_expected - run.pupils_absent
    form = form or OperatorOutcomeForm(data={"pupils_transported": needed})
    events = db.session.scalars(
        select(RunEvent).where(RunEvent.run_id == run.id).order_by(RunEvent.occurred_at, RunEvent.id)).all()
    return render_template(
        "operations/our_run.html", run=run, label=status_label(run), needed=needed, events=events, form=form,
        refusal=report_refusal(run, local_today()), errors=errors or {}, local_time=local_time,
        gaps=crew_gaps(run) if run.status == RunStatus.SCHEDULED else [],
    ), status


@bp.get("/<int:run_id>")
@roles_required(OPERATOR_ONLY)
def run(run_id: int) -> Any:
    """One of the operator's runs: crew, pupils counted, what has been reported, and the report form."""
    return _run_page(_own_run(run_id))


@bp.post("/<int:run_id>/report")
@roles_required(OPERATOR_ONLY)
def report(run_id: int) -> Any:
    """Report how the run went: arrived or completed (time and pupils), or cancelled (reason)."""
    run = _own_run(run_id)
    form = OperatorOutcomeForm()
    refusal = report_refusal(run, local_today())
    if refusal:
        return _run_page(run, form=form, errors={"report": refusal}, status=409)
    if not form.validate_on_submit():
        return _run_page(run, form=form, errors=errors_of(form), status=400)
    try:
        record_outcome_by_hand(
            db.session(), run, status=RunStatus(form.status.data), arrived_at_school=form.arrived_at_school.data,
            pupils_transported=form.pupils_transported.data, reason=form.reason.data,
            tolerance_minutes=current_app.config["ON_TIME_TOLERANCE_MINUTES"],
            source=operator_source(current_user.email), now=now())
    except EventRefused as refused:
        db.session.rollback()
        field = "pupils_transported" if "transported" in str(refused) else "status"
        text = str(refused)
        return _run_page(_own_run(run_id), form=form, errors=errors_of(form, {field: text[:1].upper() + text[1:]}),
                         status=400)
    touched({run.run_on})
    db.session.commit()
    flash(f"Reported for route {run.route.route_code}, {SESSIONS[run.session]} of {closures.long_date(run.run_on)}: "
          f"{status_label(run)[0].lower()}.", "success")
    return redirect(url_for("our_runs.runs", date=run.run_on.isoformat()))
