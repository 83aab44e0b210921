"""Database -> Problem -> solve -> draft plan, and the draft's comparison with the published network.

Services flush; the CLI command or background job that runs them commits.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hts import weekdays
from hts.clock import local_today
from hts.db import utcnow
from hts.people.models import Pupil, School
from hts.routing import problem as p
from hts.routing.check import check
from hts.routing.decompose import solve_decomposed
from hts.routing.matrix import Point, TravelProvider, planning_provider
from hts.routing.models import (
    DraftPlan,
    DraftRoute,
    PlanStatus,
    PupilIncompatibility,
    Route,
    RouteChange,
    RouteStop,
    RouteVersion,
    StopKind,
    serving,
)

PRIMARY_MAX_AGE = 10  # aged 10 or under on the day: primary-age journey limit


class PlanInputError(ValueError):
    """Bad planning input (an unknown school, a bad setting), with a message for the planner."""


@dataclass(frozen=True)
class VehicleTypeSetting:
    """A vehicle type the council hires, from the PLAN_VEHICLE_TYPES setting."""

    name: str
    seats: int
    wheelchair_spaces: int
    daily_price_pence: int
    available: int | None = None


def parse_vehicle_types(text: str) -> list[VehicleTypeSetting]:
    """Read 'car:4:0:9500,wav:4:1:16000[:available]'; raises PlanInputError naming the bad part."""
    types = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        bits = part.split(":")
        try:
            if len(bits) not in (4, 5):
                raise ValueError
            numbers = [int(b) for b in bits[1:]]
            if min(numbers) < 0 or numbers[0] + numbers[1] <= 0:
                raise ValueError
        except ValueError:
            raise PlanInputError(
                f"vehicle type '{part}' should be name:seats:wheelchair_spaces:daily_price_pence[:available]"
            ) from None
        types.append(VehicleTypeSetting(bits[0], *numbers))  # type: ignore[arg-type]
    if not types:
        raise PlanInputError("no vehicle types are set (PLAN_VEHICLE_TYPES)")
    return types


@dataclass
class PlanIndex:
    """What turns the problem's indices back into the council's references."""

    schools: list[School] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    pupils: dict[str, Pupil] = field(default_factory=dict)
    vehicle_types: list[tuple[VehicleTypeSetting, bool]] = field(default_factory=list)
    #: Published routes a planner locked: kept as they are, their pupils left out of the problem.
    locked_routes: list[Route] = field(default_factory=list)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _hhmm(seconds: int) -> str:
    seconds %= 24 * 3600
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def ride_limit_minutes(pupil: Pupil, day: dt.date, config: dict[str, Any]) -> int:
    """The pupil's own limit, or 45 minutes for primary age and 75 for secondary (settings)."""
    if pupil.max_ride_minutes:
        return pupil.max_ride_minutes
    primary = pupil.age_on(day) <= PRIMARY_MAX_AGE
    return int(config["MAX_RIDE_MINUTES_PRIMARY" if primary else "MAX_RIDE_MINUTES_SECONDARY"])


def build_problem(session: Session, *, session_name: str, weekday: int, school_urns: Sequence[str],
                  config: dict[str, Any], on_date: dt.date | None = None,
                  provider: TravelProvider | None = None) -> tuple[p.Problem, PlanIndex]:
    """The problem for a session and weekday: pupils travelling then, from their address that day."""
    if session_name not in ("am", "pm"):
        raise PlanInputError(f"session must be am or pm, not '{session_name}'")
    if not 0 <= weekday <= 6:
        raise PlanInputError("weekday must be 0 (Monday) to 6 (Sunday)")
    on_date = on_date or local_today()
    query = select(School).order_by(School.urn)
    if school_urns:
        query = query.where(School.urn.in_(school_urns))
    schools = list(session.scalars(query))
    missing = sorted(set(school_urns) - {s.urn for s in schools})
    if missing:
        raise PlanInputError(f"no school with URN {', '.join(missing)}")
    index = PlanIndex(schools=schools)
    school_index = {s.id: i for i, s in enumerate(schools)}
    index.points = [Point(s.latitude, s.longitude) for s in schools]
    node_of: dict[tuple[float, float], int] = {}
    pupils = session.scalars(
        select(Pupil).where(Pupil.school_id.in_(school_index)).options(selectinload(Pupil.addresses))
        .order_by(Pupil.pupil_ref)
    )
    incompatible: dict[int, set[int]] = {}
    for a, b in session.execute(select(PupilIncompatibility.pupil_id, PupilIncompatibility.other_pupil_id)):
        incompatible.setdefault(a, set()).add(b)
        incompatible.setdefault(b, set()).add(a)
    index.locked_routes = locked_routes(session, session_name, [s.id for s in schools] if school_urns else [])
    kept = {pupil.id for route in index.locked_routes for pupil in route.pupils}
    travelling = [pupil for pupil in pupils
                  if weekdays.includes(pupil.travel_days, weekday) and pupil.id not in kept]
    refs = {pupil.id: pupil.pupil_ref for pupil in travelling}
    requests = []
    for pupil in travelling:
        address = pupil.address_on(weekday)
        if address is None:
            continue
        key = (round(address.latitude, 6), round(address.longitude, 6))
        if key not in node_of:  # pupils at one address share a stop
            node_of[key] = len(index.points)
            index.points.append(Point(address.latitude, address.longitude))
        index.pupils[pupil.pupil_ref] = pupil
        requests.append(p.Request(
            ref=pupil.pupil_ref, stop=node_of[key], school=school_index[pupil.school_id],
            max_ride_seconds=ride_limit_minutes(pupil, on_date, config) * 60,
            wheelchair_spaces=1 if pupil.wheelchair else 0, seats=0 if pupil.wheelchair else 1,
            needs_pa=pupil.passenger_assistant, solo=pupil.solo,
            incompatible_with=frozenset(refs[o] for o in incompatible.get(pupil.id, ()) if o in refs),
            dwell_seconds=int(config["DWELL_WHEELCHAIR_SECONDS" if pupil.wheelchair else "DWELL_WALK_ON_SECONDS"]),
        ))
    school_specs = [
        p.School(ref=s.urn, node=i,
                 am_arrive_from_seconds=_seconds(s.start_time) - 60 * int(config["PLAN_ARRIVE_EARLIEST_MINUTES"]),
                 am_arrive_by_seconds=_seconds(s.start_time) - 60 * int(config["PLAN_ARRIVE_LATEST_MINUTES"]),
                 pm_collect_at_seconds=_seconds(s.finish_time))
        for i, s in enumerate(schools)
    ]
    types = []
    for setting in parse_vehicle_types(str(config["PLAN_VEHICLE_TYPES"])):
        available = setting.available if setting.available is not None else max(1, len(requests))
        for has_pa in (False, True):
            price = setting.daily_price_pence + (int(config["PLAN_PA_DAILY_COST_PENCE"]) if has_pa else 0)
            # A passenger assistant sits in one of the vehicle's seats.
            seats = setting.seats - 1 if has_pa else setting.seats
            if has_pa and seats <= 0 and setting.wheelchair_spaces <= 0:
                continue
            types.append(p.VehicleType(setting.name + ("+pa" if has_pa else ""), max(0, seats),
                                       setting.wheelchair_spaces, price, available, has_pa))
            index.vehicle_types.append((setting, has_pa))
    problem = p.make_problem(
        session=session_name,  # type: ignore[arg-type]
        points=index.points, provider=provider or planning_provider(config), schools=school_specs,
        vehicle_types=types, requests=requests,
        share_within_metres=max(0, int(config.get("PLAN_SHARE_SCHOOLS_WITHIN_METRES", 0))),
    )
    return problem, index


def _route_json(problem: p.Problem, index: PlanIndex, route: p.Route, code: str) -> dict[str, Any]:
    setting, has_pa = index.vehicle_types[route.vehicle_type]
    stops = []
    for visit in route.visits:
        point = problem.points[visit.node]
        stop: dict[str, Any] = {"time": _hhmm(visit.arrival_seconds), "latitude": point.latitude,
                                "longitude": point.longitude}
        if visit.is_school:
            stop["school_urn"] = index.schools[route.school if visit.school is None else visit.school].urn
        else:
            stop["pupil_refs"] = list(visit.boarding or visit.alighting)
        stops.append(stop)
    # The route's own school (where it ends in the morning, starts in the afternoon) comes first,
    # then any other school it stops at on the way, when nearby schools share vehicles.
    urns = [index.schools[route.school].urn]
    urns += [stop["school_urn"] for stop in stops if "school_urn" in stop and stop["school_urn"] not in urns]
    return {
        "route_code": code, "school_urns": urns, "vehicle_type": setting.name,
        "seats": setting.seats, "wheelchair_spaces": setting.wheelchair_spaces, "passenger_assistant": has_pa,
        "daily_price": route.cost_pence / 100, "distance_km": round(route.distance_metres / 1000, 2),
        "stops": stops,
    }


def solution_json(problem: p.Problem, index: PlanIndex, solution: p.Solution) -> dict[str, Any]:
    """The `hts plan --json` document: routes, unassigned pupils with reasons, and the summary."""
    routes = []
    counters: dict[str, int] = {}
    # A locked route keeps its code, so the draft's numbering steps round the codes it holds.
    taken = {route.route_code for route in index.locked_routes}
    ordered = sorted(solution.routes, key=lambda r: (index.schools[r.school].urn, r.visits[0].arrival_seconds))
    for route in ordered:
        urn = index.schools[route.school].urn
        code = ""
        while not code or code in taken:
            counters[urn] = counters.get(urn, 0) + 1
            code = f"{problem.session.upper()}-{urn}-{counters[urn]:02d}"
        routes.append(_route_json(problem, index, route, code))
    f = solution.figures
    return {
        "session": problem.session,
        "routes": routes,
        "unassigned": [{"pupil_ref": u.ref, "reason": u.reason} for u in solution.unassigned],
        "summary": {
            "vehicles": f.vehicles,
            "vehicles_by_type": {index.vehicle_types[i][0].name + (" with PA" if index.vehicle_types[i][1] else ""):
                                 n for i, n in _by_type_index(problem, solution).items()},
            "daily_cost": f.daily_cost_pence / 100,
            "total_distance_km": round(f.distance_metres / 1000, 2),
            "mean_ride_minutes": f.mean_ride_minutes,
            "max_ride_minutes": f.max_ride_minutes,
            "pupils_carried": f.pupils_carried,
            "pupils_over_limit": f.pupils_over_limit,
            "unassigned": f.pupils_unassigned,
            "solve_seconds": f.solve_seconds,
            "share_schools_within_metres": problem.share_within_metres,
            "shared_routes": sum(1 for r in solution.routes if len(set(r.schools)) > 1),
            "locked_routes_kept": len(index.locked_routes),
            "locked_route_codes": [route.route_code for route in index.locked_routes],
            "locked_route_ids": [route.id for route in index.locked_routes],
            "pupils_on_locked_routes": sum(len(route.pupils) for route in index.locked_routes),
        },
    }


def _by_type_index(problem: p.Problem, solution: p.Solution) -> dict[int, int]:
    counts: dict[int, int] = {}
    for route in solution.routes:
        counts[route.vehicle_type] = counts.get(route.vehicle_type, 0) + 1
    return dict(sorted(counts.items()))


Progress = Callable[[int, int, str], None]


def run_plan(session: Session, plan: DraftPlan, config: dict[str, Any], *, progress: Progress | None = None,
             on_date: dt.date | None = None, commit_progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """Build, solve, check and save a draft plan; returns the JSON document. Raises PlanInputError."""
    started = time.monotonic()
    plan.status = PlanStatus.RUNNING
    asked = sorted(plan.school_urns)
    plan.school_urns = sharing_closure(session, str(plan.session), plan.school_urns)
    problem, index = build_problem(session, session_name=str(plan.session), weekday=plan.weekday,
                                   school_urns=plan.school_urns, config=config, on_date=on_date)

    def report(done: int, total: int, message: str) -> None:
        plan.progress_done, plan.progress_total, plan.progress_message = done, total, message[:300]
        if commit_progress is not None:
            commit_progress()
        if progress is not None:
            progress(done, total, message)

    if not problem.requests:
        solution = p.Solution(routes=(), ride_seconds={}, unassigned=(),
                              figures=p.compute_figures(problem, [], {}, [], 0.0))
    else:
        solution = solve_decomposed(problem, plan.time_limit_seconds, workers=int(config["PLAN_WORKERS"]),
                                    progress=report, engine=config.get("ROUTING_ENGINE") or None)
    breaches = check(problem, solution)
    document = solution_json(problem, index, solution)
    document["summary"]["wall_seconds"] = round(time.monotonic() - started, 2)
    # Schools a published route shares with those asked for are planned with them.
    document["summary"]["schools_added_for_sharing"] = sorted(set(plan.school_urns) - set(asked))
    document["summary"]["check"] = breaches
    save_draft(session, plan, index, document, solution)
    return document


def save_draft(session: Session, plan: DraftPlan, index: PlanIndex, document: dict[str, Any],
               solution: p.Solution) -> None:
    """Store the plan's routes and figures on the draft and mark it ready."""
    schools = {s.urn: s for s in index.schools}
    rides = solution.ride_seconds
    plan.routes = [
        DraftRoute(
            route_code=r["route_code"], school=schools[r["school_urns"][0]], vehicle_type=r["vehicle_type"],
            seats=r["seats"], wheelchair_spaces=r["wheelchair_spaces"], passenger_assistant=r["passenger_assistant"],
            daily_price_pence=round(r["daily_price"] * 100), distance_metres=round(r["distance_km"] * 1000),
            stops=r["stops"],
            ride_minutes={ref: round(rides[ref] / 60, 1) for s in r["stops"] for ref in s.get("pupil_refs", [])
                          if ref in rides},
        )
        for r in document["routes"]
    ]
    plan.summary = document["summary"]
    plan.unassigned = document["unassigned"]
    plan.status = PlanStatus.READY
    plan.finished_at = utcnow()
    session.flush()


def published_routes(session: Session, session_name: str, school_ids: Sequence[int]) -> list[Route]:
    """The published routes of a session for some schools (all when none given): their own, and
    those that stop at one of them on the way (nearby schools sharing a vehicle)."""
    query = select(Route).where(Route.session == session_name, Route.withdrawn_on.is_(None)).options(
        selectinload(Route.stops).selectinload(RouteStop.pupils), selectinload(Route.vehicle))
    if school_ids:
        query = query.where(serving(list(school_ids)))
    return list(session.scalars(query.order_by(Route.route_code)))


def sharing_closure(session: Session, session_name: str, school_urns: Sequence[str]) -> list[str]:
    """The schools to plan together with these: they, and every school a published route of the
    session shares with one of them, until none is added (re-planning only part of a shared
    route would leave the other school's pupils without one). Empty stays empty (every school)."""
    if not school_urns:
        return []
    urns = set(school_urns)
    while True:
        ids = list(session.scalars(select(School.id).where(School.urn.in_(urns))))
        routes = select(Route.id).where(Route.session == session_name, Route.withdrawn_on.is_(None),
                                        serving(ids))
        found = set(session.scalars(select(School.urn).join(Route, Route.school_id == School.id)
                                    .where(Route.id.in_(routes)))) | \
            set(session.scalars(select(School.urn).join(RouteStop, RouteStop.school_id == School.id)
                                .where(RouteStop.route_id.in_(routes))))
        if found <= urns:
            return sorted(urns)
        urns |= found


def locked_routes(session: Session, session_name: str, school_ids: Sequence[int]) -> list[Route]:
    """The published routes of a session (for some schools, all when none given) that planners locked."""
    return [route for route in published_routes(session, session_name, school_ids) if route.locked]


def kept_route_ids(plan: DraftPlan) -> set[int]:
    """The locked routes the plan left as they were (and whose pupils it did not plan)."""
    return set((plan.summary or {}).get("locked_route_ids", []))


def compare(session: Session, plan: DraftPlan) -> dict[str, Any]:
    """The draft against the published routes it would replace: vehicles, cost, distance, rides, pupils moved.

    Locked routes the plan kept stay either way, so they are counted on neither side.
    """
    school_ids = sorted({r.school_id for r in plan.routes}) or [
        s.id for s in session.scalars(select(School).where(School.urn.in_(plan.school_urns)))]
    kept = kept_route_ids(plan)
    current = [route for route in published_routes(session, str(plan.session), school_ids if plan.school_urns else [])
               if route.id not in kept]
    current_rides: list[float] = []
    current_route_of: dict[str, str] = {}
    for route in current:
        for stop in route.stops:
            for pupil in stop.pupils:
                current_route_of[pupil.pupil_ref] = route.route_code
        current_rides.extend(_published_ride_minutes(route))
    draft_route_of = {ref: r.route_code for r in plan.routes for s in r.stops for ref in s.get("pupil_refs", [])}
    draft_rides = [m for r in plan.routes for m in r.ride_minutes.values()]
    together_now = _companions(current_route_of)
    together_then = _companions(draft_route_of)
    moved = sorted(ref for ref in set(current_route_of) | set(draft_route_of)
                   if together_now.get(ref) != together_then.get(ref))
    return {
        "published": {"vehicles": len(current), "daily_cost": sum(r.daily_price_pence for r in current) / 100,
                      "distance_km": round(sum(r.distance_metres for r in current) / 1000, 1),
                      "mean_ride_minutes": _mean(current_rides), "max_ride_minutes": max(current_rides, default=0)},
        "draft": {"vehicles": len(plan.routes), "daily_cost": sum(r.daily_price_pence for r in plan.routes) / 100,
                  "distance_km": round(sum(r.distance_metres for r in plan.routes) / 1000, 1),
                  "mean_ride_minutes": _mean(draft_rides), "max_ride_minutes": max(draft_rides, default=0)},
        "pupils_whose_route_changes": moved,
    }


def _published_ride_minutes(route: Route) -> list[float]:
    """Ride minutes of each pupil on a published route, from its planned times: to (am) or from
    (pm) their own school's stop where the route stops at several, else its school stop."""
    schools = [stop for stop in route.stops if stop.kind == StopKind.SCHOOL]
    if not schools:
        return []
    at = {stop.school_id: _seconds(stop.planned_time) for stop in schools if stop.school_id is not None}
    first = _seconds(schools[0].planned_time)
    return [abs(at.get(pupil.school_id, first) - _seconds(stop.planned_time)) / 60
            for stop in route.stops if stop.kind != StopKind.SCHOOL for pupil in stop.pupils]


def _companions(route_of: dict[str, str]) -> dict[str, frozenset[str]]:
    # A pupil's route "changes" when the set of pupils they travel with changes (codes differ
    # between plans, so comparing codes would count everyone).
    members: dict[str, set[str]] = {}
    for ref, code in route_of.items():
        members.setdefault(code, set()).add(ref)
    return {ref: frozenset(members[code]) for ref, code in route_of.items()}


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def _route_stops(stops: list[dict[str, Any]], pupils: dict[str, Pupil], school_ids: Mapping[str, int],
                 session_name: str) -> list[RouteStop]:
    rows = []
    for sequence, stop in enumerate(stops, start=1):
        hour, minute = (int(x) for x in stop["time"].split(":"))
        is_school = "school_urn" in stop
        kind = StopKind.SCHOOL if is_school else (StopKind.PICKUP if session_name == "am" else StopKind.DROPOFF)
        rows.append(RouteStop(
            sequence=sequence, kind=kind, school_id=school_ids[stop["school_urn"]] if is_school else None,
            latitude=stop["latitude"], longitude=stop["longitude"], planned_time=dt.time(hour, minute),
            pupils=[pupils[ref] for ref in stop.get("pupil_refs", []) if ref in pupils],
        ))
    return rows


def locking_changed(kept: set[int], current: Sequence[Route]) -> list[str]:
    """Why the routes locked now differ from those the plan kept (empty when they match).

    A route locked after the plan ran would keep its pupils while the draft carries them too;
    a route unlocked since would be withdrawn with its pupils in no draft route.
    """
    locked_now = {route.id: route.route_code for route in current if route.locked}
    reasons = [f"route {code} was locked after this plan was made"
               for route_id, code in sorted(locked_now.items(), key=lambda item: item[1]) if route_id not in kept]
    gone = sorted(kept - set(locked_now))
    if gone:
        reasons.append(f"{len(gone)} route{'s' if len(gone) != 1 else ''} the plan kept locked "
                       f"{'are' if len(gone) != 1 else 'is'} no longer locked or published")
    return reasons


def _free_code(code: str, taken: set[str]) -> str:
    """The code, or the next free one after it ('AM-1-03' -> 'AM-1-04'), so route codes stay unique."""
    match = re.fullmatch(r"(.*?)(\d+)", code)
    stem, number, width = (match.group(1), int(match.group(2)), len(match.group(2))) if match else (code + "-", 1, 1)
    while code in taken:
        number += 1
        code = f"{stem}{number:0{width}d}"
    return code


def changes_in_progress(session: Session, route_ids: list[int]) -> list[str]:
    """Routes held by an open change request or with a published version still to come, as
    readable lines: replacing them would lose the change."""
    if not route_ids:
        return []
    lines = [f"{item.route_code} is in change request {item.change_request_id}"
             for item in session.scalars(select(RouteChange).where(
                 RouteChange.open_key.in_([f"route:{i}" for i in route_ids])).order_by(RouteChange.route_code))]
    lines += [f"{code} has version {number} taking effect on {day:%d %B %Y}"
              for code, number, day in session.execute(
                  select(Route.route_code, RouteVersion.version, RouteVersion.effective_from)
                  .join(Route, Route.id == RouteVersion.route_id)
                  .where(RouteVersion.route_id.in_(route_ids), RouteVersion.version > Route.version)
                  .order_by(Route.route_code))]
    return lines


def promote(session: Session, plan: DraftPlan, *, today: dt.date) -> list[str]:
    """Publish the draft: its routes replace the published ones of its session and schools.

    Replaced routes are withdrawn (kept, with their runs and history) and the new routes start
    without operator or crew: they go through the compliance gate on the readiness board.
    Locked routes stay as they are; the plan left their pupils out. Refused (PlanInputError)
    when routes were locked or unlocked since the plan ran.
    """
    if plan.status != PlanStatus.READY:
        raise PlanInputError(f"only a ready plan can be promoted; this one is {plan.status.value}")
    school_ids = sorted({r.school_id for r in plan.routes})
    if plan.school_urns:
        school_ids = sorted(set(school_ids) | {s.id for s in session.scalars(
            select(School).where(School.urn.in_(plan.school_urns)))})
    current = published_routes(session, str(plan.session), school_ids if plan.school_urns else [])
    changed = locking_changed(kept_route_ids(plan), current)
    if changed:
        raise PlanInputError(f"this plan cannot be published: {'; '.join(changed)}. Run the plan again, "
                             "so that every pupil is on exactly one route")
    held = changes_in_progress(session, [r.id for r in current if not r.locked])
    if held:
        raise PlanInputError("this plan cannot be published while routes it replaces are in route change "
                             f"control: {'; '.join(held)}. Publish, reject or discard those changes (or lock "
                             "the routes and run the plan again) first")
    withdrawn = []
    for route in current:
        if route.locked:
            continue  # a planner locked it: it and its pupils stay as they are
        route.withdrawn_on = today
        route.route_code = f"{route.route_code}~{route.id}"  # frees the code; unique among withdrawn
        withdrawn.append(route.route_code)
    session.flush()
    pupils = {x.pupil_ref: x for x in session.scalars(select(Pupil).where(Pupil.pupil_ref.in_(
        [ref for r in plan.routes for s in r.stops for ref in s.get("pupil_refs", [])])))}
    taken = set(session.scalars(select(Route.route_code)))
    urns = {stop["school_urn"] for draft in plan.routes for stop in draft.stops if "school_urn" in stop}
    school_ids: dict[str, int] = {urn: id_ for urn, id_ in session.execute(select(School.urn, School.id).where(School.urn.in_(urns)))}
    for draft in plan.routes:
        code = _free_code(draft.route_code, taken)
        taken.add(code)
        route = Route(route_code=code, session=plan.session, school_id=draft.school_id,
                      daily_price_pence=draft.daily_price_pence, distance_metres=draft.distance_metres,
                      days=weekdays.SCHOOL_DAYS, version=1, vehicle_type=draft.vehicle_type)
        route.stops = _route_stops(draft.stops, pupils, school_ids, str(plan.session))
        session.add(route)
    plan.status = PlanStatus.PROMOTED
    session.flush()
    return withdrawn
