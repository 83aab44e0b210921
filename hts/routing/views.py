"""Web pages of the routing domain: the published route network.

Everyone signed in may see routes; an operator only its own. Pupil names and pickup locations
(children's home addresses) are shown only to the roles allowed children's data.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from hts import db
from hts.audit.views import history_for
from hts.auth.access import can_see_pupils, operator_scope, roles_required
from hts.operators.models import Operator
from hts.people.models import School
from hts.people.views import route_pupil_counts, school_options
from hts.routing import workbench
from hts.routing.change_views import pupil_names, route_versions
from hts.routing.models import (
    Route,
    RouteChange,
    RouteStop,
    RouteVersion,
    Session,
    StopKind,
    serving,
)
from hts.routing.versions import is_withdrawal
from hts.web import PLAN_ROLES, ROUTE_ROLES, contains, int_arg, paginate, search_text

bp = Blueprint("routing", __name__, template_folder="templates")


def _route_query(
    search: str, school_id: int | None, operator_id: int | None, session: str, withdrawn: bool
) -> Select[Any]:
    query = (
        select(Route)
        .join(School, School.id == Route.school_id)
        .options(
            joinedload(Route.school), joinedload(Route.operator), joinedload(Route.vehicle),
            joinedload(Route.driver), joinedload(Route.pa),
        )
        .order_by(Route.route_code)
    )
    scope = operator_scope()
    if scope is not None:
        query = query.where(Route.operator_id == scope)
    # The published network by default; routes replaced by a promoted plan on request.
    query = query.where(Route.withdrawn_on.is_not(None) if withdrawn else Route.withdrawn_on.is_(None))
    if search:
        pattern = contains(search)
        operator_name = select(Operator.name).where(Operator.id == Route.operator_id).scalar_subquery()
        query = query.where(
            or_(
                Route.route_code.ilike(pattern, escape="\\"),
                School.name.ilike(pattern, escape="\\"),
                operator_name.ilike(pattern, escape="\\"),
            )
        )
    if school_id is not None:
        query = query.where(serving([school_id]))
    if operator_id is not None:
        query = query.where(Route.operator_id == operator_id)
    if session in {s.value for s in Session}:
        query = query.where(Route.session == Session(session))
    return query


@bp.get("/routes")
@roles_required(ROUTE_ROLES)
def routes() -> Any:
    """Published routes with crew, load, price and times; filterable by school, operator, session."""
    search = search_text()
    school_id = int_arg("school")
    operator_id = int_arg("operator")
    session = request.args.get("session", "")
    withdrawn = request.args.get("withdrawn") == "1"
    page = paginate(_route_query(search, school_id, operator_id, session, withdrawn))
    ids = [route.id for route in page.items]
    pupil_counts = route_pupil_counts(ids)
    times = {
        route_id: (first, last)
        for route_id, first, last in db.session.execute(
            select(RouteStop.route_id, func.min(RouteStop.planned_time), func.max(RouteStop.planned_time))
            .where(RouteStop.route_id.in_(ids))
            .group_by(RouteStop.route_id)
        )
    }
    scoped = operator_scope() is not None
    operators = [] if scoped else [
        (row.id, row.name) for row in db.session.execute(select(Operator.id, Operator.name).order_by(Operator.name))
    ]
    return render_template(
        "routing/routes.html", page=page, search=search, school_id=school_id, operator_id=operator_id,
        session=session, withdrawn=withdrawn, sessions=list(Session), schools=school_options(), operators=operators,
        pupil_counts=pupil_counts, times=times, scoped=scoped,
    )


@bp.get("/routes/<int:route_id>")
@roles_required(ROUTE_ROLES)
def route(route_id: int) -> Any:
    """One route: its stops in order, crew and vehicle, a map, and its history."""
    record = db.session.get(
        Route, route_id,
        options=[
            selectinload(Route.stops).selectinload(RouteStop.pupils), joinedload(Route.school),
            joinedload(Route.operator), joinedload(Route.vehicle), joinedload(Route.driver), joinedload(Route.pa),
        ],
    )
    scope = operator_scope()
    if record is None or (scope is not None and record.operator_id != scope):
        abort(404)  # another operator's route looks like no route at all
    show_pupils = can_see_pupils()
    markers = [
        {
            "lat": stop.latitude,
            "lng": stop.longitude,
            "number": stop.sequence,
            "kind": stop.kind.value,
            "label": f"Stop {stop.sequence} at {stop.planned_time:%H:%M}"
            + (f": {stop.school.name}" if stop.kind == StopKind.SCHOOL and stop.school else ""),
        }
        for stop in record.stops
    ]
    council = scope is None
    open_change = db.session.scalar(
        select(RouteChange).where(RouteChange.open_key == f"route:{record.id}")) if council else None
    return render_template(
        "routing/route.html", route=record, show_pupils=show_pupils,
        markers=json.dumps(markers) if show_pupils else None,
        tiles=current_app.config.get("MAP_TILE_URL", ""), history=history_for(("route", [record.id])),
        versions=route_versions(record.id) if council else [], open_change=open_change,
    )


@bp.get("/routes/<int:route_id>/versions/<int:number>")
@roles_required(PLAN_ROLES)
def route_version(route_id: int, number: int) -> Any:
    """One published version of a route: its stops, vehicle and crew as published, and why."""
    route = db.session.get(Route, route_id) or abort(404)
    version = db.session.scalar(select(RouteVersion).where(
        RouteVersion.route_id == route_id, RouteVersion.version == number)) or abort(404)
    snapshot = version.snapshot
    return render_template("changes/version.html", route=route, version=version, snapshot=snapshot,
                           withdrawn=is_withdrawal(snapshot), names=pupil_names([snapshot]),
                           school_names=workbench.school_names(db.session(), [snapshot]))
