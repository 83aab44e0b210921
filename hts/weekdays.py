"""School weekdays as a small bit mask (Mon=1 ... Sun=64), parsed from and written as text."""

from __future__ import annotations

import datetime as dt

NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SCHOOL_DAYS = 0b0011111  # Monday to Friday
ALL_DAYS = 0b1111111

_ALIASES = {name.lower(): i for i, name in enumerate(NAMES)}
_ALIASES.update(
    {
        "monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thur": 3,
        "thurs": 3, "friday": 4, "saturday": 5, "sunday": 6,
    }
)


def parse(text: str | None) -> int:
    """Parse 'Mon Tue Fri' (spaces, commas or slashes) into a mask; blank means every school day.

    Raises ValueError naming the word it could not read.
    """
    if text is None or not text.strip():
        return SCHOOL_DAYS
    mask = 0
    for word in text.replace(",", " ").replace("/", " ").replace(";", " ").split():
        index = _ALIASES.get(word.strip().lower())
        if index is None:
            raise ValueError(f"'{word}' is not a weekday (use Mon Tue Wed Thu Fri)")
        mask |= 1 << index
    return mask


def parse_one(text: str) -> int:
    """One weekday name ('mon', 'Monday') as its number, Monday=0; raises ValueError."""
    index = _ALIASES.get(text.strip().lower())
    if index is None:
        raise ValueError(f"'{text}' is not a weekday (use Mon Tue Wed Thu Fri)")
    return index


def format_mask(mask: int) -> str:
    """'Mon Tue Wed Thu Fri' for a mask."""
    return " ".join(name for i, name in enumerate(NAMES) if mask & (1 << i))


def bit(day: dt.date | int) -> int:
    """The mask bit of a date or of a weekday number (Monday=0)."""
    index = day.weekday() if isinstance(day, dt.date) else day
    return 1 << index


def includes(mask: int, day: dt.date | int) -> bool:
    """Whether the mask includes the date's weekday."""
    return bool(mask & bit(day))


def weekdays_between(starts_on: dt.date, ends_on: dt.date) -> list[dt.date]:
    """Monday-to-Friday dates from `starts_on` to `ends_on`, both included."""
    days = (starts_on + dt.timedelta(days=n) for n in range((ends_on - starts_on).days + 1))
    return [day for day in days if day.weekday() < 5]
