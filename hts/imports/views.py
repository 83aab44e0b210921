"""The import page (upload, check, report) and the file formats with example files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.imports.forms import ImportForm
from hts.imports.kinds import KINDS
from hts.imports.report import ImportReport, Problem
from hts.imports.service import run_import

bp = Blueprint("imports", __name__, template_folder="templates")

IMPORT_ROLES = (Role.ADMIN, Role.PLANNER, Role.COMPLIANCE, Role.OPERATIONS)

#: Which kinds each role may import: planners keep pupils, routes and the calendar, compliance
#: the supply side, operations the day's returns, calls and cases.
KINDS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: tuple(KINDS),
    Role.PLANNER: ("schools", "pupils", "routes", "postcodes", "calendar", "incompatibilities"),
    Role.COMPLIANCE: ("operators", "staff", "vehicles", "documents"),
    Role.OPERATIONS: ("runs", "calls", "complaints", "safeguarding", "bus_passes"),
}


def allowed_kinds(role: Role) -> tuple[str, ...]:
    """The import kinds a role may load."""
    return KINDS_BY_ROLE.get(role, ())


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def upload() -> Any:
    """Choose a kind and a file; check it, or import it all or nothing, and show the report."""
    kinds = allowed_kinds(current_user.role)
    form = ImportForm()
    form.kind.choices = [(k, KINDS[k].title) for k in kinds]
    if request.method == "POST" and form.kind.data in KINDS and form.kind.data not in kinds:
        abort(403)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("imports/upload.html", form=form, kinds=kinds), status
    upload_file = form.file.data
    filename = upload_file.filename or "upload.csv"
    dry_run = bool(form.check_only.data)
    try:
        report = run_import(db.session(), form.kind.data, upload_file.stream, filename=filename,
                            dry_run=dry_run)
    except ValueError as exc:  # a geocoder misconfiguration: nothing was written
        db.session.rollback()
        report = ImportReport(kind=form.kind.data, filename=filename, dry_run=dry_run,
                              problems=[Problem(0, "", str(exc))])
    if report.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return render_template("imports/report.html", report=report), (200 if report.ok else 400)


@bp.get("/import/formats")
@roles_required(*IMPORT_ROLES)
def formats() -> Any:
    """Every kind's columns, with an example file to download."""
    return render_template("imports/formats.html", kinds=KINDS.values(),
                           mine=allowed_kinds(current_user.role))


@bp.get("/import/formats/<kind>.csv")
@roles_required(*IMPORT_ROLES)
def example(kind: str) -> Any:
    """An example file of a kind, generated from its column spec."""
    spec = KINDS.get(kind)
    if spec is None:
        abort(404)
    return Response(spec.example_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{kind}-example.csv"'})
