"""axe-core checks for every page a browser test visits, and the helpers that enforce them.

Tests navigate with `visit()` and `submit()`, which run axe on the page they arrive at. A
tracker attached to each page records every document that loads; a test that leaves a loaded
page unchecked fails at teardown, so a new navigation cannot slip past the accessibility check.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, Response

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
#: The WCAG 2.0, 2.1 and 2.2 A and AA rules (WCAG 2.2 added only AA rules to axe's tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_AXE_RUN = """(tags) => axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
})"""


@dataclass
class PageTracker:
    """What happened in one browser page: loaded documents not yet checked, and errors."""

    unchecked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_trackers: weakref.WeakKeyDictionary[Page, PageTracker] = weakref.WeakKeyDictionary()


def track(page: Page) -> PageTracker:
    """Start recording loads, script errors, CSP refusals and failed resources of a page."""
    tracker = PageTracker()
    _trackers[page] = tracker
    page.on("load", lambda loaded: tracker.unchecked.append(loaded.url))
    page.on("pageerror", lambda error: tracker.errors.append(f"script error: {error}"))
    page.on("console", lambda message: _note_console(tracker, message.type, message.text))
    page.on("response", lambda response: _note_response(tracker, response))
    return tracker


def tracker_of(page: Page) -> PageTracker:
    """The tracker of a page that `track` was called on."""
    return _trackers[page]


def _note_console(tracker: PageTracker, kind: str, text: str) -> None:
    # The CSP forbids inline scripts and styles; the browser reports a refusal only here.
    if kind == "error" and "Content Security Policy" in text:
        tracker.errors.append(f"CSP refusal: {text}")


def _note_response(tracker: PageTracker, response: Response) -> None:
    # A page may answer 4xx on purpose (a refused sign-in); its stylesheets and scripts may not.
    if response.status >= 400 and response.request.resource_type != "document":
        tracker.errors.append(f"{response.status} for {response.request.resource_type} {response.url}")


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    """A readable list of axe violations: rule id, impact, help text and the offending nodes."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}): {violation['help']}"
            f" <{violation.get('helpUrl', '')}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def _inject_axe(page: Page) -> None:
    """Load axe into the page.

    `page.add_script_tag` would add an inline script, which the app's Content-Security-Policy
    (script-src 'self') refuses, as it should. Playwright's own evaluation is not subject to
    the page's CSP, so axe's source is evaluated directly and the policy stays on in the test.
    """
    page.evaluate(_axe_source() + "\n;undefined")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        raise AssertionError(f"axe-core did not load into {page.url}")


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def check_accessibility(page: Page) -> None:
    """Run axe-core's WCAG 2.2 A/AA rules on the page; fail with every violation listed."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        _inject_axe(page)
    results = page.evaluate(_AXE_RUN, WCAG_TAGS)
    tracker = _trackers.get(page)
    if tracker is not None:
        tracker.unchecked.clear()
    if results["violations"]:
        raise AssertionError(format_violations(page.url, results["violations"]))


def visit(page: Page, path: str) -> Response | None:
    """Open a path of the live server and check the page it lands on."""
    response = page.goto(path)
    check_accessibility(page)
    return response


def submit(page: Page, action: Callable[[], Any]) -> Response | None:
    """Do what sends a form (a click, Enter), wait for the next page and check it."""
    with page.expect_navigation() as navigation:
        action()
    check_accessibility(page)
    return navigation.value


def follow(page: Page, link: Locator) -> Response | None:
    """Click a link, wait for the page it opens and check it."""
    return submit(page, link.click)


def assert_clean(page: Page) -> None:
    """Fail if the page loaded a document nobody checked, or had script or resource errors."""
    tracker = _trackers.get(page)
    if tracker is None:
        return
    problems = list(tracker.errors)
    problems += [f"page loaded but never checked for accessibility: {url}" for url in tracker.unchecked]
    if problems:
        raise AssertionError("Browser problems:\n- " + "\n- ".join(problems))
