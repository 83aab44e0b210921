"""Route snapshots and rule contexts for the workbench tests, without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hts.routing.feasibility import (
    ArrivalWindow,
    CheckContext,
    PupilFacts,
    SchoolFacts,
    VehicleFacts,
)
from hts.routing.matrix import HaversineProvider, Point
from hts.routing.planning import VehicleTypeSetting
from hts.routing.timing import TimingSettings

SCHOOL_ID = 1
SCHOOL = SchoolFacts(SCHOOL_ID, "Oakfield Academy", Point(52.48, -1.90), dt.time(9, 0), dt.time(15, 15))
KM_LAT = 1 / 111.2
KM_LON = 1 / 67.7
WINDOW = ArrivalWindow(30, 5)
TIMING = TimingSettings(10, 120, 600)
TYPES = {
    "car": VehicleTypeSetting("car", 4, 0, 9500),
    "mpv": VehicleTypeSetting("mpv", 6, 0, 12000),
    "wav": VehicleTypeSetting("wav", 4, 1, 16000),
    "minibus": VehicleTypeSetting("minibus", 14, 1, 21000),
}


def north(km: float, east: float = 0.0) -> tuple[float, float]:
    """(latitude, longitude) this many km north (and east) of the school."""
    return SCHOOL.point.latitude + km * KM_LAT, SCHOOL.point.longitude + east * KM_LON


def pupil(pid: int, **kw: Any) -> PupilFacts:
    """A walk-on pupil of the school, reference P000<id>, 45-minute limit."""
    values: dict[str, Any] = dict(id=pid, ref=f"P{pid:05d}", school_id=SCHOOL_ID, limit_minutes=45)
    values.update(kw)
    return PupilFacts(**values)


def stop(pupils: list[int], km: float, east: float = 0.0, kind: str = "pickup") -> dict[str, Any]:
    """A pupil stop `km` north of the school."""
    lat, lng = north(km, east)
    return {"kind": kind, "latitude": lat, "longitude": lng, "time": "08:00", "school_id": None,
            "pupil_ids": list(pupils)}


def school_stop(school: SchoolFacts = SCHOOL) -> dict[str, Any]:
    """A school's stop (SCHOOL's unless another is given)."""
    return {"kind": "school", "latitude": school.point.latitude, "longitude": school.point.longitude,
            "time": "08:50", "school_id": school.id, "pupil_ids": []}


def route(code: str, homes: list[dict[str, Any]], session: str = "am", **kw: Any) -> dict[str, Any]:
    """A route snapshot of the school with these pupil stops, planned as a car."""
    stops = [*homes, school_stop()] if session == "am" else [school_stop(), *homes]
    if session == "pm":
        stops = [{**s, "kind": "dropoff"} if s["kind"] == "pickup" else s for s in stops]
    values: dict[str, Any] = {
        "route_code": code, "session": session, "school_id": SCHOOL_ID, "days": 31, "operator_id": None,
        "vehicle_id": None, "vehicle_type": "car", "driver_id": None, "pa_id": None,
        "daily_price_pence": 9500, "distance_metres": 0, "stops": stops,
    }
    values.update(kw)
    return values


def context(pupils: list[PupilFacts], *, incompatible: frozenset[tuple[int, int]] = frozenset(),
            vehicles: dict[int, VehicleFacts] | None = None,
            crew_problems: dict[Any, tuple[str, ...]] | None = None,
            window: ArrivalWindow = WINDOW,
            timing: TimingSettings = TIMING,
            schools: tuple[SchoolFacts, ...] = (),
            share_within_metres: int = 0) -> CheckContext:
    """A rule context over these pupils, with the default vehicle types and a straight-line travel model;
    `schools` are more schools besides SCHOOL (nearby ones that may share vehicles)."""
    return CheckContext(
        schools={s.id: s for s in (SCHOOL, *schools)}, pupils={p.id: p for p in pupils}, incompatible=incompatible,
        vehicles=vehicles or {}, vehicle_types=TYPES, crew_problems=crew_problems or {}, timing=timing,
        window=window, provider=HaversineProvider(1.3, 25.0), share_within_metres=share_within_metres,
    )
