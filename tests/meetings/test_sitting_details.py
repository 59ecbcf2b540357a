"""What a chair notices in the chair's view: confirmations before consequential steps, the time
a background save was made, one quorum everywhere, the coordinator field, the crime flag."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    RecommendationOutcome,
)
from conference.notify.models import Notification, NotificationKind
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    RecommendationFactory,
)
from tests.html import selected
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def meeting(world: World) -> Meeting:
    now = utcnow()
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
        chair=world.users["chair"],
        status=MeetingStatus.IN_PROGRESS,
        opened_at=now - timedelta(minutes=5),
    )
    for key, status in (
        ("chair", AttendanceStatus.PRESENT),
        ("police", AttendanceStatus.PRESENT),
        ("social", AttendanceStatus.PRESENT),
        ("secretary", AttendanceStatus.INVITED),
    ):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=status,
            confidentiality_acknowledged_at=now,
        )
    AgendaItemFactory(meeting=meeting, case=world.cases["coordinated"], position=1)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=2)
    AgendaItemFactory(meeting=meeting, case=world.cases["shared"], position=3)
    return meeting


def first_item(meeting: Meeting) -> AgendaItem:
    return db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
    ).first()


def test_closing_says_how_many_items_were_not_reached_and_waits_for_confirmation(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    page = client.post(f"/meetings/{meeting.id}/close").get_data(as_text=True)
    assert "3 items have no outcome yet" in page
    assert "proposed again for the next meeting" in page
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.IN_PROGRESS
    done = client.post(f"/meetings/{meeting.id}/close", data={"confirmed": "1"})
    assert done.status_code == 302
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.CLOSED


def test_opening_before_the_meeting_day_is_confirmed_first(world: World, login) -> None:
    coming = MeetingFactory(
        panel=world.panel, starts_at=utcnow() + timedelta(days=3), chair=world.users["chair"]
    )
    client = login(world.users["chair"])
    asked = client.post(f"/meetings/{coming.id}/open")
    assert "Open the meeting before its day?" in asked.get_data(as_text=True)
    assert db.session.get(Meeting, coming.id).status is MeetingStatus.PLANNED
    client.post(f"/meetings/{coming.id}/open", data={"confirmed": "1"})
    assert db.session.get(Meeting, coming.id).status is MeetingStatus.IN_PROGRESS


def test_the_background_save_says_when_it_saved_and_sends_the_version_to_save_against(
    world: World, meeting: Meeting, login
) -> None:
    item = first_item(meeting)
    client = login(world.users["chair"])
    url = f"/meetings/{meeting.id}/items/{item.id}/record"
    data = {"item-facts": "Kept two appointments.", "item-version": str(item.version_id)}
    first = client.post(url, data=data, headers={"Accept": "application/json"})
    assert first.status_code == 200
    assert re.fullmatch(r"Saved at \d\d:\d\d:\d\d\.", first.json["message"])
    # The next save, against the version the last one sent back, is the chair's own: no conflict.
    again = client.post(
        url,
        data=data | {"item-facts": "Kept three.", "item-version": str(first.json["version"])},
        headers={"Accept": "application/json"},
    )
    assert again.status_code == 200
    # The button pressed while that save was in flight, with the text already saved: no conflict.
    button = client.post(url, data=data | {"item-facts": "Kept three."})
    assert button.status_code == 302
    assert db.session.get(AgendaItem, item.id).facts == "Kept three."


def test_the_quorum_on_the_opening_page_and_the_item_agree_and_name_who_is_missing(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    opening = client.get(f"/meetings/{meeting.id}/opening").get_data(as_text=True)
    item = client.get(f"/meetings/{meeting.id}/items/{first_item(meeting).id}").get_data(
        as_text=True
    )
    shown = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    # Police and the chair's municipality are in the room; the prosecutor is not.
    for page in (opening, item, shown):
        assert "PRO agency" in page
        assert "Not quorate" in page
    # Someone who left before now no longer counts, on every page alike.
    police = db.session.scalars(
        sa.select(Attendance).where(Attendance.user_id == world.users["police"].id)
    ).one()
    police.left_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for url in (f"/meetings/{meeting.id}/opening", f"/meetings/{meeting.id}"):
        assert "POL agency" in client.get(url).get_data(as_text=True)


def test_the_coordinator_field_starts_at_the_current_coordinator(
    world: World, meeting: Meeting, login
) -> None:
    page = (
        login(world.users["chair"])
        .get(f"/meetings/{meeting.id}/items/{first_item(meeting).id}")
        .get_data(as_text=True)
    )
    assert selected(page, "coord-user_id") == [str(world.users["social"].id)]


def test_whether_a_crime_is_suspected_is_shown_to_those_who_may_know_and_audited(
    world: World, meeting: Meeting, login
) -> None:
    case = world.cases["coordinated"]
    case.crime_suspected = True
    db.session.commit()
    page = (
        login(world.users["chair"])
        .get(f"/meetings/{meeting.id}/items/{first_item(meeting).id}")
        .get_data(as_text=True)
    )
    assert "A crime is suspected" in page
    assert "the police coordinate" in page
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "case.restricted_viewed")
    ).all()
    assert event.object_id == str(case.id)
    assert event.detail == {"fields": ["crime_suspected"]}


def test_the_owner_of_a_newly_agreed_action_is_told(world: World, meeting: Meeting, login) -> None:
    item = first_item(meeting)
    adopted = RecommendationFactory(item=item, outcome=RecommendationOutcome.ADOPTED)
    db.session.commit()
    response = login(world.users["chair"]).post(
        f"/meetings/{meeting.id}/items/{item.id}/actions",
        data={
            "act-recommendation_id": str(adopted.id),
            "act-text": "Call the school",
            "act-owner_id": str(world.users["police"].id),
            "act-due_on": (utcnow() + timedelta(days=7)).date().isoformat(),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#act-heading")  # back where the chair was
    [note] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.ACTION_ASSIGNED)
    ).all()
    assert note.user_id == world.users["police"].id
    assert world.cases["coordinated"].reference in note.title
    assert "Call the school" not in note.title  # references and links only


def test_a_meeting_cannot_be_scheduled_twice_at_the_same_time(world: World, login) -> None:
    day = (utcnow() + timedelta(days=40)).date().isoformat()
    client = login(world.users["chair"])
    form = {"panel_id": world.panel.id, "day": day, "starts": "10:00", "ends": "12:00"}
    assert client.post("/meetings/new", data=form).status_code == 302
    again = client.post("/meetings/new", data=form)
    assert again.status_code == 422
    assert "already has a meeting at that time" in again.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Meeting)
            .where(Meeting.panel_id == world.panel.id)
        )
        == 1
    )
