"""Web pages of the operators domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("operators", __name__, template_folder="templates")
