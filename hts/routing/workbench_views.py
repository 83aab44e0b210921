"""The planner's route workbench: a school's routes on a map and in a table, hand edits checked
as they are made and saved to a draft change request, and adding a pupil to the best route.

Planners and admins edit; managers and the compliance team may look (without children's data:
no home stops on the map, pupil counts instead of pupils). Every edit is a plain form POST, so
the page works from the keyboard and without JavaScript; the map is an aid to the tables.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hts import db
from hts.auth.access import can_see_pupils, roles_required
from hts.auth.models import Role
from hts.operators.models import Staff, Vehicle
from hts.people.models import Pupil, School
from hts.routing import changes, edits, versions, workbench
from hts.routing.change_forms import ChangeDetailsForm
from hts.routing.feasibility import evaluate, load_context, vehicle_types_of
from hts.routing.models import ChangeRequest, ChangeState, Route, RouteChange, RouteStop
from hts.web import WORKBENCH_ROLES, local_today

bp = Blueprint("workbench", __name__, url_prefix="/workbench", template_folder="templates")
EDITORS = (Role.ADMIN, Role.PLANNER)
READERS = WORKBENCH_ROLES
SESSIONS = (("am", "Morning (to school)"), ("pm", "Afternoon (home)"))


def _session_arg(value: str | None) -> str:
    return value if value in ("am", "pm") else "am"


def _may_edit() -> bool:
    return current_user.role in EDITORS


@bp.get("")
@roles_required(READERS)
def index() -> Any:
    """A school's routes for a session: the map, and the table of load, crew, times and problems."""
    schools = list(db.session.execute(
        select(School.id, School.name).where(School.id.in_(  # every school a running route stops at
            select(RouteStop.school_id).join(Route, Route.id == RouteStop.route_id).where(Route.withdrawn_on.is_(None))))
        .order_by(School.name)))
    school_id = request.args.get("school", type=int)
    session_name = _session_arg(request.args.get("session"))
    school = db.session.get(School, school_id) if school_id else None
    if school_id and school is None:
        abort(404)
    rows, homes, markers = [], [], None
    if school is not None:
        rows = workbench.route_rows(db.session(), school.id, session_name, today=local_today(),
                                    config=current_app.config)
        if can_see_pupils():
            homes = workbench.unrouted_pupils(db.session(), school, session_name, rows)
            markers = json.dumps(workbench.map_data(
                [(r.key, r.colour, r.snapshot, r.check) for r in rows], school, homes,
                workbench.school_names(db.session(), [r.snapshot for r in rows])))
    return render_template(
        "workbench/index.html", schools=schools, school=school, session_name=session_name, sessions=SESSIONS,
        rows=rows, homes=homes, markers=markers,
        pupil_count=sum(len(versions.snapshot_pupil_ids(r.snapshot)) for r in rows),
        tiles=current_app.config.get("MAP_TILE_URL", ""), may_edit=_may_edit(), show_pupils=can_see_pupils(),
    )


@bp.post("/routes/<int:route_id>/lock")
@roles_required(*EDITORS)
def lock(route_id: int) -> Any:
    """Lock a route against re-optimisation, or unlock it."""
    route = db.session.get(Route, route_id)
    if route is None or route.withdrawn_on is not None:
        abort(404)
    route.locked = request.form.get("locked") == "1"
    db.session.commit()
    flash(f"Route {route.route_code} {'locked: re-optimisation will leave it as it is' if route.locked else 'unlocked'}.",
          "success")
    return redirect(url_for("workbench.index", school=route.school_id, session=str(route.session)))


def _change_item(change_id: int, item_id: int) -> tuple[ChangeRequest, RouteChange]:
    change = db.session.get(ChangeRequest, change_id, options=[
        selectinload(ChangeRequest.items).selectinload(RouteChange.route)]) or abort(404)
    item = next((i for i in change.items if i.id == item_id), None) or abort(404)
    return change, item


@bp.get("/changes/<int:change_id>/items/<int:item_id>")
@roles_required(READERS)
def edit_route(change_id: int, item_id: int) -> Any:
    """A route in a change request as it would be: re-timed, its breaches, and the edits to make."""
    change, item = _change_item(change_id, item_id)
    return _edit_page(change, item, errors=[])


def _edit_page(change: ChangeRequest, item: RouteChange, *, errors: list[str], status: int = 200) -> Any:
    proposed = item.proposed
    check = pupils = school = None
    targets: list[workbench.Target] = []
    markers = None
    school_names: dict[int, str] = {}
    if proposed:
        day = workbench.check_day(change, local_today())
        context = load_context(db.session(), [proposed], today=day, config=current_app.config)
        check = evaluate(proposed, context)
        pupils = {p.id: p for p in db.session.scalars(
            select(Pupil).where(Pupil.id.in_(versions.snapshot_pupil_ids(proposed))))}
        school = db.session.get(School, proposed.get("school_id"))
        school_names = workbench.school_names(db.session(), [proposed])
        targets = workbench.targets(db.session(), change, item)
        if school is not None and can_see_pupils():
            markers = json.dumps(workbench.map_data([("A", 0, proposed, check)], school, (), school_names))
    editable = _may_edit() and change.state == ChangeState.DRAFT and bool(proposed)
    names = _crew_names(proposed or {})
    return render_template(
        "workbench/edit.html", change=change, item=item, proposed=proposed, check=check, pupils=pupils or {},
        school=school, school_names=school_names, targets=targets, markers=markers,
        tiles=current_app.config.get("MAP_TILE_URL", ""),
        errors=errors, editable=editable, show_pupils=can_see_pupils(), names=names,
        vehicle_types=list(vehicle_types_of(current_app.config).values()),
        new_code=workbench.suggested_code(db.session(), item.route_code) if editable else "",
        others=[i for i in change.items if i.id != item.id],
    ), status


def _crew_names(snapshot: dict[str, Any]) -> dict[str, str]:
    """Vehicle and crew of a snapshot, as people read them."""
    out = {}
    vehicle = db.session.get(Vehicle, snapshot["vehicle_id"]) if snapshot.get("vehicle_id") else None
    if vehicle is not None:
        out["vehicle"] = f"{vehicle.registration} ({vehicle.seats} seats, {vehicle.wheelchair_spaces} wheelchair)"
    for field in ("driver_id", "pa_id"):
        staff = db.session.get(Staff, snapshot[field]) if snapshot.get(field) else None
        if staff is not None:
            out[field] = f"{staff.full_name} ({staff.staff_ref})"
    return out


@bp.post("/changes/<int:change_id>/items/<int:item_id>")
@roles_required(*EDITORS)
def edit(change_id: int, item_id: int) -> Any:
    """Make one edit (reorder, move a pupil, split, merge, vehicle type) and save it to the draft."""
    change, item = _change_item(change_id, item_id)
    try:
        expected = int(request.form.get("lock_version", ""))
    except ValueError:
        abort(400)
    op = request.form.get("op", "")
    try:
        message = workbench.apply_edit(db.session(), change, item, current_user, op, request.form,
                                       expected_lock_version=expected, today=local_today(),
                                       config=current_app.config)
    except edits.EditError as exc:
        db.session.rollback()
        return _edit_page(change, item, errors=[str(exc)[0].upper() + str(exc)[1:]], status=400)
    except changes.ChangeRefused as refused:
        db.session.rollback()
        db.session.expire_all()  # show the request as it now is, not as this request left it
        change, item = _change_item(change_id, item_id)
        stale = any("someone else" in r for r in refused.reasons)
        return _edit_page(change, item, errors=[r[0].upper() + r[1:] for r in refused.reasons],
                          status=409 if stale else 400)
    db.session.commit()
    if op == "withdraw":
        flash(f"{message} It is saved in draft change request {change.id}.", "success")
        if item.route_id is None:
            return redirect(url_for("changes.change", change_id=change.id))
        return redirect(url_for("workbench.edit_route", change_id=change.id, item_id=item.id))
    flash(f"{message} The route has been re-timed and checked; it is saved in draft change request {change.id}.",
          "success")
    return redirect(url_for("workbench.edit_route", change_id=change.id, item_id=item.id))


# --- adding a pupil to the best route ----------------------------------------------------------

def _pupil_arg(value: str | None) -> Pupil | None:
    text = (value or "").strip()
    if not text:
        return None
    return db.session.scalar(select(Pupil).where(Pupil.pupil_ref == text.upper()).options(
        selectinload(Pupil.addresses), selectinload(Pupil.school)))


@bp.get("/add-pupil")
@roles_required(*EDITORS)
def add_pupil() -> Any:
    """Where a pupil could join the running routes of their school, cheapest first, and why not elsewhere."""
    return _add_pupil_page(ChangeDetailsForm(formdata=None, data={"effective_date": local_today()}), {})


def _add_pupil_page(form: ChangeDetailsForm, errors: dict[str, str], status: int = 200) -> Any:
    ref = request.values.get("pupil", "")
    session_name = _session_arg(request.values.get("session"))
    pupil = _pupil_arg(ref)
    if ref.strip() and pupil is None:
        errors = {**errors, "pupil": f"No pupil has the reference {ref.strip()}"}
    result = current = routes = held = None
    if pupil is not None:
        result, current, routes = workbench.insertion_for(db.session(), pupil, session_name, today=local_today(),
                                                          config=current_app.config)
        held = workbench.open_items(db.session(), list(routes))
        if not form.title.data:
            form.title.data = f"Add pupil {pupil.pupil_ref} to a {'morning' if session_name == 'am' else 'afternoon'} route"
    return render_template(
        "workbench/add_pupil.html", ref=ref.strip(), pupil=pupil, session_name=session_name, sessions=SESSIONS,
        result=result, current=current, routes=routes or {}, held=held or {}, form=form, errors=errors,
    ), status


@bp.post("/add-pupil")
@roles_required(*EDITORS)
def stage_pupil() -> Any:
    """Draw up a draft change that puts the pupil on the chosen route (and off their old one)."""
    form = ChangeDetailsForm()
    pupil = _pupil_arg(request.form.get("pupil"))
    session_name = _session_arg(request.form.get("session"))
    errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors} \
        if not form.validate_on_submit() else {}
    route_id = request.form.get("route_id", type=int)
    if route_id is None:
        errors["route_id"] = "Choose the route to add the pupil to"
    if pupil is None:
        abort(400)
    if not errors:
        try:
            change, item = workbench.stage_insertion(
                db.session(), current_user, pupil, session_name, route_id,  # type: ignore[arg-type]
                title=form.title.data or "", reason=form.reason.data or "",
                requested_by=form.requested_by.data or "", effective_date=form.effective_date.data,
                today=local_today(), config=current_app.config)
        except edits.EditError as exc:
            db.session.rollback()
            errors["route_id"] = str(exc)[0].upper() + str(exc)[1:]
        except changes.ChangeRefused as refused:
            db.session.rollback()
            for n, reason in enumerate(refused.reasons):
                errors[f"refused-{n}"] = reason[0].upper() + reason[1:]
    if errors:
        return _add_pupil_page(form, errors, status=400)
    db.session.commit()
    flash(f"Draft change request {change.id} drawn up: pupil {pupil.pupil_ref} joins route {item.route_code}. "
          "Check it here, then submit it from the change request.", "success")
    return redirect(url_for("workbench.edit_route", change_id=change.id, item_id=item.id))
