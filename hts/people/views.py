"""Web pages of the people domain: schools, and pupils with their addresses (children's data)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from hts import db
from hts.audit.views import history_for
from hts.auth.access import roles_required
from hts.people.models import Pupil, School
from hts.privacy.service import record_view
from hts.routing.models import Route, RouteStop, route_stop_pupil, serving
from hts.web import PUPIL_ROLES, SCHOOL_ROLES, contains, int_arg, paginate, search_text

bp = Blueprint("people", __name__, template_folder="templates")

#: Need filters of the pupil list: value -> (label, SQL condition).
NEEDS = {
    "wheelchair": ("Wheelchair user", Pupil.wheelchair.is_(True)),
    "passenger_assistant": ("Needs a passenger assistant", Pupil.passenger_assistant.is_(True)),
    "solo": ("Travels alone", Pupil.solo.is_(True)),
    "ride_limit": ("Own ride time limit", Pupil.max_ride_minutes.is_not(None)),
}


def school_options() -> list[tuple[int, str]]:
    """(id, name) of every school, for filter menus."""
    return [(row.id, row.name) for row in db.session.execute(select(School.id, School.name).order_by(School.name))]


def _count_by(column: Any, ids: list[int], *conditions: Any) -> dict[int, int]:
    query = select(column, func.count()).where(column.in_(ids), *conditions).group_by(column)
    return {key: count for key, count in db.session.execute(query)}


def _route_counts(school_ids: list[int]) -> dict[int, int]:
    """Running routes serving each school: every route has a stop at each school it serves."""
    query = (
        select(RouteStop.school_id, func.count(distinct(RouteStop.route_id)))
        .join(Route, Route.id == RouteStop.route_id)
        .where(RouteStop.school_id.in_(school_ids), Route.withdrawn_on.is_(None))
        .group_by(RouteStop.school_id)
    )
    return {key: count for key, count in db.session.execute(query)}


def route_pupil_counts(route_ids: list[int]) -> dict[int, int]:
    """How many pupils ride each route, counted in SQL."""
    query = (
        select(RouteStop.route_id, func.count(route_stop_pupil.c.pupil_id))
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .where(RouteStop.route_id.in_(route_ids))
        .group_by(RouteStop.route_id)
    )
    return {route_id: count for route_id, count in db.session.execute(query)}


@bp.get("/schools")
@roles_required(SCHOOL_ROLES)
def schools() -> Any:
    """Schools with their times and how many pupils and routes each has."""
    search = search_text()
    query = select(School).order_by(School.name)
    if search:
        pattern = contains(search)
        query = query.where(
            or_(
                School.name.ilike(pattern, escape="\\"),
                School.urn.ilike(pattern, escape="\\"),
                School.postcode.ilike(pattern, escape="\\"),
            )
        )
    page = paginate(query)
    ids = [school.id for school in page.items]
    return render_template(
        "people/schools.html", page=page, search=search,
        pupil_counts=_count_by(Pupil.school_id, ids), route_counts=_route_counts(ids),
    )


@bp.get("/schools/<int:school_id>")
@roles_required(SCHOOL_ROLES)
def school(school_id: int) -> Any:
    """One school and the routes serving it."""
    record = db.session.get(School, school_id) or abort(404)
    routes = db.session.scalars(
        select(Route)
        .where(serving([record.id]), Route.withdrawn_on.is_(None))
        .options(joinedload(Route.operator), joinedload(Route.vehicle))
        .order_by(Route.session, Route.route_code)
    ).all()
    pupils = db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.school_id == record.id)) or 0
    route_pupils = route_pupil_counts([route.id for route in routes])
    return render_template(
        "people/school.html", school=record, routes=routes, pupil_count=pupils, route_pupils=route_pupils,
        history=history_for(("school", [record.id])),
    )


def _pupil_query(search: str, school_id: int | None, need: str) -> Select[Any]:
    query = select(Pupil).options(joinedload(Pupil.school)).order_by(Pupil.last_name, Pupil.first_name, Pupil.pupil_ref)
    if search:
        pattern = contains(search)
        query = query.where(
            or_(
                Pupil.pupil_ref.ilike(pattern, escape="\\"),
                Pupil.first_name.ilike(pattern, escape="\\"),
                Pupil.last_name.ilike(pattern, escape="\\"),
                (Pupil.first_name + " " + Pupil.last_name).ilike(pattern, escape="\\"),
            )
        )
    if school_id is not None:
        query = query.where(Pupil.school_id == school_id)
    if need in NEEDS:
        query = query.where(NEEDS[need][1])
    return query


@bp.get("/pupils")
@roles_required(PUPIL_ROLES)
def pupils() -> Any:
    """Pupils, searchable by name or reference, filterable by school and need."""
    search = search_text()
    school_id = int_arg("school")
    need = request.args.get("need", "")
    page = paginate(_pupil_query(search, school_id, need))
    return render_template(
        "people/pupils.html", page=page, search=search, school_id=school_id, need=need,
        needs={key: label for key, (label, _) in NEEDS.items()}, schools=school_options(),
    )


def address_days(pupil: Pupil) -> dict[int, int]:
    """Weekdays actually spent at each address: the main one keeps the days no other claims."""
    shared = 0
    for address in pupil.addresses:
        if not address.is_main:
            shared |= address.days
    return {
        address.id: (address.days & ~shared) if address.is_main else address.days
        for address in pupil.addresses
    }


@bp.get("/pupils/<int:pupil_id>")
@roles_required(PUPIL_ROLES)
def pupil(pupil_id: int) -> Any:
    """One pupil: record, home addresses on a map, routes and change history."""
    record = db.session.get(Pupil, pupil_id, options=[selectinload(Pupil.addresses), joinedload(Pupil.school)])
    if record is None:
        abort(404)
    record_view(db.session(), record.id, "pupil page")
    db.session.commit()  # the view is logged even if the page fails to render
    stops = db.session.scalars(
        select(RouteStop)
        .join(route_stop_pupil, route_stop_pupil.c.stop_id == RouteStop.id)
        .join(Route, Route.id == RouteStop.route_id)
        .where(route_stop_pupil.c.pupil_id == record.id, Route.withdrawn_on.is_(None))
        .options(joinedload(RouteStop.route).joinedload(Route.operator))
        .order_by(Route.session, RouteStop.planned_time)
    ).all()
    markers = [
        {
            "lat": address.latitude,
            "lng": address.longitude,
            "number": number,
            "label": ("Main address" if address.is_main else "Shared care address") + f": {address.postcode}",
        }
        for number, address in enumerate(record.addresses, start=1)
    ]
    return render_template(
        "people/pupil.html", pupil=record, stops=stops, markers=json.dumps(markers),
        address_days=address_days(record), tiles=current_app.config.get("MAP_TILE_URL", ""),
        history=history_for(("pupil", [record.id]), ("pupil_address", [a.id for a in record.addresses])),
    )
