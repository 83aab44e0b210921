"""Web pages of the people domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates")
