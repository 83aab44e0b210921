"""`hts tokens ...`: operators' API tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hts import db
from hts.cli import fail


@click.group("tokens")
def tokens_group() -> None:
    """Operators' API tokens."""


@tokens_group.command("create")
@click.option("--operator", "operator_ref", required=True, help="The operator the token acts for.")
@click.option("--name", default="API token", help="What the token is for (e.g. 'driver app').")
@with_appcontext
def create_command(operator_ref: str, name: str) -> None:
    """Issue a token; it is printed once and cannot be shown again."""
    from hts.api.tokens import issue
    from hts.operators.models import Operator

    operator = db.session.scalar(select(Operator).where(Operator.operator_ref == operator_ref))
    if operator is None:
        fail(f"no operator '{operator_ref}'.")
    row, token = issue(db.session(), operator, name)
    db.session.commit()
    click.echo(f"Token {row.id} for {operator.name} ('{row.name}'). Keep it secret; it is shown only once:", err=True)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_command(token_id: int) -> None:
    """Stop a token working at once."""
    from hts.api.models import ApiToken
    from hts.api.tokens import revoke

    row = db.session.get(ApiToken, token_id)
    if row is None:
        fail(f"no token {token_id}.")
    revoke(row)
    db.session.commit()
    click.echo(f"Token {token_id} revoked.", err=True)
