"""The `hts` command line (see docs/cli.md in shared docs and the README)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, run_command, shell_command, with_appcontext

from hts.audit.log import Actor, set_actor

# Exit codes of the CLI contract.
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3


def _create_app() -> Flask:
    from hts import create_app

    return create_app()


# Flask's default commands are added by hand below: its `routes` (URL rules) would shadow ours.
@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def main() -> None:
    """Home-to-school transport: plan, assure and run the council's routes."""
    set_actor(Actor(f"cli:{getpass.getuser()}"))


main.add_command(run_command)
main.add_command(shell_command)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Say what is wrong on standard error and exit with the contract's code."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database, or upgrade it to the latest migration (safe to run again)."""
    from hts.db import get_database
    from hts.migrate import current_revision, upgrade

    engine = get_database().engine
    assert engine is not None
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except Exception as exc:  # the one place a failure is reported rather than raised
        click.echo(f"Error: could not migrate {engine.url.render_as_string()}: {exc}", err=True)
        sys.exit(1)
    url = engine.url.render_as_string()
    if before == after:
        click.echo(f"Database {url} is up to date (revision {after}).", err=True)
    else:
        click.echo(f"Database {url} migrated from {before or 'empty'} to {after}.", err=True)


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True,
              type=click.Choice(["admin", "planner", "compliance", "manager", "operations", "operator"]))
@click.option("--operator", "operator_ref", help="Operator reference (operator accounts only).")
@click.option("--password", help="Password; asked for when omitted. At least 10 characters.")
@with_appcontext
def users_create(email: str, name: str, role: str, operator_ref: str | None,
                 password: str | None) -> None:
    """Make an account with a role."""
    from hts import db
    from hts.auth.service import AccountError, create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session(), email=email, name=name, role=role,
                           password=password, operator_ref=operator_ref)
    except AccountError as exc:
        db.session.rollback()
        fail(f"{exc.message} ({exc.field}).")
        return
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}.", err=True)


def register(app: Flask) -> None:
    """Attach every command to the app's CLI group."""
    from hts.api.cli import tokens_group
    from hts.backup_cli import backup_command, restore_command
    from hts.compliance.cli import compliance_group
    from hts.demo.cli import demo_command
    from hts.imports.cli import export_command, import_command
    from hts.privacy.cli import pupils_group
    from hts.routing.cli import plan_command, routes_group
    from hts.scheduler_cli import scheduler_command
    from hts.sitrep.cli import sitrep_command

    for command in (init_command, users_group, compliance_group, routes_group, import_command,
                    export_command, demo_command, sitrep_command, scheduler_command,
                    tokens_group, plan_command, backup_command, restore_command, pupils_group):
        app.cli.add_command(command)


def app_config(name: str) -> Any:
    """A config value of the current app (for commands)."""
    return current_app.config[name]
