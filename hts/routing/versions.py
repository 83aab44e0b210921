"""Route versions: a route as plain data (a snapshot), and which version is in force on a day.

The `Route` row is the version in force today; `RouteVersion` keeps every published version
with the day it takes effect, so a change published for next Monday leaves today's route alone
and Monday's runs use the new one. A snapshot is JSON-ready:

    {"route_code", "session", "school_id", "days", "operator_id", "vehicle_id", "vehicle_type",
     "driver_id", "pa_id", "daily_price_pence", "distance_metres",
     "stops": [{"kind", "latitude", "longitude", "time" (HH:MM), "school_id", "pupil_ids"}]}

A withdrawal is the snapshot {"withdrawn": true}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hts.people.models import Pupil
from hts.routing.models import Route, RouteStop, RouteVersion, StopKind

WITHDRAWN: dict[str, Any] = {"withdrawn": True}

#: The fields of a snapshot copied one to one from the route's columns.
ROUTE_FIELDS = ("route_code", "school_id", "days", "operator_id", "vehicle_id", "vehicle_type",
                "driver_id", "pa_id", "daily_price_pence", "distance_metres")


def snapshot_of(route: Route) -> dict[str, Any]:
    """The route as it stands, as plain data."""
    data: dict[str, Any] = {name: getattr(route, name) for name in ROUTE_FIELDS}
    data["session"] = str(route.session)
    data["stops"] = [
        {"kind": str(stop.kind), "latitude": stop.latitude, "longitude": stop.longitude,
         "time": stop.planned_time.strftime("%H:%M"), "school_id": stop.school_id,
         "pupil_ids": sorted(p.id for p in stop.pupils)}
        for stop in route.stops
    ]
    return data


#: The crew of a route: what the compliance gate assigns (hts.compliance.gates.assign).
CREW_FIELDS = ("operator_id", "vehicle_id", "driver_id", "pa_id")


def carry_crew_forward(session: Session, route: Route, old_crew: dict[str, int | None]) -> list[RouteVersion]:
    """Record a crew change made to the route in force today as its next version, before any
    version already published for a later date; returns those later versions.

    The crew change takes the route's next number, so each later version moves up one (a draft
    made from one of them is then out of date, and publishing it is refused until it is redrawn
    with the new crew). Each later version also takes the new crew field by field wherever it
    still had the old one, so when it comes into force it does not put back crew the gate
    replaced, while a change of operator it publishes on purpose is kept.
    """
    later = list(session.scalars(
        select(RouteVersion).where(RouteVersion.route_id == route.id, RouteVersion.version > route.version)
        .order_by(RouteVersion.version.desc())))
    for version in later:  # highest first, flushing each, so no two share a number on the way
        version.version += 1
        if not is_withdrawal(version.snapshot):
            snapshot = dict(version.snapshot)
            for name in CREW_FIELDS:
                if snapshot.get(name) == old_crew[name]:
                    snapshot[name] = getattr(route, name)
            version.snapshot = snapshot  # a new dict, so the JSON column is written
        session.flush()
    route.version += 1
    session.flush()
    return later


def is_withdrawal(snapshot: dict[str, Any]) -> bool:
    """Whether the snapshot withdraws the route."""
    return bool(snapshot.get("withdrawn"))


def parse_time(text: str) -> dt.time:
    """A stop time from 'HH:MM' (or 'HH:MM:SS')."""
    return dt.time.fromisoformat(text)


def snapshot_pupil_ids(snapshot: dict[str, Any]) -> list[int]:
    """The pupils on a snapshot, in stop order."""
    return [pid for stop in snapshot.get("stops", []) for pid in stop.get("pupil_ids", [])]


def apply_snapshot(session: Session, route: Route, snapshot: dict[str, Any], *, day: dt.date) -> None:
    """Make the route match the snapshot (or withdraw it from `day`)."""
    if is_withdrawal(snapshot):
        route.withdrawn_on = day
        return
    for name in ROUTE_FIELDS:
        if name in snapshot:
            setattr(route, name, snapshot[name])
    ids = snapshot_pupil_ids(snapshot)
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(ids)))} if ids else {}
    route.stops.clear()
    session.flush()  # the old stops go before new ones take their sequence numbers
    route.stops.extend(
        RouteStop(sequence=sequence, kind=StopKind(stop["kind"]), school_id=stop.get("school_id"),
                  latitude=float(stop["latitude"]), longitude=float(stop["longitude"]),
                  planned_time=parse_time(stop["time"]),
                  pupils=[pupils[pid] for pid in stop.get("pupil_ids", []) if pid in pupils])
        for sequence, stop in enumerate(snapshot["stops"], start=1)
    )


def ensure_baseline(session: Session, route: Route, *, before: dt.date) -> RouteVersion:
    """The route's current version as a stored version, recorded the first time it is needed.

    Routes loaded by import or promoted from a plan start without a stored version; the first
    change to them records what they were, so history shows every version. It is dated from the
    route's publication, and at the latest the day before `before` (the change's first day), so
    a change taking effect on the day the route was loaded still comes after it.
    """
    existing = session.scalar(select(RouteVersion).where(
        RouteVersion.route_id == route.id, RouteVersion.version == route.version))
    if existing is not None:
        return existing
    baseline = RouteVersion(
        route_id=route.id, version=route.version, snapshot=snapshot_of(route),
        effective_from=min(route.starts_on or route.published_at.date(), before - dt.timedelta(days=1)),
        published_at=route.published_at,
        published_by="as loaded",
    )
    session.add(baseline)
    session.flush()
    return baseline


def latest_version(session: Session, route: Route) -> int:
    """The newest published version number, which may take effect in the future."""
    stored = session.scalar(select(func.max(RouteVersion.version)).where(RouteVersion.route_id == route.id))
    return max(route.version, stored or 0)


def latest_snapshot(session: Session, route: Route) -> tuple[int, dict[str, Any]]:
    """The newest published version and its snapshot: what an edit starts from."""
    newest = session.scalar(select(RouteVersion).where(RouteVersion.route_id == route.id)
                            .order_by(RouteVersion.version.desc()).limit(1))
    if newest is not None and newest.version > route.version and not is_withdrawal(newest.snapshot):
        return newest.version, dict(newest.snapshot)
    return route.version, snapshot_of(route)


def pending_version(session: Session, route_id: int, day: dt.date) -> RouteVersion | None:
    """The stored version in force on `day` when it is newer than the route's current one."""
    version = session.scalar(
        select(RouteVersion).where(RouteVersion.route_id == route_id, RouteVersion.effective_from <= day)
        .order_by(RouteVersion.effective_from.desc()).limit(1))
    route_version = session.scalar(select(Route.version).where(Route.id == route_id))
    if version is None or route_version is None or version.version <= route_version:
        return None
    return version


def in_force(session: Session, route: Route, day: dt.date) -> dict[str, Any]:
    """The snapshot of the route in force on `day` (its current one unless a newer one applies)."""
    pending = pending_version(session, route.id, day)
    return dict(pending.snapshot) if pending is not None else snapshot_of(route)


def apply_due_versions(session: Session, today: dt.date) -> list[str]:
    """Bring every route up to the version in force today; the route codes changed.

    Idempotent: the daily job, publication and run generation all call it.
    """
    due = session.execute(
        select(RouteVersion.route_id, func.max(RouteVersion.version))
        .join(Route, Route.id == RouteVersion.route_id)
        .where(RouteVersion.effective_from <= today, RouteVersion.version > Route.version)
        .group_by(RouteVersion.route_id)
    ).all()
    changed = []
    for route_id, number in due:
        route = session.get(Route, route_id)
        version = session.scalar(select(RouteVersion).where(
            RouteVersion.route_id == route_id, RouteVersion.version == number))
        if route is None or version is None:
            continue
        apply_snapshot(session, route, version.snapshot, day=version.effective_from)
        route.version = number
        changed.append(route.route_code)
    session.flush()
    return changed
