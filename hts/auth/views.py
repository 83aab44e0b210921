"""Sign in, sign out, and the administrator's list of accounts."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select

from hts import db
from hts.auth import service
from hts.auth.access import ALL_ROLES, public, roles_required
from hts.auth.forms import LoginForm, UserForm
from hts.auth.models import Role, User
from hts.web import paginate

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link bounce through us.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = service.authenticate(
            db.session(),
            email=form.email.data or "",
            password=form.password.data or "",
            address=request.remote_addr or "unknown",
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            window_minutes=current_app.config["LOGIN_WINDOW_MINUTES"],
        )
        db.session.commit()
        if result.user is not None:
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(result.user)
            return redirect(_safe_next(request.args.get("next")))
        error = result.message
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@roles_required(ALL_ROLES)
def logout() -> Any:
    """Sign out and end the session."""
    current_user.session_token = secrets.token_hex(32)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> Any:
    """Every account, searchable."""
    query = select(User).order_by(User.email)
    search = request.args.get("q", "").strip()
    if search:
        like = f"%{search}%"
        query = query.where(or_(User.email.ilike(like), User.name.ilike(like)))
    return render_template("auth/users.html", page=paginate(query), search=search, form=UserForm())


@bp.post("/users")
@roles_required(Role.ADMIN)
def create_user() -> Any:
    """Add an account."""
    form = UserForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = service.create_user(
                db.session(),
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                password=form.password.data or "",
                operator_ref=(form.operator_ref.data or "").strip() or None,
            )
        except service.AccountError as exc:
            db.session.rollback()
            errors[exc.field if exc.field in form else "email"] = exc.message
        else:
            db.session.commit()
            flash(f"Account created for {user.email}.", "success")
            return redirect(url_for("auth.users"))
    for name, field in form._fields.items():
        if field.errors:
            errors.setdefault(name, field.errors[0])
    query = select(User).order_by(User.email)
    return (
        render_template("auth/users.html", page=paginate(query), search="", form=form, errors=errors),
        400,
    )


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int) -> Any:
    """Lock or unlock an account."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("You cannot lock your own account.", "error")
        return redirect(url_for("auth.users"))
    service.set_active(user, request.form.get("active") == "1")
    db.session.commit()
    flash(f"{user.email} is now {'unlocked' if user.active else 'locked'}.", "success")
    return redirect(url_for("auth.users"))


@bp.post("/users/<int:user_id>/approver")
@roles_required(Role.ADMIN)
def set_route_approver(user_id: int) -> Any:
    """Grant or remove the route approver grant (never on one's own account, never an operator's)."""
    user = db.session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("You cannot change your own approval rights; ask another administrator.", "error")
    elif user.role == Role.OPERATOR:
        flash("Operator accounts cannot approve the council's route changes.", "error")
    else:
        user.route_approver = request.form.get("approver") == "1"
        db.session.commit()
        flash(f"{user.email} {'may now approve' if user.route_approver else 'no longer approves'} route changes.",
              "success")
    return redirect(url_for("auth.users"))
