"""An operator's own runs: what its users see of a day, and what they may report on a run.

An operator reports how a run went from its own office (a driver's device uses the API):
arrived at school or completed, with the arrival time and the pupils carried, or cancelled with
the reason. Deciding that a run is not required, and correcting an outcome already recorded, are
the council control room's, so an operator is told to call it instead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement

from hts.operations.control import RUN_FILTERS
from hts.operations.models import Run, RunStatus

#: The outcomes an operator reports, in the order offered.
OPERATOR_OUTCOMES = (RunStatus.COMPLETED, RunStatus.ARRIVED, RunStatus.CANCELLED)
#: The operator's day list: filter -> (label, SQL condition).
OPERATOR_FILTERS: dict[str, tuple[str, ColumnElement[bool]]] = {
    "to_report": ("Still to report", Run.status.in_([RunStatus.SCHEDULED.value, RunStatus.UNDER_WAY.value])),
    "delivered": ("Delivered", RUN_FILTERS["delivered"][1]),
    "cancelled": ("Cancelled", RUN_FILTERS["cancelled"][1]),
    "not_required": ("Not required", RUN_FILTERS["not_required"][1]),
    "crew_missing": ("Crew missing", RUN_FILTERS["crew_missing"][1]),
}

_FINAL = (RunStatus.COMPLETED, RunStatus.CANCELLED, RunStatus.NOT_REQUIRED)


def operator_source(email: str) -> str:
    """The event source recorded for an outcome an operator's user reported on the web."""
    return f"operator: {email}"[:100]


def report_refusal(run: Run, today: dt.date) -> str | None:
    """Why an operator may not report this run's outcome now, or None when it may."""
    if run.run_on > today:
        return f"This run is on {run.run_on:%A %-d %B %Y}: report it on the day or after"
    if run.status == RunStatus.NOT_REQUIRED:
        return "The council stood this run down: no outcome is needed"
    if run.status in _FINAL:
        return (f"The run is already recorded as {run.status.value.replace('_', ' ')}: "
                "call the control room to correct it")
    return None
