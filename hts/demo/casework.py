"""The demo's calls, complaints, safeguarding cases and bus pass applications, drawn day by day.

Pure: each day draws from its own generator, and whether a case is closed yet depends only on
`today`, so re-running the demo later closes what has closed since.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hts.demo import terms

if TYPE_CHECKING:
    from hts.demo.history import RouteFacts

#: Generator stages (see hts.demo.history).
STAGE_CALLS, STAGE_COMPLAINTS, STAGE_SAFEGUARDING, STAGE_BUS_PASSES = 23, 24, 25, 26

#: About 600 calls a week; answered between 88% and 96% (less when busy).
CALLS_PER_DAY = 120
CALLS_BY_WEEKDAY = (1.15, 1.0, 1.0, 0.95, 0.9)
COMPLAINTS_PER_DAY = 0.7
COMPLAINT_RESPONSE_DAYS = 28
COMPLAINT_CATEGORIES = ("late arrival", "missed pickup", "driver conduct", "vehicle condition",
                        "communication", "route change")
SAFEGUARDING_PER_DAY = 0.3
SAFEGUARDING_CATEGORIES = ("pupil welfare concern", "driver conduct", "passenger assistant conduct",
                           "pupil left unattended", "injury on vehicle", "allegation against staff")
BUS_PASSES_PER_DAY = 22
#: Mean calendar days from a bus pass application to its assessment.
BUS_PASS_ASSESSMENT_DAYS = 18


def draw_calls(seed: int, day: dt.date) -> tuple[int, int]:
    """(received, answered) on the transport line: busier and less answered at term start."""
    rng = terms.day_rng(seed, STAGE_CALLS, day)
    busy = 1 + 0.8 * math.exp(-terms.term_day_index(day) / 4)
    received = int(rng.poisson(CALLS_PER_DAY * busy * CALLS_BY_WEEKDAY[day.weekday()]))
    rate = min(0.975, max(0.86, 0.935 - 0.06 * (busy - 1) + rng.normal(0, 0.012)))
    return received, round(received * rate)


def _closed_by(opened: dt.date, days: int, today: dt.date) -> dt.date | None:
    closed = opened + dt.timedelta(days=days)
    return closed if closed < today else None


def draw_complaints(seed: int, day: dt.date, today: dt.date, routes: Sequence[RouteFacts]) -> list[dict[str, object]]:
    """The complaints received on `day`: most answered within weeks, a few left open past their due date."""
    rng = terms.day_rng(seed, STAGE_COMPLAINTS, day)
    found = []
    for i in range(int(rng.poisson(COMPLAINTS_PER_DAY))):
        route = routes[int(rng.integers(len(routes)))]
        category = COMPLAINT_CATEGORIES[int(rng.integers(len(COMPLAINT_CATEGORIES)))]
        takes, stays_open = 2 + int(rng.integers(31)), rng.random() < 0.07
        found.append({
            "reference": f"CMP-{day:%Y%m%d}-{i + 1:02d}", "received_on": day, "category": category,
            "operator_id": route.operator_id, "route_id": route.id,
            "response_due_on": day + dt.timedelta(days=COMPLAINT_RESPONSE_DAYS),
            "closed_on": None if stays_open else _closed_by(day, takes, today),
        })
    return found


def draw_safeguarding(seed: int, day: dt.date, today: dt.date,
                      routes: Sequence[RouteFacts]) -> list[dict[str, object]]:
    """The safeguarding concerns raised on `day`, each closed some weeks later."""
    rng = terms.day_rng(seed, STAGE_SAFEGUARDING, day)
    found = []
    for i in range(int(rng.poisson(SAFEGUARDING_PER_DAY))):
        route = routes[int(rng.integers(len(routes)))]
        category = SAFEGUARDING_CATEGORIES[int(rng.integers(len(SAFEGUARDING_CATEGORIES)))]
        pupil = route.pupils[int(rng.integers(len(route.pupils)))] if route.pupils else None
        found.append({
            "reference": f"SG-{day:%Y%m%d}-{i + 1:02d}", "opened_on": day, "category": category,
            "route_id": route.id, "staff_id": route.pa_id or route.driver_id, "pupil_id": pupil,
            "closed_on": _closed_by(day, 5 + int(rng.integers(36)), today),
        })
    return found


def draw_bus_passes(seed: int, day: dt.date, today: dt.date) -> list[dict[str, object]]:
    """The bus pass applications received on `day`, assessed after a few weeks on average."""
    rng = terms.day_rng(seed, STAGE_BUS_PASSES, day)
    count = int(rng.poisson(BUS_PASSES_PER_DAY))
    delays = rng.exponential(BUS_PASS_ASSESSMENT_DAYS, count).tolist()
    return [{"reference": f"BP-{day:%Y%m%d}-{i + 1:03d}", "received_on": day,
             "assessed_on": _closed_by(day, max(1, int(delay)), today)} for i, delay in enumerate(delays)]
