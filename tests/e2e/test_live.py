"""The live meeting in Chromium at phone size: a member follows the chair without reloading,
gives the agency's position while the chair moves on, and the chair sees it arrive."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import AgendaItemKind, AttendanceStatus, Meeting, MeetingStatus
from conference.panels.models import PanelRole
from tests.e2e.conftest import PHONE, screenshot
from tests.factories import (
    TEST_PASSWORD,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    RecommendationFactory,
    member,
)
from tests.worlds import World, build_world

pytestmark = pytest.mark.e2e
SOON = 10_000  # ms: the page polls every 3 s


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro, name="Pia Prosecutor")
    return world


@pytest.fixture
def sitting(world: World) -> Meeting:
    now = utcnow()
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=20),
        ends_at=now + timedelta(hours=2),
        chair=world.users["chair"],
        secretary=world.users["secretary"],
        status=MeetingStatus.IN_PROGRESS,
        opened_at=now - timedelta(minutes=20),
    )
    for key in ("chair", "police", "prosecutor"):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=AttendanceStatus.PRESENT,
            confidentiality_acknowledged_at=now,
        )
    AgendaItemFactory(meeting=meeting, kind=AgendaItemKind.ACTION_REVIEW, case=None, position=1)
    plain = AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=2)
    AgendaItemFactory(meeting=meeting, case=world.cases["shared"], position=3)
    RecommendationFactory(item=plain, text="Refer to the exit programme.")
    db.session.commit()
    return meeting


def width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_a_member_follows_on_a_phone_and_gives_the_position_while_the_chair_moves_on(
    world: World, sitting: Meeting, open_as
) -> None:
    _review, plain, _shared = sorted(sitting.items, key=lambda i: i.position)
    recommendation = plain.recommendations[0]
    police = open_as(world.users["police"], TEST_PASSWORD, **PHONE)
    chair = open_as(world.users["chair"], TEST_PASSWORD, **PHONE)

    police.goto(f"/meetings/{sitting.id}/live")
    now = police.locator("#now-heading")
    expect(now).to_contain_text("Open actions from the last meeting")
    # The agenda waits behind a button on a phone; the item under discussion comes first.
    expect(police.locator("#coming")).to_be_hidden()
    police.get_by_role("button", name="Agenda: what comes next").click()
    expect(police.locator("#coming")).to_be_visible()
    expect(police.locator("#coming")).to_contain_text(world.cases["plain"].reference)

    # The chair opens the case: the member's page follows, without a reload.
    chair.goto(f"/meetings/{sitting.id}/items/{plain.id}")
    expect(now).to_contain_text(f"item 2, {world.cases['plain'].reference}", timeout=SOON)
    expect(police.locator(f"#rec-{recommendation.id}")).to_contain_text(
        "Refer to the exit programme."
    )
    assert width(police) <= 390
    screenshot(police, "live-phone")

    # The member gives the police's position, with a reservation and its reason.
    police.get_by_label("Agree with a reservation").check()
    police.get_by_label("Reason (needed for a reservation or an objection)").fill(
        "Only with a review in three months."
    )
    police.get_by_role("button", name="Give my agency's position").click()
    expect(police.locator(".alert-success")).to_contain_text("Your agency's position is recorded.")
    expect(police.locator(f"#rec-{recommendation.id}")).to_contain_text(
        "POL agency: Agree with a reservation (Only with a review in three months.)"
    )
    # The focus is back in the form that was sent, on the field last used.
    expect(police.locator(f"#own{recommendation.id}-reason")).to_be_focused()
    screenshot(police, "live-phone-position")

    # The chair sees it arrive, without reloading, and moves on.
    expect(chair.locator(f"#positions-{recommendation.id}")).to_contain_text(
        "POL agency: Agree with a reservation", timeout=SOON
    )
    # On the phone the chair's item comes first; the agenda waits behind its button.
    expect(chair.locator("#agenda-list")).to_be_hidden()
    expect(chair.get_by_role("button", name="Agenda: all items")).to_be_visible()
    chair.get_by_role("link", name="Next").click()
    expect(now).to_contain_text(f"item 3, {world.cases['shared'].reference}", timeout=SOON)
    assert width(chair) <= 390


def test_the_member_keeps_what_they_chose_while_the_page_follows(
    world: World, sitting: Meeting, open_as
) -> None:
    _review, plain, _shared = sorted(sitting.items, key=lambda i: i.position)
    recommendation = plain.recommendations[0]
    chair = open_as(world.users["chair"], TEST_PASSWORD, **PHONE)
    chair.goto(f"/meetings/{sitting.id}/items/{plain.id}")
    police = open_as(world.users["police"], TEST_PASSWORD, **PHONE)
    police.goto(f"/meetings/{sitting.id}/live")
    reason = police.get_by_label("Reason (needed for a reservation or an objection)")
    police.get_by_role("radio", name="Object").check()
    reason.fill("Not proportionate")
    # Meanwhile the prosecutor gives theirs: the news waits while the police type, then comes
    # in with their choice kept.
    prosecutor = open_as(world.users["prosecutor"], TEST_PASSWORD, **PHONE)
    prosecutor.goto(f"/meetings/{sitting.id}/live")
    prosecutor.get_by_role("radio", name="Agree", exact=True).check()
    prosecutor.get_by_role("button", name="Give my agency's position").click()
    expect(police.locator("[data-live-status]")).to_contain_text("There is news", timeout=SOON)
    police.locator("#now-heading").click()  # leaves the form
    expect(police.locator(f"#rec-{recommendation.id}")).to_contain_text(
        "PRO agency: Agree", timeout=SOON
    )
    expect(police.get_by_role("radio", name="Object")).to_be_checked()
    expect(reason).to_have_value("Not proportionate")
