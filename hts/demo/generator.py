"""The demo city, pure and deterministic: a seed in, the import files' rows out.

Every stage draws from its own generator seeded by (seed, stage), never global random state,
so the same seed gives byte-identical files and a change to one stage leaves the others alone.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hts.clock import local_today
from hts.demo.fleet import DemoDocument, Fleet, equip, make_documents
from hts.demo.geography import PostcodeTable, make_neighbourhoods, make_postcodes
from hts.demo.legacy import LegacyRoute, build_legacy_network
from hts.demo.people import (
    DemoOperator,
    DemoPupil,
    DemoSchool,
    Place,
    make_operators,
    make_pupils,
    make_schools,
    scaled,
)

DEFAULT_SEED = 2026
DEFAULT_PUPILS = 3500
MIN_PUPILS = 50
MAX_PUPILS = 10000
SCHOOLS_AT_DEFAULT = 110
OPERATORS_AT_DEFAULT = 40

#: Columns of each import kind (issue 2, "Imports"), in the order the files are loaded.
COLUMNS: dict[str, tuple[str, ...]] = {
    "postcodes": ("pcds", "lat", "long"),
    "schools": ("urn", "name", "postcode", "latitude", "longitude", "start_time", "finish_time"),
    "pupils": ("pupil_ref", "first_name", "last_name", "date_of_birth", "school_urn", "address",
               "postcode", "latitude", "longitude", "wheelchair", "passenger_assistant", "solo",
               "max_ride_minutes", "travel_days", "alt_address", "alt_postcode", "alt_latitude",
               "alt_longitude", "alt_days"),
    "operators": ("operator_ref", "name", "contact_email", "depot_postcode", "depot_latitude",
                  "depot_longitude"),
    "staff": ("staff_ref", "operator_ref", "role", "first_name", "last_name", "date_of_birth"),
    "vehicles": ("registration", "operator_ref", "vehicle_type", "seats", "wheelchair_spaces"),
    "documents": ("holder_type", "holder_ref", "document_type", "reference", "issued_on",
                  "expires_on", "status"),
    "routes": ("route_code", "session", "school_urn", "operator_ref", "vehicle_registration",
               "driver_ref", "pa_ref", "daily_price", "pupil_refs"),
}
LOAD_ORDER = tuple(COLUMNS)


@dataclass
class DemoCity:
    """Everything the demo loads, as plain values."""

    seed: int
    today: dt.date
    postcodes: PostcodeTable
    schools: list[DemoSchool]
    pupils: list[DemoPupil]
    operators: list[DemoOperator]
    routes: list[LegacyRoute]
    fleet: Fleet
    documents: list[DemoDocument]
    lapsed_operator_ref: str
    #: The operator whose staff get the demo operator account.
    account_operator_ref: str

    def rows(self, kind: str) -> list[tuple[str, ...]]:
        """The rows of one import file, as text in COLUMNS order."""
        return _ROW_MAKERS[kind](self)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _coords(place: Place) -> tuple[str, str]:
    if place.blank_location:
        return "", ""
    return f"{place.latitude:.6f}", f"{place.longitude:.6f}"


def _postcode_rows(city: DemoCity) -> list[tuple[str, ...]]:
    table = city.postcodes
    return [(code, f"{lat:.6f}", f"{lon:.6f}")
            for code, lat, lon in zip(table.codes, table.latitude.tolist(), table.longitude.tolist(),
                                      strict=True)]


def _school_rows(city: DemoCity) -> list[tuple[str, ...]]:
    return [(s.urn, s.name, s.place.postcode, *_coords(s.place), s.start_time.strftime("%H:%M"),
             s.finish_time.strftime("%H:%M")) for s in city.schools]


def _pupil_rows(city: DemoCity) -> list[tuple[str, ...]]:
    rows = []
    for p in city.pupils:
        second: tuple[str, ...] = ("", "", "", "", "")
        if p.second_home is not None:
            second = (p.second_home.address, p.second_home.postcode, *_coords(p.second_home),
                      p.second_home_days)
        rows.append((
            p.pupil_ref, p.first_name, p.last_name, p.date_of_birth.isoformat(), p.school_urn,
            p.home.address, p.home.postcode, *_coords(p.home), _yes(p.wheelchair),
            _yes(p.passenger_assistant), _yes(p.solo),
            "" if p.max_ride_minutes is None else str(p.max_ride_minutes), p.travel_days, *second,
        ))
    return rows


def _operator_rows(city: DemoCity) -> list[tuple[str, ...]]:
    return [(o.operator_ref, o.name, o.contact_email, o.depot.postcode, *_coords(o.depot))
            for o in city.operators]


def _staff_rows(city: DemoCity) -> list[tuple[str, ...]]:
    return [(s.staff_ref, s.operator_ref, s.role, s.first_name, s.last_name,
             s.date_of_birth.isoformat()) for s in city.fleet.staff]


def _vehicle_rows(city: DemoCity) -> list[tuple[str, ...]]:
    return [(v.registration, v.operator_ref, v.spec.vehicle_type, str(v.spec.seats),
             str(v.spec.wheelchair_spaces)) for v in city.fleet.vehicles]


def _document_rows(city: DemoCity) -> list[tuple[str, ...]]:
    return [(d.holder_type, d.holder_ref, d.document_type, d.reference,
             d.issued_on.isoformat() if d.issued_on else "",
             d.expires_on.isoformat() if d.expires_on else "", d.status) for d in city.documents]


def route_code(route: LegacyRoute, session: str) -> str:
    """The published code of a legacy route: school URN, session and number (e.g. 104512-AM03)."""
    return f"{route.school.urn}-{session.upper()}{route.number:02d}"


def _route_rows(city: DemoCity) -> list[tuple[str, ...]]:
    rows = []
    for session in ("am", "pm"):
        for route, crew in zip(city.routes, city.fleet.crews, strict=True):
            # The afternoon run drops off in the reverse of the morning's pickup order.
            order = route.pupils if session == "am" else tuple(reversed(route.pupils))
            rows.append((
                route_code(route, session), session, route.school.urn, route.operator_ref,
                crew.registration, crew.driver_ref, crew.pa_ref or "",
                f"{route.price_pence / 100:.2f}", " ".join(p.pupil_ref for p in order),
            ))
    return rows


_ROW_MAKERS = {
    "postcodes": _postcode_rows, "schools": _school_rows, "pupils": _pupil_rows,
    "operators": _operator_rows, "staff": _staff_rows, "vehicles": _vehicle_rows,
    "documents": _document_rows, "routes": _route_rows,
}


def _stage(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, stage])


def generate(seed: int = DEFAULT_SEED, pupils: int = DEFAULT_PUPILS,
             today: dt.date | None = None) -> DemoCity:
    """Build the demo city for a seed; `pupils` scales schools, operators and fleet with it."""
    if not MIN_PUPILS <= pupils <= MAX_PUPILS:
        raise ValueError(f"the demo city needs between {MIN_PUPILS} and {MAX_PUPILS} pupils")
    today = today or local_today()
    neighbourhoods = make_neighbourhoods(_stage(seed, 1))
    postcodes = make_postcodes(_stage(seed, 2))
    schools = make_schools(_stage(seed, 3), scaled(SCHOOLS_AT_DEFAULT, pupils, DEFAULT_PUPILS, 3),
                           postcodes, neighbourhoods)
    children = make_pupils(_stage(seed, 4), pupils, schools, postcodes, neighbourhoods, today)
    operators = make_operators(_stage(seed, 5),
                               scaled(OPERATORS_AT_DEFAULT, pupils, DEFAULT_PUPILS, 3), postcodes)
    routes = build_legacy_network(_stage(seed, 6), schools, children, operators, today)
    fleet = equip(_stage(seed, 7), routes, operators, today)
    route_counts = Counter(r.operator_ref for r in routes)
    # The operator account belongs to the busiest operator, so its pages have plenty to show;
    # the lapsed operator is another that runs routes (so some routes are at risk).
    account = min(operators, key=lambda o: (-route_counts[o.operator_ref], o.operator_ref)).operator_ref
    candidates = [ref for ref in sorted(route_counts) if ref != account] or \
        [o.operator_ref for o in operators if o.operator_ref != account]
    lapsed = candidates[int(_stage(seed, 8).integers(len(candidates)))]
    documents = make_documents(_stage(seed, 9), operators, fleet, today, lapsed)
    return DemoCity(
        seed=seed, today=today, postcodes=postcodes, schools=schools, pupils=children,
        operators=operators, routes=routes, fleet=fleet, documents=documents,
        lapsed_operator_ref=lapsed, account_operator_ref=account,
    )


def write_files(city: DemoCity, folder: Path) -> dict[str, Path]:
    """Write one UTF-8 CSV per import kind into `folder`; returns the paths in load order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in LOAD_ORDER:
        path = folder / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS[kind])
            writer.writerows(city.rows(kind))
        paths[kind] = path
    return paths
