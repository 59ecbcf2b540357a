"""The home page shows the user's own panels, meetings, cases and actions, and no one else's."""

from datetime import timedelta

from flask.testing import FlaskClient

from conference.actions.models import ActionStatus
from conference.cases.models import CaseStatus
from conference.db import utcnow
from conference.meetings.models import MeetingStatus
from tests.factories import ActionFactory, CaseFactory, MeetingFactory
from tests.worlds import build_world


def test_home_lists_the_users_panels_meetings_cases_and_actions(login) -> None:
    world = build_world()
    social = world.users["social"]
    now = utcnow()
    coming = MeetingFactory(panel=world.panel, starts_at=now + timedelta(days=3))
    MeetingFactory(
        panel=world.panel, starts_at=now - timedelta(days=14), status=MeetingStatus.CLOSED
    )
    MeetingFactory(panel=world.other_panel, starts_at=now + timedelta(days=2))
    coordinated = world.cases["coordinated"]
    closed = CaseFactory(panel=world.panel, coordinator=social, status=CaseStatus.CLOSED)
    overdue = ActionFactory(
        case=coordinated,
        owner=social,
        text="Call the mentor",
        due_on=now.date() - timedelta(days=2),
    )
    ActionFactory(case=coordinated, owner=social, text="Finished task", status=ActionStatus.DONE)
    ActionFactory(case=coordinated, owner=world.users["police"], text="Someone else's task")

    page = login(social).get("/").get_data(as_text=True)

    assert "Riverton" in page
    assert "Partner" in page
    assert "Otherton" not in page
    assert page.count("<time") == 1
    assert coming.starts_at.isoformat() in page
    assert coordinated.reference in page
    assert closed.reference not in page
    assert overdue.text in page
    assert "Overdue" in page
    assert "Finished task" not in page
    assert "Someone else" not in page


def test_a_user_without_panels_is_told_so(login) -> None:
    world = build_world()
    page = login(world.users["admin"]).get("/").get_data(as_text=True)
    assert "You are not a member of any panel." in page
    assert "No meetings are planned." in page
    assert world.cases["plain"].reference not in page


def test_home_shows_the_signed_in_users_name_and_agency(login, client: FlaskClient) -> None:
    world = build_world()
    page = login(world.users["chair"]).get("/").get_data(as_text=True)
    assert "Chris Chair" in page
    assert "MUN agency" in page
