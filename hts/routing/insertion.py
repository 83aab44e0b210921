"""Cheapest feasible insertion: where on the existing routes a pupil could join, and at what cost.

Every position on every route of the pupil's school and session is tried, re-timed and checked
with `hts.routing.feasibility`. Each route offers its best feasible position; a route that
has none says why its best attempt fails.

Cost, kept simple and shown to the planner as such: first the added daily price (only when
the route's vehicle type must change to make room, at the PLAN_VEHICLE_TYPES prices), then
the added distance. A route with an assigned vehicle keeps it: its capacity is that vehicle's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hts import weekdays
from hts.people.models import Pupil
from hts.routing import edits
from hts.routing.feasibility import (
    CheckContext,
    MatrixCache,
    RouteCheck,
    evaluate,
    load_context,
    snapshot_points,
)
from hts.routing.matrix import Point


@dataclass(frozen=True)
class Candidate:
    """A route the pupil might join: its id (None for one not yet published) and its snapshot."""

    route_id: int | None
    snapshot: dict[str, Any]
    locked: bool = False


@dataclass(frozen=True)
class InsertionOption:
    """A feasible place for the pupil on one route, with what it adds."""

    route_id: int | None
    route_code: str
    #: Where the pupil boards (am) or alights (pm), counted among the pupil stops from 0.
    position: int
    joins_stop: bool
    added_metres: int
    added_price_pence: int
    #: The vehicle type the route must change to, or None when it keeps its own.
    new_vehicle_type: str | None
    snapshot: dict[str, Any]
    check: RouteCheck
    locked: bool = False

    @property
    def explanation(self) -> str:
        """The cost in words."""
        where = f"joins stop {self.position + 1}" if self.joins_stop else f"new stop {self.position + 1}"
        change = (f"; vehicle type changes to {self.new_vehicle_type} (+£{self.added_price_pence / 100:,.2f} a day)"
                  if self.new_vehicle_type else "")
        return f"{where}: +{self.added_metres / 1000:.1f} km{change}"


@dataclass(frozen=True)
class Refusal:
    """A route that cannot take the pupil, and the breaches of its best attempt."""

    route_id: int | None
    route_code: str
    reasons: list[str]
    locked: bool = False
    #: Those of the reasons the route had before the pupil was tried on it.
    existing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class InsertionResult:
    """Feasible options, cheapest first, and the routes that cannot take the pupil."""

    options: list[InsertionOption]
    refusals: list[Refusal]


def _price_of(snapshot: Mapping[str, Any], context: CheckContext) -> int:
    """The daily price the route is planned at: its type's planning price, else its own."""
    setting = context.vehicle_types.get(str(snapshot.get("vehicle_type") or ""))
    return setting.daily_price_pence if setting is not None else int(snapshot.get("daily_price_pence") or 0)


def _attempts(snapshot: dict[str, Any], pupil_id: int, home: Point) -> list[tuple[int, bool, dict[str, Any]]]:
    """(position, joins an existing stop, proposed snapshot) for every way of adding the pupil."""
    existing = edits.stop_at(snapshot, home.latitude, home.longitude)
    if existing is not None:  # pupils at one address share a stop
        return [(existing, True, edits.add_pupil(snapshot, pupil_id, home.latitude, home.longitude))]
    homes, _ = edits.split_stops(snapshot)
    return [(i, False, edits.add_pupil(snapshot, pupil_id, home.latitude, home.longitude, position=i))
            for i in range(len(homes) + 1)]


def _only_capacity(check: RouteCheck) -> bool:
    return bool(check.breaches) and all(b.rule == "capacity" for b in check.breaches)


def insert_pupil(pupil_id: int, home: Point, candidates: Sequence[Candidate], context: CheckContext) -> InsertionResult:
    """Try the pupil at every position of every candidate route; the best option per route, cheapest first."""
    if isinstance(context.provider, MatrixCache):
        context.provider.prime([home, *(p for c in candidates for p in snapshot_points(c.snapshot))])
    types_by_price = sorted(context.vehicle_types.values(), key=lambda t: (t.daily_price_pence, t.name))
    options: list[InsertionOption] = []
    refusals: list[Refusal] = []
    for candidate in candidates:
        snapshot = candidate.snapshot
        code = str(snapshot.get("route_code"))
        try:
            attempts = _attempts(snapshot, pupil_id, home)
        except edits.EditError as exc:
            refusals.append(Refusal(candidate.route_id, code, [str(exc)], candidate.locked))
            continue
        base = evaluate(snapshot, context)
        base_metres = base.distance_metres
        base_price = _price_of(snapshot, context)
        feasible: list[InsertionOption] = []
        tried: list[tuple[int, int, RouteCheck]] = []
        for position, joins, proposed in attempts:
            check = evaluate(proposed, context)
            tried.append((len(check.breaches), check.distance_metres - base_metres, check))
            if check.ok:
                feasible.append(InsertionOption(candidate.route_id, code, position, joins,
                                                check.distance_metres - base_metres, 0, None,
                                                check.retimed(proposed), check, candidate.locked))
            elif _only_capacity(check) and snapshot.get("vehicle_id") is None:
                # Room may come from a bigger vehicle type: the cheapest one that makes it pass.
                for setting in types_by_price:
                    if setting.name == snapshot.get("vehicle_type"):
                        continue
                    bigger = edits.change_vehicle_type(proposed, setting.name,
                                                       daily_price_pence=setting.daily_price_pence)
                    upgraded = evaluate(bigger, context)
                    if upgraded.ok:
                        feasible.append(InsertionOption(
                            candidate.route_id, code, position, joins, upgraded.distance_metres - base_metres,
                            setting.daily_price_pence - base_price, setting.name, upgraded.retimed(bigger),
                            upgraded, candidate.locked))
                        break
        if feasible:
            options.append(min(feasible, key=_cost))
        else:
            _, _, best = min(tried, key=lambda t: (t[0], t[1]))
            refusals.append(Refusal(candidate.route_id, code, [b.message for b in best.breaches], candidate.locked,
                                    frozenset(b.message for b in base.breaches)))
    options.sort(key=_cost)
    refusals.sort(key=lambda r: r.route_code)
    return InsertionResult(options, refusals)


def _cost(option: InsertionOption) -> tuple[int, int, str]:
    return option.added_price_pence, option.added_metres, option.route_code


def home_point(pupil: Pupil, route_days: int = weekdays.SCHOOL_DAYS) -> Point | None:
    """Where the pupil is picked up (or set down) on the first of the route's days they travel."""
    days = [d for d in range(7) if weekdays.includes(route_days, d) and weekdays.includes(pupil.travel_days, d)]
    address = pupil.address_on(days[0] if days else 0)
    return Point(address.latitude, address.longitude) if address is not None else None


def cheapest_insertions(session: Session, pupil: Pupil, candidates: Sequence[Candidate], *, today: dt.date,
                        config: Mapping[str, Any]) -> InsertionResult:
    """Load what the rules need and try the pupil on each candidate route (their own route left out)."""
    others = [c for c in candidates if pupil.id not in _ids(c.snapshot)]
    home = home_point(pupil)
    if home is None:
        return InsertionResult([], [Refusal(c.route_id, str(c.snapshot.get("route_code")),
                                            [f"pupil {pupil.pupil_ref} has no home address"], c.locked)
                                    for c in others])
    context = load_context(session, [c.snapshot for c in others], today=today, config=config,
                           extra_pupil_ids=[pupil.id])
    return insert_pupil(pupil.id, home, others, context)


def _ids(snapshot: Mapping[str, Any]) -> set[int]:
    return {int(pid) for stop in snapshot.get("stops") or [] for pid in stop.get("pupil_ids", [])}
