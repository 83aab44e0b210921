"""The service's calendar: dates are England's (Europe/London), whatever the server's time zone.

School days, document expiry, run days and the scheduler's jobs are all counted in England, so
every "today" comes from here; `datetime.date.today()` would follow the server's zone and give
yesterday between midnight and 1 a.m. in summer on a server kept on UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_today() -> dt.date:
    """Today's date in England."""
    return dt.datetime.now(LONDON).date()
