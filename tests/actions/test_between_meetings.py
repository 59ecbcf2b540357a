"""Between meetings over HTTP: my work, updating an action, the coordinator's progress report."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.actions.models import ActionStatus, ActionUpdate, ProgressReport, RagStatus
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import MeetingStatus
from tests.factories import ActionFactory, AgendaItemFactory, MeetingFactory
from tests.html import input_value
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def today():  # type: ignore[no-untyped-def]
    return utcnow().date()


def test_my_work_shows_overdue_and_soon_with_the_next_meeting(world: World, login) -> None:
    police = world.users["police"]
    late = ActionFactory(
        case=world.cases["plain"],
        owner=police,
        due_on=today() - timedelta(days=2),
        text="Late thing",
    )
    soon = ActionFactory(
        case=world.cases["plain"],
        owner=police,
        due_on=today() + timedelta(days=1),
        text="Soon thing",
    )
    ActionFactory(case=world.cases["shared"], owner=world.users["chair"], text="Someone else's")
    meeting = MeetingFactory(panel=world.panel, starts_at=utcnow() + timedelta(days=6))
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)

    page = login(police).get("/my-work").get_data(as_text=True)

    overdue_part, rest = page.split("Due soon", 1)
    assert "Late thing" in overdue_part
    assert "Soon thing" in rest
    assert "Someone else" not in page
    assert f'href="/actions/{late.id}"' in page
    assert f'href="/actions/{soon.id}"' in page
    assert f'href="/meetings/{meeting.id}"' in page


def test_closing_an_action_needs_an_outcome_and_a_stale_update_is_refused(
    world: World, login
) -> None:
    action = ActionFactory(case=world.cases["plain"], owner=world.users["police"], due_on=today())
    client = login(world.users["police"])
    url = f"/actions/{action.id}"
    version = str(action.version_id)

    refused = client.post(url, data={"status": "done", "note": "", "version": version})
    assert refused.status_code == 422
    assert "Say what came of the action before closing it." in refused.get_data(as_text=True)
    assert (
        client.post(
            url, data={"status": "in_progress", "note": "Phoned the school", "version": version}
        ).status_code
        == 302
    )
    stale = client.post(url, data={"status": "done", "note": "Mentor found", "version": version})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert "Someone else updated this action" in page
    assert "Mentor found" in page  # what was typed is kept
    saved = db.session.get(type(action), action.id)
    assert saved.status is ActionStatus.IN_PROGRESS
    history = db.session.scalars(
        sa.select(ActionUpdate).where(ActionUpdate.action_id == action.id)
    ).all()
    assert [(u.from_status, u.to_status, u.note) for u in history] == [
        (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, "Phoned the school")
    ]


@pytest.mark.parametrize(
    ("user_key", "get", "post"),
    [("chair", 200, 302), ("social", 404, 404), ("ngo", 404, 404), ("police", 200, 403)],
)
def test_who_updates_an_action(world: World, login, user_key: str, get: int, post: int) -> None:
    action = ActionFactory(
        case=world.cases["plain"], owner=world.users["secretary"], due_on=today()
    )
    client = login(world.users[user_key])
    assert client.get(f"/actions/{action.id}").status_code == get
    response = client.post(
        f"/actions/{action.id}",
        data={"status": "in_progress", "note": "", "version": str(action.version_id)},
    )
    assert response.status_code == post


def test_the_coordinator_submits_a_report_and_the_agenda_shows_its_state(
    world: World, login
) -> None:
    case = world.cases["coordinated"]
    ActionFactory(
        case=case, owner=world.users["social"], due_on=today() + timedelta(days=3), text="Mentor"
    )
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=utcnow() + timedelta(days=2),
        status=MeetingStatus.AGENDA_PUBLISHED,
    )
    world.panel.report_due_days = 3  # due yesterday: missing until it comes
    AgendaItemFactory(meeting=meeting, case=case, position=1)
    chair_page = (
        login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    )
    assert "Missing" in chair_page

    client = login(world.users["social"])
    url = f"/cases/{case.reference}/reports/{meeting.id}"
    empty = client.post(url, data={"rag": "at_risk", "summary": " ", "submit": "1"})
    assert empty.status_code == 422
    assert (
        client.post(
            url, data={"rag": "at_risk", "summary": "Engagement dropped.", "submit": "1"}
        ).status_code
        == 302
    )

    report = db.session.scalars(sa.select(ProgressReport)).one()
    assert report.rag is RagStatus.AT_RISK
    assert report.submitted_at is not None
    assert [s["text"] for s in report.action_states] == ["Mentor"]
    assert "Submitted late" in login(world.users["chair"]).get(
        f"/meetings/{meeting.id}/agenda"
    ).get_data(as_text=True)

    # The report was loaded at version 1; another save from a stale page is refused, text kept.
    stale = client.post(url, data={"rag": "on_track", "summary": "Stale text", "version": "0"})
    assert stale.status_code == 422
    assert input_value(stale.get_data(as_text=True), "version") is not None
    assert "Stale text" in stale.get_data(as_text=True)
    assert login(world.users["ngo"]).get(url).status_code == 404


def test_the_inbox_lists_ones_own_notifications_and_marks_them_read(world: World, login) -> None:
    from conference.notify.models import Notification, NotificationKind
    from conference.notify.services import notify

    for n, key in enumerate(("police", "police", "chair")):
        notify(
            world.users[key].id,
            NotificationKind.ACTION_DUE,
            f"Action {n} is due.",
            link="/my-work",
            dedupe_key=f"t{n}",
            now=utcnow(),
        )
    client = login(world.users["police"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Action 0 is due." in page
    assert "Action 1 is due." in page
    assert "Action 2 is due." not in page
    client.post("/notifications/read")
    mine = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == world.users["police"].id)
    ).all()
    assert all(n.read_at is not None for n in mine)
    other = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == world.users["chair"].id)
    ).one()
    assert other.read_at is None


def test_my_work_stops_asking_for_a_report_once_it_is_submitted(world: World, login) -> None:
    case = world.cases["coordinated"]
    meeting = MeetingFactory(panel=world.panel, starts_at=utcnow() + timedelta(days=9))
    client = login(world.users["social"])
    assert "Write the report" in client.get("/my-work").get_data(as_text=True)
    url = f"/cases/{case.reference}/reports/{meeting.id}"
    no_rag = client.post(url, data={"rag": "", "summary": "Engaging well.", "submit": "1"})
    assert no_rag.status_code == 422  # nothing is chosen for the coordinator
    assert "Say how it is going." in no_rag.get_data(as_text=True)
    draft = client.post(url, data={"rag": "on_track", "summary": "Engaging well."})
    assert "Submit it when it is ready" in client.get(draft.headers["Location"]).get_data(
        as_text=True
    )
    assert "Write the report" in client.get("/my-work").get_data(as_text=True)
    version = str(db.session.scalars(sa.select(ProgressReport.version_id)).one())
    sent = client.post(
        url,
        data={"rag": "on_track", "summary": "Engaging well.", "version": version, "submit": "1"},
    )
    assert "nothing more is asked of you for it" in client.get(sent.headers["Location"]).get_data(
        as_text=True
    )
    my_work = client.get("/my-work").get_data(as_text=True)
    assert "Write the report" not in my_work
    assert "Submitted" in my_work
