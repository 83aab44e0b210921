"""Web pages of the operators domain: operators, their staff, vehicles and documents.

Operator users see only their own operator: every list is filtered in SQL by
`operator_scope()` and a record of another operator opened by id is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from hts import db
from hts.audit.views import history_for
from hts.auth.access import operator_scope, roles_required
from hts.operators.models import (
    DOCUMENT_TYPES,
    Document,
    Operator,
    Staff,
    StaffRole,
    Vehicle,
    VehicleType,
)
from hts.routing.models import Route
from hts.web import (
    DOCUMENT_ROLES,
    FLEET_ROLES,
    OPERATOR_LIST_ROLES,
    OPERATOR_PAGE_ROLES,
    contains,
    int_arg,
    local_today,
    paginate,
    search_text,
)

bp = Blueprint("operators", __name__, template_folder="templates")

#: How far ahead "expiring soon" looks.
EXPIRY_WARNING_DAYS = 30


def document_operator_id() -> Any:
    """SQL for the operator a document belongs to, through its holder (needs `with_holders`)."""
    return func.coalesce(Document.operator_id, Staff.operator_id, Vehicle.operator_id)


def with_holders(query: Select[Any]) -> Select[Any]:
    """Join a document query to its possible holders, so it can be filtered by operator."""
    return (
        query.select_from(Document)
        .outerjoin(Staff, Document.staff_id == Staff.id)
        .outerjoin(Vehicle, Document.vehicle_id == Vehicle.id)
    )


def scoped_documents(query: Select[Any], operator_id: int) -> Select[Any]:
    """Restrict a document query to those held by one operator, its staff or its vehicles."""
    return with_holders(query).where(document_operator_id() == operator_id)


def _scoped(query: Select[Any], model: type[Staff] | type[Vehicle] | type[Route]) -> Select[Any]:
    scope = operator_scope()
    return query if scope is None else query.where(model.operator_id == scope)


def _get_scoped(model: type[Any], record_id: int) -> Any:
    """A record by id, or 404 when missing or when it belongs to another operator."""
    record = db.session.get(model, record_id)
    scope = operator_scope()
    if record is None:
        abort(404)
    if scope is not None:
        owner = record.id if model is Operator else _owner_of(record)
        if owner != scope:
            abort(404)  # not 403: an operator must not learn which ids exist
    return record


def _owner_of(record: Any) -> int | None:
    if isinstance(record, Document):
        holder = record.holder
        return holder.id if isinstance(holder, Operator) else holder.operator_id
    return record.operator_id


def filter_operator() -> Operator | None:
    """The operator named by the `operator` filter, if the user may see it."""
    operator_id = int_arg("operator")
    scope = operator_scope()
    if operator_id is None or (scope is not None and operator_id != scope):
        return None
    return db.session.get(Operator, operator_id)


def document_state(document: Document, today: dt.date) -> tuple[str, str]:
    """(label, GOV.UK tag colour) for a document's expiry: expired, expiring soon or current."""
    if document.expires_on is not None and document.expires_on < today:
        return "Expired", "red"
    if document.expires_on is not None and document.expires_on <= today + dt.timedelta(
        days=EXPIRY_WARNING_DAYS
    ):
        return "Expires soon", "orange"
    return "Current", "green"


bp.add_app_template_global(document_state, "document_state")


def _counts(query: Select[Any]) -> dict[int, int]:
    return {key: count for key, count in db.session.execute(query) if key is not None}


@bp.get("/operators")
@roles_required(OPERATOR_LIST_ROLES)
def operators() -> Any:
    """Every operator with counts of its staff, vehicles, routes and documents."""
    search = search_text()
    query = select(Operator).order_by(Operator.name)
    if search:
        pattern = contains(search)
        query = query.where(
            or_(Operator.name.ilike(pattern, escape="\\"), Operator.operator_ref.ilike(pattern, escape="\\"))
        )
    page = paginate(query)
    ids = [operator.id for operator in page.items]
    counts = {
        "staff": _counts(select(Staff.operator_id, func.count()).where(Staff.operator_id.in_(ids)).group_by(Staff.operator_id)),
        "vehicles": _counts(
            select(Vehicle.operator_id, func.count()).where(Vehicle.operator_id.in_(ids)).group_by(Vehicle.operator_id)
        ),
        "routes": _counts(
            select(Route.operator_id, func.count())
            .where(Route.operator_id.in_(ids), Route.withdrawn_on.is_(None))
            .group_by(Route.operator_id)
        ),
        "documents": _counts(
            with_holders(select(document_operator_id(), func.count(Document.id)))
            .where(document_operator_id().in_(ids))
            .group_by(document_operator_id())
        ),
    }
    return render_template("operators/operators.html", page=page, search=search, counts=counts)


@bp.get("/operators/<int:operator_id>")
@roles_required(OPERATOR_PAGE_ROLES)
def operator(operator_id: int) -> Any:
    """One operator with its staff, vehicles, routes and documents."""
    record: Operator = _get_scoped(Operator, operator_id)
    staff = db.session.scalars(
        select(Staff).where(Staff.operator_id == record.id).order_by(Staff.last_name, Staff.first_name)
    ).all()
    vehicles = db.session.scalars(
        select(Vehicle).where(Vehicle.operator_id == record.id).order_by(Vehicle.registration)
    ).all()
    routes = db.session.scalars(
        select(Route).where(Route.operator_id == record.id, Route.withdrawn_on.is_(None)).options(joinedload(Route.school)).order_by(Route.route_code)
    ).all()
    today = local_today()
    document_total = db.session.scalar(scoped_documents(select(func.count(Document.id)), record.id)) or 0
    # The page lists the documents that need attention; the full list is one link away.
    attention = db.session.scalars(
        scoped_documents(select(Document), record.id)
        .where(Document.expires_on <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS))
        .options(joinedload(Document.operator), joinedload(Document.staff), joinedload(Document.vehicle))
        .order_by(Document.expires_on, Document.id)
    ).all()
    return render_template(
        "operators/operator.html", operator=record, staff=staff, vehicles=vehicles, routes=routes,
        documents=attention, document_total=document_total, today=today, document_types=DOCUMENT_TYPES,
        expiry_days=EXPIRY_WARNING_DAYS,
        history=history_for(("operator", [record.id])),
    )


@bp.get("/staff")
@roles_required(FLEET_ROLES)
def staff_list() -> Any:
    """Drivers and passenger assistants, searchable by name or reference."""
    search = search_text()
    role = request.args.get("role", "")
    query = _scoped(select(Staff).options(joinedload(Staff.operator)), Staff).order_by(
        Staff.last_name, Staff.first_name, Staff.staff_ref
    )
    if search:
        pattern = contains(search)
        query = query.where(
            or_(
                Staff.staff_ref.ilike(pattern, escape="\\"),
                Staff.first_name.ilike(pattern, escape="\\"),
                Staff.last_name.ilike(pattern, escape="\\"),
                (Staff.first_name + " " + Staff.last_name).ilike(pattern, escape="\\"),
            )
        )
    if role in {r.value for r in StaffRole}:
        query = query.where(Staff.role == StaffRole(role))
    operator_id = int_arg("operator")
    if operator_id is not None:
        query = query.where(Staff.operator_id == operator_id)
    return render_template(
        "operators/staff_list.html", page=paginate(query), search=search, role=role, roles=list(StaffRole),
        filter_operator=filter_operator(),
    )


@bp.get("/staff/<int:staff_id>")
@roles_required(FLEET_ROLES)
def staff(staff_id: int) -> Any:
    """One member of staff with the routes they work, their documents and history."""
    record: Staff = _get_scoped(Staff, staff_id)
    routes = db.session.scalars(
        select(Route)
        .where(or_(Route.driver_id == record.id, Route.pa_id == record.id), Route.withdrawn_on.is_(None))
        .options(joinedload(Route.school))
        .order_by(Route.route_code)
    ).all()
    documents = db.session.scalars(
        select(Document).where(Document.staff_id == record.id).order_by(Document.document_type)
    ).all()
    return render_template(
        "operators/staff.html", staff=record, routes=routes, documents=documents, today=local_today(),
        document_types=DOCUMENT_TYPES,
        history=history_for(("staff", [record.id])),
    )


@bp.get("/vehicles")
@roles_required(FLEET_ROLES)
def vehicles() -> Any:
    """Vehicles, searchable by registration, filterable by type."""
    search = search_text()
    vehicle_type = request.args.get("type", "")
    query = _scoped(select(Vehicle).options(joinedload(Vehicle.operator)), Vehicle).order_by(Vehicle.registration)
    if search:
        # Registrations are written with or without the space: match either way.
        pattern = contains(search.replace(" ", "").upper())
        query = query.where(func.replace(func.upper(Vehicle.registration), " ", "").like(pattern, escape="\\"))
    if vehicle_type in {t.value for t in VehicleType}:
        query = query.where(Vehicle.vehicle_type == VehicleType(vehicle_type))
    operator_id = int_arg("operator")
    if operator_id is not None:
        query = query.where(Vehicle.operator_id == operator_id)
    return render_template(
        "operators/vehicles.html", page=paginate(query), search=search, vehicle_type=vehicle_type,
        types=list(VehicleType), filter_operator=filter_operator(),
    )


@bp.get("/vehicles/<int:vehicle_id>")
@roles_required(FLEET_ROLES)
def vehicle(vehicle_id: int) -> Any:
    """One vehicle with its routes, documents and history."""
    record: Vehicle = _get_scoped(Vehicle, vehicle_id)
    routes = db.session.scalars(
        select(Route).where(Route.vehicle_id == record.id, Route.withdrawn_on.is_(None)).options(joinedload(Route.school)).order_by(Route.route_code)
    ).all()
    documents = db.session.scalars(
        select(Document).where(Document.vehicle_id == record.id).order_by(Document.document_type)
    ).all()
    return render_template(
        "operators/vehicle.html", vehicle=record, routes=routes, documents=documents, today=local_today(),
        document_types=DOCUMENT_TYPES,
        history=history_for(("vehicle", [record.id])),
    )


EXPIRY_FILTERS = {"soon": f"Expiring within {EXPIRY_WARNING_DAYS} days", "expired": "Expired"}


@bp.get("/documents")
@roles_required(DOCUMENT_ROLES)
def documents() -> Any:
    """Documents of operators, staff and vehicles, filterable by type and expiry."""
    search = search_text()
    document_type = request.args.get("type", "")
    expiry = request.args.get("expiry", "")
    today = local_today()
    query = with_holders(select(Document)).options(
        joinedload(Document.operator), joinedload(Document.staff), joinedload(Document.vehicle)
    )
    scope = operator_scope()
    if scope is not None:
        query = query.where(document_operator_id() == scope)
    if search:
        pattern = contains(search)
        holder_operator = select(Operator.operator_ref).where(Operator.id == Document.operator_id).scalar_subquery()
        query = query.where(
            or_(
                Document.reference.ilike(pattern, escape="\\"),
                Staff.staff_ref.ilike(pattern, escape="\\"),
                Vehicle.registration.ilike(pattern, escape="\\"),
                holder_operator.ilike(pattern, escape="\\"),
            )
        )
    if document_type in DOCUMENT_TYPES:
        query = query.where(Document.document_type == document_type)
    operator_id = int_arg("operator")
    if operator_id is not None:
        query = query.where(document_operator_id() == operator_id)
    if expiry == "soon":
        query = query.where(
            Document.expires_on >= today,
            Document.expires_on <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS),
        )
    elif expiry == "expired":
        query = query.where(Document.expires_on < today)
    query = query.order_by(Document.expires_on.is_(None), Document.expires_on, Document.id)
    return render_template(
        "operators/documents.html", page=paginate(query), search=search, document_type=document_type,
        expiry=expiry, expiry_filters=EXPIRY_FILTERS, document_types=DOCUMENT_TYPES, today=today,
        filter_operator=filter_operator(),
    )


@bp.get("/documents/<int:document_id>")
@roles_required(DOCUMENT_ROLES)
def document(document_id: int) -> Any:
    """One document, its holder and its history."""
    record: Document = _get_scoped(Document, document_id)
    return render_template(
        "operators/document.html", document=record, today=local_today(),
        document_types=DOCUMENT_TYPES, history=history_for(("document", [record.id])),
    )
