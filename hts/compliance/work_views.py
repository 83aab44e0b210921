"""Compliance pages for getting routes running: the mobilisation readiness board, gateway
reviews, and assigning an operator, vehicle and crew to a route through the gate.

Routes registered on the `compliance` blueprint of hts.compliance.views.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from hts import db
from hts.auth.access import operator_scope, roles_required
from hts.auth.models import Role
from hts.compliance.forms import AssignForm, CompleteReviewForm, OpenReviewForm, ReviewItemForm
from hts.compliance.gates import AssignmentRefused, assign, check
from hts.compliance.holders import next_school_day
from hts.compliance.models import GatewayReview, GatewayReviewItem
from hts.compliance.readiness import readiness
from hts.compliance.reviews import (
    ReviewRefused,
    complete_review,
    open_review,
    record_item,
    reviews_due,
)
from hts.compliance.views import (
    OFFICER_ROLES,
    OVERSIGHT_ROLES,
    bp,
    errors_of,
    is_officer,
    page_of,
    policy,
)
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.models import School
from hts.routing.models import Route, RouteStop
from hts.web import day_arg, int_arg, local_today

#: Who may open the readiness board: the oversight roles and the planners who mobilise routes.
READINESS_ROLES = OVERSIGHT_ROLES | {Role.PLANNER}
#: Who may put an operator, vehicle and crew on a route.
#: An operator's users assign their own vehicles and crew to their own routes (not another operator).
ASSIGN_ROLES = frozenset({Role.ADMIN, Role.PLANNER, Role.COMPLIANCE, Role.OPERATOR})
SHOW_CHOICES = {"all": "Every route", "missing": "Routes not ready"}


# --- mobilisation readiness --------------------------------------------------------------------


@bp.get("/readiness")
@roles_required(READINESS_ROLES)
def readiness_board() -> Any:
    """For a day (default the next school day), each route ready or what it lacks, and the share ready."""
    session = db.session()
    today = local_today()
    day, date_error = day_arg(next_school_day(session, today))
    operator_id = int_arg("operator")
    school_id = int_arg("school")
    show = request.args.get("show", "all")
    show = show if show in SHOW_CHOICES else "all"
    board = readiness(session, day, policy(), operator_id=operator_id, school_ids=[school_id] if school_id else None)
    routes = [r for r in board.routes if show == "all" or not r.ready]
    page = page_of(routes)
    route_ids = dict(session.execute(select(Route.route_code, Route.id).where(
        Route.route_code.in_([r.route_code for r in page.items]), Route.withdrawn_on.is_(None))).all())
    operators = session.execute(select(Operator.id, Operator.name).order_by(Operator.name)).all()
    schools = session.execute(select(School.id, School.name).order_by(School.name)).all()
    return render_template(
        "compliance/readiness.html", board=board, page=page, day=day, date_error=date_error,
        operators=operators, schools=schools, operator_id=operator_id, school_id=school_id, show=show,
        show_choices=SHOW_CHOICES, route_ids=route_ids,
    )


# --- gateway reviews ---------------------------------------------------------------------------


def _open_form(formdata: Any = None) -> OpenReviewForm:
    form = OpenReviewForm(formdata=formdata, reviewer=current_user.name, opened_on=local_today())
    with_staff = select(Staff.operator_id).distinct()
    form.operator_id.choices = [(0, "Choose an operator")] + [(i, name) for i, name in db.session.execute(
        select(Operator.id, Operator.name).where(Operator.id.in_(with_staff)).order_by(Operator.name))]
    return form


def _reviews_page(form: OpenReviewForm, errors: dict[str, str], status: int = 200) -> Any:
    session = db.session()
    today = local_today()
    due = reviews_due(session, today, current_app.config["GATEWAY_REVIEW_INTERVAL_DAYS"])
    in_progress = list(session.scalars(
        select(GatewayReview).where(GatewayReview.completed_on.is_(None))
        .options(joinedload(GatewayReview.operator), selectinload(GatewayReview.items))
        .order_by(GatewayReview.opened_on, GatewayReview.id)))
    completed = list(session.scalars(
        select(GatewayReview).where(GatewayReview.completed_on.is_not(None))
        .options(joinedload(GatewayReview.operator))
        .order_by(GatewayReview.completed_on.desc(), GatewayReview.id.desc()).limit(20)))
    return render_template(
        "compliance/reviews.html", due=due, in_progress=in_progress, completed=completed, form=form,
        errors=errors, officer=is_officer(), today=today,
        share=current_app.config["GATEWAY_REVIEW_SAMPLE_SHARE"],
        interval=current_app.config["GATEWAY_REVIEW_INTERVAL_DAYS"],
    ), status


@bp.get("/reviews")
@roles_required(OVERSIGHT_ROLES)
def reviews() -> Any:
    """Gateway reviews due or overdue, in progress, and recently completed."""
    form = _open_form()
    preselect = int_arg("operator")
    if preselect:
        form.operator_id.data = preselect
    return _reviews_page(form, {})


@bp.post("/reviews")
@roles_required(OFFICER_ROLES)
def open_gateway_review() -> Any:
    """Open a review of an operator with a random sample of its staff."""
    form = _open_form(request.form)
    if not form.validate() or not form.operator_id.data:
        errors = errors_of(form)
        if not form.operator_id.data:
            errors["operator_id"] = "Choose the operator to review"
        return _reviews_page(form, errors, 400)
    operator = db.session.get(Operator, form.operator_id.data)
    if operator is None:
        return _reviews_page(form, {"operator_id": "Choose the operator to review"}, 400)
    try:
        review = open_review(db.session(), operator, reviewer=form.reviewer.data, opened_on=form.opened_on.data,
                             share=float(current_app.config["GATEWAY_REVIEW_SAMPLE_SHARE"]))
    except ReviewRefused as refused:
        db.session.rollback()
        return _reviews_page(form, {"operator_id": str(refused)}, 400)
    db.session.commit()
    flash(f"Review of {operator.name} opened: {len(review.items)} staff sampled.", "success")
    return redirect(url_for("compliance.review", review_id=review.id))


def _load_review(review_id: int) -> GatewayReview:
    review = db.session.get(GatewayReview, review_id, options=[
        joinedload(GatewayReview.operator),
        selectinload(GatewayReview.items).joinedload(GatewayReviewItem.staff)])
    if review is None:
        abort(404)
    return review


def _review_page(review: GatewayReview, form: CompleteReviewForm | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> Any:
    form = form or CompleteReviewForm(formdata=None, completed_on=local_today())
    return render_template("compliance/review.html", review=review, form=form, errors=errors or {},
                           officer=is_officer()), status


@bp.get("/reviews/<int:review_id>")
@roles_required(OVERSIGHT_ROLES)
def review(review_id: int) -> Any:
    """One gateway review: the sampled staff, the evidence seen and the findings."""
    return _review_page(_load_review(review_id))


@bp.route("/reviews/<int:review_id>/items/<int:item_id>", methods=["GET", "POST"])
@roles_required(OFFICER_ROLES)
def review_item(review_id: int, item_id: int) -> Any:
    """Record the evidence seen for one sampled member of staff and the finding."""
    review = _load_review(review_id)
    item = next((i for i in review.items if i.id == item_id), None)
    if item is None:
        abort(404)
    if request.method == "GET":
        form = ReviewItemForm(formdata=None, evidence_seen=item.evidence_seen,
                              outcome=item.outcome.value if item.outcome else None, notes=item.notes)
        errors: dict[str, str] = {}
    else:
        form = ReviewItemForm(request.form)
        errors = errors_of(form) if not form.validate() else {}
        if not errors:
            try:
                record_item(item, evidence_seen=form.evidence_seen.data, outcome=form.outcome.data,
                            notes=form.notes.data or "")
            except ReviewRefused as refused:
                db.session.rollback()
                errors = {"evidence_seen": str(refused)}
            else:
                db.session.commit()
                flash(f"Finding for {item.staff.full_name} recorded.", "success")
                return redirect(url_for("compliance.review", review_id=review.id))
    return render_template("compliance/review_item.html", review=review, item=item, form=form,
                           errors=errors), 400 if errors else 200


@bp.post("/reviews/<int:review_id>/complete")
@roles_required(OFFICER_ROLES)
def complete_gateway_review(review_id: int) -> Any:
    """Close the review; its outcome is the worst finding."""
    review = _load_review(review_id)
    form = CompleteReviewForm(request.form)
    if not form.validate():
        return _review_page(review, form, errors_of(form), 400)
    try:
        complete_review(review, completed_on=form.completed_on.data, notes=form.notes.data or "")
    except ReviewRefused as refused:
        db.session.rollback()
        return _review_page(_load_review(review_id), form, {"completed_on": str(refused)}, 400)
    db.session.commit()
    flash(f"Review of {review.operator.name} completed: {review.outcome.value}.", "success")  # type: ignore[union-attr]
    return redirect(url_for("compliance.review", review_id=review.id))


# --- assignments through the gate --------------------------------------------------------------


def _load_route(route_id: int) -> Route:
    route = db.session.get(Route, route_id, options=[
        selectinload(Route.stops).selectinload(RouteStop.pupils), joinedload(Route.school),
        joinedload(Route.operator), joinedload(Route.vehicle), joinedload(Route.driver), joinedload(Route.pa)])
    if route is None:
        abort(404)
    return route


def _assign_form(route: Route, formdata: Any = None) -> AssignForm:
    form = AssignForm(formdata=formdata, operator_id=route.operator_id,
                      vehicle=route.vehicle.registration if route.vehicle else "",
                      driver=route.driver.staff_ref if route.driver else "",
                      pa=route.pa.staff_ref if route.pa else "")
    form.operator_id.choices = [("", "Choose an operator")] + [
        (str(i), f"{name} ({ref})") for i, name, ref in db.session.execute(
            select(Operator.id, Operator.name, Operator.operator_ref).order_by(Operator.name))]
    return form


def _assign_page(route: Route, form: AssignForm, errors: dict[str, str], refusals: list[str],
                 status: int = 200) -> Any:
    today = local_today()
    # What the gate says of the route as assigned now: why its runs may have lost crew.
    standing = check(db.session(), route, today=today, policy=policy(), operator=route.operator,
                     vehicle=route.vehicle, driver=route.driver, pa=route.pa) if route.operator else []
    return render_template("compliance/assign.html", route=route, form=form, errors=errors, refusals=refusals,
                           today=today, own=operator_scope() is not None, standing=standing), status


def _lookup(form: AssignForm, scope: int | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The operator, vehicle and crew the form names, and an error for each it names wrongly.

    With `scope` (an operator's user) the operator stays as it is and only that operator's
    vehicles and staff are found: another operator's look like none at all.
    """
    found: dict[str, Any] = {"operator": None, "vehicle": None, "driver": None, "pa": None}
    errors: dict[str, str] = {}
    yours = " of yours" if scope is not None else ""
    if form.operator_id.data and scope is None:
        found["operator"] = db.session.get(Operator, form.operator_id.data)
        if found["operator"] is None:
            errors["operator_id"] = "Choose an operator from the list"
    if form.vehicle.data:
        wanted = form.vehicle.data.replace(" ", "").upper()
        query = select(Vehicle).where(func.replace(func.upper(Vehicle.registration), " ", "") == wanted)
        found["vehicle"] = db.session.scalar(query if scope is None else query.where(Vehicle.operator_id == scope))
        if found["vehicle"] is None:
            errors["vehicle"] = f"No vehicle{yours} is registered as {form.vehicle.data}"
    for field, label in (("driver", "driver"), ("pa", "passenger assistant")):
        ref = getattr(form, field).data
        if ref:
            query = select(Staff).where(func.upper(Staff.staff_ref) == ref.upper())
            found[field] = db.session.scalar(query if scope is None else query.where(Staff.operator_id == scope))
            if found[field] is None:
                errors[field] = f"No {label}{yours} has the reference {ref}"
    return found, errors


@bp.route("/routes/<int:route_id>/assign", methods=["GET", "POST"])
@roles_required(ASSIGN_ROLES)
def assign_route(route_id: int) -> Any:
    """Put an operator, vehicle, driver and PA on a route; the gate refuses with every reason."""
    route = _load_route(route_id)
    scope = operator_scope()
    if scope is not None and route.operator_id != scope:
        abort(404)  # another operator's route looks like no route at all
    if route.withdrawn_on is not None:
        flash(f"Route {route.route_code} was withdrawn and no longer runs: it cannot be assigned.", "error")
        return redirect(url_for("routing.route", route_id=route.id))
    if request.method == "GET":
        return _assign_page(route, _assign_form(route), {}, [])
    form = _assign_form(route, request.form)
    if not form.validate():
        return _assign_page(route, form, errors_of(form), [], 400)
    found, errors = _lookup(form, scope)
    if errors:
        return _assign_page(route, form, errors, [], 400)
    try:
        assign(db.session(), route, today=local_today(), policy=policy(), **found)
    except AssignmentRefused as refused:
        db.session.rollback()
        return _assign_page(_load_route(route_id), form, {}, refused.reasons, 409)
    db.session.commit()
    flash(f"Route {route.route_code} assigned: it is now at version {route.version}.", "success")
    return redirect(url_for("routing.route", route_id=route.id))
