"""hts: home-to-school transport for English local authorities."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config -> database -> extensions -> blueprints -> CLI."""
    app = Flask(__name__, instance_relative_config=True)

    from hts import config

    app.config.update(config.load(app.instance_path, overrides))

    from hts.db import Database

    Database().init_app(app)

    from hts import models  # noqa: F401  (registers every table on the metadata)
    from hts.audit import log as audit_log

    audit_log.install()

    from hts import web

    web.init_app(app)

    from hts.auth import init_app as init_auth

    init_auth(app)

    from hts.audit.views import bp as audit_bp
    from hts.imports.views import bp as imports_bp
    from hts.operators.views import bp as operators_bp
    from hts.people.views import bp as people_bp
    from hts.routing.views import bp as routing_bp

    for blueprint in (people_bp, operators_bp, routing_bp, imports_bp, audit_bp):
        app.register_blueprint(blueprint)

    from hts.operations.views import bp as operations_bp
    from hts.sitrep.views import bp as sitrep_bp

    app.register_blueprint(operations_bp)
    app.register_blueprint(sitrep_bp)

    from hts.operations.our_runs_views import bp as our_runs_bp
    from hts.operations.runsheet_views import bp as runsheets_bp

    app.register_blueprint(runsheets_bp)
    app.register_blueprint(our_runs_bp)

    from hts.routing.plan_views import bp as plans_bp

    app.register_blueprint(plans_bp)

    from hts.routing.change_views import bp as changes_bp

    app.register_blueprint(changes_bp)

    from hts.routing.workbench_views import bp as workbench_bp

    app.register_blueprint(workbench_bp)

    from hts.compliance.views import bp as compliance_bp

    app.register_blueprint(compliance_bp)

    from hts.admin_views import bp as admin_bp

    app.register_blueprint(admin_bp)

    from hts.privacy.views import bp as privacy_bp

    app.register_blueprint(privacy_bp)

    from hts.api.views import bp as api_bp
    from hts.web import csrf

    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site request to forge
    app.register_blueprint(api_bp)

    from hts.cli import register

    register(app)
    return app
