"""The lists the compliance dashboard's counts link to: holders not compliant, routes at risk,
documents waiting for review, the outbox of messages sent, and runs that went ahead without full
crew on record.

Routes registered on the `compliance` blueprint of hts.compliance.views.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from hts import db
from hts.auth.access import roles_required
from hts.compliance import holders
from hts.compliance.models import SweepResult
from hts.compliance.views import (
    OFFICER_ROLES,
    OVERSIGHT_ROLES,
    bp,
    is_officer,
    page_of,
    policy,
)
from hts.mail.models import OutboxMessage
from hts.operations.control import RUN_FILTERS, RunFilter, crew_gaps, run_query, status_label
from hts.operations.models import Run, RunPupil
from hts.operators.models import DOCUMENT_TYPES, Document, Operator
from hts.routing.models import Route
from hts.web import day_arg, local_today, paginate


@bp.get("/holders")
@roles_required(OVERSIGHT_ROLES)
def not_compliant() -> Any:
    """Holders not compliant on a day (today unless `date`), with every reason, by type."""
    day, date_error = day_arg(local_today())
    kind = request.args.get("type", "")
    found = holders.not_compliant(db.session(), day, policy())
    if kind in holders.HOLDER_TYPES:
        found = [f for f in found if f.holder_type == kind]
    page = page_of(found)
    return render_template("compliance/not_compliant.html", page=page, day=day, kind=kind,
                           holder_types=holders.HOLDER_TYPES, date_error=date_error)


@bp.get("/at-risk")
@roles_required(OVERSIGHT_ROLES)
def at_risk() -> Any:
    """Every route today's sweep found at risk, with the reasons, a page at a time."""
    today = local_today()
    sweep = db.session.scalar(select(SweepResult).where(SweepResult.day == today))
    routes = sweep.routes_at_risk if sweep else []
    page = page_of(routes)
    route_ids = dict(db.session.execute(select(Route.route_code, Route.id).where(
        Route.route_code.in_([r["route_code"] for r in page.items]))).all()) if page.items else {}
    return render_template("compliance/at_risk.html", page=page, sweep=sweep, today=today, route_ids=route_ids,
                           officer=is_officer())


@bp.get("/outbox")
@roles_required(OVERSIGHT_ROLES)
def outbox() -> Any:
    """Every message the system has sent or queued, newest first."""
    page = paginate(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    return render_template("compliance/outbox.html", page=page)


@bp.get("/pending")
@roles_required(OFFICER_ROLES)
def pending() -> Any:
    """Documents operators submitted that wait for an officer's review, oldest first."""
    query = (select(Document).where(Document.status == "pending")
             .options(joinedload(Document.operator), joinedload(Document.staff), joinedload(Document.vehicle))
             .order_by(Document.created_at, Document.id))
    return render_template("compliance/pending.html", page=paginate(query), document_types=DOCUMENT_TYPES,
                           today=local_today())


#: How far back the list of runs that went ahead without full crew looks, to its last day.
WENT_WITHOUT_CREW_DAYS = 30


@bp.get("/runs-without-crew")
@roles_required(OVERSIGHT_ROLES)
def runs_without_crew() -> Any:
    """Runs reported delivered in the 30 days to `date` (today unless given) that had no driver,
    no vehicle or no passenger assistant a pupil needed on record: who crewed them is a question
    for the operator, and the answer may be a safeguarding matter."""
    end, date_error = day_arg(local_today())
    start = end - dt.timedelta(days=WENT_WITHOUT_CREW_DAYS - 1)
    query = run_query(RunFilter(start=start, end=end, status="went_without_crew")).options(
        selectinload(Run.pupils).selectinload(RunPupil.pupil))
    page = paginate(query)
    operators = dict(db.session.execute(select(Operator.id, Operator.name).where(
        Operator.id.in_({run.operator_id for run in page.items if run.operator_id}))).all()) if page.items else {}
    return render_template(
        "compliance/runs_without_crew.html", page=page, start=start, end=end, date_error=date_error,
        operators=operators, crew_gaps=crew_gaps, status_label=status_label,
        label=RUN_FILTERS["went_without_crew"][0]), (400 if date_error else 200)
