"""Web pages of the imports domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__, template_folder="templates")
