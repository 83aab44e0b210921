"""The planner's workbench as a service: a school's routes with their checks, and hand edits
saved to a draft change request (through hts.routing.changes). Services flush; views commit.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts.auth.models import User
from hts.people.models import Pupil, School
from hts.routing import changes, edits, versions
from hts.routing.feasibility import (
    MatrixCache,
    RouteCheck,
    evaluate,
    load_context,
    snapshot_points,
    vehicle_types_of,
)
from hts.routing.feasibility_context import school_ids_of
from hts.routing.insertion import Candidate, InsertionResult, cheapest_insertions
from hts.routing.models import ChangeAction, ChangeRequest, Route, RouteChange, RouteStop, serving

#: Route colours on the map (dark enough for white numbers); the key letter carries the meaning too.
COLOURS = 8


def route_key(index: int) -> str:
    """A, B, ... Z, AA, AB ...: the letter a route's markers carry on the map."""
    letters = string.ascii_uppercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


@dataclass
class RouteRow:
    """A published route as the workbench shows it: its newest version checked and re-timed."""

    route: Route
    version: int
    snapshot: dict[str, Any]
    check: RouteCheck
    key: str
    colour: int
    open_item: RouteChange | None


def published_routes(session: Session, school_id: int, session_name: str) -> list[Route]:
    """The school's routes of a session that are running (not withdrawn), by code: its own, and
    those of a nearby school that stop there on the way (schools sharing a vehicle)."""
    return list(session.scalars(
        select(Route).where(serving([school_id]), Route.session == session_name, Route.withdrawn_on.is_(None))
        .options(selectinload(Route.stops).selectinload(RouteStop.pupils), selectinload(Route.vehicle),
                 selectinload(Route.driver), selectinload(Route.pa))
        .order_by(Route.route_code)))


def open_items(session: Session, route_ids: Sequence[int]) -> dict[int, RouteChange]:
    """The open change request item holding each route, if any."""
    if not route_ids:
        return {}
    keys = [f"route:{route_id}" for route_id in route_ids]
    items = session.scalars(select(RouteChange).where(RouteChange.open_key.in_(keys))
                            .options(selectinload(RouteChange.change)))
    return {item.route_id: item for item in items if item.route_id is not None}


def route_rows(session: Session, school_id: int, session_name: str, *, today: dt.date,
               config: Mapping[str, Any]) -> list[RouteRow]:
    """Every running route of the school and session, checked with one shared context."""
    routes = published_routes(session, school_id, session_name)
    drawn = [versions.latest_snapshot(session, route) for route in routes]
    context = load_context(session, [s for _, s in drawn], today=today, config=config)
    if isinstance(context.provider, MatrixCache):
        context.provider.prime([p for _, s in drawn for p in snapshot_points(s)])
    held = open_items(session, [route.id for route in routes])
    return [RouteRow(route, version, snapshot, evaluate(snapshot, context), route_key(i), i % COLOURS,
                     held.get(route.id))
            for i, (route, (version, snapshot)) in enumerate(zip(routes, drawn, strict=True))]


def unrouted_pupils(session: Session, school: School, session_name: str, rows: Sequence[RouteRow]) -> list[Pupil]:
    """Pupils of the school on none of its routes of the session (they may need adding)."""
    on_routes = {pid for row in rows for pid in versions.snapshot_pupil_ids(row.snapshot)}
    pupils = session.scalars(select(Pupil).where(Pupil.school_id == school.id)
                             .options(selectinload(Pupil.addresses)).order_by(Pupil.pupil_ref))
    return [pupil for pupil in pupils if pupil.id not in on_routes]


def map_data(rows: Sequence[tuple[str, int, Mapping[str, Any], RouteCheck]], school: School,
             homes: Sequence[Pupil] = (), school_names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """What workbench.js draws: each route's stops in order, the school, and pupils not on a route.

    A route's `path` runs through every stop in travel order, school stops included, so a
    vehicle shared with a nearby school is drawn by way of that school; each such other school
    comes in `schools`, labelled with its name from `school_names` and the time of the stop.
    """
    names = school_names or {}
    routes = []
    for key, colour, snapshot, check in rows:
        code = snapshot["route_code"]
        stops: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        path: list[list[float]] = []
        for stop in check.stops:
            path.append([stop["latitude"], stop["longitude"]])
            if stop.get("kind") == "school":
                school_id = stop.get("school_id")
                if school_id is not None and int(school_id) != school.id:
                    name = names.get(int(school_id), "another school")
                    others.append({"lat": stop["latitude"], "lng": stop["longitude"],
                                   "label": f"Route {code} also stops at {name} at {stop.get('time', '')}"})
                continue
            count = len(stop.get("pupil_ids", []))
            number = len(stops) + 1
            stops.append({"lat": stop["latitude"], "lng": stop["longitude"], "number": number,
                          "label": f"Route {code}, stop {number} at {stop.get('time', '')}: "
                                   f"{count} pupil{'s' if count != 1 else ''}"})
        routes.append({"code": code, "key": key, "colour": colour, "stops": stops, "path": path,
                       "schools": others})
    loose = []
    for pupil in homes:
        address = pupil.address_on(0)
        if address is not None:
            loose.append({"lat": address.latitude, "lng": address.longitude,
                          "label": f"Home of pupil {pupil.pupil_ref}, not on a route"})
    return {"school": {"lat": school.latitude, "lng": school.longitude, "label": school.name},
            "routes": routes, "homes": loose}


def school_names(session: Session, snapshots: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """The names of the schools these route snapshots stop at (for the map's labels)."""
    ids = {school_id for snapshot in snapshots for school_id in school_ids_of(snapshot)}
    if not ids:
        return {}
    return {school_id: name for school_id, name in
            session.execute(select(School.id, School.name).where(School.id.in_(ids)))}


# --- editing a draft --------------------------------------------------------------------------

@dataclass
class Target:
    """Another route a pupil can move to or merge with: in this change (an item) or published."""

    value: str
    code: str
    snapshot: dict[str, Any]
    item: RouteChange | None
    route: Route | None
    held_by: RouteChange | None = None


def targets(session: Session, change: ChangeRequest, item: RouteChange) -> list[Target]:
    """The other routes of the item's school and session, as this change would leave them."""
    proposed = item.proposed or {}
    out: list[Target] = []
    in_change = {i.route_id: i for i in change.items if i.route_id is not None}
    for other in change.items:
        if other.id != item.id and other.route_id is None and other.proposed \
                and other.proposed.get("school_id") == proposed.get("school_id") \
                and other.proposed.get("session") == proposed.get("session"):
            out.append(Target(f"item-{other.id}", other.route_code, other.proposed, other, None))
    routes = published_routes(session, int(proposed.get("school_id") or 0), str(proposed.get("session")))
    held = open_items(session, [r.id for r in routes])
    for route in routes:
        if route.id == item.route_id:
            continue
        mine = in_change.get(route.id)
        if mine is not None:
            if mine.action != ChangeAction.WITHDRAW and mine.proposed:
                out.append(Target(f"item-{mine.id}", route.route_code, mine.proposed, mine, route))
            continue
        out.append(Target(f"route-{route.id}", route.route_code, versions.latest_snapshot(session, route)[1],
                          None, route, held.get(route.id)))
    return sorted(out, key=lambda t: t.code)


def suggested_code(session: Session, code: str) -> str:
    """A free route code for the second half of a split: CODE-2, CODE-3, ..."""
    n = 2
    while session.scalar(select(Route.id).where(Route.route_code == f"{code}-{n}")) is not None or \
            session.scalar(select(RouteChange.id).where(RouteChange.open_key == f"code:{code}-{n}")) is not None:
        n += 1
    return f"{code}-{n}"


def check_day(change: ChangeRequest, today: dt.date) -> dt.date:
    """The day the checks are made for: the change's effective date (today if that has passed)."""
    return max(today, change.effective_date)


def retime(session: Session, snapshots: Sequence[dict[str, Any]], *, day: dt.date,
           config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each snapshot re-timed (times and distance), as it is saved."""
    context = load_context(session, snapshots, today=day, config=config)
    return [evaluate(s, context).retimed(s) for s in snapshots]


def _int(fields: Mapping[str, str], name: str, label: str) -> int:
    try:
        return int(fields.get(name, ""))
    except ValueError:
        raise edits.EditError(f"choose {label}") from None


def apply_edit(session: Session, change: ChangeRequest, item: RouteChange, user: User, op: str,
               fields: Mapping[str, str], *, expected_lock_version: int, today: dt.date,
               config: Mapping[str, Any]) -> str:
    """Make one hand edit to the item (and the route it involves), re-time and save them to the draft.

    Returns what was done; raises EditError for an edit that cannot be made and ChangeRefused
    when change control refuses (a stale page, a route held by another request, not a draft).
    """
    if item.action == ChangeAction.WITHDRAW or not item.proposed:
        raise edits.EditError(f"route {item.route_code} is being withdrawn in this change; it has no stops to edit")
    proposed = item.proposed
    day = check_day(change, today)
    if op in ("up", "down"):
        index = _int(fields, "stop", "a stop") - 1
        moved = edits.move_stop_up(proposed, index) if op == "up" else edits.move_stop_down(proposed, index)
        _restage(session, item, user, retime(session, [moved], day=day, config=config)[0], expected_lock_version)
        return f"Stop {index + 1} moved {op}."
    if op == "vehicle_type":
        name = fields.get("vehicle_type", "")
        setting = vehicle_types_of(config).get(name)
        if setting is None:
            raise edits.EditError("choose one of the vehicle types the council hires")
        changed = edits.change_vehicle_type(proposed, name, daily_price_pence=setting.daily_price_pence)
        _restage(session, item, user, retime(session, [changed], day=day, config=config)[0], expected_lock_version)
        return f"Vehicle type changed to {name}."
    if op in ("move", "merge"):
        target = _find_target(session, change, item, fields.get("target", ""))
        if op == "move":
            pupil_id = _int(fields, "pupil", "the pupil to move")
            raw_position = (fields.get("position") or "").strip()
            position = None
            if raw_position:
                if not raw_position.isdigit() or int(raw_position) < 1:
                    raise edits.EditError("enter the position as a whole number from 1, or leave it blank")
                position = int(raw_position) - 1
            left, joined = edits.move_pupil(proposed, target.snapshot, pupil_id, position=position)
            left, joined = retime(session, [left, joined], day=day, config=config)
            _restage(session, item, user, left, expected_lock_version)
            _save_target(session, change, user, target, joined)
            return f"Pupil moved to route {target.code}."
        merged = edits.merge_routes(proposed, target.snapshot)
        _restage(session, item, user, retime(session, [merged], day=day, config=config)[0], expected_lock_version)
        if target.item is not None and target.item.route_id is None:
            changes.unstage(session, target.item, user, expected_lock_version=change.lock_version)
        else:
            changes.stage(session, change, user, route=target.route, proposed=None, action=ChangeAction.WITHDRAW)
        return f"Route {target.code} merged into this route; it is withdrawn in this change."
    if op == "split":
        at = _int(fields, "stop", "the stop to split at") - 1
        code = (fields.get("new_code") or "").strip()
        if len(code) > 32:
            raise edits.EditError("keep the new route code to 32 characters or fewer")
        first, second = edits.split_route(proposed, at, code)
        first, second = retime(session, [first, second], day=day, config=config)
        _restage(session, item, user, first, expected_lock_version)
        changes.stage(session, change, user, route=None, proposed=second, action=ChangeAction.CREATE)
        return f"Route split: stops from {at + 1} on make the new route {code}, with no vehicle or crew yet."
    if op == "withdraw":
        if item.route_id is None:
            changes.unstage(session, item, user, expected_lock_version=expected_lock_version)
            return f"New route {item.route_code} taken out of the change."
        if change.lock_version != expected_lock_version:
            raise changes.ChangeRefused(f"change request {change.id} was saved by someone else after you opened "
                                        "it; reload it and make your edit again")
        changes.stage(session, change, user, route=item.route, proposed=None, action=ChangeAction.WITHDRAW)
        return f"Route {item.route_code} is withdrawn in this change."
    raise edits.EditError("choose an edit to make")


def _restage(session: Session, item: RouteChange, user: User, proposed: dict[str, Any], expected: int) -> None:
    changes.restage(session, item, user, proposed, expected_lock_version=expected)


def _find_target(session: Session, change: ChangeRequest, item: RouteChange, value: str) -> Target:
    found = next((t for t in targets(session, change, item) if t.value == value), None)
    if found is None:
        raise edits.EditError("choose another route of the same school and session")
    return found


def _save_target(session: Session, change: ChangeRequest, user: User, target: Target,
                 proposed: dict[str, Any]) -> None:
    """The other route of a move: saved in this change (added to it if it is not in it yet)."""
    if target.item is not None:
        # The lock was checked on the first save of this edit; it has moved on since.
        changes.restage(session, target.item, user, proposed, expected_lock_version=change.lock_version)
    else:
        changes.stage(session, change, user, route=target.route, proposed=proposed, action=ChangeAction.MODIFY)


# --- adding a pupil to the best route ----------------------------------------------------------

def insertion_for(session: Session, pupil: Pupil, session_name: str, *, today: dt.date,
                  config: Mapping[str, Any]) -> tuple[InsertionResult, Route | None, dict[int, Route]]:
    """Options for the pupil on the running routes of their school and session; their current route."""
    routes = published_routes(session, pupil.school_id, session_name)
    candidates = []
    current = None
    for route in routes:
        snapshot = versions.latest_snapshot(session, route)[1]
        if pupil.id in versions.snapshot_pupil_ids(snapshot):
            current = route
        candidates.append(Candidate(route.id, snapshot, route.locked))
    result = cheapest_insertions(session, pupil, candidates, today=today, config=config)
    return result, current, {route.id: route for route in routes}


def stage_insertion(session: Session, user: User, pupil: Pupil, session_name: str, route_id: int, *,
                    title: str, reason: str, requested_by: str, effective_date: dt.date, today: dt.date,
                    config: Mapping[str, Any]) -> tuple[ChangeRequest, RouteChange]:
    """A new draft that adds the pupil to the chosen route at its best position (off their old route, if any)."""
    result, current, routes = insertion_for(session, pupil, session_name, today=effective_date, config=config)
    option = next((o for o in result.options if o.route_id == route_id), None)
    if option is None:
        raise edits.EditError("that route cannot take the pupil any more: choose another option")
    change = changes.start(session, user, title=title, reason=reason, requested_by=requested_by,
                           effective_date=effective_date, today=today)
    item = changes.stage(session, change, user, route=routes[route_id], proposed=option.snapshot,
                         action=ChangeAction.MODIFY)
    if current is not None:
        left, _ = edits.remove_pupil(versions.latest_snapshot(session, current)[1], pupil.id)
        if edits.split_stops(left)[0]:
            changes.stage(session, change, user, route=current,
                          proposed=retime(session, [left], day=effective_date, config=config)[0],
                          action=ChangeAction.MODIFY)
        else:  # the pupil was the route's only passenger
            changes.stage(session, change, user, route=current, proposed=None, action=ChangeAction.WITHDRAW)
    return change, item
