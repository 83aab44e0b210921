"""Web pages of compliance: the dashboard, holder pages with their documents, decisions about
operators, and an operator's own compliance with renewals.

Officers (compliance, admin) record and decide; managers look; an operator user sees only its
own operator, staff and vehicles (another operator's by id is a 404) and may submit renewals,
which arrive `pending` for an officer to verify. Services flush; each view commits once.
The lists the dashboard links to are in `hts.compliance.list_views`; mobilisation readiness,
gateway reviews and assignments in `hts.compliance.work_views`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from hts import db
from hts.audit.views import history_for
from hts.auth.access import operator_scope, roles_required
from hts.auth.models import Role
from hts.compliance import holders
from hts.compliance.dbs import HttpStatusChecker, StatusCheckError, run_status_check
from hts.compliance.decisions import DecisionRefused, decide, history
from hts.compliance.forms import DbsCheckForm, DecisionForm, DocumentForm, DocumentReviewForm
from hts.compliance.models import DecisionKind, SweepResult
from hts.compliance.reviews import reviews_due
from hts.compliance.rules import Policy, policy_from_config
from hts.compliance.service import standing_decisions
from hts.compliance.sweep import run_sweep
from hts.mail.models import OutboxMessage
from hts.mail.service import queue
from hts.operators.models import (
    DOCUMENT_HOLDERS,
    DOCUMENT_TYPES,
    Document,
    HolderType,
    Operator,
    Staff,
    Vehicle,
)
from hts.routing.models import Route
from hts.web import Page, day_arg, local_today

bp = Blueprint("compliance", __name__, url_prefix="/compliance", template_folder="templates")

#: Record documents, decide, review: the compliance team (and admin).
OFFICER_ROLES = frozenset({Role.ADMIN, Role.COMPLIANCE})
#: Look at compliance without changing it.
OVERSIGHT_ROLES = OFFICER_ROLES | {Role.MANAGER}
#: Holder pages: the council's oversight, and an operator for its own holders.
HOLDER_ROLES = OVERSIGHT_ROLES | {Role.OPERATOR}
#: Record a document (officers) or submit a renewal (an operator, for its own holders).
SUBMIT_ROLES = OFFICER_ROLES | {Role.OPERATOR}
EXPIRY_DAYS = 30
#: Rows of each list shown on the dashboard before "see all".
DASHBOARD_ROWS = 10
DECISION_KINDS = {
    "suspend": (DecisionKind.SUSPENDED, "Suspend"),
    "reinstate": (DecisionKind.REINSTATED, "Reinstate"),
    "terminate": (DecisionKind.TERMINATED, "Terminate"),
}
HOLDER_MODELS: dict[str, tuple[type[Any], str]] = {
    "operators": (Operator, "operator"),
    "staff": (Staff, "staff"),
    "vehicles": (Vehicle, "vehicle"),
}


def policy() -> Policy:
    """The council's compliance thresholds from the app config."""
    return policy_from_config(current_app.config)


def errors_of(form: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The first error of each field, then the services' refusals, for the GOV.UK error summary."""
    errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors and name != "csrf_token"}
    if "csrf_token" in form._fields and form.csrf_token.errors:
        errors["csrf_token"] = "The form had expired: reload the page and try again"
    errors.update(extra or {})
    return errors


def page_of(items: list[Any]) -> Page:
    """One page of a list computed in Python (the page number from the query string)."""
    per_page = current_app.config["PAGE_SIZE"]
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    number = min(number, max(1, -(-len(items) // per_page)))
    return Page(items=items[(number - 1) * per_page:number * per_page], page=number, per_page=per_page,
                total=len(items))


def is_officer() -> bool:
    """Whether the current user records and decides (not only looks)."""
    return current_user.is_authenticated and current_user.role in OFFICER_ROLES


def load_holder(model: type[Any], holder_id: int) -> Any:
    """A holder by id; 404 when missing or another operator's (ids reveal nothing)."""
    record = db.session.get(model, holder_id)
    if record is None:
        abort(404)
    scope = operator_scope()
    if scope is not None and (record.id if model is Operator else record.operator_id) != scope:
        abort(404)
    return record


def _holder_documents(column: Any, holder_id: int) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(column == holder_id)
        .order_by(Document.document_type, Document.issued_on.desc(), Document.id.desc())
    ))


# --- dashboard ---------------------------------------------------------------------------------


@bp.get("")
@roles_required(OVERSIGHT_ROLES)
def dashboard() -> Any:
    """Today's compliance at a glance: who is not compliant, expiries, decisions, routes at risk,
    reviews due, renewals to review and the warnings sent."""
    today = local_today()
    session = db.session()
    bad = holders.not_compliant(session, today, policy())
    counts = {kind: sum(1 for b in bad if b.holder_type == kind) for kind in holders.HOLDER_TYPES}
    expiring = db.session.scalar(select(func.count(Document.id)).where(
        Document.expires_on >= today, Document.expires_on <= today + dt.timedelta(days=EXPIRY_DAYS))) or 0
    decisions = standing_decisions(session, today)
    decided = {o.id: o for o in db.session.scalars(select(Operator).where(Operator.id.in_(decisions)))}
    sweep = db.session.scalar(select(SweepResult).where(SweepResult.day == today))
    at_risk = sweep.routes_at_risk if sweep else []
    # The dashboard shows the first few; the full list is one link away.
    route_ids = dict(db.session.execute(select(Route.route_code, Route.id).where(
        Route.route_code.in_([r["route_code"] for r in at_risk[:DASHBOARD_ROWS]]))).all()) if at_risk else {}
    pending = list(db.session.scalars(
        select(Document).where(Document.status == "pending")
        .options(joinedload(Document.operator), joinedload(Document.staff), joinedload(Document.vehicle))
        .order_by(Document.created_at, Document.id).limit(5)))
    pending_total = db.session.scalar(select(func.count(Document.id)).where(Document.status == "pending")) or 0
    due = reviews_due(session, today, current_app.config["GATEWAY_REVIEW_INTERVAL_DAYS"])
    outbox = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                                    OutboxMessage.id.desc()).limit(5)))
    outbox_total = db.session.scalar(select(func.count(OutboxMessage.id))) or 0
    return render_template(
        "compliance/dashboard.html", today=today, counts=counts, total_bad=len(bad), expiring=expiring,
        expiry_days=EXPIRY_DAYS, decisions=[(decided[i], d) for i, d in sorted(decisions.items())],
        sweep=sweep, at_risk=at_risk, route_ids=route_ids, pending=pending, pending_total=pending_total,
        due=due, outbox=outbox, rows=DASHBOARD_ROWS, outbox_total=outbox_total, holder_types=holders.HOLDER_TYPES,
        officer=is_officer(), document_types=DOCUMENT_TYPES,
    )


@bp.post("/sweep")
@roles_required(OFFICER_ROLES)
def sweep() -> Any:
    """Run today's sweep now (the same as the 05:30 job; running it again changes nothing)."""
    report = run_sweep(db.session(), local_today(), policy())
    db.session.commit()
    if report.changed:
        flash(f"Sweep run: {report.holders_checked} holders checked, {len(report.not_compliant)} not compliant, "
              f"{len(report.routes_at_risk)} routes at risk, {report.warnings_queued} expiry warnings queued.",
              "success")
    else:
        flash("Sweep run: nothing has changed since the last sweep today.", "success")
    return redirect(url_for("compliance.dashboard"))


@bp.get("/ours")
@roles_required({Role.OPERATOR})
def ours() -> Any:
    """An operator user's own compliance page."""
    return redirect(url_for("compliance.operator", operator_id=current_user.operator_id))


# --- holder pages ------------------------------------------------------------------------------


def _document_form(holder_kind: str, formdata: Any = None) -> DocumentForm:
    """The form to record a document (officer) or submit a renewal (operator) for a holder."""
    allowed = DOCUMENT_HOLDERS[holder_kind]
    if not is_officer():
        allowed = allowed - {"dbs_update_check"}  # a check result comes from the council's own check
    types = {key: label for key, label in DOCUMENT_TYPES.items() if key in allowed}
    return DocumentForm(formdata=formdata, document_types=types, officer=is_officer())


def _holder_page(model: type[Any], record: Any, *, document_form: DocumentForm | None = None,
                 dbs_form: DbsCheckForm | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> Any:
    today = local_today()
    day, date_error = day_arg(today)
    session = db.session()
    context: dict[str, Any] = {}
    if model is Operator:
        holder_kind, column = "operator", Document.operator_id
        staff = list(db.session.scalars(select(Staff).where(Staff.operator_id == record.id).order_by(Staff.staff_ref)))
        vehicles = list(db.session.scalars(
            select(Vehicle).where(Vehicle.operator_id == record.id).order_by(Vehicle.registration)))
        fleet = holders.fleet_verdicts(session, record, staff, vehicles, today, policy())
        verdict = fleet.operator
        # Who needs attention first; the compliant follow in reference order.
        staff.sort(key=lambda m: fleet.staff[m.id].ok)
        vehicles.sort(key=lambda v: fleet.vehicles[v.id].ok)
        decisions = history(session, record)
        context.update(staff=staff, vehicles=vehicles, fleet=fleet, decisions=decisions,
                       staff_not_compliant=sum(not v.ok for v in fleet.staff.values()),
                       vehicles_not_compliant=sum(not v.ok for v in fleet.vehicles.values()),
                       standing=decisions[0] if decisions else None,
                       in_force=standing_decisions(session, today).get(record.id),
                       routes=db.session.scalar(select(func.count(Route.id)).where(
                           Route.operator_id == record.id, Route.withdrawn_on.is_(None))) or 0)
        audit = [("operator", [record.id]), ("operator_decision", [d.id for d in decisions])]
    elif model is Staff:
        holder_kind, column = "staff", Document.staff_id
        verdict = holders.verdict_of(session, record, today, policy())
        audit = [("staff", [record.id])]
    else:
        holder_kind, column = "vehicle", Document.vehicle_id
        verdict = holders.verdict_of(session, record, today, policy())
        audit = [("vehicle", [record.id])]
    documents = _holder_documents(column, record.id)
    on_day = holders.verdict_of(session, record, day, policy()) if day != today else None
    audit.append(("document", [d.id for d in documents]))
    return render_template(
        f"compliance/{holder_kind}.html", holder=record, today=today, day=day, date_error=date_error,
        verdict=verdict, on_day=on_day, documents=documents, document_types=DOCUMENT_TYPES,
        document_form=document_form or _document_form(holder_kind),
        dbs_form=dbs_form or (DbsCheckForm(formdata=None, certificate_number=_latest_certificate(documents))
                              if model is Staff else None),
        errors=errors or {}, officer=is_officer(), can_submit=current_user.role in SUBMIT_ROLES,
        history=history_for(*audit), holder_kind=holder_kind, **context,
    ), status


def _latest_certificate(documents: list[Document]) -> str:
    certificates = [d for d in documents if d.document_type == "dbs_enhanced"]
    latest = max(certificates, key=lambda d: (d.issued_on or dt.date.min, d.id), default=None)
    return latest.reference if latest else ""


@bp.get("/operators/<int:operator_id>")
@roles_required(HOLDER_ROLES)
def operator(operator_id: int) -> Any:
    """An operator's verdict, decisions, documents, and its staff's and vehicles' verdicts."""
    return _holder_page(Operator, load_holder(Operator, operator_id))


@bp.get("/staff/<int:staff_id>")
@roles_required(HOLDER_ROLES)
def staff(staff_id: int) -> Any:
    """A driver's or passenger assistant's verdict, documents and DBS Update Service checks."""
    return _holder_page(Staff, load_holder(Staff, staff_id))


@bp.get("/vehicles/<int:vehicle_id>")
@roles_required(HOLDER_ROLES)
def vehicle(vehicle_id: int) -> Any:
    """A vehicle's verdict and documents."""
    return _holder_page(Vehicle, load_holder(Vehicle, vehicle_id))


def _holder_url(record: Any) -> str:
    if isinstance(record, Operator):
        return url_for("compliance.operator", operator_id=record.id)
    if isinstance(record, Staff):
        return url_for("compliance.staff", staff_id=record.id)
    return url_for("compliance.vehicle", vehicle_id=record.id)


@bp.post("/<any(operators, staff, vehicles):kind>/<int:holder_id>/documents")
@roles_required(SUBMIT_ROLES)
def record_document(kind: str, holder_id: int) -> Any:
    """Record a document (officer) or submit a renewal, always pending review (operator)."""
    model, holder_kind = HOLDER_MODELS[kind]
    record = load_holder(model, holder_id)
    form = _document_form(holder_kind, request.form)
    if not form.validate():
        return _holder_page(model, record, document_form=form, errors=errors_of(form), status=400)
    document = Document(
        holder_type=HolderType(holder_kind), document_type=form.document_type.data,
        reference=form.reference.data, issued_on=form.issued_on.data, expires_on=form.expires_on.data,
        status=form.status.data if is_officer() else "pending", recorded_by=current_user.email,
    )
    setattr(document, holder_kind, record)
    db.session.add(document)
    db.session.commit()
    label = DOCUMENT_TYPES[document.document_type]
    if document.status == "pending" and not is_officer():
        flash(f"{label} {document.reference} sent to the council's compliance team. It counts once they verify it.",
              "success")
    else:
        flash(f"{label} {document.reference} recorded as {document.status.replace('_', ' ').lower()}.", "success")
    return redirect(_holder_url(record))


@bp.post("/staff/<int:staff_id>/dbs-check")
@roles_required(OFFICER_ROLES)
def dbs_check(staff_id: int) -> Any:
    """Ask the DBS Update Service for the status of the person's certificate and store the answer."""
    record = load_holder(Staff, staff_id)
    form = DbsCheckForm(request.form)
    if not form.validate():
        return _holder_page(Staff, record, dbs_form=form, errors=errors_of(form), status=400)
    organisation = current_app.config.get("DBS_ORGANISATION_NAME", "")
    if not organisation:
        problem = ("The council's organisation name for the Update Service is not set "
                   "(the HTS_DBS_ORGANISATION_NAME setting): ask an administrator to set it")
        return _holder_page(Staff, record, dbs_form=form, errors={"certificate_number": problem}, status=400)
    checker = HttpStatusChecker(current_app.config["DBS_UPDATE_SERVICE_URL"])
    try:
        document = run_status_check(db.session(), checker, staff=record, certificate_number=form.certificate_number.data,
                                    organisation_name=organisation, checker_name=current_user.name,
                                    today=local_today())
    except StatusCheckError as failed:
        db.session.rollback()
        message = f"The check was not made: {failed}. Nothing was recorded; try again later."
        return _holder_page(Staff, record, dbs_form=form, errors={"certificate_number": message}, status=502)
    db.session.commit()
    flash(f"DBS Update Service check recorded: {document.status.replace('_', ' ').lower()}.", "success")
    return redirect(_holder_url(record))


@bp.route("/documents/<int:document_id>/review", methods=["GET", "POST"])
@roles_required(OFFICER_ROLES)
def review_document(document_id: int) -> Any:
    """Verify or reject a document an operator submitted; a rejection is sent to the operator with the reason."""
    document = db.session.get(Document, document_id, options=[
        joinedload(Document.operator), joinedload(Document.staff), joinedload(Document.vehicle)])
    if document is None:
        abort(404)
    form = DocumentReviewForm(request.form if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if document.status != "pending":
            errors = {"decision": f"This document is already {document.status}; only pending documents are reviewed"}
        elif form.validate():
            document.status = form.decision.data
            holder = document.holder
            owner: Operator = holder if isinstance(holder, Operator) else holder.operator  # type: ignore[union-attr,assignment]
            label = DOCUMENT_TYPES.get(document.document_type, document.document_type)
            if document.status == "rejected":
                queue(db.session(), key=f"document-rejected:{document.id}", to=owner.contact_email,
                      subject=f"Document rejected: {label} {document.reference} for {document.holder_ref}",
                      body=(f"Dear {owner.name},\n\nThe council's compliance team rejected the {label.lower()} "
                            f"(reference {document.reference}) you sent for {holder}.\n\nReason: {form.reason.data}\n\n"
                            "Send a corrected document through the compliance pages.\n\n"
                            "Home to School Transport compliance team\n"))
            db.session.commit()
            flash(f"{label} {document.reference} {document.status}"
                  + (": the operator has been told why." if document.status == "rejected" else "."), "success")
            return redirect(_holder_url(document.holder))
        else:
            errors = errors_of(form)
    return render_template("compliance/review_document.html", document=document, form=form, errors=errors,
                           document_types=DOCUMENT_TYPES, today=local_today(),
                           holder_url=_holder_url(document.holder)), 400 if errors else 200


# --- decisions about operators -----------------------------------------------------------------


@bp.route("/operators/<int:operator_id>/<any(suspend, reinstate, terminate):action>", methods=["GET", "POST"])
@roles_required(OFFICER_ROLES)
def decision(operator_id: int, action: str) -> Any:
    """Suspend, reinstate or terminate an operator; terminating asks for confirmation and lists the
    routes it took the operator off, for re-procurement."""
    record = load_holder(Operator, operator_id)
    kind, verb = DECISION_KINDS[action]
    if request.method == "GET":
        form = DecisionForm(formdata=None, decided_by=current_user.name, decided_on=local_today())
        errors: dict[str, str] = {}
    else:
        form = DecisionForm(request.form)
        errors = errors_of(form) if not form.validate() else {}
        if not errors and kind == DecisionKind.TERMINATED and not form.confirm.data:
            errors = {"confirm": "Confirm that the operator is to be terminated: its routes will be unassigned"}
        if not errors:
            try:
                outcome = decide(db.session(), record, kind=kind, reason=form.reason.data,
                                 decided_by=form.decided_by.data, decided_on=form.decided_on.data)
            except DecisionRefused as refused:
                db.session.rollback()
                errors = {"reason": str(refused)}
            else:
                db.session.commit()
                if kind == DecisionKind.TERMINATED:
                    routes = list(db.session.scalars(select(Route).where(
                        Route.route_code.in_(outcome.unassigned_routes)).options(joinedload(Route.school))
                        .order_by(Route.route_code)))
                    return render_template("compliance/terminated.html", operator=record,
                                           decision=outcome.decision, routes=routes)
                flash(f"{record.name} {kind.value} on {outcome.decision.decided_on:%-d %b %Y}.", "success")
                return redirect(url_for("compliance.operator", operator_id=record.id))
    routes = db.session.scalar(select(func.count(Route.id)).where(Route.operator_id == record.id)) or 0
    return render_template("compliance/decision.html", operator=record, form=form, errors=errors, action=action,
                           verb=verb, kind=kind, routes=routes), 400 if errors else 200


# The dashboard's lists, the readiness board, gateway reviews and assignments register on `bp`.
from hts.compliance import list_views, work_views  # noqa: E402, F401
