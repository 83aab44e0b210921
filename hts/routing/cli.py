"""`hts routes ...` commands."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from hts import db
from hts.cli import EXIT_REFUSED, fail
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
    today = parse_day(day) if day else dt.date.today()
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
