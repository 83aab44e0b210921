"""The operator API: each token sees only its own operator's runs and routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hts import db
from hts.api import tokens
from hts.api.openapi import document
from hts.audit.log import Actor, set_actor
from hts.auth.access import public, token_required
from hts.clock import local_today
from hts.compliance.gates import AssignmentRefused, assign
from hts.compliance.rules import policy_from_config
from hts.operations.models import Run, RunPupil
from hts.operations.runs import EVENT_KINDS, EventRefused, record_event
from hts.operations.runsheets import build_run_sheet, run_sheet_csv, run_sheet_pdf
from hts.operators.models import Staff, Vehicle
from hts.people.models import Pupil
from hts.routing.models import Route, RouteStop

bp = Blueprint("api", __name__, url_prefix="/api")


class ApiError(Exception):
    """An error answered as JSON with a 4xx status."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Any:
    return jsonify({"error": exc.error, "message": exc.message, **exc.extra}), exc.status


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in ("api.openapi",):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    row = tokens.authenticate(db.session(), token.strip()) if scheme.lower() == "bearer" else None
    if row is None:
        raise ApiError(401, "unauthorised", "Send a valid operator API token as 'Authorization: Bearer <token>'")
    g.api_operator_id = row.operator_id
    g.api_source = f"operator:{row.operator_id}"
    set_actor(Actor(f"api:{row.operator.operator_ref}:{row.name}"))
    db.session.commit()  # last_used_at


def _own_run(run_id: int) -> Run:
    run = db.session.scalar(
        select(Run).where(Run.id == run_id).options(
            selectinload(Run.pupils).selectinload(RunPupil.pupil).selectinload(Pupil.addresses),
            selectinload(Run.route).selectinload(Route.stops).selectinload(RouteStop.pupils),
        )
    )
    if run is None or run.operator_id != g.api_operator_id:
        raise ApiError(404, "not_found", f"No run {run_id} for your operator")
    return run


def _run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "route_code": run.route.route_code,
        "date": run.run_on.isoformat(),
        "session": run.session,
        "school": {"urn": run.school.urn, "name": run.school.name},
        "status": run.status.value,
        "reason": run.reason,
        "due_at_school": run.due_at_school.strftime("%H:%M"),
        "arrived_at_school": run.arrived_at_school.strftime("%H:%M") if run.arrived_at_school else None,
        "vehicle": run.vehicle.registration if run.vehicle else None,
        "driver": run.driver.staff_ref if run.driver else None,
        "passenger_assistant": run.pa.staff_ref if run.pa else None,
        "pupils_expected": run.pupils_expected,
        "pupils_absent": run.pupils_absent,
        "pupils_transported": run.pupils_transported,
    }


def _day_arg() -> dt.date:
    value = request.args.get("date")
    if not value:
        return local_today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_request", "date must be YYYY-MM-DD", fields={"date": "use YYYY-MM-DD"}) from None


@bp.get("/runs")
@token_required
def runs() -> Any:
    """The operator's runs on a day (default today)."""
    day = _day_arg()
    rows = db.session.scalars(
        select(Run).where(Run.run_on == day, Run.operator_id == g.api_operator_id)
        .options(selectinload(Run.route), selectinload(Run.school), selectinload(Run.vehicle),
                 selectinload(Run.driver), selectinload(Run.pa))
        .join(Route).order_by(Route.route_code)
    )
    return jsonify({"date": day.isoformat(), "runs": [_run_summary(r) for r in rows]})


@bp.get("/runs/<int:run_id>")
@token_required
def run_sheet(run_id: int) -> Any:
    """A run sheet: stops in order with times, pupils' first names and the needs the crew must know.

    JSON by default; `?format=pdf` or `?format=csv` (or an Accept header asking for
    application/pdf or text/csv) gives the printable sheet the web page offers.
    """
    run = _own_run(run_id)
    wanted = _sheet_format()
    if wanted != "json":
        return _sheet_file(run, wanted)
    statuses = {rp.pupil_id: rp.status.value for rp in run.pupils}
    stops = []
    for stop in run.route.stops:
        riders = [p for p in stop.pupils if p.id in statuses]
        if stop.kind.value != "school" and not riders:
            continue
        address = riders[0].address_on(run.run_on) if riders else None
        place = stop.school or run.school  # nearby schools sharing the run each have their stop
        stops.append({
            "sequence": stop.sequence,
            "kind": stop.kind.value,
            "time": stop.planned_time.strftime("%H:%M"),
            "latitude": stop.latitude,
            "longitude": stop.longitude,
            "address": f"{address.address}, {address.postcode}" if address else
            (f"{place.name}, {place.postcode}" if stop.kind.value == "school" else None),
            "pupils": [{
                "pupil_ref": p.pupil_ref, "first_name": p.first_name, "wheelchair": p.wheelchair,
                "passenger_assistant": p.passenger_assistant, "solo": p.solo, "status": statuses[p.id],
            } for p in riders],
        })
    return jsonify({**_run_summary(run), "stops": stops})


SHEET_FORMATS = {"json": "application/json", "pdf": "application/pdf", "csv": "text/csv"}


def _sheet_format() -> str:
    """The run sheet format asked for: ?format= first, then the Accept header; JSON otherwise."""
    asked = request.args.get("format")
    if asked is not None:
        if asked not in SHEET_FORMATS:
            raise ApiError(400, "bad_request", "format must be json, pdf or csv",
                           fields={"format": "one of json, pdf, csv"})
        return asked
    best = request.accept_mimetypes.best_match(list(SHEET_FORMATS.values()), default="application/json")
    return next(name for name, mimetype in SHEET_FORMATS.items() if mimetype == best)


def _sheet_file(run: Run, wanted: str) -> Response:
    """The run's sheet as a PDF or CSV download."""
    sheet = build_run_sheet(db.session(), run.route, run.run_on, config=current_app.config)
    body: str | bytes = run_sheet_pdf(sheet) if wanted == "pdf" else run_sheet_csv(sheet)
    name = f"run-sheet-{sheet.route_code}-{sheet.day.isoformat()}.{wanted}"
    return Response(body, mimetype=SHEET_FORMATS[wanted],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Vary": "Accept"})


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object with Content-Type: application/json")
    return body


@bp.post("/runs/<int:run_id>/events")
@token_required
def post_event(run_id: int) -> Any:
    """Report an event on a run; the Idempotency-Key header makes a retried post count once."""
    run = _own_run(run_id)
    body = _json_body()
    key = (request.headers.get("Idempotency-Key") or "").strip()
    fields: dict[str, str] = {}
    if not key or len(key) > 200:
        fields["Idempotency-Key"] = "send a unique key of at most 200 characters in the Idempotency-Key header"
    kind = body.get("kind")
    if kind not in EVENT_KINDS:
        fields["kind"] = f"one of {', '.join(EVENT_KINDS)}"
    occurred_at = dt.datetime.now(dt.UTC)
    if body.get("occurred_at") is not None:
        try:
            occurred_at = dt.datetime.fromisoformat(str(body["occurred_at"]))
            if occurred_at.tzinfo is None:
                raise ValueError
        except ValueError:
            fields["occurred_at"] = "an ISO 8601 time with its offset, e.g. 2026-11-25T08:52:00+00:00"
    pupil_id = None
    if kind in ("pupil_boarded", "pupil_not_presented"):
        ref = body.get("pupil_ref")
        pupil_id = next((rp.pupil_id for rp in run.pupils if isinstance(ref, str) and rp.pupil.pupil_ref == ref), None)
        if pupil_id is None:
            fields["pupil_ref"] = "the reference of a pupil expected on this run"
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 300):
        fields["reason"] = "text of at most 300 characters"
    if fields:
        raise ApiError(400, "bad_request", "Some fields are not right", fields=fields)
    try:
        event, created = record_event(
            db.session(), run, kind=kind, occurred_at=occurred_at, source=g.api_source, idempotency_key=key,
            pupil_id=pupil_id, reason=reason, tolerance_minutes=current_app.config["ON_TIME_TOLERANCE_MINUTES"],
        )
    except EventRefused as exc:
        db.session.rollback()
        raise ApiError(409, "refused", str(exc)) from None
    db.session.commit()
    payload = {"event_id": event.id, "kind": event.kind, "replayed": not created, "run": _run_summary(run)}
    return jsonify(payload), (201 if created else 200)


@bp.post("/routes/<route_code>/assignment")
@token_required
def assignment(route_code: str) -> Any:
    """Put the operator's own driver, PA or vehicle on one of its routes, through the compliance gate."""
    route = db.session.scalar(select(Route).where(Route.route_code == route_code))
    if route is None or route.operator_id != g.api_operator_id:
        raise ApiError(404, "not_found", f"No route {route_code} for your operator")
    body = _json_body()
    found: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for field, model, column in (("driver_ref", Staff, Staff.staff_ref), ("pa_ref", Staff, Staff.staff_ref),
                                 ("registration", Vehicle, Vehicle.registration)):
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            fields[field] = "a text reference"
            continue
        if field == "registration":
            value = " ".join(value.upper().split())
        row = db.session.scalar(select(model).where(column == value))
        if row is None or row.operator_id != g.api_operator_id:
            fields[field] = f"no {field.replace('_', ' ')} '{value}' among your operator's"
        found[field] = row
    if not found and not fields:
        fields["body"] = "give driver_ref, pa_ref and/or registration"
    if fields:
        raise ApiError(400, "bad_request", "Some fields are not right", fields=fields)
    try:
        assign(db.session(), route, today=local_today(), policy=policy_from_config(current_app.config),
               driver=found.get("driver_ref"), pa=found.get("pa_ref"), vehicle=found.get("registration"))
    except AssignmentRefused as refused:
        db.session.rollback()
        raise ApiError(409, "refused", "The compliance gate refused the assignment", reasons=refused.reasons) from None
    db.session.commit()
    return jsonify({"route_code": route.route_code, "version": route.version,
                    "driver": route.driver.staff_ref if route.driver else None,
                    "passenger_assistant": route.pa.staff_ref if route.pa else None,
                    "vehicle": route.vehicle.registration if route.vehicle else None})


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())
