"""Administrators' data protection pages: who viewed a pupil's record, and the subject access export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template

from hts import db
from hts.auth.access import roles_required
from hts.auth.models import Role
from hts.people.models import Pupil
from hts.privacy.service import export_json, subject_access_export, views_query
from hts.web import paginate

bp = Blueprint("privacy", __name__, url_prefix="/privacy", template_folder="templates")


@bp.get("/pupils/<int:pupil_id>/views")
@roles_required(Role.ADMIN)
def record_views(pupil_id: int) -> Any:
    """Who opened a pupil's record and when, newest first."""
    pupil = db.session.get(Pupil, pupil_id) or abort(404)
    return render_template("privacy/views.html", pupil=pupil, page=paginate(views_query(pupil.id)))


@bp.get("/pupils/<int:pupil_id>/export")
@roles_required(Role.ADMIN)
def export(pupil_id: int) -> Any:
    """Download everything held about a pupil as JSON (a subject access request); logged as a view."""
    pupil = db.session.get(Pupil, pupil_id) or abort(404)
    body = export_json(subject_access_export(db.session(), pupil))
    db.session.commit()
    return Response(
        body.encode("utf-8"), mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{pupil.pupil_ref}.json"',
                 "Cache-Control": "no-store"},
    )
