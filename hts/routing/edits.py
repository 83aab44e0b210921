"""Hand edits of route snapshots: each returns new snapshots and never changes the ones given.

Positions count the pupil stops only (pickups in the morning, drop-offs in the afternoon),
from 0; the school stop stays where it is (last for am, first for pm). Times are left as they
were: `hts.routing.feasibility` re-times every edited route. Pupils at one address share a
stop, so a pupil joining a route where a stop is at their address joins that stop.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Snapshot = dict[str, Any]


class EditError(ValueError):
    """An edit that cannot be made, with a message for the planner."""


def _copy(snapshot: Mapping[str, Any]) -> Snapshot:
    return copy.deepcopy(dict(snapshot))


def _am(snapshot: Mapping[str, Any]) -> bool:
    return str(snapshot.get("session")) == "am"


def split_stops(snapshot: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(pupil stops in travel order, the school stop) of a snapshot; raises EditError without a school stop."""
    stops = list(snapshot.get("stops") or [])
    school = [stop for stop in stops if stop.get("kind") == "school"]
    if len(school) != 1:
        raise EditError(f"route {snapshot.get('route_code')} has no single school stop to edit around")
    return [stop for stop in stops if stop.get("kind") != "school"], school[0]


def _with_stops(snapshot: Mapping[str, Any], homes: list[dict[str, Any]], school: dict[str, Any]) -> Snapshot:
    out = _copy(snapshot)
    homes = copy.deepcopy(homes)
    out["stops"] = [*homes, copy.deepcopy(school)] if _am(snapshot) else [copy.deepcopy(school), *homes]
    return out


def same_place(stop: Mapping[str, Any], latitude: float, longitude: float) -> bool:
    """Whether a stop is at this address (to about 10 cm)."""
    return (round(float(stop["latitude"]), 6), round(float(stop["longitude"]), 6)) == (
        round(latitude, 6), round(longitude, 6))


def stop_of(snapshot: Mapping[str, Any], pupil_id: int) -> int | None:
    """The position of the pupil's stop among the pupil stops, or None when not on the route."""
    homes, _ = split_stops(snapshot)
    for index, stop in enumerate(homes):
        if pupil_id in stop.get("pupil_ids", []):
            return index
    return None


def stop_at(snapshot: Mapping[str, Any], latitude: float, longitude: float) -> int | None:
    """The position of the pupil stop at this address, or None."""
    homes, _ = split_stops(snapshot)
    return next((i for i, stop in enumerate(homes) if same_place(stop, latitude, longitude)), None)


def remove_pupil(snapshot: Mapping[str, Any], pupil_id: int) -> tuple[Snapshot, dict[str, Any]]:
    """The route without the pupil (a stop left empty goes too), and the stop they were at."""
    homes, school = split_stops(snapshot)
    index = stop_of(snapshot, pupil_id)
    if index is None:
        raise EditError(f"the pupil is not on route {snapshot.get('route_code')}")
    homes = copy.deepcopy(homes)
    stop = copy.deepcopy(homes[index])
    homes[index]["pupil_ids"] = [pid for pid in homes[index]["pupil_ids"] if pid != pupil_id]
    if not homes[index]["pupil_ids"]:
        del homes[index]
    return _with_stops(snapshot, homes, school), stop


def add_pupil(snapshot: Mapping[str, Any], pupil_id: int, latitude: float, longitude: float, *,
              position: int | None = None, time: str | None = None) -> Snapshot:
    """The route with the pupil: at the stop at their address if there is one, else a new stop at `position` (default last)."""
    homes, school = split_stops(snapshot)
    if stop_of(snapshot, pupil_id) is not None:
        raise EditError(f"the pupil is already on route {snapshot.get('route_code')}")
    homes = copy.deepcopy(homes)
    existing = stop_at(snapshot, latitude, longitude)
    if existing is not None:
        homes[existing]["pupil_ids"] = [*homes[existing]["pupil_ids"], pupil_id]
        return _with_stops(snapshot, homes, school)
    position = len(homes) if position is None else position
    if not 0 <= position <= len(homes):
        raise EditError(f"choose a position from 1 to {len(homes) + 1}")
    homes.insert(position, {
        "kind": "pickup" if _am(snapshot) else "dropoff", "latitude": latitude, "longitude": longitude,
        "time": time or school.get("time"), "school_id": None, "pupil_ids": [pupil_id],
    })
    return _with_stops(snapshot, homes, school)


def move_pupil(source: Mapping[str, Any], target: Mapping[str, Any], pupil_id: int, *,
               position: int | None = None) -> tuple[Snapshot, Snapshot]:
    """Take the pupil off `source` and onto `target`, picked up (or set down) where they were."""
    if source.get("route_code") == target.get("route_code"):
        raise EditError("the pupil is already on this route: reorder its stops instead")
    if source.get("school_id") != target.get("school_id") or source.get("session") != target.get("session"):
        raise EditError(f"route {target.get('route_code')} serves another school or session")
    left, stop = remove_pupil(source, pupil_id)
    joined = add_pupil(target, pupil_id, float(stop["latitude"]), float(stop["longitude"]),
                       position=position, time=stop.get("time"))
    return left, joined


def move_stop(snapshot: Mapping[str, Any], index: int, position: int) -> Snapshot:
    """The pupil stop at `index` moved to `position` (both counted among the pupil stops from 0)."""
    homes, school = split_stops(snapshot)
    if not 0 <= index < len(homes):
        raise EditError(f"route {snapshot.get('route_code')} has no stop {index + 1}")
    if not 0 <= position < len(homes):
        raise EditError(f"choose a position from 1 to {len(homes)}")
    homes = copy.deepcopy(homes)
    homes.insert(position, homes.pop(index))
    return _with_stops(snapshot, homes, school)


def move_stop_up(snapshot: Mapping[str, Any], index: int) -> Snapshot:
    """The stop one place earlier in the journey."""
    if index == 0:
        raise EditError("the first stop cannot move up")
    return move_stop(snapshot, index, index - 1)


def move_stop_down(snapshot: Mapping[str, Any], index: int) -> Snapshot:
    """The stop one place later in the journey."""
    homes, _ = split_stops(snapshot)
    if index >= len(homes) - 1:
        raise EditError("the last stop cannot move down")
    return move_stop(snapshot, index, index + 1)


def split_route(snapshot: Mapping[str, Any], at: int, new_code: str) -> tuple[Snapshot, Snapshot]:
    """Two routes: the stops before `at` stay; from `at` on they make a new route with its own code and no vehicle or crew.

    The new route keeps the vehicle type and daily price as the planner's estimate; its
    operator, vehicle and crew are assigned through the compliance gate once it exists.
    """
    homes, school = split_stops(snapshot)
    if not 1 <= at < len(homes):
        raise EditError("split between two stops: choose a stop after the first")
    if not new_code.strip():
        raise EditError("the new route needs a route code")
    first = _with_stops(snapshot, homes[:at], school)
    second = _with_stops(snapshot, homes[at:], school)
    second.update(route_code=new_code.strip(), operator_id=None, vehicle_id=None, driver_id=None, pa_id=None)
    return first, second


def merge_routes(first: Mapping[str, Any], second: Mapping[str, Any]) -> Snapshot:
    """One route: `first`'s vehicle and crew, its stops then `second`'s (stops at one address combined).

    `second` is to be withdrawn by the caller.
    """
    if first.get("route_code") == second.get("route_code"):
        raise EditError("a route cannot be merged with itself")
    if first.get("school_id") != second.get("school_id") or first.get("session") != second.get("session"):
        raise EditError(f"routes {first.get('route_code')} and {second.get('route_code')} serve different "
                        "schools or sessions and cannot be merged")
    homes, school = split_stops(first)
    homes = copy.deepcopy(homes)
    for stop in split_stops(second)[0]:
        match = next((h for h in homes if same_place(h, float(stop["latitude"]), float(stop["longitude"]))), None)
        if match is None:
            homes.append(copy.deepcopy(stop))
        else:
            match["pupil_ids"] = [*match["pupil_ids"], *[p for p in stop["pupil_ids"] if p not in match["pupil_ids"]]]
    return _with_stops(first, homes, school)


def change_vehicle_type(snapshot: Mapping[str, Any], vehicle_type: str, *,
                        daily_price_pence: int | None = None) -> Snapshot:
    """The route planned with another vehicle type; an assigned vehicle is released (it is of the old type)."""
    if not vehicle_type:
        raise EditError("choose a vehicle type")
    out = _copy(snapshot)
    if out.get("vehicle_type") != vehicle_type:
        out["vehicle_id"] = None
    out["vehicle_type"] = vehicle_type
    if daily_price_pence is not None:
        out["daily_price_pence"] = int(daily_price_pence)
    return out


def change_vehicle(snapshot: Mapping[str, Any], vehicle_id: int | None, *, vehicle_type: str | None = None) -> Snapshot:
    """The route with another vehicle (None to release it), and that vehicle's type when given."""
    out = _copy(snapshot)
    out["vehicle_id"] = vehicle_id
    if vehicle_type:
        out["vehicle_type"] = vehicle_type
    return out
