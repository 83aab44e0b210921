"""Reading one row's cells into typed values, collecting every problem instead of stopping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TypeVar

from hts import weekdays
from hts.imports import fields
from hts.imports.reader import Row
from hts.imports.report import Problem
from hts.people.geocoding import Geocoder, GeocodingError

T = TypeVar("T")


class Cells:
    """A row's cells with typed getters; each bad cell adds a Problem and gives None."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.problems: list[Problem] = []

    @property
    def line(self) -> int:
        """The row's line in the file."""
        return self.row.line

    def problem(self, column: str, message: str) -> None:
        """Record a problem with a cell of this row."""
        self.problems.append(Problem(self.row.line, column, message))

    def raw(self, column: str) -> str:
        """The trimmed text of a cell."""
        return self.row.get(column)

    def parse(self, column: str, parse: Callable[[str], T], required: bool) -> T | None:
        """Parse a cell with `parse`; a blank required cell or a ValueError adds a Problem."""
        text = self.row.get(column)
        if not text:
            if required:
                self.problem(column, "is blank: a value is required")
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.problem(column, str(exc))
            return None

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str | None:
        """Text, at most `max_length` characters."""
        value = self.parse(column, lambda t: t, required)
        if value is not None and len(value) > max_length:
            self.problem(column, f"is {len(value)} characters long: at most {max_length}")
            return None
        return value

    def yes_no(self, column: str) -> bool:
        """A yes/no cell; blank is no (a bad value is reported and read as no)."""
        return bool(self.parse(column, fields.yes_no, False))

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        """A date cell."""
        return self.parse(column, fields.date, required)

    def time(self, column: str, *, required: bool = False) -> dt.time | None:
        """An HH:MM cell."""
        return self.parse(column, fields.time, required)

    def integer(self, column: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        """A whole number, at least `minimum`."""
        return self.parse(column, lambda t: fields.integer(t, minimum=minimum), required)

    def pence(self, column: str) -> int | None:
        """An amount in pounds as pence."""
        return self.parse(column, fields.pounds_to_pence, False)

    def days(self, column: str) -> int | None:
        """Weekdays ('Mon Tue'); blank gives None so callers choose the default."""
        return self.parse(column, weekdays.parse, False)

    def postcode(self, column: str, *, required: bool = False) -> str | None:
        """A UK postcode, normalised."""
        return self.parse(column, fields.postcode, required)

    def choice(self, column: str, choices: Iterable[str], *, required: bool = False,
               what: str = "value", lower: bool = True) -> str | None:
        """One of a fixed set of words."""
        allowed = list(choices)
        text = self.row.get(column)
        if not text:
            if required:
                self.problem(column, "is blank: a value is required")
            return None
        value = text.lower() if lower else text.upper()
        if value not in allowed:
            shown = ", ".join(allowed) if len(allowed) <= 8 else ", ".join(allowed[:8]) + ", ..."
            self.problem(column, f"'{text}' is not a known {what} (use one of: {shown})")
            return None
        return value

    def location(self, postcode: str | None, lat_column: str, lon_column: str,
                 geocoder: Geocoder | None, *, postcode_column: str, address: str | None = None
                 ) -> tuple[float, float, str] | None:
        """(latitude, longitude, source) from the file or, when blank, from the geocoder."""
        lat_text, lon_text = self.row.get(lat_column), self.row.get(lon_column)
        if lat_text or lon_text:
            if not (lat_text and lon_text):
                missing = lon_column if lat_text else lat_column
                self.problem(missing, f"is blank: give both {lat_column} and {lon_column}, or neither")
                return None
            latitude = self.parse(lat_column, lambda t: fields.coordinate(t, "latitude"), True)
            longitude = self.parse(lon_column, lambda t: fields.coordinate(t, "longitude"), True)
            if latitude is None or longitude is None:
                return None
            if not fields.in_uk(latitude, longitude):
                self.problem(lat_column, f"the location {latitude}, {longitude} is outside the UK")
                return None
            return latitude, longitude, "file"
        if postcode is None:
            return None  # the postcode itself is already reported
        if geocoder is None:
            self.problem(postcode_column, "latitude and longitude are blank and no geocoder is set up")
            return None
        try:
            found = geocoder.locate(postcode, address)
        except GeocodingError as exc:
            self.problem(postcode_column, f"could not geocode {postcode}: {exc}")
            return None
        if found is None:
            hint = (" (load the ONS postcode file with `hts import postcodes`)"
                    if geocoder.name == "postcodes" else "")
            self.problem(postcode_column, f"unresolvable postcode: {postcode} was not found by the "
                         f"{geocoder.name} geocoder{hint}; give latitude and longitude instead")
            return None
        if not fields.in_uk(*found):
            self.problem(postcode_column, f"{postcode} geocoded to {found[0]}, {found[1]}, outside the UK")
            return None
        return found[0], found[1], geocoder.name
