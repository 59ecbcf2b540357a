"""Documents reach nothing outside the app, and no restricted value reaches any document."""

import io
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from conference.actions.jobs import action_reminders
from conference.directory.models import ReferralOutcome, ServiceReferralStatus
from conference.documents import meeting as meeting_documents
from conference.documents.minutes import extract_agencies, extract_content
from conference.documents.pdf import html_to_pdf
from conference.extensions import db
from conference.meetings.models import (
    AttendanceStatus,
    ItemOutcome,
    MeetingStatus,
    RecommendationOutcome,
)
from conference.minutes import archive
from conference.minutes import services as minutes_services
from conference.notify.models import Notification
from conference.notify.services import deliver_email
from conference.statistics import services as statistics_services
from conference.statistics.rules import year_period
from tests.conftest import second_app
from tests.documents.test_agenda_documents import pdf_text, seed_markers
from tests.factories import (
    NOW,
    TODAY,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    RecommendationFactory,
    ServiceFactory,
    ServiceReferralFactory,
)
from tests.worlds import World, add_restricted_records, build_world


def test_documents_fetch_nothing_and_attach_nothing(app: Flask) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        html = f"""<html><body>
          <p>Safety test</p>
          <img src="file:///etc/passwd">
          <img src="http://127.0.0.1:{port}/tracker.png">
          <a rel="attachment" href="file:///etc/passwd">passwd</a>
          <a rel="attachment" href="/static/../config.py">config</a>
          <link rel="attachment" href="file:///etc/hostname">
          <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
        </body></html>"""
        with app.test_request_context():
            body = html_to_pdf(html)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    reader = PdfReader(io.BytesIO(body))
    assert reader.attachments == {}
    text = pdf_text(body)
    assert "Safety test" in text
    assert "root:" not in text
    assert b"SECRET_KEY" not in body


@pytest.fixture
def world() -> World:
    world = build_world()
    add_restricted_records(world)
    return world


def test_no_restricted_value_reaches_the_agenda_pack_minutes_extracts_or_emails(
    app: Flask, world: World, smtp_server
) -> None:
    messages, port = smtp_server
    chair, police = world.users["chair"], world.users["police"]
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW - timedelta(hours=3),
        chair=chair,
        secretary=world.users["secretary"],
    )
    for key in ("chair", "secretary", "police", "social"):
        AttendanceFactory(meeting=meeting, user=world.users[key], status=AttendanceStatus.PRESENT)
    on_agenda = [world.cases[k] for k in ("plain", "coordinated", "shared")]
    for position, case in enumerate(on_agenda, start=1):
        item = AgendaItemFactory(
            meeting=meeting,
            case=case,
            position=position,
            reasons=["review_due"],
            outcome=ItemOutcome.DISCUSSED,
            facts=f"Facts {position}",
        )
        recommendation = RecommendationFactory(
            item=item, text=f"Recommendation {position}", outcome=RecommendationOutcome.ADOPTED
        )
        ActionFactory(
            case=case,
            meeting_id=meeting.id,
            recommendation_id=recommendation.id,
            owner=police,
            text=f"Action {position}",
            due_on=TODAY - timedelta(days=1),
        )
    service = ServiceFactory(panel_id=world.panel.id, name="Exit Riverton")
    for case in on_agenda:  # followed to its end: the note on how it ended is restricted
        ServiceReferralFactory(
            case=case,
            service=service,
            meeting_id=meeting.id,
            status=ServiceReferralStatus.ENDED,
            outcome=ReferralOutcome.OTHER,
            ended_on=TODAY,
        )
    markers = seed_markers()
    assert len(markers) >= 8
    assert "MKSERVICOUTCOM" in markers
    db.session.commit()

    documents: dict[str, str] = {}
    documents["agenda"] = pdf_text(
        meeting_documents.agenda_pdf(meeting, may_see=meeting_documents.everyone, now=NOW)
    )
    documents["meeting pack"] = pdf_text(
        meeting_documents.pack_pdf(meeting, may_see=meeting_documents.everyone, now=NOW)
    )
    for agency in meeting_documents.partner_agencies(meeting):
        documents[f"meeting pack {agency.code}"] = pdf_text(
            meeting_documents.pack_pdf(
                meeting,
                may_see=meeting_documents.shared_with(agency),
                now=NOW,
                reader_agency=agency.name,
            )
        )
    meeting.status = MeetingStatus.CLOSED
    version = minutes_services.draft_minutes(meeting, actor=chair, now=NOW)
    documents["minutes"] = pdf_text(archive.render_minutes(version.content, locale="en"))
    for agency_id, name in extract_agencies(version.content).items():
        documents[f"extract {name}"] = pdf_text(
            archive.render_minutes(extract_content(version.content, agency_id, name), locale="en")
        )
    action_reminders(NOW)
    minutes_services.circulate(version, actor=world.users["secretary"], now=NOW)
    db.session.commit()
    with (
        second_app(app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port) as mailer,
        mailer.app_context(),
    ):
        assert deliver_email(NOW) > 0
        db.session.remove()
    documents["e-mails"] = "\n".join(m.content.decode() for m in messages)
    documents["notifications"] = "\n".join(db.session.scalars(sa.select(Notification.title)))
    documents["statistics report"] = pdf_text(
        statistics_services.export_report(world.panel, NOW.year, actor=chair, now=NOW)
    )
    documents["statistics CSV"] = statistics_services.export_csv(
        world.panel, year_period(NOW.year), actor=chair, now=NOW
    )

    for name, text in documents.items():
        leaked = [m for m in markers if m in text]
        assert leaked == [], f"{name} holds restricted values: {leaked}"
    for case in on_agenda:
        assert case.reference in documents["agenda"]
        assert case.reference in documents["meeting pack"]
        assert case.reference in documents["minutes"]
    assert "Exit Riverton" in documents["meeting pack"]
    assert "Exit Riverton" in documents["minutes"]
    assert world.cases["shared"].reference in documents["meeting pack NGO"]
    assert world.cases["plain"].reference not in documents["meeting pack NGO"]
    for n in (1, 2, 3):
        assert f"Action {n}" in documents["minutes"]
        assert f"Recommendation {n}" in documents["minutes"]
    police_extract = documents[f"extract {police.agency.name}"]
    assert all(
        case.reference in police_extract for case in on_agenda
    )  # the police own every action
    assert world.cases["elsewhere"].reference not in documents["minutes"]
