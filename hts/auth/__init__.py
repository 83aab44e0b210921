"""Accounts, roles, sign-in and the access rule every view goes through."""

from __future__ import annotations

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
    from flask_login import current_user

    if current_user.is_authenticated:
        set_actor(Actor(current_user.email, current_user.id))
    else:
        set_actor(Actor("anonymous"))


def init_app(app: Flask) -> None:
    """Sign-in, the access rule and the audit actor, before every request."""
    from hts.auth.access import enforce
    from hts.auth.views import bp

    login_manager.init_app(app)
    app.before_request(_set_actor)
    app.before_request(enforce)
    app.register_blueprint(bp)
