"""Web pages of the routing domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("routing", __name__, template_folder="templates")
