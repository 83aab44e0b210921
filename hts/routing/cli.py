"""`hts routes ...` commands."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from hts import db
from hts.cli import EXIT_REFUSED, fail
from hts.clock import local_today
from hts.operators.models import Operator, Staff, Vehicle
from hts.routing.models import Route


@click.group("routes")
def routes_group() -> None:
    """Published routes."""


def _find(model, column, value: str | None, label: str):  # type: ignore[no-untyped-def]
    if value is None:
        return None
    found = db.session.scalar(select(model).where(column == value))
    if found is None:
        fail(f"no {label} '{value}'. Check the reference (see `hts export {label}s FILE`).")
    return found


@routes_group.command("assign")
@click.argument("route_code")
@click.option("--operator", "operator_ref", help="Operator reference.")
@click.option("--driver", "driver_ref", help="Driver's staff reference.")
@click.option("--pa", "pa_ref", help="Passenger assistant's staff reference.")
@click.option("--vehicle", "registration", help="Vehicle registration.")
@click.option("--date", "day", help="Judge from this day (YYYY-MM-DD, default today).")
@with_appcontext
def assign_command(route_code: str, operator_ref: str | None, driver_ref: str | None,
                   pa_ref: str | None, registration: str | None, day: str | None) -> None:
    """Assign an operator, driver, PA or vehicle to a route through the compliance gate."""
    from hts.compliance.cli import parse_day
    from hts.compliance.gates import AssignmentRefused, assign
    from hts.compliance.rules import policy_from_config

    if not any((operator_ref, driver_ref, pa_ref, registration)):
        fail("say what to assign: --operator, --driver, --pa and/or --vehicle.")
    today = parse_day(day) if day else local_today()
    route = _find(Route, Route.route_code, route_code, "route")
    operator = _find(Operator, Operator.operator_ref, operator_ref, "operator")
    driver = _find(Staff, Staff.staff_ref, driver_ref, "staff")
    pa = _find(Staff, Staff.staff_ref, pa_ref, "staff")
    vehicle = _find(Vehicle, Vehicle.registration, " ".join(registration.upper().split()) if registration else None,
                    "vehicle")
    try:
        assign(db.session(), route, today=today, policy=policy_from_config(current_app.config),
               operator=operator, vehicle=vehicle, driver=driver, pa=pa)
    except AssignmentRefused as refused:
        db.session.rollback()
        click.echo(f"Refused: {route_code} cannot be assigned:", err=True)
        for reason in refused.reasons:
            click.echo(f"  - {reason}", err=True)
        raise SystemExit(EXIT_REFUSED) from None
    db.session.commit()
    crew = ", ".join(
        f"{label} {value}" for label, value in (
            ("operator", route.operator.operator_ref if route.operator else None),
            ("vehicle", route.vehicle.registration if route.vehicle else None),
            ("driver", route.driver.staff_ref if route.driver else None),
            ("PA", route.pa.staff_ref if route.pa else None),
        ) if value
    )
    click.echo(f"Assigned {route_code} (version {route.version}): {crew}.", err=True)


@click.command("plan")
@click.option("--session", "session_name", required=True, type=click.Choice(["am", "pm"]), help="Morning or afternoon.")
@click.option("--day", default="mon", help="Weekday to plan for: mon, tue, wed, thu or fri (default mon).")
@click.option("--schools", default="", help="Comma-separated school URNs (default: every school).")
@click.option("--time-limit", "time_limit", default=60, type=click.IntRange(1, 3600),
              help="Seconds of solving for the whole plan (default 60).")
@click.option("--json", "json_file", type=click.File("w"), help="Write the plan as JSON ('-' for stdout).")
@with_appcontext
def plan_command(session_name: str, day: str, schools: str, time_limit: int, json_file) -> None:  # type: ignore[no-untyped-def]
    """Build a draft plan with the optimiser; progress on stderr."""
    import json

    from tqdm import tqdm

    from hts import weekdays
    from hts.audit.log import current_actor
    from hts.routing.matrix import TravelProviderError
    from hts.routing.models import DraftPlan, PlanStatus
    from hts.routing.planning import PlanInputError, run_plan

    try:
        weekday = weekdays.parse_one(day)
        if weekday > 4:
            raise ValueError
    except ValueError:
        fail(f"--day '{day}' is not a school weekday: use mon, tue, wed, thu or fri.")
        return
    urns = [u.strip() for u in schools.split(",") if u.strip()]
    plan = DraftPlan(session=session_name, weekday=weekday, school_urns=urns, time_limit_seconds=time_limit,
                     requested_by=current_actor().label, status=PlanStatus.QUEUED)
    db.session.add(plan)
    bar = tqdm(total=0, unit="part", file=sys.stderr, disable=None,
               desc=f"Planning {session_name} {weekdays.NAMES[weekday]}")

    def progress(done: int, total: int, message: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(message[:40])
        bar.refresh()

    try:
        document = run_plan(db.session(), plan, current_app.config, progress=progress)
    except PlanInputError as exc:
        db.session.rollback()
        bar.close()
        fail(str(exc))
        return
    except TravelProviderError as exc:
        db.session.rollback()
        bar.close()
        fail(f"{exc}. Check ROUTING_OSRM_URL, or unset it to plan with straight-line distances.", code=1)
        return
    bar.close()
    db.session.commit()
    summary = document["summary"]
    click.echo(
        f"Draft plan {plan.id}: {summary['vehicles']} vehicles, £{summary['daily_cost']:,.2f} a day, "
        f"{summary['total_distance_km']:,.1f} km, mean ride {summary['mean_ride_minutes']} min, "
        f"max {summary['max_ride_minutes']} min, {summary['unassigned']} unassigned, "
        f"{summary['pupils_over_limit']} over their limit, {summary['locked_routes_kept']} locked routes kept, "
        f"{summary['wall_seconds']} s.",
        err=True,
    )
    if summary["share_schools_within_metres"]:
        added, shared = summary["schools_added_for_sharing"], summary["shared_routes"]
        click.echo(f"Schools within {summary['share_schools_within_metres']:,} m may share: "
                   f"{shared} route{' carries' if shared == 1 else 's carry'} pupils of more than one school"
                   + (f"; also planned, as published routes share with them: {', '.join(added)}." if added else "."),
                   err=True)
    if summary["check"]:
        click.echo("The independent check found breaches: " + "; ".join(summary["check"][:5]), err=True)
    if json_file is not None:
        json.dump(document, json_file, indent=2)
        json_file.write("\n")


@routes_group.command("publish")
@click.argument("change_id", type=int)
@click.option("--as", "email", required=True, help="Email of the planner publishing it (their account).")
@click.option("--date", "day", help="Publish as on this day (YYYY-MM-DD, default today).")
@with_appcontext
def publish_command(change_id: int, email: str, day: str | None) -> None:
    """Publish an approved route change request and queue the operators' notices."""
    from hts.auth.models import User
    from hts.compliance.cli import parse_day
    from hts.routing.change_mail import notify_operators
    from hts.routing.change_views import school_day_test
    from hts.routing.changes import ChangeRefused, publish
    from hts.routing.models import ChangeRequest

    today = parse_day(day) if day else local_today()
    change = db.session.get(ChangeRequest, change_id)
    if change is None:
        fail(f"no change request {change_id}. See the list at /changes.")
    user = _find(User, User.email, email.strip().lower(), "user")
    try:
        result = publish(db.session(), change, user, today=today,
                         notice_days=int(current_app.config["CHANGE_NOTICE_SCHOOL_DAYS"]),
                         is_school_day=school_day_test())
        sent = notify_operators(db.session(), change, result, current_app.config)
    except ChangeRefused as refused:
        db.session.rollback()
        click.echo(f"Refused: change request {change_id} cannot be published:", err=True)
        for reason in refused.reasons:
            click.echo(f"  - {reason}", err=True)
        raise SystemExit(EXIT_REFUSED) from None
    db.session.commit()
    for warning in result.warnings:
        click.echo(f"Warning: {warning}.", err=True)
    click.echo(f"Published change request {change_id}: {len(result.versions)} route versions from "
               f"{change.effective_date.isoformat()}, {len(result.applied_now)} in force now, "
               f"{sent} operator notices queued.", err=True)
