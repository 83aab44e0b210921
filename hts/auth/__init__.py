"""Accounts, roles, sign-in and the access rule every view goes through."""

from __future__ import annotations

import contextlib

from flask import Flask
from flask_login import LoginManager
from sqlalchemy import select

from hts import db
from hts.audit.log import Actor, set_actor

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(token: str):  # type: ignore[no-untyped-def]
    from hts.auth.models import User

    user = db.session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def _set_actor() -> None:
    from flask import g
    from flask_login import current_user

    if current_user.is_authenticated:
        g.hts_actor_token = set_actor(Actor(current_user.email, current_user.id))
    else:
        g.hts_actor_token = set_actor(Actor("anonymous"))


def _reset_actor(_exc: BaseException | None) -> None:
    # The request runs in its caller's context (the test client, a worker thread): without the
    # reset, the user would stay the actor of whatever that thread does next.
    from flask import g

    token = g.pop("hts_actor_token", None)
    if token is not None:
        # Torn down in another context (ValueError) or already reset: nothing leaked here.
        with contextlib.suppress(ValueError, RuntimeError):
            token.var.reset(token)


def init_app(app: Flask) -> None:
    """Sign-in, the access rule and the audit actor, before every request."""
    from hts.auth.access import enforce
    from hts.auth.views import bp

    login_manager.init_app(app)
    app.before_request(_set_actor)
    app.teardown_request(_reset_actor)
    app.before_request(enforce)
    app.register_blueprint(bp)
