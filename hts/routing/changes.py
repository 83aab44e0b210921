"""Route change control: draft -> submitted -> approved (by a second person) -> published.

Every change to a published route goes through a change request. The rules of who may do what,
and when, are pure functions that return reasons (`refusals`); the service functions below
apply them, record who did it, and raise `ChangeRefused` with every reason otherwise.

Concurrency: a route belongs to at most one open request (a unique key on the open item), a
request carries a lock version (a save from a page loaded before someone else's save is refused),
and publication adds the route's next version under a unique (route, version) key, so two
publications drawn from the same version cannot both land.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hts.auth.models import Role, User
from hts.db import utcnow
from hts.routing import versions
from hts.routing.models import (
    ChangeAction,
    ChangeRequest,
    ChangeState,
    Route,
    RouteChange,
    RouteVersion,
)
from hts.routing.models import (
    Session as RouteSession,
)

#: Roles that draw up, submit and publish changes.
EDITOR_ROLES = frozenset({Role.PLANNER, Role.ADMIN})


class ChangeRefused(Exception):
    """A change-control step that is not allowed, with every reason."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class Actor:
    """Who is acting: their id, role and whether they hold the route approver grant."""

    id: int
    role: Role
    approver: bool

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a signed-in user."""
        return cls(user.id, Role(user.role), bool(user.route_approver))


# --- the rules (pure) ------------------------------------------------------------------------

STEPS = ("edit", "submit", "recall", "approve", "reject", "publish", "discard")

#: The state each step starts from.
STARTS_FROM = {
    "edit": {ChangeState.DRAFT},
    "submit": {ChangeState.DRAFT},
    "recall": {ChangeState.SUBMITTED},
    "approve": {ChangeState.SUBMITTED},
    "reject": {ChangeState.SUBMITTED, ChangeState.APPROVED},
    "publish": {ChangeState.APPROVED},
    "discard": {ChangeState.DRAFT},
}


def refusals(step: str, state: ChangeState, actor: Actor, *, created_by_id: int | None,
             submitted_by_id: int | None) -> list[str]:
    """Why `actor` may not take `step` on a request in `state` (empty: they may)."""
    if step not in STARTS_FROM:
        raise ValueError(f"unknown step {step!r}")
    reasons = []
    if state not in STARTS_FROM[step]:
        allowed = " or ".join(sorted(s.value for s in STARTS_FROM[step]))
        reasons.append(f"the request is {state.value}; it can be {_past(step)} only when it is {allowed}")
    if step in ("edit", "submit", "publish", "discard", "recall") and actor.role not in EDITOR_ROLES:
        reasons.append("only a transport planner can do this")
    if step in ("discard", "recall") and actor.id not in (created_by_id, submitted_by_id) \
            and actor.role != Role.ADMIN:
        reasons.append("only the planner who drew it up can " + step + " it")
    if step in ("approve", "reject"):
        if not actor.approver:
            reasons.append("only a route approver can " + step + " a change request")
        if actor.id in (created_by_id, submitted_by_id):
            reasons.append(f"you drew up or submitted this change; a second person must {step} it")
    return reasons


def _past(step: str) -> str:
    return {"edit": "edited", "submit": "submitted", "recall": "recalled", "approve": "approved",
            "reject": "rejected", "publish": "published", "discard": "discarded"}[step]


def allowed_steps(change: ChangeRequest, actor: Actor) -> list[str]:
    """The steps the actor may take on the request now (for the page's buttons)."""
    return [step for step in STEPS if not refusals(
        step, change.state, actor, created_by_id=change.created_by_id, submitted_by_id=change.submitted_by_id)]


def _require(step: str, change: ChangeRequest, actor: Actor) -> None:
    reasons = refusals(step, change.state, actor, created_by_id=change.created_by_id,
                       submitted_by_id=change.submitted_by_id)
    if reasons:
        raise ChangeRefused(reasons)


def school_days_between(start: dt.date, end: dt.date, is_school_day: Callable[[dt.date], bool]) -> int:
    """School days after `start` and before `end`: the notice an operator gets."""
    days = 0
    day = start + dt.timedelta(days=1)
    while day < end:
        days += is_school_day(day)
        day += dt.timedelta(days=1)
    return days


def describe(before: dict[str, Any] | None, after: dict[str, Any] | None,
             pupil_refs: Mapping[int, str], names: Mapping[str, Mapping[int, str]]) -> list[str]:
    """Readable lines saying what a change does to one route (pure).

    `pupil_refs` maps pupil id -> reference; `names` maps "operator"/"vehicle"/"staff" -> id -> name.
    """
    if after is None or versions.is_withdrawal(after):
        return ["Route withdrawn"]
    if before is None:
        count = len(versions.snapshot_pupil_ids(after))
        return [f"New route with {count} pupil{'s' if count != 1 else ''} and {len(after['stops'])} stops"]
    lines = []
    old, new = versions.snapshot_pupil_ids(before), versions.snapshot_pupil_ids(after)
    added = [pupil_refs.get(p, str(p)) for p in new if p not in old]
    removed = [pupil_refs.get(p, str(p)) for p in old if p not in new]
    if added:
        lines.append("Pupils added: " + ", ".join(added))
    if removed:
        lines.append("Pupils removed: " + ", ".join(removed))

    def order(snapshot: dict[str, Any]) -> list[tuple[int, ...]]:
        return [tuple(s["pupil_ids"]) for s in snapshot["stops"] if s["pupil_ids"]]

    kept_old = [stop for stop in order(before) if stop in order(after)]
    kept_new = [stop for stop in order(after) if stop in order(before)]
    if kept_old != kept_new:
        lines.append("Stop order changed")
    old_times = [s["time"] for s in before["stops"]]
    new_times = [s["time"] for s in after["stops"]]
    if old_times != new_times:
        lines.append(f"Times: first stop {old_times[0] if old_times else '-'} -> "
                     f"{new_times[0] if new_times else '-'}, last {old_times[-1] if old_times else '-'} -> "
                     f"{new_times[-1] if new_times else '-'}")
    for field, label, kind in (("vehicle_type", "Vehicle type", None), ("vehicle_id", "Vehicle", "vehicle"),
                               ("operator_id", "Operator", "operator"), ("driver_id", "Driver", "staff"),
                               ("pa_id", "Passenger assistant", "staff")):
        if before.get(field) != after.get(field):
            def show(value: Any, kind: str | None = kind) -> str:
                if value is None:
                    return "none"
                return names.get(kind, {}).get(value, str(value)) if kind else str(value)
            lines.append(f"{label}: {show(before.get(field))} -> {show(after.get(field))}")
    if before.get("daily_price_pence") != after.get("daily_price_pence"):
        lines.append(f"Daily price: £{before.get('daily_price_pence', 0) / 100:.2f} -> "
                     f"£{after.get('daily_price_pence', 0) / 100:.2f}")
    return lines or [NO_CHANGE]


NO_CHANGE = "No change to pupils, stops, times, vehicle or crew"


# --- the service -------------------------------------------------------------------------------

def _names(session: Session, snapshots: list[dict[str, Any]]) -> tuple[dict[int, str], dict[str, dict[int, str]]]:
    from hts.operators.models import Operator, Staff, Vehicle
    from hts.people.models import Pupil

    def ids(*fields: str) -> set[int]:
        return {s[f] for s in snapshots for f in fields if s and s.get(f)}

    pupil_ids = {p for s in snapshots if s for p in versions.snapshot_pupil_ids(s)}
    refs = dict(session.execute(select(Pupil.id, Pupil.pupil_ref).where(Pupil.id.in_(pupil_ids))).all())
    names = {
        "operator": dict(session.execute(select(Operator.id, Operator.name)
                                         .where(Operator.id.in_(ids("operator_id")))).all()),
        "vehicle": dict(session.execute(select(Vehicle.id, Vehicle.registration)
                                        .where(Vehicle.id.in_(ids("vehicle_id")))).all()),
        "staff": {i: f"{first} {last}" for i, first, last in session.execute(
            select(Staff.id, Staff.first_name, Staff.last_name).where(Staff.id.in_(ids("driver_id", "pa_id"))))},
    }
    return refs, names


def _summarise(session: Session, item: RouteChange) -> None:
    before = None
    if item.route is not None and item.action != ChangeAction.CREATE:
        before = versions.latest_snapshot(session, item.route)[1]
    after = None if item.action == ChangeAction.WITHDRAW else item.proposed
    refs, names = _names(session, [s for s in (before, after) if s])
    item.summary = describe(before, after, refs, names)


def start(session: Session, user: User, *, title: str, reason: str, requested_by: str,
          effective_date: dt.date, today: dt.date) -> ChangeRequest:
    """A new draft change request."""
    actor = Actor.of(user)
    if actor.role not in EDITOR_ROLES:
        raise ChangeRefused("only a transport planner can draw up a route change")
    problems = validate_details(title=title, effective_date=effective_date, today=today)
    if problems:
        raise ChangeRefused(list(problems.values()))
    change = ChangeRequest(title=title.strip(), reason=reason.strip(), requested_by=requested_by.strip(),
                           effective_date=effective_date, created_by_id=user.id)
    session.add(change)
    session.flush()
    return change


def validate_details(*, title: str, effective_date: dt.date | None, today: dt.date) -> dict[str, str]:
    """Field -> message for a request's details (pure)."""
    problems = {}
    if not title.strip():
        problems["title"] = "Enter a title that says what the change is"
    elif len(title.strip()) > 200:
        problems["title"] = "The title must be 200 characters or fewer"
    if effective_date is None:
        problems["effective_date"] = "Enter the date the change takes effect, for example 2026-12-07"
    elif effective_date < today:
        problems["effective_date"] = "The change cannot take effect in the past; enter today or a later date"
    return problems


def update_details(session: Session, change: ChangeRequest, user: User, *, title: str, reason: str,
                   requested_by: str, effective_date: dt.date, today: dt.date,
                   expected_lock_version: int) -> None:
    """Change a draft's title, reason, who asked and effective date."""
    _require("edit", change, Actor.of(user))
    _check_lock(change, expected_lock_version)
    problems = validate_details(title=title, effective_date=effective_date, today=today)
    if problems:
        raise ChangeRefused(list(problems.values()))
    change.title, change.reason, change.requested_by = title.strip(), reason.strip(), requested_by.strip()
    change.effective_date = effective_date
    _flush(session)


def _open_key(route: Route | None, code: str) -> str:
    return f"route:{route.id}" if route is not None else f"code:{code}"


def stage(session: Session, change: ChangeRequest, user: User, *, route: Route | None,
          proposed: dict[str, Any] | None, action: ChangeAction | str) -> RouteChange:
    """Add a route to a draft request: modified, created (route None) or withdrawn."""
    _require("edit", change, Actor.of(user))
    action = ChangeAction(action)
    if (route is None) != (action == ChangeAction.CREATE):
        raise ValueError("a created route has no route yet; a modified or withdrawn one must name it")
    if action != ChangeAction.WITHDRAW and not proposed:
        raise ValueError("a modified or created route needs its proposed snapshot")
    if route is not None and route.withdrawn_on is not None:
        raise ChangeRefused(f"route {route.route_code} has been withdrawn")
    code = route.route_code if route is not None else str(proposed["route_code"])  # type: ignore[index]
    if route is None and session.scalar(select(Route.id).where(Route.route_code == code)) is not None:
        raise ChangeRefused(f"route code {code} is already used; choose another")
    key = _open_key(route, code)
    holder = session.scalar(select(RouteChange).where(RouteChange.open_key == key))
    if holder is not None and holder.change_request_id != change.id:
        raise ChangeRefused(_held_message(code, holder))
    if holder is not None:
        item = holder
    else:
        item = RouteChange(change=change, route=route, route_code=code, open_key=key)
        session.add(item)
    item.action = action
    item.base_version = versions.latest_version(session, route) if route is not None else None
    item.proposed = proposed if action != ChangeAction.WITHDRAW else None
    _summarise(session, item)
    _touch(change)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another planner staged the same route at the same moment: theirs stands.
        raise ChangeRefused(f"route {code} was just added to another change request; "
                            "open the route again to see it") from None
    return item


def _held_message(code: str, holder: RouteChange) -> str:
    other = holder.change
    return (f"route {code} is already in change request {other.id} ({other.title}, {other.state.value}); "
            "finish or discard that request first")


def restage(session: Session, item: RouteChange, user: User, proposed: dict[str, Any], *,
            expected_lock_version: int) -> RouteChange:
    """Save an edit to a route in a draft; refused if the request changed since the page loaded."""
    change = item.change
    _require("edit", change, Actor.of(user))
    _check_lock(change, expected_lock_version)
    if item.action == ChangeAction.WITHDRAW:
        raise ChangeRefused(f"route {item.route_code} is being withdrawn; remove it from the request to edit it")
    item.proposed = proposed
    _summarise(session, item)
    _touch(change)
    _flush(session)
    return item


def unstage(session: Session, item: RouteChange, user: User, *, expected_lock_version: int) -> None:
    """Take a route out of a draft request."""
    change = item.change
    _require("edit", change, Actor.of(user))
    _check_lock(change, expected_lock_version)
    change.items.remove(item)
    _touch(change)
    _flush(session)


def _touch(change: ChangeRequest) -> None:
    # A change to an item is a change to the request: the update bumps its lock version.
    change.updated_at = utcnow()


def _check_lock(change: ChangeRequest, expected: int) -> None:
    if change.lock_version != expected:
        raise ChangeRefused(
            f"change request {change.id} was saved by someone else after you opened it "
            f"(version {change.lock_version}, you had {expected}); reload it and make your edit again")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ChangeRefused("someone else saved this change request at the same moment; "
                            "reload it and make your edit again") from None


Checker = Callable[[dict[str, Any]], list[str]]


def submit(session: Session, change: ChangeRequest, user: User, *, check: Checker,
           expected_lock_version: int | None = None) -> None:
    """Submit a draft for approval; refused while any route breaks a rule.

    `check` returns the breaches of a proposed snapshot (hts.routing.feasibility in the app).
    """
    _require("submit", change, Actor.of(user))
    if expected_lock_version is not None:
        _check_lock(change, expected_lock_version)
    if not change.items:
        raise ChangeRefused("add at least one route to the request before submitting it")
    if all(item.summary == [NO_CHANGE] for item in change.items):
        raise ChangeRefused("nothing changes yet: edit the route in the workbench before submitting")
    reasons = [f"{item.route_code}: {breach}" for item in change.items
               if item.action != ChangeAction.WITHDRAW for breach in check(item.proposed or {})]
    if reasons:
        raise ChangeRefused(reasons)
    change.state = ChangeState.SUBMITTED
    change.submitted_by_id, change.submitted_at = user.id, utcnow()
    _flush(session)


def recall(session: Session, change: ChangeRequest, user: User) -> None:
    """Take a submitted request back to draft, to edit it."""
    _require("recall", change, Actor.of(user))
    change.state = ChangeState.DRAFT
    change.submitted_at = None
    _flush(session)


def approve(session: Session, change: ChangeRequest, user: User) -> None:
    """Approve a submitted request (a route approver who neither drew it up nor submitted it)."""
    _require("approve", change, Actor.of(user))
    change.state = ChangeState.APPROVED
    change.approved_by_id, change.approved_at = user.id, utcnow()
    _flush(session)


def reject(session: Session, change: ChangeRequest, user: User, *, reason: str) -> None:
    """Reject a submitted or approved request, with the reason; its routes are freed."""
    _require("reject", change, Actor.of(user))
    if not reason.strip():
        raise ChangeRefused("give the reason for rejecting the change, so the planner can act on it")
    change.state = ChangeState.REJECTED
    change.rejected_by_id, change.rejected_at, change.rejection_reason = user.id, utcnow(), reason.strip()
    for item in change.items:
        item.open_key = None
    _flush(session)


def discard(session: Session, change: ChangeRequest, user: User) -> None:
    """Delete a draft that will not go ahead."""
    _require("discard", change, Actor.of(user))
    session.delete(change)
    session.flush()


@dataclass
class Publication:
    """What publishing did: versions written, routes changed now, runs refreshed, warnings."""

    versions: list[RouteVersion]
    applied_now: list[str]
    notice_school_days: int
    warnings: list[str]
    operator_ids: set[int]


def publish(session: Session, change: ChangeRequest, user: User, *, today: dt.date,
            notice_days: int, is_school_day: Callable[[dt.date], bool]) -> Publication:
    """Publish an approved request: each route's next version takes effect on the effective date.

    Refused, with nothing written, when a route changed since the request was drawn up, or a
    version already takes effect on or after the effective date.
    """
    _require("publish", change, Actor.of(user))
    if change.effective_date < today:
        raise ChangeRefused(f"the effective date {change.effective_date:%d %B %Y} has passed; "
                            "reject the request and draw it up again with a new date")
    try:
        # One savepoint around every write: a clash with a publication racing this one (the same
        # route's next version, or its baseline) refuses the whole request and writes nothing.
        with session.begin_nested():
            written, operators = _write_versions(session, change, user)
            session.flush()
    except IntegrityError:
        raise ChangeRefused("another planner published a change to one of these routes at the same "
                            "moment; reload the request to see what is in force now") from None
    notice = school_days_between(today, change.effective_date, is_school_day)
    change.state = ChangeState.PUBLISHED
    change.published_by_id, change.published_at = user.id, utcnow()
    change.notice_school_days = notice
    warnings = []
    if notice < notice_days:
        warnings.append(f"Short notice: the operator gets {notice} school day{'s' if notice != 1 else ''} "
                        f"of notice, less than the {notice_days} the council expects")
    applied = versions.apply_due_versions(session, today)
    _flush(session)
    return Publication(written, applied, notice, warnings, operators)


def _write_versions(session: Session, change: ChangeRequest, user: User) -> tuple[list[RouteVersion], set[int]]:
    """Each route's next version from the effective date; ChangeRefused with every reason otherwise."""
    reasons = []
    written: list[RouteVersion] = []
    operators: set[int] = set()
    for item in change.items:
        route = item.route
        if item.action == ChangeAction.CREATE:
            route = _create_route(session, item, change.effective_date)
            if route is None:
                reasons.append(f"route code {item.route_code} has been used since; rename the new route")
                continue
        assert route is not None
        latest = versions.latest_version(session, route)
        if item.action != ChangeAction.CREATE and latest != item.base_version:
            reasons.append(f"route {route.route_code} has changed since this request was drawn up "
                           f"(version {latest} is published; the request was made from version "
                           f"{item.base_version}); draw up a new change from the route as it is now")
            continue
        last_effective = session.scalar(select(RouteVersion.effective_from).where(
            RouteVersion.route_id == route.id).order_by(RouteVersion.effective_from.desc()).limit(1))
        if last_effective is not None and last_effective >= change.effective_date and item.action != ChangeAction.CREATE:
            reasons.append(f"route {route.route_code} already has a version taking effect on "
                           f"{last_effective:%d %B %Y}; this change must take effect after it")
            continue
        if item.action != ChangeAction.CREATE:
            versions.ensure_baseline(session, route, before=change.effective_date)
        snapshot = versions.WITHDRAWN if item.action == ChangeAction.WITHDRAW else dict(item.proposed or {})
        version = RouteVersion(route_id=route.id, version=1 if item.action == ChangeAction.CREATE else latest + 1,
                               effective_from=change.effective_date, snapshot=snapshot, change=change,
                               published_by=user.email)
        session.add(version)
        written.append(version)
        for operator_id in (route.operator_id, snapshot.get("operator_id")):
            if operator_id:
                operators.add(operator_id)
        item.open_key = None
    if reasons:
        raise ChangeRefused(reasons)
    return written, operators


def _create_route(session: Session, item: RouteChange, effective: dt.date) -> Route | None:
    """The route a 'create' item brings into being, starting on the effective date."""
    snapshot = item.proposed or {}
    if session.scalar(select(Route.id).where(Route.route_code == item.route_code)) is not None:
        return None
    route = Route(route_code=item.route_code, session=RouteSession(snapshot["session"]),
                  school_id=snapshot["school_id"], version=1, starts_on=effective)
    session.add(route)
    versions.apply_snapshot(session, route, snapshot, day=effective)
    # Version 1 is written by the caller; until its day the route has no runs (starts_on).
    route.version = 0
    item.route = route
    session.flush()
    return route
