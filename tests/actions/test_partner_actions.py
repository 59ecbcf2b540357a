"""Actions for partners need a share: an action is owned by someone of a partner or adviser agency
only when the case is shared with that agency, and partners are shown only actions of cases they
may open (on the home page, in My work, in reminders)."""

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from conference.actions.jobs import action_reminders
from conference.actions.models import Action
from conference.actions.services import add_action
from conference.auth.models import User
from conference.cases.models import Case
from conference.errors import DomainError
from conference.extensions import db
from conference.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Recommendation,
    RecommendationOutcome,
)
from conference.notify.models import Notification
from tests.factories import (
    NOW,
    TODAY,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    RecommendationFactory,
)
from tests.html import error_beside
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


_SITTINGS = itertools.count()


def sitting(world: World, case: Case) -> tuple[Meeting, Recommendation]:
    """A meeting in progress with the case on it and an adopted recommendation."""
    meeting = MeetingFactory(
        panel=world.panel,
        chair=world.users["chair"],
        secretary=world.users["secretary"],
        starts_at=NOW + timedelta(minutes=next(_SITTINGS)),  # one sitting at a time
        status=MeetingStatus.IN_PROGRESS,
    )
    AttendanceFactory(meeting=meeting, user=world.users["chair"], status=AttendanceStatus.PRESENT)
    item = AgendaItemFactory(meeting=meeting, case=case, position=1)
    recommendation = RecommendationFactory(
        item=item, text="Offer a mentor.", outcome=RecommendationOutcome.ADOPTED
    )
    return meeting, recommendation


def give(world: World, case: Case, owner: User) -> Action:
    meeting, recommendation = sitting(world, case)
    return add_action(
        recommendation,
        text="Visit the family",
        owner=owner,
        due_on=TODAY + timedelta(days=7),
        meeting=meeting,
        actor=world.users["chair"],
        now=NOW,
    )


def test_a_partner_gets_an_action_only_on_a_case_shared_with_its_agency(world: World) -> None:
    ngo = world.users["ngo"]
    for unshared in ("plain", "revoked"):
        with pytest.raises(DomainError, match="not shared with NGO agency") as refusal:
            give(world, world.cases[unshared], ngo)
        assert refusal.value.field == "owner_id"
    assert give(world, world.cases["shared"], ngo).owner_id == ngo.id


def test_a_core_member_and_the_coordinator_need_no_share(world: World) -> None:
    assert give(world, world.cases["plain"], world.users["police"]).owner_id
    assert give(world, world.cases["coordinated"], world.users["social"]).owner_id


def test_the_chair_s_view_says_why_beside_the_owner(
    world: World, login: Callable[..., FlaskClient]
) -> None:
    meeting, recommendation = sitting(world, world.cases["plain"])
    item = recommendation.item
    response = login(world.users["chair"]).post(
        f"/meetings/{meeting.id}/items/{item.id}/actions",
        data={
            "act-recommendation_id": str(recommendation.id),
            "act-text": "Visit the family",
            "act-owner_id": str(world.users["ngo"].id),
            "act-due_on": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 422
    message = error_beside(response.get_data(as_text=True), "act-owner_id") or ""
    assert "not shared with NGO agency" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1  # the world's


def test_partners_see_only_actions_of_cases_they_may_open(
    world: World, login: Callable[..., FlaskClient]
) -> None:
    ngo = world.users["ngo"]
    # As given before shares were required, or left after a share ended.
    hidden = ActionFactory(case=world.cases["revoked"], owner=ngo, text="Unshared task")
    shown = ActionFactory(case=world.cases["shared"], owner=ngo, text="Shared task")
    client = login(ngo)
    for url in ("/", "/my-work"):
        page = client.get(url).get_data(as_text=True)
        assert shown.text in page, url
        assert world.cases["shared"].reference in page, url
        assert hidden.text not in page, url
        assert world.cases["revoked"].reference not in page, url


def test_reminders_go_only_to_owners_who_may_open_the_case(world: World) -> None:
    ngo = world.users["ngo"]
    overdue = TODAY - timedelta(days=2)
    ActionFactory(case=world.cases["revoked"], owner=ngo, due_on=overdue)
    ActionFactory(case=world.cases["shared"], owner=ngo, due_on=overdue)
    action_reminders(NOW)
    titles = db.session.scalars(
        sa.select(Notification.title).where(Notification.user_id == ngo.id)
    ).all()
    assert [world.cases["shared"].reference in t for t in titles] == [True]
