"""Route change control on the web: list, draw up, submit, approve or reject, publish.

Planners draw up and publish; a route approver (a second person) approves or rejects; managers
may read. Views are thin: every rule lives in hts.routing.changes and comes back as reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hts import db
from hts.auth.access import can_see_pupils, roles_required
from hts.auth.models import Role
from hts.clock import local_today
from hts.operations.calendar import load_calendar
from hts.people.models import Pupil
from hts.routing import changes, versions, workbench
from hts.routing.change_forms import ChangeDetailsForm, RejectForm, StepForm
from hts.routing.change_mail import notify_operators
from hts.routing.models import (
    ChangeAction,
    ChangeRequest,
    ChangeState,
    Route,
    RouteChange,
    RouteVersion,
)
from hts.web import paginate

bp = Blueprint("changes", __name__, url_prefix="/changes", template_folder="templates")
EDITORS = (Role.ADMIN, Role.PLANNER)
READERS = (Role.ADMIN, Role.PLANNER, Role.MANAGER)


def _today() -> dt.date:
    return local_today()


def _change(change_id: int) -> ChangeRequest:
    change = db.session.get(ChangeRequest, change_id, options=[
        selectinload(ChangeRequest.items).selectinload(RouteChange.route)])
    return change or abort(404)


def checker(change: ChangeRequest, today: dt.date) -> changes.Checker:
    """The rules every proposed route must pass before submission: the workbench's checks, judged
    on the day the change takes effect (crew compliance, pupils' ages), as the workbench does."""
    from hts.routing.feasibility import check_snapshot
    from hts.routing.workbench import check_day

    day = check_day(change, today)

    def check(snapshot: dict[str, Any]) -> list[str]:
        return [b.message for b in check_snapshot(db.session(), snapshot, today=day,
                                                  config=current_app.config).breaches]
    return check


def school_day_test() -> Any:
    """Whether a day is a school day on the council's calendar (weekends, bank holidays, terms)."""
    calendar = load_calendar(db.session(), [])
    return lambda day: calendar.is_school_day(None, day)  # type: ignore[arg-type]


def _form_errors(form: Any) -> dict[str, str]:
    return {name: field.errors[0] for name, field in form._fields.items() if field.errors}


@bp.get("")
@roles_required(*READERS)
def change_list() -> Any:
    """Change requests, open ones first, filterable by state."""
    state = request.args.get("state", "")
    query = select(ChangeRequest).options(selectinload(ChangeRequest.items), selectinload(ChangeRequest.created_by))
    if state in {s.value for s in ChangeState}:
        query = query.where(ChangeRequest.state == ChangeState(state))
    page = paginate(query.order_by(ChangeRequest.id.desc()))
    return render_template("changes/changes.html", page=page, state=state, states=list(ChangeState))


@bp.get("/new")
@roles_required(*EDITORS)
def new() -> Any:
    """The details of a new change request, for a route when one is named."""
    route = _route_arg(request.args.get("route", type=int))
    form = ChangeDetailsForm(data={"route_id": route.id if route else None,
                                   "action": request.args.get("action", "modify")})
    return render_template("changes/new.html", form=form, errors={}, route=route)


def _route_arg(route_id: int | None) -> Route | None:
    if route_id is None:
        return None
    route = db.session.get(Route, route_id)
    if route is None or route.withdrawn_on is not None:
        abort(404)
    return route


@bp.post("")
@roles_required(*EDITORS)
def create() -> Any:
    """Start a draft; with a route, stage it as it is (to edit in the workbench) or to withdraw."""
    form = ChangeDetailsForm()
    route = _route_arg(form.route_id.data)
    errors = _form_errors(form) if not form.validate_on_submit() else {}
    action = form.action.data if form.action.data in ("modify", "withdraw") else "modify"
    if not errors:
        try:
            change = changes.start(db.session(), current_user, title=form.title.data or "",
                                   reason=form.reason.data or "", requested_by=form.requested_by.data or "",
                                   effective_date=form.effective_date.data, today=_today())
            if route is not None:
                proposed = None if action == "withdraw" else versions.latest_snapshot(db.session(), route)[1]
                changes.stage(db.session(), change, current_user, route=route, proposed=proposed,
                              action=ChangeAction(action))
        except changes.ChangeRefused as refused:
            db.session.rollback()
            errors = {"effective_date" if "effective" in r or "past" in r else "title": r for r in refused.reasons}
    if errors:
        return render_template("changes/new.html", form=form, errors=errors, route=route), 400
    db.session.commit()
    if route is not None and action == "modify":
        flash(f"Change request {change.id} drawn up as a draft: make the change to route {route.route_code} "
              "here; every edit is checked against the rules.", "success")
        return redirect(url_for("workbench.edit_route", change_id=change.id, item_id=change.items[0].id))
    flash(f"Change request {change.id} drawn up as a draft.", "success")
    return redirect(url_for("changes.change", change_id=change.id))


@bp.get("/<int:change_id>")
@roles_required(*READERS)
def change(change_id: int) -> Any:
    """A change request: what changes on each route, its checks, its timeline and the next steps."""
    record = _change(change_id)
    actor = changes.Actor.of(current_user)
    steps = changes.allowed_steps(record, actor)
    breaches: dict[int, list[str]] = {}
    if record.state in (ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED):
        check = checker(record, _today())
        breaches = {item.id: check(item.proposed) for item in record.items
                    if item.action != ChangeAction.WITHDRAW and item.proposed}
    notice = None
    if record.state != ChangeState.PUBLISHED:
        notice = changes.school_days_between(_today(), record.effective_date, school_day_test())
    snapshots = [item.proposed for item in record.items if item.proposed]
    return render_template(
        "changes/change.html", change=record, steps=steps, breaches=breaches, notice=notice,
        names=pupil_names(snapshots), school_names=workbench.school_names(db.session(), snapshots),
        notice_days=int(current_app.config["CHANGE_NOTICE_SCHOOL_DAYS"]),
        details=ChangeDetailsForm(obj=record, data={"lock_version": record.lock_version}),
        reject_form=RejectForm(), step_form=StepForm(data={"lock_version": record.lock_version}), errors={},
    )


def _back(change_id: int) -> Any:
    return redirect(url_for("changes.change", change_id=change_id))


def _refused(change_id: int, refused: changes.ChangeRefused) -> Any:
    db.session.rollback()
    reasons = refused.reasons
    if len(reasons) > 3:
        # The routes' own rule checks are listed under each route on the page.
        flash(f"Not done: {len(reasons)} problems, listed under each route below. The first: {reasons[0]}",
              "error")
    else:
        for reason in reasons:
            flash(reason[0].upper() + reason[1:], "error")
    return _back(change_id)


@bp.post("/<int:change_id>/details")
@roles_required(*EDITORS)
def details(change_id: int) -> Any:
    """Save a draft's title, reason, who asked and effective date."""
    record = _change(change_id)
    form = ChangeDetailsForm()
    if not form.validate_on_submit():
        for message in _form_errors(form).values():
            flash(message, "error")
        return _back(change_id)
    try:
        changes.update_details(db.session(), record, current_user, title=form.title.data or "",
                               reason=form.reason.data or "", requested_by=form.requested_by.data or "",
                               effective_date=form.effective_date.data, today=_today(),
                               expected_lock_version=form.lock_version.data or 0)
    except changes.ChangeRefused as refused:
        return _refused(change_id, refused)
    db.session.commit()
    flash("Details saved.", "success")
    return _back(change_id)


@bp.post("/<int:change_id>/items/<int:item_id>/remove")
@roles_required(*EDITORS)
def remove_item(change_id: int, item_id: int) -> Any:
    """Take a route out of a draft."""
    record = _change(change_id)
    item = next((i for i in record.items if i.id == item_id), None) or abort(404)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changes.unstage(db.session(), item, current_user, expected_lock_version=form.lock_version.data or 0)
    except changes.ChangeRefused as refused:
        return _refused(change_id, refused)
    db.session.commit()
    flash(f"Route {item.route_code} taken out of the request.", "success")
    return _back(change_id)


@bp.post("/<int:change_id>/<any(submit, recall, approve, publish, discard):step>")
@roles_required(*READERS)
def take_step(change_id: int, step: str) -> Any:
    """Submit, recall, approve, publish or discard; every refusal comes back with its reasons."""
    record = _change(change_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    user, session, today = current_user, db.session(), _today()
    message = ""
    try:
        if step == "submit":
            changes.submit(session, record, user, check=checker(record, today), expected_lock_version=form.lock_version.data)
            message = f"Change request {record.id} submitted for approval by a route approver."
        elif step == "recall":
            changes.recall(session, record, user)
            message = f"Change request {record.id} is a draft again."
        elif step == "approve":
            changes.approve(session, record, user)
            message = f"Change request {record.id} approved: a planner can publish it."
        elif step == "discard":
            changes.discard(session, record, user)
            session.commit()
            flash(f"Change request {change_id} discarded.", "success")
            return redirect(url_for("changes.change_list"))
        else:
            result = changes.publish(session, record, user, today=today,
                                     notice_days=int(current_app.config["CHANGE_NOTICE_SCHOOL_DAYS"]),
                                     is_school_day=school_day_test())
            sent = notify_operators(session, record, result, current_app.config)
            message = (f"Change request {record.id} published: it takes effect on "
                       f"{record.effective_date:%-d %B %Y}. {sent} operator notice{'s' if sent != 1 else ''} "
                       "queued with the new run sheets.")
            for warning in result.warnings:
                flash(warning + ".", "error")
    except changes.ChangeRefused as refused:
        return _refused(change_id, refused)
    session.commit()
    flash(message, "success")
    return _back(change_id)


@bp.post("/<int:change_id>/reject")
@roles_required(*READERS)
def reject(change_id: int) -> Any:
    """Send a submitted or approved change back, with the reason."""
    record = _change(change_id)
    form = RejectForm()
    if not form.validate_on_submit():
        for message in _form_errors(form).values():
            flash(message, "error")
        return _back(change_id)
    try:
        changes.reject(db.session(), record, current_user, reason=form.rejection_reason.data or "")
    except changes.ChangeRefused as refused:
        return _refused(change_id, refused)
    db.session.commit()
    flash(f"Change request {record.id} rejected; the planner will see your reason.", "success")
    return _back(change_id)


def pupil_names(snapshots: list[dict[str, Any]]) -> dict[int, str] | None:
    """Pupil id -> 'First Last (ref)' for the pupils on the snapshots, or None for roles that may
    not see children's data (the tables then show counts)."""
    if not can_see_pupils():
        return None
    ids = {pid for snapshot in snapshots for pid in versions.snapshot_pupil_ids(snapshot)}
    return {pid: f"{first} {last} ({ref})" for pid, first, last, ref in db.session.execute(
        select(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.pupil_ref).where(Pupil.id.in_(ids)))}


def route_versions(route_id: int) -> list[RouteVersion]:
    """A route's published versions, newest first, for its page."""
    return list(db.session.scalars(select(RouteVersion).where(RouteVersion.route_id == route_id)
                                   .options(selectinload(RouteVersion.change))
                                   .order_by(RouteVersion.version.desc())))
