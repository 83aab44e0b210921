"""The SITREP for people: figures beside their targets, the term's trend, CSV and the committee PDF.

Figures come from hts.sitrep.figures (SQL aggregates) and stored snapshots; nothing here counts
rows in Python. Status against a target is given in words (never colour alone).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.operations.calendar import load_calendar
from hts.operations.models import Run, SchoolTerm
from hts.sitrep.cli import LABELS
from hts.sitrep.figures import casework_figures, daily_trend, percent, run_figures
from hts.sitrep.models import SitrepSnapshot

#: The four headline percentages: key, the setting holding its target, and what it counts.
HEADLINES = (
    ("routes_delivered_pct", "TARGET_ROUTES_DELIVERED_PCT", "routes_delivered", "routes_scheduled", "routes"),
    ("routes_on_time_pct", "TARGET_ON_TIME_PCT", "routes_on_time", "routes_delivered", "delivered routes"),
    ("pupils_transported_pct", "TARGET_PUPILS_TRANSPORTED_PCT", "pupil_journeys_completed",
     "pupil_journeys_needed", "pupil journeys"),
    ("calls_answered_pct", "TARGET_CALLS_ANSWERED_PCT", "calls_answered", "calls_received", "calls"),
)
SHORT_LABELS = {
    "routes_delivered_pct": "Routes delivered", "routes_on_time_pct": "On time",
    "pupils_transported_pct": "Pupils transported", "calls_answered_pct": "Calls answered",
}
LABEL = dict(LABELS)
CASEWORK_KEYS = ("complaints_open", "complaints_overdue", "safeguarding_open", "bus_passes_awaiting")
COMPLIANCE_KEYS = ("operators_suspended", "holders_not_compliant", "documents_expiring_30d", "routes_at_risk")

#: Definitions printed under the report (domain.md, "The SITREP").
DEFINITIONS = (
    "Routes delivered % = runs delivered / runs scheduled. Runs not required (for example a school "
    "closed) are left out of both.",
    "On time % = delivered runs that reached school by the school's start time (morning) or finish "
    "time (afternoon) / runs delivered.",
    "Pupils transported % = pupil journeys completed / pupil journeys needed. A pupil reported absent "
    "or not travelling is not needed.",
    "Calls answered % = calls answered / calls received on the transport line.",
    "Complaints, safeguarding cases and bus pass applications are counted as they stood at the end of "
    "the period; a complaint is overdue when open past its response date.",
    "Compliance figures are as at the end of the period: routes at risk are routes assigned to a driver, "
    "passenger assistant, vehicle or operator that is not compliant.",
    "Percentages are shown to two decimals; n/a means there was nothing to count.",
)


@dataclass(frozen=True)
class Status:
    """How a figure stands against its target, in words, with a colour that only repeats them."""

    words: str
    colour: str


def rag(value: float | None, target: float, margin: float) -> Status:
    """Target met; below target (within `margin` points); well below target; or no data."""
    if value is None:
        return Status("No data", "grey")
    if value >= target:
        return Status("Target met", "green")
    if value >= target - margin:
        return Status("Below target", "yellow")
    return Status("Well below target", "red")


@dataclass(frozen=True)
class Headline:
    """One headline percentage with its counts, target and status."""

    key: str
    label: str
    value: float | None
    numerator: int
    denominator: int
    noun: str
    target: float
    status: Status


def targets(config: Mapping[str, Any]) -> dict[str, float]:
    """The target of each headline percentage, from the app settings."""
    return {key: float(config[setting]) for key, setting, *_ in HEADLINES}


def headlines(figures: Mapping[str, Any], config: Mapping[str, Any]) -> list[Headline]:
    """The four headline percentages of a set of figures, each beside its target."""
    margin = float(config["TARGET_AMBER_MARGIN_PCT"])
    goal = targets(config)
    return [
        Headline(key, SHORT_LABELS[key], figures[key], int(figures[num]), int(figures[den]), noun, goal[key],
                 rag(figures[key], goal[key], margin))
        for key, _setting, num, den, noun in HEADLINES
    ]


def week_ending_for(day: dt.date) -> dt.date:
    """The Friday of the day's week; at a weekend, the Friday just gone."""
    return day + dt.timedelta(days=4 - day.weekday()) if day.weekday() <= 4 else day - dt.timedelta(days=day.weekday() - 4)


def period_figures(session: Session, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Run and casework figures for a period, with percentages (no compliance: that is a day's state)."""
    runs = run_figures(session, start, end)
    casework = casework_figures(session, start, end)
    return {
        "period_start": start.isoformat(), "period_end": end.isoformat(),
        "routes_scheduled": runs["scheduled"], "routes_delivered": runs["delivered"],
        "routes_delivered_pct": percent(runs["delivered"], runs["scheduled"]),
        "routes_on_time": runs["on_time"], "routes_on_time_pct": percent(runs["on_time"], runs["delivered"]),
        "pupil_journeys_needed": runs["needed"], "pupil_journeys_completed": runs["completed"],
        "pupils_transported_pct": percent(runs["completed"], runs["needed"]),
        **casework,
        "calls_answered_pct": percent(casework["calls_answered"], casework["calls_received"]),
    }


# --- The term's trend ------------------------------------------------------------------------

def term_period(session: Session, day: dt.date) -> tuple[str, dt.date, dt.date]:
    """(name, first day, last day to show) of the council's term around `day`.

    The council-wide term containing the day, else the latest one begun before it, else the
    twelve weeks up to the day. The period never runs past `day`.
    """
    council = (SchoolTerm.school_id.is_(None),)
    term = session.scalar(select(SchoolTerm).where(*council, SchoolTerm.starts_on <= day)
                          .order_by(SchoolTerm.starts_on.desc()).limit(1))
    if term is None:
        return "The last twelve weeks", day - dt.timedelta(weeks=12), day
    return term.name, term.starts_on, min(term.ends_on, day)


def school_days(session: Session, start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekdays of the period that are not bank holidays, council-wide closures or holidays."""
    calendar = load_calendar(session, school_ids=[])
    days, day = [], start
    while day <= end:
        if calendar.closed_reason(0, day) is None:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


TREND_KEYS = ("routes_delivered_pct", "routes_on_time_pct", "pupils_transported_pct", "calls_answered_pct")


def trend(session: Session, days: list[dt.date]) -> list[dict[str, Any]]:
    """Each day's headline figures: the stored snapshot when it is current, else from grouped SQL.

    A snapshot is current unless flagged stale or a run of its day changed after it was computed.
    Days without a current snapshot come from hts.sitrep.figures.daily_trend (two grouped queries).
    """
    if not days:
        return []
    start, end = days[0], days[-1]
    outdated = select(Run.run_on).where(Run.run_on == SitrepSnapshot.day, Run.updated_at > SitrepSnapshot.computed_at)
    stored = {
        snapshot.day: snapshot.figures for snapshot in session.scalars(
            select(SitrepSnapshot).where(SitrepSnapshot.day.between(start, end), SitrepSnapshot.stale.is_(False),
                                         ~outdated.exists()))
    }
    missing = [day for day in days if day not in stored]
    computed = {t.day: t for t in daily_trend(session, missing[0], missing[-1])} if missing else {}
    rows = []
    for day in days:
        if day in stored:
            row = {key: stored[day].get(key) for key in ("routes_scheduled", *TREND_KEYS)}
            row["source"] = "stored"
        else:
            figures = computed.get(day)
            row = {"routes_scheduled": figures.routes_scheduled if figures else 0,
                   **{key: getattr(figures, key) if figures else None for key in TREND_KEYS},
                   "source": "computed"}
        row["day"] = day
        rows.append(row)
    return rows


def chart_data(rows: list[dict[str, Any]], config: Mapping[str, Any]) -> dict[str, Any]:
    """What hts/static/sitrep.js draws: the days and, per headline, its values and target."""
    goal = targets(config)
    return {
        "labels": [row["day"].strftime("%-d %b") for row in rows],
        "series": [{"key": key, "label": SHORT_LABELS[key] + " %", "target": goal[key],
                    "values": [row[key] for row in rows]} for key in TREND_KEYS],
    }


# --- CSV -------------------------------------------------------------------------------------

def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def figures_csv(columns: list[tuple[str, Mapping[str, Any]]], config: Mapping[str, Any]) -> str:
    """Every SITREP figure (rows) for each period given (columns), with the targets."""
    goal = targets(config)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "figure", *[name for name, _ in columns], "target"])
    writer.writerow(["period_start", "Period start", *[figures["period_start"] for _, figures in columns], ""])
    writer.writerow(["period_end", "Period end", *[figures["period_end"] for _, figures in columns], ""])
    for key, label in LABELS:
        writer.writerow([key, label, *[_shown(figures.get(key)) for _, figures in columns], _shown(goal.get(key))])
    return out.getvalue()


def trend_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The trend, one row per school day."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "routes_scheduled", *TREND_KEYS])
    for row in rows:
        writer.writerow([row["day"].isoformat(), _shown(row["routes_scheduled"]), *[_shown(row[k]) for k in TREND_KEYS]])
    return out.getvalue()

def daily_rows(session: Session, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The trend rows of every weekday of a period (school holidays included: the report shows the week)."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return trend(session, [day for day in days if day.weekday() < 5])
