"""Members take part from their own device: the live page follows the chair, each agency gives
its own position, the chair sees them arrive; partners see only what is shared with them."""

import html
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    CurrentItem,
    Meeting,
    MeetingStatus,
    Position,
    Recommendation,
    RecommendationOutcome,
    Stance,
)
from conference.panels.models import PanelRole
from tests.factories import (
    TEST_PASSWORD,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    RecommendationFactory,
    member,
)
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro, name="Pia Prosecutor")
    return world


@pytest.fixture
def sitting(world: World) -> Meeting:
    """In session now: everyone present but the NGO (which sent apologies); the chair on no
    item yet. Items: the action review, `plain` (not shared), `shared` (shared with the NGO)."""
    now = utcnow()
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(hours=2),
        chair=world.users["chair"],
        secretary=world.users["secretary"],
        status=MeetingStatus.IN_PROGRESS,
        opened_at=now - timedelta(minutes=30),
    )
    for key in ("chair", "secretary", "police", "prosecutor", "social", "ngo"):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=AttendanceStatus.APOLOGIES if key == "ngo" else AttendanceStatus.PRESENT,
            confidentiality_acknowledged_at=now,
        )
    AgendaItemFactory(meeting=meeting, kind=AgendaItemKind.ACTION_REVIEW, case=None, position=1)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=2)
    AgendaItemFactory(meeting=meeting, case=world.cases["shared"], position=3)
    db.session.commit()
    return meeting


Browser = Callable[[Any], FlaskClient]


@pytest.fixture
def browser(app: Flask) -> Browser:
    """`browser(user)`: a client of its own, signed in through the form (one per person)."""

    def _open(user: Any) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
        return client

    return _open


def items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def recommend(meeting: Meeting, item: AgendaItem, *, hidden: bool = False) -> Recommendation:
    recommendation = RecommendationFactory(
        item=item, text="Refer to the exit programme.", positions_hidden=hidden
    )
    db.session.commit()
    return recommendation


def give(client: FlaskClient, meeting: Meeting, recommendation: Recommendation, **data: str) -> Any:
    prefix = f"own{recommendation.id}"
    return client.post(
        f"/meetings/{meeting.id}/live/recommendations/{recommendation.id}/position",
        data={f"{prefix}-{key}": value for key, value in data.items()},
    )


def test_the_live_page_follows_the_item_the_chair_opens(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    _review, plain, shared = items(sitting)
    police = browser(world.users["police"])
    assert "Open actions from the last meeting" in text(police.get(f"/meetings/{sitting.id}/live"))
    chair = browser(world.users["chair"])
    chair.get(f"/meetings/{sitting.id}/items/{plain.id}")
    page = text(police.get(f"/meetings/{sitting.id}/live"))
    assert f"Now: item 2, {world.cases['plain'].reference}" in page
    # The secretary reading ahead moves nobody.
    browser(world.users["secretary"]).get(f"/meetings/{sitting.id}/items/{shared.id}")
    current = db.session.scalars(sa.select(CurrentItem).where(CurrentItem.meeting_id == sitting.id))
    assert current.one().agenda_item_id == plain.id
    chair.get(f"/meetings/{sitting.id}/items/{shared.id}")
    page = text(police.get(f"/meetings/{sitting.id}/live"))
    assert f"Now: item 3, {world.cases['shared'].reference}" in page


def test_a_poll_answers_304_while_nothing_changed_and_the_news_when_it_did(
    world: World, sitting: Meeting, browser: Browser, count_queries: Any
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    browser(world.users["chair"]).get(f"/meetings/{sitting.id}/items/{plain.id}")
    police = browser(world.users["police"])
    first = police.get(f"/meetings/{sitting.id}/live/state")
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert "Refer to the exit programme." in text(first)
    url = f"/meetings/{sitting.id}/live/state"
    with count_queries() as counter:
        again = police.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""
    # The user with their panels (3), the session, the meeting (2), and one fingerprint.
    assert counter.count <= 7, counter.statements
    give(browser(world.users["prosecutor"]), sitting, recommendation, stance="agree")
    news = police.get(f"/meetings/{sitting.id}/live/state", headers={"If-None-Match": tag})
    assert news.status_code == 200
    assert news.headers["ETag"] != tag
    assert "PRO agency: Agree" in text(news)


def test_partners_see_only_items_shared_with_them_and_another_panel_nothing(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    _review, plain, shared = items(sitting)
    chair = browser(world.users["chair"])
    chair.get(f"/meetings/{sitting.id}/items/{plain.id}")
    ngo = browser(world.users["ngo"])
    page = text(ngo.get(f"/meetings/{sitting.id}/live"))
    assert "Now: item 2" in page
    assert "An item not shared with your organisation." in page
    assert world.cases["plain"].reference not in page
    assert world.cases["shared"].reference in page  # coming next, shared with the NGO
    chair.get(f"/meetings/{sitting.id}/items/{shared.id}")
    state = text(ngo.get(f"/meetings/{sitting.id}/live/state"))
    assert f"Now: item 3, {world.cases['shared'].reference}" in state
    other = browser(world.users["other"])
    assert other.get(f"/meetings/{sitting.id}/live").status_code == 404
    assert other.get(f"/meetings/{sitting.id}/live/state").status_code == 404


def test_a_member_gives_the_agency_position_and_the_chair_sees_it_arrive(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    chair = browser(world.users["chair"])
    chair.get(f"/meetings/{sitting.id}/items/{plain.id}")
    positions = chair.get(f"/meetings/{sitting.id}/items/{plain.id}/positions")
    tag = positions.headers["ETag"]
    assert "POL agency" not in text(positions)
    police = browser(world.users["police"])
    response = give(police, sitting, recommendation, stance="agree")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/live#rec-{recommendation.id}")
    assert "Your agency&#39;s position is recorded." in police.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    arrived = chair.get(
        f"/meetings/{sitting.id}/items/{plain.id}/positions", headers={"If-None-Match": tag}
    )
    assert arrived.status_code == 200
    assert f"POL agency: Agree · {world.users['police'].name}" in text(arrived)
    assert "entered by the chair" not in text(arrived)
    [position] = db.session.scalars(sa.select(Position)).all()
    assert position.user_id == position.entered_by_id == world.users["police"].id


def test_the_chair_records_for_someone_present_by_phone_and_the_record_says_so(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    chair = browser(world.users["chair"])
    prefix = f"pos{recommendation.id}"
    response = chair.post(
        f"/meetings/{sitting.id}/items/{plain.id}/recommendations/{recommendation.id}/positions",
        data={
            f"{prefix}-speaker_id": str(world.users["prosecutor"].id),
            f"{prefix}-stance": "agree",
        },
    )
    assert response.status_code == 302
    [position] = db.session.scalars(sa.select(Position)).all()
    assert (position.user_id, position.entered_by_id) == (
        world.users["prosecutor"].id,
        world.users["chair"].id,
    )
    page = text(chair.get(f"/meetings/{sitting.id}/items/{plain.id}"))
    assert "PRO agency: Agree · Pia Prosecutor, entered by the chair" in page
    live = text(browser(world.users["police"]).get(f"/meetings/{sitting.id}/live"))
    assert "PRO agency: Agree · entered by the chair" in live


def test_positions_of_absent_agencies_are_refused_whoever_enters_them(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    db.session.scalars(
        sa.select(Attendance).where(Attendance.user_id == world.users["police"].id)
    ).one().status = AttendanceStatus.APOLOGIES
    db.session.commit()
    browser(world.users["chair"]).get(f"/meetings/{sitting.id}/items/{plain.id}")
    police = browser(world.users["police"])
    page = text(police.get(f"/meetings/{sitting.id}/live"))
    assert "You are not recorded as present" in page
    refused = give(police, sitting, recommendation, stance="agree")
    assert refused.status_code == 422
    assert "Only someone present can give their agency" in text(refused)
    prefix = f"pos{recommendation.id}"
    by_chair = browser(world.users["chair"]).post(
        f"/meetings/{sitting.id}/items/{plain.id}/recommendations/{recommendation.id}/positions",
        data={f"{prefix}-speaker_id": str(world.users["police"].id), f"{prefix}-stance": "agree"},
    )
    assert by_chair.status_code == 422
    assert db.session.scalars(sa.select(Position)).all() == []


def test_a_reservation_needs_its_reason_and_does_not_block_the_consensus(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    police = browser(world.users["police"])
    refused = give(police, sitting, recommendation, stance="agree_with_reservation", reason=" ")
    assert refused.status_code == 422
    assert "Say what the reservation is." in text(refused)
    assert db.session.scalars(sa.select(Position)).all() == []
    ok = give(
        police,
        sitting,
        recommendation,
        stance="agree_with_reservation",
        reason="Only with a review in three months.",
    )
    assert ok.status_code == 302
    for key in ("chair", "prosecutor"):
        assert (
            give(browser(world.users[key]), sitting, recommendation, stance="agree").status_code
            == 302
        )
    chair = browser(world.users["chair"])
    prefix = f"pos{recommendation.id}"
    chair.post(  # the social partner does not see this case: the chair writes down its position
        f"/meetings/{sitting.id}/items/{plain.id}/recommendations/{recommendation.id}/positions",
        data={f"{prefix}-speaker_id": str(world.users["social"].id), f"{prefix}-stance": "abstain"},
    )
    chair.post(
        f"/meetings/{sitting.id}/items/{plain.id}/recommendations/{recommendation.id}/decide"
    )
    db.session.expire_all()
    decided = db.session.get(Recommendation, recommendation.id)
    assert decided.outcome is RecommendationOutcome.ADOPTED
    stances = {p.stance for p in decided.positions}
    assert Stance.AGREE_WITH_RESERVATION in stances


def test_while_positions_are_hidden_the_live_page_shows_only_who_answered(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain, hidden=True)
    browser(world.users["chair"]).get(f"/meetings/{sitting.id}/items/{plain.id}")
    give(browser(world.users["prosecutor"]), sitting, recommendation, stance="object", reason="No.")
    page = text(browser(world.users["police"]).get(f"/meetings/{sitting.id}/live"))
    assert "Answered: PRO agency." in page
    assert "PRO agency: Object" not in page


def test_a_partner_cannot_give_a_position_on_a_case_not_shared_with_it(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    ngo = browser(world.users["ngo"])
    assert give(ngo, sitting, recommendation, stance="agree").status_code == 404
    assert db.session.scalars(sa.select(Position)).all() == []


def test_a_closed_meeting_takes_no_position_from_the_live_page(
    world: World, sitting: Meeting, browser: Browser
) -> None:
    plain = items(sitting)[1]
    recommendation = recommend(sitting, plain)
    police = browser(world.users["police"])
    browser(world.users["chair"]).post(f"/meetings/{sitting.id}/close", data={"confirmed": "1"})
    page = text(police.get(f"/meetings/{sitting.id}/live"))
    assert "The meeting is closed." in page
    assert "/position" not in page  # no form to send
    refused = give(police, sitting, recommendation, stance="agree")
    assert refused.status_code == 422
    assert "minutes amendment" in text(refused)
    assert db.session.scalars(sa.select(Position)).all() == []
