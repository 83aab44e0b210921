"""The manager's dashboard: the day and the week against targets, the term's trend, CSV and PDF.

Council staff may read it (it holds no personal data); operators may not. Each figure links to
the runs, calls or cases behind it, for the roles that may open those pages.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from hts import db
from hts.auth.access import COUNCIL_ROLES, roles_required
from hts.compliance.rules import policy_from_config
from hts.sitrep import report
from hts.sitrep.figures import compliance_figures, sitrep, week_of
from hts.web import local_today

bp = Blueprint("sitrep", __name__, url_prefix="/sitrep", template_folder="templates")

DASHBOARD_ROLES = COUNCIL_ROLES


def _day() -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return local_today()


def _trend_end(day: dt.date) -> dt.date:
    # Today's runs are still under way: a trend point for it would plunge and mislead.
    return min(day, local_today() - dt.timedelta(days=1))


def _week(day: dt.date) -> tuple[dt.date, dt.date]:
    return week_of(report.week_ending_for(day))


def week_figures(start: dt.date, end: dt.date, day: dt.date | None = None,
                 day_figures: dict[str, Any] | None = None) -> dict[str, Any]:
    """The week's figures; compliance as at its Friday, or today while the week is still running.

    `day_figures` of the day the compliance figures are taken on saves judging every holder twice.
    """
    figures = report.period_figures(db.session(), start, end)
    as_at = min(end, local_today())
    if day_figures is not None and day == as_at:
        figures.update({key: day_figures[key] for key in report.COMPLIANCE_KEYS})
    else:
        figures.update(compliance_figures(db.session(), as_at, policy_from_config(current_app.config)))
    return figures


def day_figures(day: dt.date) -> dict[str, Any]:
    """The day's figures, including compliance on that day."""
    return sitrep(db.session(), day, day, policy_from_config(current_app.config)).as_dict()


@bp.get("")
@roles_required(DASHBOARD_ROLES)
def dashboard() -> Any:
    """Today (or ?date=) and its week in large figures beside their targets, and the term's trend."""
    day = _day()
    start, end = _week(day)
    today_figures = day_figures(day)
    week = week_figures(start, end, day, today_figures)
    term_name, term_start, term_end = report.term_period(db.session(), _trend_end(day))
    rows = report.trend(db.session(), report.school_days(db.session(), term_start, term_end))
    return render_template(
        "sitrep/dashboard.html", day=day, today=local_today(), start=start, end=end,
        day_figures=today_figures, week=week,
        day_headlines=report.headlines(today_figures, current_app.config),
        week_headlines=report.headlines(week, current_app.config),
        labels=report.LABEL, casework_keys=report.CASEWORK_KEYS, compliance_keys=report.COMPLIANCE_KEYS,
        term_name=term_name, rows=rows, chart=json.dumps(report.chart_data(rows, current_app.config)),
        targets=report.targets(current_app.config), short_labels=report.SHORT_LABELS,
        definitions=report.DEFINITIONS,
    )


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/figures.csv")
@roles_required(DASHBOARD_ROLES)
def figures_csv() -> Any:
    """The day's and the week's figures, with targets, as CSV."""
    day = _day()
    start, end = _week(day)
    figures = day_figures(day)
    text = report.figures_csv([("day", figures), ("week", week_figures(start, end, day, figures))], current_app.config)
    return _csv(text, f"sitrep-{day.isoformat()}.csv")


@bp.get("/trend.csv")
@roles_required(DASHBOARD_ROLES)
def trend_csv() -> Any:
    """The term's trend, one row per school day, as CSV."""
    day = _day()
    _name, term_start, term_end = report.term_period(db.session(), _trend_end(day))
    rows = report.trend(db.session(), report.school_days(db.session(), term_start, term_end))
    return _csv(report.trend_csv(rows), f"sitrep-trend-{term_start.isoformat()}-to-{term_end.isoformat()}.csv")


@bp.get("/week.pdf")
@roles_required(DASHBOARD_ROLES)
def week_pdf() -> Any:
    """The week-ending report as a PDF for a committee paper."""
    raw = request.args.get("week_ending")
    try:
        start, end = week_of(dt.date.fromisoformat(raw)) if raw else _week(local_today())
    except ValueError:
        flash(f"'{raw}' is not a Friday: the week-ending report needs the date of a Friday.", "error")
        return redirect(url_for("sitrep.dashboard"))
    from hts.sitrep.pdf import week_pdf  # fpdf2 is loaded only when a PDF is asked for

    pdf = week_pdf(week=week_figures(start, end), days=report.daily_rows(db.session(), start, end),
                          config=current_app.config, produced_on=local_today())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="sitrep-week-ending-{end.isoformat()}.pdf"'})
