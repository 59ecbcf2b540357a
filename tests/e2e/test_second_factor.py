"""The second factor in Chromium, with CSRF on: enrol, sign out, sign in with the code."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from conference.extensions import db
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def test_enrol_then_sign_in_with_password_and_code(live_server: str, open_as) -> None:
    user = UserFactory(name="Mira Member")
    db.session.commit()
    page = open_as(user, TEST_PASSWORD)
    page.goto("/account")
    page.get_by_role("link", name="Set up an authenticator app").click()
    secret = page.locator("code.user-select-all").inner_text()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    listed = page.get_by_role("list", name="Recovery codes").locator("li")
    expect(listed).to_have_count(10)  # waits for the page after "Turn on"
    page.get_by_role("button", name="Sign out").click()

    page.fill("#email", user.email)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/login/code")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert "Mira Member" in page.content()
