"""Planners start optimisations, watch their progress, compare drafts and promote or discard them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.clock import local_today
from hts.people.models import School
from hts.routing import worker
from hts.routing.models import DraftPlan, PlanStatus
from hts.routing.plan_forms import PlanForm
from hts.routing.planning import PlanInputError, compare, kept_route_ids, promote
from hts.web import paginate

bp = Blueprint("plans", __name__, url_prefix="/plans", template_folder="templates")
PLANNERS = (Role.ADMIN, Role.PLANNER)
READERS = (Role.ADMIN, Role.PLANNER, Role.MANAGER)


def _plan(plan_id: int) -> DraftPlan:
    return db.session.get(DraftPlan, plan_id) or abort(404)


def _school_errors(text: str) -> tuple[list[str], str | None]:
    urns = [u.strip() for u in text.replace(";", ",").split(",") if u.strip()]
    if not urns:
        return [], None
    known = set(db.session.scalars(select(School.urn).where(School.urn.in_(urns))))
    missing = [u for u in urns if u not in known]
    if missing:
        return urns, f"No school with URN {', '.join(missing)}"
    return urns, None


@bp.get("")
@roles_required(*READERS)
def plans() -> Any:
    """Draft plans, newest first, and the form to start one."""
    page = paginate(select(DraftPlan).order_by(DraftPlan.id.desc()))
    return render_template("plans/plans.html", page=page, form=PlanForm(), errors={})


@bp.post("")
@roles_required(*PLANNERS)
def start() -> Any:
    """Queue an optimisation and start its worker; the planner watches it on the plan's page."""
    form = PlanForm()
    valid = form.validate_on_submit()
    errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
    urns, school_error = _school_errors(form.schools.data or "")
    if school_error:
        errors["schools"] = school_error
    if errors or not valid:
        page = paginate(select(DraftPlan).order_by(DraftPlan.id.desc()))
        return render_template("plans/plans.html", page=page, form=form, errors=errors), 400
    plan = DraftPlan(session=form.session.data, weekday=int(form.weekday.data), school_urns=urns,
                     time_limit_seconds=form.time_limit.data, requested_by=current_user.email,
                     status=PlanStatus.QUEUED)
    db.session.add(plan)
    db.session.commit()
    worker.launch(plan.id)
    return redirect(url_for("plans.plan", plan_id=plan.id))


@bp.get("/<int:plan_id>")
@roles_required(*READERS)
def plan(plan_id: int) -> Any:
    """A plan: its progress while it runs; its figures, comparison and routes when ready."""
    draft = _plan(plan_id)
    comparison = compare(db.session(), draft) if draft.status in (PlanStatus.READY, PlanStatus.PROMOTED) else None
    others = {urn for route in draft.routes for urn in route.other_school_urns}
    school_names = {urn: name for urn, name in db.session.execute(select(School.urn, School.name).where(School.urn.in_(others)))} \
        if others else {}
    return render_template("plans/plan.html", plan=draft, comparison=comparison, school_names=school_names)


@bp.get("/<int:plan_id>/progress")
@roles_required(*READERS)
def progress(plan_id: int) -> Any:
    """The plan's status and progress as JSON, polled by the page while it runs."""
    draft = _plan(plan_id)
    return jsonify({"status": draft.status.value, "done": draft.progress_done, "total": draft.progress_total,
                    "message": draft.progress_message})


@bp.post("/<int:plan_id>/promote")
@roles_required(*PLANNERS)
def promote_plan(plan_id: int) -> Any:
    """Publish the draft in place of the routes it replaces."""
    draft = _plan(plan_id)
    try:
        withdrawn = promote(db.session(), draft, today=local_today())
    except PlanInputError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("plans.plan", plan_id=plan_id))
    db.session.commit()
    kept = len(kept_route_ids(draft))
    flash(f"Plan {draft.id} is now the published network: {len(draft.routes)} routes published, "
          f"{len(withdrawn)} withdrawn, {kept} locked route{'s' if kept != 1 else ''} kept as "
          f"{'they were' if kept != 1 else 'it was'}. "
          "Assign operators and crews on the readiness board.", "success")
    return redirect(url_for("plans.plan", plan_id=plan_id))


@bp.post("/<int:plan_id>/discard")
@roles_required(*PLANNERS)
def discard(plan_id: int) -> Any:
    """Set a draft aside; it stays listed as discarded."""
    draft = _plan(plan_id)
    if draft.status in (PlanStatus.PROMOTED, PlanStatus.RUNNING, PlanStatus.QUEUED):
        flash(f"A {draft.status.value} plan cannot be discarded.", "error")
    else:
        draft.status = PlanStatus.DISCARDED
        db.session.commit()
        flash(f"Plan {draft.id} discarded.", "success")
    return redirect(url_for("plans.plan", plan_id=plan_id))

