"""Who may open what: every view names the roles that own it, and nothing else gets in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from hts.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints open to everyone, signed in or not.
PUBLIC = "public"
#: API endpoints that authenticate an operator's bearer token themselves (hts.api.auth).
TOKEN = "token"

#: Roles that may see children's personal data (names, dates of birth, addresses).
PUPIL_DATA_ROLES = frozenset({Role.ADMIN, Role.PLANNER, Role.OPERATIONS})
#: Council staff (everyone but operators).
COUNCIL_ROLES = frozenset(set(Role) - {Role.OPERATOR})
ALL_ROLES = frozenset(Role)


def roles_required(*roles: Role | Iterable[Role]) -> Callable[[F], F]:
    """Declare the roles that own a view. Views without a declaration are refused (403)."""
    allowed: set[Role] = set()
    for role in roles:
        allowed.update([role] if isinstance(role, Role) else role)

    def decorate(view: F) -> F:
        view._hts_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Declare a view open to anonymous visitors (login page, static files, health check)."""
    view._hts_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def token_required(view: F) -> F:
    """Declare an API view that authenticates an operator's bearer token (no session, no CSRF)."""
    view._hts_roles = TOKEN  # type: ignore[attr-defined]
    return view


def allowed_roles(endpoint: str) -> frozenset[Role] | str | None:
    """The roles declared for an endpoint, PUBLIC, or None when it declares nothing."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "_hts_roles", None)


def enforce() -> Any:
    """before_request: anonymous users go to login, others need a role the view declares."""
    if request.endpoint is None:
        return None  # 404 follows
    roles = allowed_roles(request.endpoint)
    if roles in (PUBLIC, TOKEN):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if roles is None or current_user.role not in roles:
        abort(403)
    return None


def operator_scope() -> int | None:
    """The operator id the current user is confined to, or None for council staff."""
    if current_user.is_authenticated and current_user.role == Role.OPERATOR:
        return current_user.operator_id
    return None


def can_see_pupils() -> bool:
    """Whether the current user may see children's personal data."""
    return current_user.is_authenticated and current_user.role in PUPIL_DATA_ROLES
