"""The whole cycle in a real browser: referral, agenda, the sitting, minutes, between meetings."""

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from conference.db import utcnow
from conference.extensions import db
from conference.panels.models import PanelRole
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, member
from tests.worlds import World, build_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro, name="Pru Prosecutor")
    db.session.commit()
    return world


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).first.click()
    page.wait_for_load_state()


def test_a_case_from_referral_to_the_next_agenda(world: World, open_as) -> None:
    today = utcnow().date()
    first_day, second_day = today + timedelta(days=2), today + timedelta(days=16)

    # The secretary takes in a referral.
    secretary = open_as(world.users["secretary"], TEST_PASSWORD)
    screenshot(secretary, "home")
    secretary.goto("/cases/new")
    secretary.select_option("#source", "school")
    secretary.select_option("#concern_category", "far_right")
    secretary.select_option("#risk_level", "high")
    secretary.fill("#narrative", "Threats posted online against a teacher.")
    secretary.fill("#full_name", "Quentin Testperson")
    secretary.fill("#date_of_birth", "1999-04-02")
    screenshot(secretary, "intake")
    submit(secretary, "Save the referral")
    expect(secretary.locator("h1")).to_contain_text(re.compile(r"RVT-\d{4}-\d{4}"))
    reference = re.search(r"RVT-\d{4}-\d{4}", secretary.locator("h1").inner_text()).group(0)  # type: ignore[union-attr]
    screenshot(secretary, "case")

    # ... schedules two meetings, proposes the first agenda and publishes it.
    meeting_ids = []
    for day in (first_day, second_day):
        secretary.goto("/meetings/new")
        secretary.fill("#day", day.isoformat())
        submit(secretary, "Schedule")
        meeting_ids.append(int(secretary.url.rstrip("/").rsplit("/", 1)[1]))
    first, second = meeting_ids
    secretary.goto(f"/meetings/{first}/agenda")
    submit(secretary, "Propose an agenda from the caseload")
    expect(secretary.locator("table").first).to_contain_text(reference)
    expect(secretary.locator("table").first).to_contain_text("New referral")
    screenshot(secretary, "agenda")
    submit(secretary, "Publish the agenda")
    expect(secretary.locator(".alert-success")).to_contain_text("published")

    # The chair opens the meeting and records who is there.
    chair = open_as(world.users["chair"], TEST_PASSWORD)
    chair.goto(f"/meetings/{first}")
    submit(chair, "Open the meeting")
    expect(chair.locator("h1")).to_contain_text("Open the meeting before its day?")
    submit(chair, "Open it now")
    for key in ("chair", "secretary", "police", "prosecutor"):  # the partners sent apologies
        line = chair.locator("tbody tr[id^=p]", has_text=world.users[key].name)
        line.locator("select").first.select_option("present")
        line.locator("input[type=checkbox]").check()
        line.get_by_role("button", name="Save").click()
        chair.wait_for_load_state()
    expect(chair.get_by_role("status").filter(has_text="Quorate")).to_be_visible()
    chair.get_by_role("link", name="To the first item").click()
    # The standing item first, then the new case.
    chair.get_by_role("link", name="Next").click()
    expect(chair.locator("h1")).to_contain_text(reference)

    # A recommendation, three agencies' positions, adopted.
    chair.select_option("#rec-kind", "support_measure")
    chair.fill("#rec-text", "Offer a mentor through youth work.")
    submit(chair, "Propose")
    for key in ("chair", "police", "prosecutor"):
        speaker = world.users[key]
        form = chair.locator("form[action$='/positions']")
        form.locator("select[id$=speaker_id]").select_option(
            label=f"{speaker.name} ({speaker.agency.name})"
        )
        form.locator("select[id$=stance]").select_option("agree")
        form.get_by_role("button", name="Record").click()
        chair.wait_for_load_state()
    submit(chair, "Decide by consensus")
    expect(chair.locator("main")).to_contain_text("Decided: Adopted")

    # The coordinator, and two actions.
    social = world.users["social"]
    chair.select_option("#coord-user_id", label=f"{social.name} ({social.agency.name})")
    chair.fill("#coord-reason", "Already works with the family.")
    submit(chair, "Name the coordinator")
    for text, days in (("Find a mentor", 3), ("Meet the school", 10)):
        chair.fill("#act-text", text)
        chair.select_option("#act-owner_id", label=f"{social.name} ({social.agency.name})")
        chair.fill("#act-due_on", (today + timedelta(days=days)).isoformat())
        submit(chair, "Add the action")
    screenshot(chair, "chairs-view")
    chair.get_by_role("button", name="Close the meeting").click()
    chair.wait_for_load_state()
    expect(chair.locator("main")).to_contain_text("items have no outcome yet")
    submit(chair, "Close the meeting")
    expect(chair.locator("main")).to_contain_text("its record locked")

    # Minutes: drawn up, circulated, signed by the chair and the core agencies present.
    secretary.goto(f"/meetings/{first}/minutes")
    submit(secretary, "Draw up the minutes")
    submit(secretary, "Circulate to those present")
    minutes_url = secretary.url
    for key in ("chair", "police", "prosecutor"):
        signer = chair if key == "chair" else open_as(world.users[key], TEST_PASSWORD)
        signer.goto(minutes_url)
        signer.fill("#password", TEST_PASSWORD)
        submit(signer, "Sign these minutes")
    expect(signer.locator(".alert-success")).to_contain_text("archived")
    expect(signer.locator(".signatures")).to_contain_text("Pru Prosecutor")
    screenshot(signer, "minutes")
    with signer.expect_download() as download:
        signer.get_by_role("link", name="Download PDF").click()
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages
    )
    assert reference in text
    assert "Find a mentor" in text
    assert "Co-signed for a core agency: Pru Prosecutor" in text
    assert "Offer a mentor through youth work." in text
    assert "Testperson" not in text

    # Between meetings the coordinator moves an action on and reports, off track.
    coordinator = open_as(social, TEST_PASSWORD)
    coordinator.goto("/my-work")
    screenshot(coordinator, "my-work")
    coordinator.get_by_role("link", name="Find a mentor").click()
    coordinator.select_option("#status", "in_progress")
    coordinator.fill("#note", "Two mentors contacted.")
    submit(coordinator, "Save")
    expect(coordinator.locator("ol")).to_contain_text("Two mentors contacted.")
    coordinator.goto("/my-work")
    coordinator.locator("tr", has_text=reference).get_by_role(
        "link", name="Write the report"
    ).click()
    assert coordinator.url.endswith(f"/reports/{second}")
    coordinator.select_option("#rag", "off_track")
    coordinator.fill("#summary", "No contact for two weeks; the school reports new threats.")
    submit(coordinator, "Submit the report")
    expect(coordinator.locator("main")).to_contain_text("Submitted")

    # The next meeting's proposal has the case, with the right reasons.
    secretary.goto(f"/meetings/{second}/agenda")
    submit(secretary, "Propose an agenda from the caseload")
    row = secretary.locator("table").first.locator("tr", has_text=reference)
    expect(row).to_contain_text("Overdue action")
    expect(row).to_contain_text("Latest progress report off track")


def test_a_partner_cannot_reach_what_is_not_shared(world: World, open_as, live_server: str) -> None:
    ngo = open_as(world.users["ngo"], TEST_PASSWORD)
    ngo.goto("/cases/")
    listing = ngo.locator("main").inner_text()
    assert world.cases["shared"].reference in listing
    assert world.cases["plain"].reference not in listing
    for path in (
        f"/cases/{world.cases['plain'].reference}",
        f"/cases/{world.cases['shared'].reference}/restricted",
        "/audit",
        "/panels/RVT/settings",
    ):
        response = ngo.goto(path)
        assert response is not None
        assert response.status in (403, 404), path
