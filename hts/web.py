"""Web plumbing shared by every blueprint: templates, CSRF, headers, errors, home, health.

Who may open which page (the role sets below; every view declares one of them):

=====================  =====  =======  ==========  =======  ==========  ========
Pages                  admin  planner  compliance  manager  operations  operator
=====================  =====  =======  ==========  =======  ==========  ========
Home                   yes    yes      yes         yes      yes         yes
Schools                yes    yes      -           yes      yes         -
Pupils                 yes    yes      -           -        yes         -
Routes                 yes    yes      yes         yes      yes         own
Route workbench        yes    yes      view        view     -           -
Operators (list)       yes    yes      yes         yes      yes         -
Operator (detail)      yes    yes      yes         yes      yes         own
Staff, vehicles        yes    yes      yes         -        yes         own
Documents              yes    -        yes         -        -           own
Import                 yes    yes      yes         -        yes         -
Control room (runs)    yes    view     -           view     yes         -
Our runs (report)      -      -        -           -        -           own
Casework               yes    -        -           view     yes         -
School closures        yes    yes      -           view     yes         -
SITREP                 yes    yes      yes         yes      yes         -
Compliance             yes    assign   yes         view     -           own
Users, audit log       yes    -        -           -        -           -
=====================  =====  =======  ==========  =======  ==========  ========

- Children's personal data (pupil pages; pupil names and pickup locations on a route, which
  are home addresses) only for PUPIL_DATA_ROLES (admin, planner, operations). Other roles see
  a route's stops as times and pupil counts.
- An operator user sees only its own operator: lists are filtered in SQL and another
  operator's record opened by id is a 404, so ids reveal nothing.
- A record's change history (actor emails, before/after values) is for council staff only.
- Staff dates of birth and the document lists on operator, staff and vehicle pages follow the
  Documents row: compliance work, not planning.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from sqlalchemy import Select, func, select, text

from hts import db, weekdays
from hts.auth.access import (
    ALL_ROLES,
    COUNCIL_ROLES,
    PUBLIC,
    PUPIL_DATA_ROLES,
    allowed_roles,
    can_see_pupils,
    public,
    roles_required,
)
from hts.auth.models import Role
from hts.clock import local_today

csrf = CSRFProtect()
bp = Blueprint("web", __name__)


@dataclass(frozen=True)
class NavItem:
    """A link in the service navigation and the roles that see it."""

    label: str
    endpoint: str
    roles: frozenset[Role]


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


#: Role sets of the access matrix in the module docstring.
SCHOOL_ROLES = _roles(Role.ADMIN, Role.PLANNER, Role.OPERATIONS, Role.MANAGER)
PUPIL_ROLES = PUPIL_DATA_ROLES
ROUTE_ROLES = frozenset(ALL_ROLES)
OPERATOR_LIST_ROLES = _roles(Role.ADMIN, Role.PLANNER, Role.COMPLIANCE, Role.MANAGER, Role.OPERATIONS)
OPERATOR_PAGE_ROLES = OPERATOR_LIST_ROLES | {Role.OPERATOR}
FLEET_ROLES = _roles(Role.ADMIN, Role.COMPLIANCE, Role.OPERATOR, Role.PLANNER, Role.OPERATIONS)
DOCUMENT_ROLES = _roles(Role.ADMIN, Role.COMPLIANCE, Role.OPERATOR)
IMPORT_ROLES = _roles(Role.ADMIN, Role.PLANNER, Role.COMPLIANCE, Role.OPERATIONS)
ADMIN_ROLES = _roles(Role.ADMIN)
HISTORY_ROLES = COUNCIL_ROLES
#: The control room's runs (operations and admin record; planners and managers look) and the SITREP.
CONTROL_ROOM_ROLES = _roles(Role.ADMIN, Role.OPERATIONS, Role.PLANNER, Role.MANAGER)
SITREP_ROLES = COUNCIL_ROLES
#: The compliance dashboard (managers look); an operator sees its own compliance instead.
COMPLIANCE_ROLES = _roles(Role.ADMIN, Role.COMPLIANCE, Role.MANAGER)
OPERATOR_ROLES = _roles(Role.OPERATOR)
PLAN_ROLES = _roles(Role.ADMIN, Role.PLANNER, Role.MANAGER)
#: The route workbench: planners edit; managers and the compliance team look (no children's data).
WORKBENCH_ROLES = _roles(Role.ADMIN, Role.PLANNER, Role.MANAGER, Role.COMPLIANCE)

NAVIGATION = (
    NavItem("Home", "web.home", frozenset(ALL_ROLES)),
    NavItem("Schools", "people.schools", SCHOOL_ROLES),
    NavItem("Pupils", "people.pupils", PUPIL_ROLES),
    NavItem("Routes", "routing.routes", ROUTE_ROLES),
    NavItem("Runs", "our_runs.runs", OPERATOR_ROLES),
    NavItem("Plans", "plans.plans", PLAN_ROLES),
    NavItem("Workbench", "workbench.index", WORKBENCH_ROLES),
    NavItem("Changes", "changes.change_list", PLAN_ROLES),
    NavItem("Operators", "operators.operators", OPERATOR_LIST_ROLES),
    NavItem("Staff", "operators.staff_list", FLEET_ROLES),
    NavItem("Vehicles", "operators.vehicles", FLEET_ROLES),
    NavItem("Documents", "operators.documents", DOCUMENT_ROLES),
    NavItem("Compliance", "compliance.dashboard", COMPLIANCE_ROLES),
    NavItem("Our compliance", "compliance.ours", OPERATOR_ROLES),
    NavItem("Control room", "operations.board", CONTROL_ROOM_ROLES),
    NavItem("SITREP", "sitrep.dashboard", SITREP_ROLES),
    NavItem("Import", "imports.upload", IMPORT_ROLES),
    NavItem("Users", "auth.users", ADMIN_ROLES),
    NavItem("Audit log", "audit.entries", ADMIN_ROLES),
    NavItem("Jobs", "admin.jobs", ADMIN_ROLES),
)


def navigation() -> list[dict[str, Any]]:
    """The navigation items the current user may open, marking the current section."""
    if not current_user.is_authenticated:
        return []
    here = request.endpoint or ""
    sections = [item.endpoint.split(".")[0] for item in NAVIGATION]
    items = []
    for item in NAVIGATION:
        if current_user.role not in item.roles or item.endpoint not in current_app.view_functions:
            continue
        section = item.endpoint.split(".")[0]
        # A detail page belongs to its list ("people.pupil" to "people.pupils"); a blueprint
        # with a single navigation item owns all of its pages.
        active = _stem(here) == _stem(item.endpoint) or (
            section != "web" and sections.count(section) == 1 and here.split(".")[0] == section
        )
        items.append(
            {"text": item.label, "href": url_for(item.endpoint), "active": active,
             "current": here == item.endpoint}
        )
    return items


def _stem(endpoint: str) -> str:
    """An endpoint without its list suffix: 'operators.staff_list' and 'operators.staff' match."""
    return endpoint.removesuffix("_list").removesuffix("s")


@dataclass
class Page:
    """One page of a list: its items and what the pagination links need."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))

    def link(self, page: int) -> str:
        """The URL of another page of the same list, keeping the search."""
        args = dict(request.args)
        args["page"] = str(page)
        return url_for(request.endpoint or "web.home", **(request.view_args or {}), **args)

    def govuk_pagination(self) -> dict[str, Any] | None:
        """Parameters for the GOV.UK pagination component, or None for a single page."""
        if self.pages <= 1:
            return None
        params: dict[str, Any] = {"items": []}
        if self.page > 1:
            params["previous"] = {"href": self.link(self.page - 1)}
        if self.page < self.pages:
            params["next"] = {"href": self.link(self.page + 1)}
        shown = sorted({1, self.pages, *range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)})
        last = 0
        for number in shown:
            if number - last > 1:
                params["items"].append({"ellipsis": True})
            params["items"].append(
                {"number": number, "href": self.link(number), "current": number == self.page}
            )
            last = number
        return params


def paginate(query: Select[Any]) -> Page:
    """Run a select one page at a time (page from the query string), counting in SQL."""
    from flask import current_app

    per_page = current_app.config["PAGE_SIZE"]
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def search_text() -> str:
    """The list search from the query string (`q`), trimmed and bounded."""
    return request.args.get("q", "").strip()[:100]


def contains(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, with LIKE's wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def int_arg(name: str) -> int | None:
    """A whole-number filter from the query string, or None when absent or not a number."""
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def day_arg(default: dt.date) -> tuple[dt.date, str | None]:
    """The `date` query argument, or the default with a message when it is not a date."""
    raw = request.args.get("date", "").strip()
    if not raw:
        return default, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return default, f"'{raw[:20]}' is not a date: use the date picker or YYYY-MM-DD"


def can_open(endpoint: str) -> bool:
    """Whether the current user's role may open an endpoint (for links in templates)."""
    roles = allowed_roles(endpoint)
    if roles == PUBLIC:
        return True
    return bool(current_user.is_authenticated and roles and current_user.role in roles)


def _security_headers(response: Response) -> Response:
    from flask import current_app

    tiles = current_app.config.get("MAP_TILE_URL") or ""
    tile_origin = ""
    if tiles.startswith("http"):
        tile_origin = " " + "/".join(tiles.split("/")[:3]).replace("{s}.", "*.")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:{tile_origin}; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("SECURE_COOKIES"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, title: str, message: str) -> tuple[Any, int]:
    if _wants_json():
        return jsonify({"error": title, "message": message}), status
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    """Templates (ours, then GOV.UK Frontend's macros), CSRF, headers, errors and the home page."""
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,  # type: ignore[list-item]
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.globals.update(
        navigation=navigation, weekdays=weekdays, can_open=can_open, can_see_pupils=can_see_pupils
    )
    app.jinja_env.filters["hhmm"] = lambda t: t.strftime("%H:%M") if t else ""
    app.jinja_env.filters["ukdate"] = lambda d: d.strftime("%-d %b %Y") if d else ""
    app.jinja_env.filters["pounds"] = lambda pence: f"£{pence / 100:,.2f}"
    csrf.init_app(app)
    app.after_request(_security_headers)
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Any, int]:
        return _error(400, "The form had expired", "Go back, reload the page and try again.")

    @app.errorhandler(403)
    def forbidden(error: Any) -> tuple[Any, int]:
        return _error(403, "You cannot open this page", "Your role does not give access to it.")

    @app.errorhandler(404)
    def not_found(error: Any) -> tuple[Any, int]:
        return _error(404, "Page not found", "Check the address, or go back to the home page.")

    @app.errorhandler(405)
    def method_not_allowed(error: Any) -> tuple[Any, int, dict[str, str]]:
        body, status = _error(405, "Method not allowed", "This address does not accept that request.")
        # HTTP requires a 405 to list the methods the address does accept.
        return body, status, {"Allow": ", ".join(sorted(getattr(error, "valid_methods", None) or []))}

    @app.errorhandler(413)
    def too_large(error: Any) -> tuple[Any, int]:
        return _error(413, "The file is too large", "Upload a file of at most 20 MB.")

    @app.errorhandler(500)
    def server_error(error: Any) -> tuple[Any, int]:
        return _error(500, "Sorry, something went wrong", "Nothing was saved. Try again later.")


@bp.get("/")
@roles_required(ALL_ROLES)
def home() -> Any:
    """The signed-in user's starting page: counts of what they look after."""
    return render_template("home.html", counts=home_counts())


def home_counts() -> list[tuple[str, int, str]]:
    """(label, count, endpoint) for each list the current user may open."""
    from hts.auth.access import operator_scope
    from hts.operators.models import Document, Operator, Staff, Vehicle
    from hts.people.models import Pupil, School
    from hts.routing.models import Route

    scope = operator_scope()
    counts = []
    for label, model, endpoint in (
        ("Schools", School, "people.schools"),
        ("Pupils", Pupil, "people.pupils"),
        ("Routes", Route, "routing.routes"),
        ("Operators", Operator, "operators.operators"),
        ("Staff", Staff, "operators.staff_list"),
        ("Vehicles", Vehicle, "operators.vehicles"),
        ("Documents", Document, "operators.documents"),
    ):
        item = next((n for n in NAVIGATION if n.endpoint == endpoint), None)
        if item is None or current_user.role not in item.roles or endpoint not in current_app.view_functions:
            continue
        query = select(func.count()).select_from(model)
        if scope is not None and model is Document:
            from hts.operators.views import scoped_documents

            query = scoped_documents(select(func.count(Document.id)), scope)
        elif scope is not None:
            query = query.where(model.operator_id == scope)  # type: ignore[attr-defined]
        if model is Route:
            query = query.where(Route.withdrawn_on.is_(None))  # the published network only
        counts.append((label, db.session.scalar(query) or 0, endpoint))
    if scope is not None and "our_runs.runs" in current_app.view_functions:
        from hts.operations.models import Run
        from hts.operations.our_runs import OPERATOR_FILTERS

        to_report = select(func.count(Run.id)).where(Run.operator_id == scope, Run.run_on == local_today(),
                                                     OPERATOR_FILTERS["to_report"][1])
        counts.insert(1, ("Runs to report today", db.session.scalar(to_report) or 0, "our_runs.runs"))
    return counts


@bp.get("/healthz")
@public
def healthz() -> Any:
    """Whether the app can reach its database, and whether the scheduler's heartbeat is fresh.

    503 when the database is unreachable; a stale or missing heartbeat is reported (monitoring
    should alert on it) without failing the web health check, since the web can serve without it.
    """
    from hts.scheduler import heartbeat_state

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return jsonify({"database": "unreachable"}), 503
    return jsonify({"database": "ok", "scheduler": heartbeat_state(db.session())})


@bp.get("/favicon.ico")
@public
def favicon() -> Any:
    """Browsers ask for it; send the static icon."""
    return redirect(url_for("static", filename="favicon.svg"))
