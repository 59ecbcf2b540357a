"""Accessibility: an axe-core scan of every main page, and forms that work from the keyboard.

The scans also keep screenshots of the pages in docs/screenshots/ for the README.
"""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import AttendanceStatus, MeetingStatus
from conference.minutes import services as minutes_services
from tests.e2e.conftest import PHONE, screenshot
from tests.factories import (
    TEST_PASSWORD,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    SubjectFactory,
)
from tests.worlds import World, build_world

pytestmark = pytest.mark.e2e
SERIOUS = ("serious", "critical")


@pytest.fixture
def world() -> World:
    world = build_world()
    for case in world.cases.values():
        SubjectFactory(case=case)
    ActionFactory(case=world.cases["plain"], owner=world.users["chair"], due_on=utcnow().date())
    now = utcnow()
    running = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=5),
        status=MeetingStatus.IN_PROGRESS,
        chair=world.users["chair"],
    )
    done = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(days=14),
        status=MeetingStatus.CLOSED,
        chair=world.users["chair"],
        secretary=world.users["secretary"],
    )
    for meeting in (running, done):
        for key in ("chair", "secretary", "police"):
            AttendanceFactory(
                meeting=meeting,
                user=world.users[key],
                status=AttendanceStatus.PRESENT,
                confidentiality_acknowledged_at=now,
            )
        AgendaItemFactory(
            meeting=meeting, case=world.cases["plain"], position=1, reasons=["review_due"]
        )
    world.running, world.done = running, done  # type: ignore[attr-defined]
    minutes_services.draft_minutes(done, actor=world.users["secretary"], now=now)
    db.session.commit()
    return world


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_the_sign_in_page_and_keyboard_only_sign_in(
    world: World, browser, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    assert serious_violations(page) == []
    screenshot(page, "sign-in")
    page.keyboard.press("Tab")  # the skip link first
    for _ in range(5):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(world.users["chair"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    expect(page.locator("h1")).to_contain_text("Welcome")
    context.close()


def main_pages(world: World) -> list[tuple[str, str, str]]:
    """(user, path, screenshot name) of every main page."""
    plain = world.cases["plain"].reference
    running, done = world.running, world.done  # type: ignore[attr-defined]
    item = running.items[0].id
    return [
        ("chair", "/", "home"),
        ("chair", "/cases/", "cases"),
        ("chair", f"/cases/{plain}", "case"),
        ("chair", "/cases/new", "intake"),
        ("chair", f"/meetings/{running.id}", "meeting"),
        ("chair", f"/meetings/{running.id}/agenda", "agenda"),
        ("chair", f"/meetings/{running.id}/items/{item}", "chairs-view"),
        ("police", f"/meetings/{running.id}/live", "live"),
        ("police", f"/meetings/{running.id}/reply", "reply"),
        ("secretary", f"/meetings/{done.id}/minutes", "minutes"),
        ("chair", "/my-work", "my-work"),
        ("chair", "/panels/RVT/statistics", "statistics"),
        ("auditor", "/audit", "audit"),
        ("auditor", "/audit/subjects", "subject-export"),
        ("chair", "/account", "account"),
        ("chair", "/account/second-factor", "second-factor"),
        ("admin", "/accounts/", "accounts"),
    ]


def test_every_main_page_has_no_serious_accessibility_violation(world: World, open_as) -> None:
    pages: dict[str, Page] = {}
    problems = {}
    for user_key, path, name in main_pages(world):
        if user_key not in pages:
            pages[user_key] = open_as(world.users[user_key], TEST_PASSWORD)
        page = pages[user_key]
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        found = serious_violations(page)
        if found:
            problems[path] = found
        screenshot(page, name)
    assert problems == {}


def test_every_form_control_can_be_reached_by_keyboard(world: World, open_as) -> None:
    page = open_as(world.users["chair"], TEST_PASSWORD)
    for path in ("/cases/new", f"/meetings/{world.running.id}/items/{world.running.items[0].id}"):  # type: ignore[attr-defined]
        page.goto(path)
        unreachable = page.evaluate(
            """() => [...document.querySelectorAll(
                    'main input, main select, main textarea, main button')]
                .filter(el => el.type !== 'hidden' && !el.disabled)
                .filter(el => getComputedStyle(el).display !== 'none')  // not for this screen
                .filter(el => el.tabIndex < 0 || el.offsetParent === null)
                .map(el => el.name || el.id || el.outerHTML.slice(0, 60))"""
        )
        assert unreachable == [], path


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_main_page_fits_the_screen_and_has_no_serious_violation_at_each_size(
    world: World, open_as, size: str
) -> None:
    """The scans again at 390 px: nothing wider than a phone, the menu behind its button."""
    options = PHONE if size == "phone" else {}
    pages: dict[str, Page] = {}
    problems, too_wide = {}, {}
    for user_key, path, _name in main_pages(world):
        if user_key not in pages:
            pages[user_key] = open_as(world.users[user_key], TEST_PASSWORD, **options)
        page = pages[user_key]
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size or {"width": 0}
        if width > viewport["width"]:
            too_wide[path] = width
        found = serious_violations(page)
        if found:
            problems[path] = found
        if size == "phone":
            # The navigation waits behind the menu button and takes one line.
            expect(page.get_by_role("button", name="Menu")).to_be_visible()
            assert page.evaluate("document.querySelector('header').offsetHeight") < 80
    assert too_wide == {}
    assert problems == {}


def test_every_control_shows_a_visible_focus_ring(world: World, open_as) -> None:
    """WCAG 2.2 2.4.11/2.4.13: a control reached by keyboard wears a solid 3 px ring."""
    page = open_as(world.users["chair"], TEST_PASSWORD)
    page.goto(f"/meetings/{world.running.id}/items/{world.running.items[0].id}")  # type: ignore[attr-defined]
    rings = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
                return [el.tagName, s.outlineStyle, s.outlineWidth]; }"""
        )
        if style[0] != "BODY":
            rings.add((style[1], style[2]))
    assert rings == {("solid", "3px")}


@pytest.mark.parametrize("language", ["fi", "sv", "nl"])
def test_the_chair_runs_the_sitting_in_their_own_language(
    world: World, open_as, language: str
) -> None:
    """The chair's view in Finnish, Swedish and Dutch: chosen in the footer, named in the page,
    as accessible as in English (the longer words still fit)."""
    page = open_as(world.users["chair"], TEST_PASSWORD)
    running = world.running  # type: ignore[attr-defined]
    page.goto(f"/meetings/{running.id}/items/{running.items[0].id}")
    page.select_option("#footer-language", language)
    page.locator("footer button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert f"/items/{running.items[0].id}" in page.url  # back where the chair was
    assert serious_violations(page) == []
    overflowing = page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not overflowing, "no page wider than the window"
    if language == "fi":
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        screenshot(page, "chairs-view-fi")
