"""Run sheet pages: a route's day as a web page, a printable PDF and CSV.

Who may open them: planners, operations and admins (any route), and an operator's users (only
the sheets of days their operator runs the route; otherwise a 404, as for another operator's
route page, so a route handed to another operator from a later day shows that day to the new
operator and not the old). The
sheet names pupils by first name, with their pickup addresses: compliance officers and managers
are not among the roles allowed children's data (hts.auth.access.PUPIL_DATA_ROLES), so they do
not get it; operators get it for their own routes because their crews need it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy.orm import joinedload

from hts import db
from hts.auth.access import PUPIL_DATA_ROLES, operator_scope, roles_required
from hts.auth.models import Role
from hts.operations.runsheets import RunSheet, build_run_sheet, run_sheet_csv, run_sheet_pdf
from hts.routing.models import Route
from hts.web import local_today

bp = Blueprint("runsheets", __name__, template_folder="templates")

RUN_SHEET_ROLES = PUPIL_DATA_ROLES | {Role.OPERATOR}


class _BadDate(ValueError):
    """The date in the query string is not YYYY-MM-DD."""


def _day() -> dt.date:
    raw = (request.args.get("date") or "").strip()
    if not raw:
        return local_today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _BadDate(f"'{raw}' is not a date: give it as YYYY-MM-DD, for example 2026-11-25") from None


def _route(route_id: int) -> Route:
    route = db.session.get(Route, route_id, options=[joinedload(Route.school)])
    if route is None:
        abort(404)
    return route


def _visible(route: Route, sheet: RunSheet | None) -> None:
    """404 unless an operator's user is looking at a day their operator runs (for a bad date: today's)."""
    scope = operator_scope()
    operator_id = sheet.operator_id if sheet is not None else route.operator_id
    if scope is not None and operator_id != scope:
        abort(404)  # another operator's route looks like no route at all


def _sheet(route: Route) -> RunSheet:
    try:
        sheet = build_run_sheet(db.session(), route, _day(), config=current_app.config)
    except _BadDate:
        _visible(route, None)
        raise
    _visible(route, sheet)
    return sheet


def _bad_date(exc: _BadDate) -> tuple[Any, int]:
    return render_template("error.html", status=400, title="Not a date", message=str(exc)), 400


def _file_name(sheet: RunSheet, extension: str) -> str:
    return f"run-sheet-{sheet.route_code}-{sheet.day.isoformat()}.{extension}"


@bp.get("/routes/<int:route_id>/run-sheet")
@roles_required(RUN_SHEET_ROLES)
def run_sheet(route_id: int) -> Any:
    """A route's run sheet for a day (default today), with links to the PDF and CSV."""
    route = _route(route_id)
    try:
        sheet = _sheet(route)
    except _BadDate as exc:
        return render_template("operations/run_sheet.html", route=route, sheet=None, error=str(exc),
                               date_text=request.args.get("date", "")), 400
    return render_template("operations/run_sheet.html", route=route, sheet=sheet, error=None,
                           date_text=sheet.day.isoformat())


@bp.get("/routes/<int:route_id>/run-sheet.pdf")
@roles_required(RUN_SHEET_ROLES)
def run_sheet_pdf_file(route_id: int) -> Any:
    """The run sheet as a printable A4 PDF."""
    try:
        sheet = _sheet(_route(route_id))
    except _BadDate as exc:
        return _bad_date(exc)
    return Response(run_sheet_pdf(sheet), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(sheet, "pdf")}"'})


@bp.get("/routes/<int:route_id>/run-sheet.csv")
@roles_required(RUN_SHEET_ROLES)
def run_sheet_csv_file(route_id: int) -> Any:
    """The run sheet's stops and pupils as CSV."""
    try:
        sheet = _sheet(_route(route_id))
    except _BadDate as exc:
        return _bad_date(exc)
    return Response(run_sheet_csv(sheet), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(sheet, "csv")}"'})
