"""The agenda PDF and the calendar invitation: need-to-know only, audited, also from the CLI."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from conference.audit.models import AuditEvent
from conference.cases.models import CaseStatus
from conference.db import Classification, classification_of
from conference.documents.pdf import DOCUMENT_BASE, RefusedURLError, StaticOnlyFetcher
from conference.extensions import db
from conference.labels import label
from conference.meetings.models import ItemOutcome, Meeting, MeetingStatus
from conference.meetings.rules import Reason
from conference.meetings.services import agenda as agenda_services
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    MeetingFactory,
)
from tests.worlds import World, add_restricted_records, build_world


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def seed_markers() -> list[str]:
    """A unique marker in every restricted text column of every row: none may reach a document."""
    markers = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if classification_of(column) != Classification.RESTRICTED.value:
                continue
            if not isinstance(column.type, sa.String | sa.Text):
                continue
            marker = f"MK{table.name[:6]}{column.name[:6]}".upper().replace("_", "")
            length = getattr(column.type, "length", None)
            marker = marker[: length or len(marker)]
            result = db.session.execute(table.update().values({column.name: marker}))
            if result.rowcount:
                markers.append(marker)
    return markers


@pytest.fixture
def world() -> World:
    world = build_world()
    add_restricted_records(world)
    for case in world.cases.values():
        case.next_review_on = NOW.date()
    return world


@pytest.fixture
def meeting(world: World) -> Meeting:
    previous = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=7), status=MeetingStatus.CLOSED
    )
    AgendaItemFactory(meeting=previous, case=world.cases["plain"], outcome=ItemOutcome.DISCUSSED)
    ActionFactory(
        case=world.cases["plain"],
        meeting_id=previous.id,
        text="Arrange a mentor",
        owner=world.users["police"],
        due_on=NOW.date() - timedelta(days=2),
    )
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=7), place="Room 4")
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    return meeting


def test_the_agenda_pdf_holds_references_and_reasons_and_no_restricted_data(
    world: World, meeting: Meeting, login
) -> None:
    markers = seed_markers()
    assert len(markers) >= 8  # subject, guardian, referral and note fields at least

    response = login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda.pdf")

    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="RVT-{(NOW + timedelta(days=7)).date().isoformat()}-agenda.pdf"'
    )
    text = pdf_text(response.data)
    for key in ("plain", "coordinated", "shared", "revoked"):
        assert world.cases[key].reference in text
    assert label(Reason.REVIEW_DUE) in text
    assert "Arrange a mentor" in text  # the standing item's open action
    assert "Room 4" in text
    assert [m for m in markers if m in text] == []
    assert world.cases["elsewhere"].reference not in text


def test_a_partner_downloads_an_agenda_without_the_cases_not_shared_with_it(
    world: World, meeting: Meeting, login
) -> None:
    text = pdf_text(login(world.users["ngo"]).get(f"/meetings/{meeting.id}/agenda.pdf").data)
    assert world.cases["shared"].reference in text
    assert world.cases["plain"].reference not in text
    assert "Arrange a mentor" not in text
    assert "not shared with your organisation" in text


def test_every_download_is_audited(world: World, meeting: Meeting, login) -> None:
    client = login(world.users["police"])
    client.get(f"/meetings/{meeting.id}/agenda.pdf")
    client.get(f"/meetings/{meeting.id}/invite.ics")
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "document.downloaded")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.object_id, e.detail["document"]) for e in events] == [
        (world.users["police"].id, str(meeting.id), "agenda.pdf"),
        (world.users["police"].id, str(meeting.id), "invite.ics"),
    ]


def test_the_invitation_has_time_place_and_link_and_no_case_data(
    world: World, meeting: Meeting, login
) -> None:
    markers = seed_markers()
    meeting.video_link = "https://video.example.org/rvt"
    response = login(world.users["ngo"]).get(f"/meetings/{meeting.id}/invite.ics")
    body = response.get_data(as_text=True)
    unfolded = body.replace("\r\n ", "")

    assert response.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in body
    start = (NOW + timedelta(days=7)).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in body
    assert "LOCATION:Room 4" in body
    assert f"/meetings/{meeting.id}" in unfolded
    assert "https://video.example.org/rvt" in unfolded
    for case in world.cases.values():
        assert case.reference not in body
    assert [m for m in markers if m in body] == []


def test_the_documents_command_writes_the_set_and_audits_it(
    app: Flask, world: World, meeting: Meeting, tmp_path: Path
) -> None:
    result = app.test_cli_runner().invoke(
        args=["documents", "render", "--meeting", str(meeting.id), "--out", str(tmp_path / "set")]
    )
    assert result.exit_code == 0, result.output
    day = (NOW + timedelta(days=7)).date().isoformat()
    names = sorted(p.name for p in (tmp_path / "set").iterdir())
    assert names == [
        f"RVT-{day}-agenda.pdf",
        f"RVT-{day}-invite.ics",
        f"RVT-{day}-pack-NGO.pdf",
        f"RVT-{day}-pack-SOC.pdf",
        f"RVT-{day}-pack.pdf",
    ]
    text = pdf_text((tmp_path / "set" / f"RVT-{day}-agenda.pdf").read_bytes())
    assert world.cases["plain"].reference in text
    db.session.expire_all()
    rendered = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.rendered")
    ).all()
    assert len(rendered) == 5

    missing = app.test_cli_runner().invoke(
        args=["documents", "render", "--meeting", "999999", "--out", str(tmp_path)]
    )
    assert missing.exit_code != 0
    assert "There is no meeting 999999." in missing.output


def test_a_closed_case_due_for_post_exit_review_is_on_the_agenda_pdf(world: World, login) -> None:
    closed = world.cases["revoked"]
    closed.status = CaseStatus.CLOSED
    closed.closed_at = NOW - timedelta(days=183)
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=1))
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    text = pdf_text(login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda.pdf").data)
    assert closed.reference in text
    assert label(Reason.POST_EXIT_FIRST) in text


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/static/css/documents.css",
        "file:///etc/passwd",
        f"{DOCUMENT_BASE}static/../../config.py",
        f"{DOCUMENT_BASE}meetings/1",
        "data:text/css,body{}",
    ],
)
def test_documents_fetch_nothing_but_the_apps_static_files(app: Flask, url: str) -> None:
    fetcher = StaticOnlyFetcher(str(app.static_folder))
    with pytest.raises(RefusedURLError):
        fetcher.fetch(url)
    css = fetcher.fetch(f"{DOCUMENT_BASE}static/css/documents.css")
    assert b"@page" in css.read()


def test_a_row_of_the_agenda_pdf_never_splits_across_pages(
    world: World, meeting: Meeting, login
) -> None:
    filler = "a long general item that wraps onto several lines of its cell " * 2
    for number in range(40):
        agenda_services.add_general_item(
            meeting,
            title=f"Start{number:02d} {filler[:150]} End{number:02d}",
            minutes=5,
            actor=world.users["chair"],
            now=NOW,
        )
    db.session.commit()
    body = login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda.pdf").data
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    assert len(pages) > 2
    for number in range(40):
        [start] = [i for i, text in enumerate(pages) if f"Start{number:02d}" in text]
        [end] = [i for i, text in enumerate(pages) if f"End{number:02d}" in text]
        assert start == end, f"row {number} split across pages {start + 1} and {end + 1}"
