"""The accessibility check itself: it must catch real violations and unchecked pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.accessibility import assert_clean, check_accessibility, tracker_of, visit

BROKEN_PAGE = """<!DOCTYPE html>
<html><head><title>Broken</title></head>
<body><main><h1>Broken</h1><img src="data:," id="photo"><input id="nameless"></main></body></html>"""


def test_the_check_lists_each_violation_with_its_rule_and_element(page: Page):
    page.set_content(BROKEN_PAGE)
    with pytest.raises(AssertionError) as failure:
        check_accessibility(page)
    report = str(failure.value)
    assert "image-alt" in report and "#photo" in report
    assert "label" in report and "#nameless" in report
    assert "html-has-lang" in report


def test_a_page_opened_without_the_check_fails_the_test(page: Page, live_server: str):
    visit(page, "/login")
    page.goto("/login")
    with pytest.raises(AssertionError, match="never checked for accessibility: .*/login"):
        assert_clean(page)
    check_accessibility(page)
    assert_clean(page)


def test_an_inline_script_refused_by_the_csp_fails_the_test(page: Page):
    visit(page, "/login")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    with pytest.raises(AssertionError, match="CSP refusal"):
        assert_clean(page)
    assert page.evaluate("() => window.injected") is None
    # The refusal was the point of this test; clear it so teardown judges the rest.
    tracker_of(page).errors.clear()
