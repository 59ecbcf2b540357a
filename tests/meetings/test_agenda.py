"""Building, editing and publishing an agenda: the services and the pages, on a real database."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from conference.actions.models import RagStatus
from conference.audit.models import AuditEvent
from conference.cases.models import CaseStatus, RiskLevel
from conference.db import utcnow
from conference.errors import InvalidTransitionError
from conference.extensions import db
from conference.meetings import queries
from conference.meetings.models import (
    AgendaChange,
    AgendaItem,
    AgendaItemKind,
    Attendance,
    ItemOutcome,
    Meeting,
    MeetingStatus,
)
from conference.meetings.rules import Reason
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base as meeting_base
from conference.notify.models import Notification, NotificationKind
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    CaseFactory,
    MeetingFactory,
    ProgressReportFactory,
    SubjectFactory,
)
from tests.worlds import World, build_world

# The meeting sits a week after the fixed clock; the previous one sat two weeks before it.
MEETING_AT = NOW + timedelta(days=7)


@pytest.fixture
def world() -> World:
    return build_world()


def invite_everyone(world: World, meeting: Meeting) -> None:
    for key in ("chair", "secretary", "police", "social", "ngo"):
        AttendanceFactory(meeting=meeting, user=world.users[key])


@pytest.fixture
def meeting(world: World) -> Meeting:
    previous = MeetingFactory(
        panel=world.panel, starts_at=MEETING_AT - timedelta(days=14), status=MeetingStatus.CLOSED
    )
    for case in world.cases.values():
        if case.panel_id == world.panel.id:
            AgendaItemFactory(meeting=previous, case=case, outcome=ItemOutcome.DISCUSSED)
    meeting = MeetingFactory(panel=world.panel, starts_at=MEETING_AT, chair=world.users["chair"])
    invite_everyone(world, meeting)
    return meeting


def case_references(meeting: Meeting) -> list[str]:
    db.session.expire_all()
    return [
        i.case.reference
        for i in meeting_base.active_items(db.session.get(Meeting, meeting.id))
        if i.case is not None
    ]


def build(world: World, meeting: Meeting) -> list[AgendaItem]:
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    return meeting_base.active_items(meeting)


def test_the_builder_proposes_the_cases_that_need_the_panel_with_their_reasons(
    world: World, meeting: Meeting
) -> None:
    due = CaseFactory(panel=world.panel, next_review_on=MEETING_AT.date(), risk_level=RiskLevel.LOW)
    late = CaseFactory(panel=world.panel, risk_level=RiskLevel.CRITICAL)
    ActionFactory(case=late, due_on=NOW.date() - timedelta(days=3))
    off = CaseFactory(panel=world.panel)
    ProgressReportFactory(case=off, rag=RagStatus.OFF_TRACK, submitted_at=NOW)
    new = CaseFactory(panel=world.panel, status=CaseStatus.REFERRED, referred_at=NOW)
    quiet = CaseFactory(panel=world.panel, next_review_on=MEETING_AT.date() + timedelta(days=1))
    for case in (due, late, off, quiet):  # all discussed last time
        AgendaItemFactory(
            meeting=queries.previous_meeting(meeting), case=case, outcome=ItemOutcome.DISCUSSED
        )

    items = build(world, meeting)

    assert items[0].kind is AgendaItemKind.ACTION_REVIEW
    reasons = {i.case.reference: i.reasons for i in items if i.case is not None}
    assert reasons == {
        late.reference: [Reason.OVERDUE_ACTION.value],
        new.reference: [Reason.NEW_REFERRAL.value],
        off.reference: [Reason.OFF_TRACK.value],
        due.reference: [Reason.REVIEW_DUE.value],
    }
    # Critical first; then new and escalated (longest waiting first), then the review.
    assert case_references(meeting) == [late.reference, off.reference, new.reference, due.reference]
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent))] == ["agenda.built"]


def test_minors_first_uses_the_date_of_birth_on_the_meeting_day(
    world: World, meeting: Meeting
) -> None:
    world.panel.minors_first = True
    adult = CaseFactory(panel=world.panel, risk_level=RiskLevel.CRITICAL, next_review_on=NOW.date())
    SubjectFactory(case=adult, date_of_birth=date(1990, 1, 1))
    minor = CaseFactory(panel=world.panel, risk_level=RiskLevel.LOW, next_review_on=NOW.date())
    SubjectFactory(
        case=minor, date_of_birth=MEETING_AT.date().replace(year=2009) + timedelta(days=1)
    )
    build(world, meeting)
    assert case_references(meeting) == [minor.reference, adult.reference]


def test_building_the_agenda_takes_a_fixed_number_of_queries(
    world: World, meeting: Meeting, count_queries
) -> None:
    def build_and_count() -> tuple[int, int]:
        db.session.expire_all()
        current = db.session.get(Meeting, meeting.id)
        chair = world.users["chair"]
        _ = current.items, current.panel.agency_tiers, chair.current_memberships  # as a request
        with count_queries() as counter:
            proposed = agenda_services.build_agenda(current, actor=chair, now=NOW)
        db.session.rollback()
        return counter.count, proposed

    db.session.commit()  # the fixture's world survives the rollbacks below
    few, proposed_few = build_and_count()
    previous = queries.previous_meeting(meeting)
    for n in range(30):
        case = CaseFactory(panel=world.panel, next_review_on=NOW.date())
        SubjectFactory(case=case)
        ActionFactory(case=case, due_on=NOW.date() - timedelta(days=n + 1))
        ProgressReportFactory(case=case, submitted_at=NOW)
        AgendaItemFactory(meeting=previous, case=case, outcome=ItemOutcome.DEFERRED)
    db.session.commit()
    many, proposed_many = build_and_count()
    assert proposed_many == proposed_few + 30
    assert many == few


def test_rebuilding_keeps_what_the_chair_added_and_removed(world: World, meeting: Meeting) -> None:
    chair = world.users["chair"]
    due = CaseFactory(panel=world.panel, next_review_on=NOW.date())
    dropped = CaseFactory(panel=world.panel, next_review_on=NOW.date())
    build(world, meeting)
    agenda_services.add_general_item(
        meeting, title="Annual report", minutes=5, actor=chair, now=NOW
    )
    agenda_services.add_case_item(
        meeting, world.cases["plain"], minutes=10, note="Police update", actor=chair, now=NOW
    )
    item = next(i for i in meeting.items if i.case_id == dropped.id)
    agenda_services.remove_item(
        meeting, item.id, reason="Discussed at the MARAC", actor=chair, now=NOW
    )
    db.session.commit()

    build(world, meeting)

    active = meeting_base.active_items(db.session.get(Meeting, meeting.id))
    assert [i.title for i in active if i.kind is AgendaItemKind.GENERAL] == ["Annual report"]
    assert due.reference in case_references(meeting)
    assert world.cases["plain"].reference in case_references(meeting)
    assert dropped.reference not in case_references(meeting)
    assert db.session.get(AgendaItem, item.id).removed_reason == "Discussed at the MARAC"
    assert [i.position for i in active] == list(range(1, len(active) + 1))


def test_publishing_notifies_the_invitees_and_freezes_the_agenda(
    world: World, meeting: Meeting
) -> None:
    CaseFactory(panel=world.panel, next_review_on=NOW.date())
    build(world, meeting)
    notified = agenda_services.publish_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()

    assert notified == 4  # everyone invited but the chair who published
    notes = db.session.scalars(sa.select(Notification)).all()
    assert {n.kind for n in notes} == {NotificationKind.AGENDA_PUBLISHED}
    assert {n.user_id for n in notes} == {
        world.users[k].id for k in ("secretary", "police", "social", "ngo")
    }
    assert all(n.link == f"/meetings/{meeting.id}/agenda" for n in notes)
    assert all("RVT-" not in n.title for n in notes)
    assert meeting.status is MeetingStatus.AGENDA_PUBLISHED
    with pytest.raises(InvalidTransitionError):
        agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    with pytest.raises(InvalidTransitionError):
        agenda_services.publish_agenda(meeting, actor=world.users["chair"], now=NOW)


def test_changes_after_publishing_are_recorded_and_shown_with_the_agenda(
    world: World, meeting: Meeting, login
) -> None:
    case = CaseFactory(panel=world.panel, next_review_on=NOW.date())
    build(world, meeting)
    agenda_services.publish_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    item = next(i for i in meeting.items if i.case_id == case.id)
    client = login(world.users["secretary"])

    response = client.post(
        f"/meetings/{meeting.id}/agenda/items/{item.id}/remove",
        data={"remove-reason": "Police asked to hold it back"},
    )

    assert response.status_code == 302
    changes = db.session.scalars(sa.select(AgendaChange)).all()
    assert [(c.kind.value, c.detail, c.by_id) for c in changes] == [
        ("removed", "Police asked to hold it back", world.users["secretary"].id)
    ]
    page = login(world.users["police"]).get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "Changes since publication" in page
    assert "Police asked to hold it back" in page


def test_removing_without_a_reason_is_refused_and_keeps_the_page(
    world: World, meeting: Meeting, login
) -> None:
    CaseFactory(panel=world.panel, next_review_on=NOW.date())
    items = build(world, meeting)
    client = login(world.users["chair"])

    response = client.post(
        f"/meetings/{meeting.id}/agenda/items/{items[1].id}/remove", data={"remove-reason": "  "}
    )

    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert db.session.get(AgendaItem, items[1].id).removed_at is None


def test_adding_a_case_checks_the_reference_and_keeps_what_was_typed(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    elsewhere = world.cases["elsewhere"].reference

    response = client.post(
        f"/meetings/{meeting.id}/agenda/cases",
        data={"case-reference": elsewhere, "case-minutes": "12", "case-note": "urgent"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is no case with that reference on this panel." in page
    assert f'value="{elsewhere}"' in page
    assert 'value="urgent"' in page
    assert not db.session.get(Meeting, meeting.id).items

    plain = world.cases["plain"].reference
    ok = client.post(
        f"/meetings/{meeting.id}/agenda/cases",
        data={"case-reference": plain.lower(), "case-minutes": "12", "case-note": ""},
    )
    assert ok.status_code == 302
    again = client.post(
        f"/meetings/{meeting.id}/agenda/cases",
        data={"case-reference": plain, "case-minutes": "12", "case-note": ""},
    )
    assert "That case is already on the agenda." in again.get_data(as_text=True)


def test_moving_and_retiming_items_renumbers_and_recomputes_carry_over(
    world: World, meeting: Meeting, login
) -> None:
    first = CaseFactory(panel=world.panel, risk_level=RiskLevel.HIGH, next_review_on=NOW.date())
    second = CaseFactory(panel=world.panel, risk_level=RiskLevel.LOW, next_review_on=NOW.date())
    items = build(world, meeting)
    client = login(world.users["chair"])
    low = next(i for i in items if i.case_id == second.id)

    moved = client.post(
        f"/meetings/{meeting.id}/agenda/items/{low.id}/move",
        data={f"move-{low.id}-direction": "up"},
    )
    assert case_references(meeting) == [second.reference, first.reference]
    assert moved.headers["Location"].endswith(f"#item-{low.id}")  # the page stays at the item
    client.post(  # to a given place: the third, after the standing item and the other case
        f"/meetings/{meeting.id}/agenda/items/{low.id}/move", data={f"move-{low.id}-position": "3"}
    )
    assert case_references(meeting) == [first.reference, second.reference]
    client.post(
        f"/meetings/{meeting.id}/agenda/items/{low.id}/move", data={f"move-{low.id}-position": "2"}
    )
    assert case_references(meeting) == [second.reference, first.reference]

    client.post(
        f"/meetings/{meeting.id}/agenda/items/{low.id}/minutes",
        data={f"retime-{low.id}-minutes": "200"},
    )
    db.session.expire_all()
    active = meeting_base.active_items(db.session.get(Meeting, meeting.id))
    assert [(i.case_id, i.likely_carry_over) for i in active] == [
        (None, False),
        (second.id, True),
        (first.id, True),
    ]


@pytest.mark.parametrize(
    ("user_key", "status"),
    [("police", 403), ("social", 403), ("ngo", 403), ("other", 404), ("admin", 404)],
)
def test_only_the_chair_and_secretary_build_and_publish(
    world: World, meeting: Meeting, login, user_key: str, status: int
) -> None:
    client = login(world.users[user_key])
    assert client.post(f"/meetings/{meeting.id}/agenda/build").status_code == status
    assert client.post(f"/meetings/{meeting.id}/agenda/publish").status_code == status
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.PLANNED
    assert not db.session.get(Meeting, meeting.id).items


def test_partners_see_the_agenda_without_cases_not_shared_with_them(
    world: World, meeting: Meeting, login
) -> None:
    for key in ("plain", "shared"):
        world.cases[key].next_review_on = NOW.date()
    build(world, meeting)

    page = login(world.users["ngo"]).get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)

    assert world.cases["shared"].reference in page
    assert world.cases["plain"].reference not in page
    assert "Case item (not shared with your organisation)" in page
    full = login(world.users["police"]).get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert world.cases["plain"].reference in full


def test_attendance_decides_the_quorum_shown_on_the_meeting_page(
    world: World, meeting: Meeting, login
) -> None:
    entries = {a.user_id: a for a in db.session.scalars(sa.select(Attendance))}
    chair, police = world.users["chair"], world.users["police"]
    client = login(chair)
    client.post(
        f"/meetings/{meeting.id}/attendance",
        data={
            f"status-{entries[chair.id].id}": "present",
            f"status-{entries[police.id].id}": "present",
        },
    )

    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Not quorate. Missing core agencies: PRO agency." in page
    assert db.session.get(Attendance, entries[police.id].id).status.value == "present"


def test_an_agenda_built_over_http_uses_the_real_clock_and_keeps_the_audit_trail(
    world: World, login
) -> None:
    meeting = MeetingFactory(panel=world.panel, starts_at=utcnow() + timedelta(days=3))
    CaseFactory(panel=world.panel, status=CaseStatus.REFERRED, referred_at=utcnow())
    client = login(world.users["secretary"])
    response = client.post(f"/meetings/{meeting.id}/agenda/build", follow_redirects=True)
    assert "Check the reasons, then publish." in response.get_data(as_text=True)
    assert len(case_references(meeting)) >= 1


def test_an_invitee_opens_the_published_agenda_from_the_home_page(
    world: World, meeting: Meeting, login
) -> None:
    build(world, meeting)
    agenda_services.publish_agenda(meeting, actor=world.users["chair"], now=NOW)
    police = world.users["police"]
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == police.id))
    client = login(police)

    home = client.get("/").get_data(as_text=True)
    assert "The agenda of the RVT meeting has been published." in home
    opened = client.post(f"/notifications/{note.id}")

    assert opened.headers["Location"] == f"/meetings/{meeting.id}/agenda"
    assert db.session.get(Notification, note.id).read_at is not None
    assert "has been published" not in client.get("/").get_data(as_text=True)
    # Someone else's notification is not theirs to open.
    other = db.session.scalars(sa.select(Notification).where(Notification.user_id != police.id))
    assert client.post(f"/notifications/{next(iter(other)).id}").status_code == 404


def test_an_error_on_removing_shows_beside_that_items_reason(
    world: World, meeting: Meeting, login
) -> None:
    CaseFactory(panel=world.panel, next_review_on=NOW.date())
    items = build(world, meeting)
    client = login(world.users["chair"])
    url = f"/meetings/{meeting.id}/agenda/items/{items[1].id}/remove"
    too_long = client.post(url, data={"remove-reason": "x" * 600})
    page = too_long.get_data(as_text=True)
    assert too_long.status_code == 422
    error = page.index("Field cannot be longer than 500 characters.")
    own_row = page.rfind(f'id="item-{items[1].id}"', 0, error)
    assert own_row != -1
    assert page.find("<tr", own_row + 1, error) == -1  # in that item's row, by its field
    assert client.post(url, data={"remove-reason": "Dealt with elsewhere"}).status_code == 302
    again = client.post(url, data={"remove-reason": "Twice"})
    assert again.status_code == 422
    assert "That item has already been removed." in again.get_data(as_text=True)


def test_publishing_an_agenda_that_runs_over_is_confirmed_first(
    world: World, meeting: Meeting, login
) -> None:
    for _ in range(20):
        CaseFactory(panel=world.panel, next_review_on=NOW.date())
    build(world, meeting)
    client = login(world.users["chair"])
    asked = client.post(f"/meetings/{meeting.id}/agenda/publish").get_data(as_text=True)
    assert "Publish an agenda that runs over its time?" in asked
    assert re.search(r"The items take \d+ minutes more than the meeting has", asked)
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.PLANNED
    client.post(f"/meetings/{meeting.id}/agenda/publish", data={"confirmed": "1"})
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.AGENDA_PUBLISHED


def test_a_coordinators_request_for_discussion_puts_the_case_on_the_next_agenda(
    world: World, meeting: Meeting
) -> None:
    """Written on the day of the last sitting, for this meeting: it still counts."""
    case = world.cases["coordinated"]
    previous_day = MEETING_AT - timedelta(days=14)
    ProgressReportFactory(
        case=case,
        meeting_id=meeting.id,
        rag=RagStatus.ON_TRACK,
        discussion_requested=True,
        submitted_at=previous_day + timedelta(hours=6),
    )
    items = build(world, meeting)
    [item] = [i for i in items if i.case_id == case.id]
    assert Reason.DISCUSSION_REQUESTED.value in item.reasons
