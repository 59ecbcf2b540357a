"""Replies to invitations: attending, apologies or a named deputy from the same agency; the
meeting page's quorum forecast; the chair's attendance starting from the replies; the reminder
e-mails that link to the reply."""

import html
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.actions.jobs import action_reminders
from conference.extensions import db
from conference.meetings.models import (
    Attendance,
    AttendanceStatus,
    InvitationReply,
    Meeting,
    MeetingStatus,
)
from conference.meetings.rules import Reply, expected_status, forecast
from conference.notify.services import deliver_email
from conference.panels.models import PanelRole
from tests.conftest import second_app
from tests.factories import (
    NOW,
    TODAY,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    member,
)
from tests.html import selected
from tests.worlds import World, build_world

MUN, POL, PRO = 1, 2, 3


def test_the_forecast_names_core_agencies_that_have_not_answered_or_sent_apologies() -> None:
    result = forecast(
        [MUN, POL, PRO],
        [
            Reply(MUN, InvitationReply.ATTENDING),
            Reply(POL, InvitationReply.APOLOGIES),
            Reply(PRO, None),
            Reply(9, InvitationReply.ATTENDING),  # a partner: no part in the quorum
        ],
    )
    assert not result.quorate
    assert result.unanswered_agency_ids == {PRO}
    assert result.apologies_agency_ids == {POL}


def test_a_deputy_or_a_second_member_keeps_the_agency_in_the_forecast() -> None:
    result = forecast(
        [MUN, POL],
        [
            Reply(MUN, InvitationReply.DEPUTY, deputy_id=7),
            Reply(POL, InvitationReply.APOLOGIES),
            Reply(POL, InvitationReply.ATTENDING),
        ],
    )
    assert result.quorate
    assert result.expected_agency_ids == {MUN, POL}


def test_the_attendance_starts_from_the_reply_but_never_overrides_what_was_recorded() -> None:
    assert expected_status(AttendanceStatus.INVITED, None) is AttendanceStatus.INVITED
    assert (
        expected_status(AttendanceStatus.INVITED, InvitationReply.ATTENDING)
        is AttendanceStatus.PRESENT
    )
    for reply in (InvitationReply.APOLOGIES, InvitationReply.DEPUTY):
        assert expected_status(AttendanceStatus.INVITED, reply) is AttendanceStatus.APOLOGIES
    assert (
        expected_status(AttendanceStatus.ABSENT, InvitationReply.ATTENDING)
        is AttendanceStatus.ABSENT
    )


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    pol = world.users["police"].agency
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro, name="Pia Prosecutor")
    world.users["detective"] = member(world.panel, PanelRole.MEMBER, pol, name="Dee Detective")
    return world


@pytest.fixture
def coming(world: World) -> Meeting:
    """A meeting next week; everyone on the panel invited."""
    meeting = MeetingFactory(panel=world.panel, chair=world.users["chair"])
    for key in ("chair", "secretary", "police", "prosecutor", "social", "ngo"):
        AttendanceFactory(meeting=meeting, user=world.users[key])
    db.session.commit()
    return meeting


def reply(client: Any, meeting: Meeting, answer: str, deputy: Any = None) -> Any:
    return client.post(
        f"/meetings/{meeting.id}/reply",
        data={"reply": answer, "deputy_id": str(deputy.id) if deputy else ""},
    )


def words(response: Any) -> str:
    """The page's text as one line, as a reader takes it in."""
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def entry(meeting: Meeting, user: Any) -> Attendance:
    return db.session.scalars(
        sa.select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.user_id == user.id
        )
    ).one()


def test_replies_show_on_the_meeting_page_with_the_forecast(
    world: World, coming: Meeting, login: Any
) -> None:
    client = login(world.users["chair"])
    page = words(client.get(f"/meetings/{coming.id}"))
    assert "MUN agency, POL agency, PRO agency have not answered." in page
    assert reply(client, coming, "attending").status_code == 302
    reply(login(world.users["police"]), coming, "apologies")
    client = login(world.users["chair"])
    page = words(client.get(f"/meetings/{coming.id}"))
    assert "PRO agency has not answered." in page
    assert "POL agency sent apologies." in page
    assert "Sends apologies" in page  # the police officer's row
    reply(login(world.users["prosecutor"]), coming, "attending")
    page = words(login(world.users["chair"]).get(f"/meetings/{coming.id}"))
    assert "Quorum not assured yet. POL agency sent apologies." in page


def test_a_deputy_from_the_same_agency_is_expected_in_the_members_place(
    world: World, coming: Meeting, login: Any
) -> None:
    police = login(world.users["police"])
    refused = reply(police, coming, "deputy", deputy=world.users["prosecutor"])
    assert refused.status_code == 422
    assert "Choose a deputy from your own agency" in refused.get_data(as_text=True)
    assert entry(coming, world.users["police"]).reply is None
    assert reply(police, coming, "deputy", deputy=world.users["detective"]).status_code == 302
    sent = entry(coming, world.users["police"])
    assert (sent.reply, sent.deputy_id) == (InvitationReply.DEPUTY, world.users["detective"].id)
    # The detective joined after the invitations: now on the list, expected to attend.
    assert entry(coming, world.users["detective"]).reply is InvitationReply.ATTENDING
    chair = login(world.users["chair"])
    page = words(chair.get(f"/meetings/{coming.id}"))
    assert "Sends a deputy: Dee Detective" in page
    assert "POL agency" not in page.split("Quorum not assured yet.")[1].split("</p>")[0]


def test_the_chairs_attendance_page_starts_from_the_replies(
    world: World, coming: Meeting, login: Any
) -> None:
    reply(login(world.users["police"]), coming, "attending")
    reply(login(world.users["prosecutor"]), coming, "apologies")
    chair = login(world.users["chair"])
    chair.post(f"/meetings/{coming.id}/open", data={"confirmed": "1"})
    page = chair.get(f"/meetings/{coming.id}/opening").get_data(as_text=True)
    police, prosecutor, ngo = (
        entry(coming, world.users[k]) for k in ("police", "prosecutor", "ngo")
    )
    assert selected(page, f"p{police.id}-status") == ["present"]
    assert selected(page, f"p{prosecutor.id}-status") == ["apologies"]
    assert selected(page, f"p{ngo.id}-status") == ["invited"]
    assert "Replied: Attending" in page
    # Nothing is recorded until the chair saves what is so in the room.
    assert police.status is AttendanceStatus.INVITED


def test_only_those_invited_reply_and_not_once_the_meeting_is_closed(
    world: World, coming: Meeting, login: Any
) -> None:
    assert login(world.users["detective"]).get(f"/meetings/{coming.id}/reply").status_code == 404
    assert login(world.users["other"]).get(f"/meetings/{coming.id}/reply").status_code == 404
    coming.status = MeetingStatus.CLOSED
    db.session.commit()
    refused = reply(login(world.users["police"]), coming, "attending")
    assert refused.status_code == 422
    assert "minutes amendment" in refused.get_data(as_text=True)
    assert entry(coming, world.users["police"]).reply is None


def test_action_reminder_emails_link_to_the_reply_for_the_meeting_where_it_comes_up(
    app: Flask, world: World, smtp_server: Any
) -> None:
    messages, port = smtp_server
    case = world.cases["coordinated"]
    meeting = MeetingFactory(
        panel=world.panel, starts_at=NOW + timedelta(days=3), status=MeetingStatus.PLANNED
    )
    AgendaItemFactory(meeting=meeting, case=case, position=1)
    AttendanceFactory(meeting=meeting, user=world.users["social"])
    ActionFactory(case=case, owner=world.users["social"], due_on=TODAY - timedelta(days=1))
    assert action_reminders(NOW) == 1
    db.session.commit()
    with (
        second_app(app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port) as mailer,
        mailer.app_context(),
    ):
        assert deliver_email(NOW) == 1
        db.session.remove()
    [envelope] = messages
    assert f"/meetings/{meeting.id}/reply" in envelope.content.decode()
