"""Parsing of the cell formats every import shares: yes/no, dates, times, numbers, postcodes.

Each parser takes stripped text and returns the value or raises ValueError with a message that
says what was wrong and what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})

#: A box around Great Britain and Northern Ireland (with Scilly, Shetland and St Kilda).
UK_LATITUDE = (49.8, 60.95)
UK_LONGITUDE = (-8.7, 1.8)

# Outward code, optional space, inward code; plus the special GIR 0AA (BS 7666 shape).
_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")


def yes_no(text: str) -> bool:
    """yes/no/y/n/true/false/1/0 (any case); blank is no."""
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"'{text}' is not yes or no (use yes, no, y, n, true, false, 1 or 0)")


def date(text: str) -> dt.date:
    """YYYY-MM-DD or DD/MM/YYYY."""
    value = text.strip()
    match = _DMY.match(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        if re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def time(text: str) -> dt.time:
    """HH:MM in the 24-hour clock (a trailing ':00' from spreadsheets is accepted)."""
    match = _HHMM.match(text.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValueError(f"'{text}' is not a time (use HH:MM, e.g. 08:45)")


def integer(text: str, *, minimum: int | None = None) -> int:
    """A whole number, at least `minimum` when given."""
    value = text.strip()
    try:
        number = int(value)
    except ValueError:
        # Spreadsheets write whole numbers as '4.0'.
        try:
            as_float = float(value)
        except ValueError:
            raise ValueError(f"'{text}' is not a whole number") from None
        if not as_float.is_integer():
            raise ValueError(f"'{text}' is not a whole number") from None
        number = int(as_float)
    if minimum is not None and number < minimum:
        raise ValueError(f"{number} is too small: it must be at least {minimum}")
    return number


def pounds_to_pence(text: str) -> int:
    """An amount in pounds ('123.45', '£123.45', '1,234') as whole pence, not negative."""
    value = text.strip().lstrip("£").replace(",", "")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount in pounds (e.g. 123.45)") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"'{text}' is not an amount in pounds (e.g. 123.45)")
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise ValueError(f"'{text}' has fractions of a penny")
    return int(pence)


def pence_to_pounds(pence: int) -> str:
    """Whole pence written as pounds with two decimals ('123.45')."""
    return f"{pence // 100}.{pence % 100:02d}"


def postcode(text: str) -> str:
    """A UK postcode, normalised to upper case with one space before the inward code."""
    compact = re.sub(r"\s+", "", text).upper()
    if not _POSTCODE.match(compact):
        raise ValueError(f"'{text}' is not a UK postcode (e.g. B1 1AA or SW1A 2AA)")
    return f"{compact[:-3]} {compact[-3:]}"


def registration(text: str) -> str:
    """A vehicle registration in upper case with single spaces ('ab12  cde' -> 'AB12 CDE')."""
    return " ".join(text.upper().split())


def coordinate(text: str, name: str) -> float:
    """A latitude or longitude in decimal degrees."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a {name} in decimal degrees (e.g. 52.4862)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"'{text}' is not a {name} in decimal degrees (e.g. 52.4862)")
    return value


def in_uk(latitude: float, longitude: float) -> bool:
    """Whether a point lies in the box around Great Britain and Northern Ireland."""
    return (UK_LATITUDE[0] <= latitude <= UK_LATITUDE[1]
            and UK_LONGITUDE[0] <= longitude <= UK_LONGITUDE[1])


def number_text(value: float) -> str:
    """A float written so that reading it back gives the same float."""
    return repr(float(value))
