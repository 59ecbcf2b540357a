"""Scheduling meetings, series from the cadence, editing, and who may see a meeting."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from conference.db import utcnow
from conference.extensions import db
from conference.formatting import local_to_utc
from conference.meetings.models import Attendance, AttendanceStatus, Meeting
from tests.factories import MeetingFactory
from tests.html import input_value
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def in_two_weeks() -> date:
    return utcnow().date() + timedelta(days=14)


def meetings() -> list[Meeting]:
    return list(db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)))


def test_scheduling_a_meeting_invites_the_panels_current_members(world: World, login) -> None:
    day = in_two_weeks()
    response = login(world.users["secretary"]).post(
        "/meetings/new",
        data={
            "panel_id": world.panel.id,
            "day": day.isoformat(),
            "starts": "14:00",
            "ends": "16:30",
            "place": "Town Hall",
            "video_link": "https://video.example.org/rvt",
            "chair_id": "",
            "secretary_id": "",
        },
    )

    assert response.status_code == 302
    [meeting] = meetings()
    assert meeting.starts_at == local_to_utc(day, time(14), world.panel.timezone)
    assert meeting.ends_at - meeting.starts_at == timedelta(hours=2, minutes=30)
    assert meeting.chair_id == world.users["chair"].id  # the panel's chair by default
    invited = db.session.scalars(sa.select(Attendance.user_id)).all()
    assert sorted(invited) == sorted(
        world.users[k].id for k in ("chair", "secretary", "police", "social", "ngo")
    )
    assert {a.status for a in meeting.attendance} == {AttendanceStatus.INVITED}


def test_a_meeting_that_ends_before_it_starts_is_refused_and_the_form_kept(
    world: World, login
) -> None:
    response = login(world.users["chair"]).post(
        "/meetings/new",
        data={
            "panel_id": world.panel.id,
            "day": in_two_weeks().isoformat(),
            "starts": "14:00",
            "ends": "13:00",
            "place": "Typed place",
            "video_link": "not a link",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Invalid URL." in page
    assert input_value(page, "place") == "Typed place"
    assert meetings() == []

    response = login(world.users["chair"]).post(
        "/meetings/new",
        data={
            "panel_id": world.panel.id,
            "day": in_two_weeks().isoformat(),
            "starts": "14:00",
            "ends": "13:00",
            "place": "Typed place",
        },
    )
    assert "The meeting must end after it starts." in response.get_data(as_text=True)
    assert meetings() == []


def test_a_series_follows_the_cadence_and_skips_days_already_taken(world: World, login) -> None:
    world.panel.cadence_weekday, world.panel.cadence_every_weeks = 1, 2  # every second Tuesday
    start = in_two_weeks()
    first_tuesday = start + timedelta(days=(1 - start.weekday()) % 7)
    MeetingFactory(
        panel=world.panel,
        starts_at=local_to_utc(first_tuesday + timedelta(weeks=2), time(10), world.panel.timezone),
    )

    response = login(world.users["chair"]).post(
        "/meetings/series",
        data={"panel_id": world.panel.id, "first_on": start.isoformat(), "count": "3"},
    )

    assert response.status_code == 302
    days = [m.starts_at.astimezone(m.starts_at.tzinfo).date() for m in meetings()]
    assert [d.weekday() for d in days] == [1, 1, 1]
    assert len(days) == 3  # two new, one that was there already
    assert days[0] == first_tuesday
    assert days[2] - days[1] == timedelta(weeks=2)


def test_a_stale_meeting_edit_is_reported_not_overwritten(world: World, login) -> None:
    day = in_two_weeks()
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=local_to_utc(day, time(10), world.panel.timezone),
        ends_at=local_to_utc(day, time(12), world.panel.timezone),
        place="Room 1",
    )
    client = login(world.users["chair"])
    form = {
        "panel_id": world.panel.id,
        "day": day.isoformat(),
        "starts": "10:00",
        "ends": "12:00",
        "place": "Room 2",
        "version": str(meeting.version_id),
    }
    assert client.post(f"/meetings/{meeting.id}/edit", data=form).status_code == 302
    stale = client.post(f"/meetings/{meeting.id}/edit", data=form | {"place": "Room 3"})

    assert stale.status_code == 422
    assert "Someone else changed this meeting" in stale.get_data(as_text=True)
    assert input_value(stale.get_data(as_text=True), "place") == "Room 3"
    assert db.session.get(Meeting, meeting.id).place == "Room 2"


@pytest.mark.parametrize(
    ("user_key", "page", "edit"),
    [
        ("chair", 200, 200),
        ("police", 200, 403),
        ("ngo", 200, 403),
        ("other", 404, 404),
        ("admin", 404, 404),
        ("former", 404, 404),
    ],
)
def test_who_sees_and_who_edits_a_meeting(
    world: World, login, user_key: str, page: int, edit: int
) -> None:
    meeting = MeetingFactory(panel=world.panel, starts_at=utcnow() + timedelta(days=3))
    client = login(world.users[user_key])
    assert client.get(f"/meetings/{meeting.id}").status_code == page
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == edit
    assert client.get(f"/meetings/{meeting.id}/invite.ics").status_code == page
    listed = client.get("/meetings/").get_data(as_text=True)
    assert (f'href="/meetings/{meeting.id}"' in listed) is (page == 200)


def test_members_cannot_schedule(world: World, login) -> None:
    client = login(world.users["police"])
    assert client.get("/meetings/new").status_code == 403
    assert client.post("/meetings/series", data={}).status_code == 403
