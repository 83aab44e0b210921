"""Front-end assets: served from our own static files, council-branded, CSP-clean pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import Casework, World
from tests.web.test_access import _get_pages

STATIC = Path(__file__).parents[2] / "hts" / "static"


def test_govuk_frontend_is_built_without_the_gds_transport_font_or_crown() -> None:
    css = (STATIC / "vendor" / "govuk-frontend" / "govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "font-family:arial,sans-serif" in css
    assert not (STATIC / "vendor" / "govuk-frontend" / "assets").exists()  # crown images stay out


def test_each_vendored_package_keeps_its_licence_beside_it() -> None:
    assert (STATIC / "vendor" / "govuk-frontend" / "LICENSE.txt").read_text().startswith("The MIT License")
    assert (STATIC / "vendor" / "leaflet" / "LICENSE").read_text().startswith("BSD 2-Clause License")
    assert (STATIC / "vendor" / "leaflet" / "images" / "marker-icon.png").exists()


def test_hts_js_imports_the_vendored_govuk_frontend_module() -> None:
    script = (STATIC / "hts.js").read_text()
    for module in re.findall(r'from "\./([^"]+)"', script):
        assert (STATIC / module).exists(), module


def test_every_asset_a_page_refers_to_is_served(client: FlaskClient, login: Any, world: World) -> None:
    login("planner")
    html = client.get(f"/pupils/{world.pupil.id}").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert any("leaflet.js" in a for a in assets) and any("govuk-frontend.min.css" in a for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_no_page_has_inline_script_or_style_that_the_csp_would_block(
    app: Flask, client: FlaskClient, login: Any, world: World, casework: Casework
) -> None:
    login("admin")
    for _endpoint, url in _get_pages(app, world, casework):
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert not re.search(r"\sstyle=", html), f"style attribute on {url}"
        assert "<style" not in html, f"style element on {url}"
