"""The pages of a sitting take a fixed number of queries however long the agenda: the chair's
view, the agenda page, the meeting page, the live page and its poll."""

from datetime import timedelta

import pytest

from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import AttendanceStatus, Meeting, MeetingStatus
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    CaseFactory,
    MeetingFactory,
    RecommendationFactory,
)
from tests.worlds import World, build_world

MAX_QUERIES_CHAIRS_VIEW = 30


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def meeting(world: World) -> Meeting:
    """In session, the chair, the secretary, the police and the social partner present."""
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
    for key in ("chair", "secretary", "police", "social"):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=AttendanceStatus.PRESENT,
            confidentiality_acknowledged_at=now,
        )
    return meeting


def grow_agenda(world: World, meeting: Meeting, up_to: int) -> None:
    """Case items up to `up_to`, each case with its coordinator and a recommendation."""
    for n in range(len(meeting.items), up_to):
        coordinator = world.users["police" if n % 2 else "social"]
        case = CaseFactory(
            panel=world.panel, coordinator=coordinator, lead_agency=coordinator.agency
        )
        item = AgendaItemFactory(meeting=meeting, case=case, position=n + 1)
        RecommendationFactory(item=item)
    db.session.commit()


def count_pages(world: World, meeting: Meeting, login, count_queries) -> dict[str, int]:
    """The queries of each page: the chair on the first item (which the live page follows),
    then a member following the sitting."""
    first = meeting.items[0]
    reference = first.case.reference
    counts = {}
    chair = login(world.users["chair"])
    for name, url in {
        "chair's view": f"/meetings/{meeting.id}/items/{first.id}",
        "agenda": f"/meetings/{meeting.id}/agenda",
        "meeting": f"/meetings/{meeting.id}",
    }.items():
        with count_queries() as counter:
            response = chair.get(url)
        assert response.status_code == 200, name
        assert name == "meeting" or reference in response.get_data(as_text=True), name
        counts[name] = counter.count
    member = login(world.users["police"])
    for name, url in {
        "live": f"/meetings/{meeting.id}/live",
        "live state": f"/meetings/{meeting.id}/live/state",
    }.items():
        with count_queries() as counter:
            response = member.get(url)
        assert response.status_code == 200, name
        assert f"Now: item 1, {reference}" in response.get_data(as_text=True), name
        counts[name] = counter.count
    return counts


def test_the_pages_of_a_sitting_take_as_many_queries_at_40_items_as_at_5(
    world: World, meeting: Meeting, login, count_queries
) -> None:
    grow_agenda(world, meeting, 5)
    count_pages(world, meeting, login, count_queries)  # the chair took up the first item
    at_5 = count_pages(world, meeting, login, count_queries)
    grow_agenda(world, meeting, 40)
    at_40 = count_pages(world, meeting, login, count_queries)
    assert at_40 == at_5, (at_5, at_40)
    assert at_5["chair's view"] <= MAX_QUERIES_CHAIRS_VIEW
