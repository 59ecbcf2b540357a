"""The meeting pack: the agenda, then each case on pages of its own with what a member needs to
read up; bookmarked, numbered, audited, and cut down to the shared cases for a partner."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from conference.actions.models import ActionStatus, RagStatus
from conference.audit.models import AuditEvent
from conference.directory.models import ServiceReferralStatus
from conference.extensions import db
from conference.labels import label
from conference.meetings.models import (
    AttendanceStatus,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    RecommendationOutcome,
)
from conference.meetings.rules import Reason
from conference.meetings.services import agenda as agenda_services
from tests.auth.test_sessions import age_sessions, sign_in
from tests.documents.test_agenda_documents import pdf_text, seed_markers
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    ProgressReportFactory,
    RecommendationFactory,
    ServiceFactory,
    ServiceReferralFactory,
)
from tests.worlds import World, add_restricted_records, build_world


@pytest.fixture
def world() -> World:
    world = build_world()
    add_restricted_records(world)
    for case in world.cases.values():
        case.next_review_on = NOW.date()
    return world


@pytest.fixture
def meeting(world: World) -> Meeting:
    plain = world.cases["plain"]
    previous = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=14), status=MeetingStatus.CLOSED
    )
    item = AgendaItemFactory(meeting=previous, case=plain, outcome=ItemOutcome.DISCUSSED)
    RecommendationFactory(
        item=item,
        text="Offer a mentor from youth work.",
        outcome=RecommendationOutcome.ADOPTED,
        decided_at=NOW - timedelta(days=14),
    )
    ActionFactory(
        case=plain,
        meeting_id=previous.id,
        text="Arrange a mentor",
        owner=world.users["police"],
        status=ActionStatus.IN_PROGRESS,
        due_on=NOW.date() - timedelta(days=2),
    )
    ActionFactory(case=plain, text="Finished long ago", status=ActionStatus.DONE)
    ProgressReportFactory(
        case=plain,
        rag=RagStatus.AT_RISK,
        summary="Mentor found; first meeting missed.",
        submitted_at=NOW - timedelta(days=1),
    )
    service = ServiceFactory(panel_id=world.panel.id, name="Exit Riverton")
    ServiceReferralFactory(case=plain, service=service, status=ServiceReferralStatus.REFERRED)
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=1), place="Room 4")
    for key in ("police", "ngo"):
        AttendanceFactory(meeting=meeting, user=world.users[key], status=AttendanceStatus.INVITED)
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    return meeting


def _outline(body: bytes) -> list[str]:
    return [entry.title for entry in PdfReader(io.BytesIO(body)).outline]


def test_the_pack_holds_the_agenda_then_each_case_with_what_to_read_up(
    world: World, meeting: Meeting, login
) -> None:
    markers = seed_markers()
    response = login(world.users["police"]).get(f"/meetings/{meeting.id}/pack.pdf")

    assert response.mimetype == "application/pdf"
    day = (NOW + timedelta(days=1)).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="RVT-{day}-pack.pdf"'
    reader = PdfReader(io.BytesIO(response.data))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    cases = [world.cases[k] for k in ("plain", "coordinated", "shared", "revoked")]
    # A cover, then every case on pages of its own, each numbered "Page X of Y".
    assert len(pages) >= 1 + len(cases)
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    plain = world.cases["plain"].reference
    plain_page = next(p for p in pages[1:] if plain in p)
    for expected in (
        label(Reason.REVIEW_DUE),  # why it is on the agenda
        "At risk",  # the latest report's RAG
        "Mentor found; first meeting missed.",
        "Arrange a mentor",  # an open action, its state, overdue
        "In progress",
        "overdue",
        "Offer a mentor from youth work.",  # the last decision
        "Exit Riverton",  # the referral and its state
        "Referred",
        "Next review",
    ):
        assert expected in plain_page, expected
    assert "Finished long ago" not in text  # done actions are not open
    assert [m for m in markers if m in text] == []
    assert world.cases["elsewhere"].reference not in text
    # One bookmark for the cover and one per case item.
    outline = _outline(response.data)
    assert len(outline) == 1 + len(cases)
    assert all(any(c.reference in entry for entry in outline) for c in cases)


def test_a_partner_gets_a_pack_of_the_cases_shared_with_it_only(
    world: World, meeting: Meeting, login
) -> None:
    body = login(world.users["ngo"]).get(f"/meetings/{meeting.id}/pack.pdf").data
    text = pdf_text(body)
    assert world.cases["shared"].reference in text
    for key in ("plain", "coordinated", "revoked"):
        assert world.cases[key].reference not in text
    assert "Mentor found" not in text
    assert "only the cases shared with this organisation" in text
    assert len(_outline(body)) == 2  # the cover and the one shared case


def test_the_pack_is_for_those_invited_and_every_download_is_audited(
    world: World, meeting: Meeting, login
) -> None:
    assert login(world.users["social"]).get(f"/meetings/{meeting.id}/pack.pdf").status_code == 403
    assert login(world.users["other"]).get(f"/meetings/{meeting.id}/pack.pdf").status_code == 404
    chair = login(world.users["chair"])  # runs the meeting: invited or not
    assert chair.get(f"/meetings/{meeting.id}/pack.pdf").status_code == 200
    page = chair.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert f"/meetings/{meeting.id}/pack.pdf" in page
    page = login(world.users["social"]).get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "pack.pdf" not in page
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.downloaded")
    ).all()
    assert [(e.actor_id, e.detail["document"]) for e in events] == [
        (world.users["chair"].id, "pack.pdf")
    ]


def test_the_pack_needs_a_recent_sign_in(app: Flask, world: World, meeting: Meeting) -> None:
    police = world.users["police"]
    client = sign_in(app, police)
    url = f"/meetings/{meeting.id}/pack.pdf"
    assert client.get(url).mimetype == "application/pdf"
    age_sessions(police, authenticated_at=timedelta(minutes=16))
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/account/confirm?next=")


def test_the_documents_command_writes_the_panels_pack_and_one_per_partner(
    app: Flask, world: World, meeting: Meeting, tmp_path: Path
) -> None:
    result = app.test_cli_runner().invoke(
        args=["documents", "render", "--meeting", str(meeting.id), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    day = (NOW + timedelta(days=1)).date().isoformat()
    full = pdf_text((tmp_path / f"RVT-{day}-pack.pdf").read_bytes())
    ngo = pdf_text((tmp_path / f"RVT-{day}-pack-NGO.pdf").read_bytes())
    social = pdf_text((tmp_path / f"RVT-{day}-pack-SOC.pdf").read_bytes())
    assert all(world.cases[k].reference in full for k in ("plain", "coordinated", "shared"))
    assert world.cases["shared"].reference in ngo
    assert world.cases["plain"].reference not in ngo
    assert world.cases["coordinated"].reference in social  # coordinated by its member
    assert world.cases["shared"].reference not in social
