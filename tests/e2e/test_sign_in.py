"""Signing in, with the mouse and with the keyboard alone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.accessibility import submit, visit


def test_a_page_asks_for_sign_in_and_then_opens_for_a_planner(page: Page, make_account):
    account = make_account("planner")
    visit(page, "/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    submit(page, page.get_by_role("button", name="Sign in").click)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text(account.name)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wrong_password_shows_the_error_and_keeps_the_email(page: Page, make_account):
    account = make_account("planner")
    visit(page, "/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill("not the password 1")
    response = submit(page, page.get_by_role("button", name="Sign in").click)

    assert response is not None and response.status == 401
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("The email address or password is not right")
    expect(page.get_by_label("Email address")).to_have_value(account.email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def _focused(page: Page) -> str:
    """What has keyboard focus: an element's id, or its tag and text."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id || (e.tagName.toLowerCase() + ':' + e.textContent.trim()); }"
    )


def test_the_sign_in_form_works_from_the_keyboard_alone(page: Page, make_account):
    account = make_account("manager")
    visit(page, "/login")

    # From the top of the page Tab passes the skip link and the service name, then the form.
    stops = []
    for _ in range(5):
        page.keyboard.press("Tab")
        stops.append(_focused(page))
        if stops[-1] == "email":
            break
    assert stops[-1] == "email", f"Tab never reached the email field; it went {stops}"
    assert stops[0] == "a:Skip to main content"
    page.keyboard.type(account.email)

    page.keyboard.press("Tab")
    assert _focused(page) == "password"
    page.keyboard.type(account.password)

    page.keyboard.press("Tab")
    assert _focused(page) == "button:Sign in"
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    submit(page, lambda: page.keyboard.press("Enter"))

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text(account.name)).to_be_visible()


def test_enter_in_the_password_field_signs_in(page: Page, make_account):
    account = make_account("planner")
    visit(page, "/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_label("Password").focus()
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_signing_out_ends_the_session_and_says_so(page: Page, sign_in):
    sign_in("compliance")
    submit(page, page.get_by_role("button", name="Sign out").click)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    visit(page, "/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_manager_neither_sees_nor_opens_the_import_page(page: Page, sign_in):
    sign_in("manager")
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Schools")).to_be_visible()
    expect(menu.get_by_role("link", name="Import")).to_have_count(0)
    response = visit(page, "/import")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
