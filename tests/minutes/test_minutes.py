"""Minutes: the projection per audience, the workflow and its permissions, immutability,
amendments, the archive and its verification."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from conference.audit.models import AuditEvent
from conference.documents import cache
from conference.documents.minutes import extract_content
from conference.errors import DomainError, ForbiddenError, InvalidTransitionError
from conference.extensions import db
from conference.meetings.models import (
    AttendanceStatus,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    RecommendationOutcome,
    Stance,
)
from conference.minutes import archive, services
from conference.minutes.jobs import minutes_circulation
from conference.minutes.models import ArchivedFile, MinutesStatus, MinutesVersion
from conference.minutes.services import SignedMinutesError
from conference.notify.models import Notification, NotificationKind
from conference.panels.models import PanelRole
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    PositionFactory,
    RecommendationFactory,
    member,
)
from tests.worlds import World, build_world

AFTER = NOW + timedelta(days=1)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def world() -> World:
    world = build_world()
    # A prosecutor, so that every core agency can be present.
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro)
    return world


@pytest.fixture
def meeting(world: World) -> Meeting:
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW - timedelta(hours=3),
        status=MeetingStatus.CLOSED,
        chair=world.users["chair"],
        secretary=world.users["secretary"],
    )
    for key in ("chair", "secretary", "police", "prosecutor", "social"):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=AttendanceStatus.PRESENT,
            confidentiality_acknowledged_at=NOW,
        )
    AttendanceFactory(meeting=meeting, user=world.users["ngo"], status=AttendanceStatus.APOLOGIES)
    plain = AgendaItemFactory(
        meeting=meeting,
        case=world.cases["plain"],
        position=1,
        reasons=["review_due"],
        facts="Two appointments kept.",
        outcome=ItemOutcome.DISCUSSED,
    )
    adopted = RecommendationFactory(
        item=plain, text="Offer a mentor.", outcome=RecommendationOutcome.ADOPTED
    )
    for key in ("chair", "police", "prosecutor"):
        PositionFactory(recommendation=adopted, agency=world.users[key].agency, stance=Stance.AGREE)
    ActionFactory(
        case=world.cases["plain"],
        meeting_id=meeting.id,
        owner=world.users["police"],
        text="Find a mentor",
    )

    coordinated = AgendaItemFactory(
        meeting=meeting,
        case=world.cases["coordinated"],
        position=2,
        reasons=["overdue_action"],
        outcome=ItemOutcome.DISCUSSED,
    )
    split = RecommendationFactory(
        item=coordinated,
        text="Refer to the exit programme.",
        outcome=RecommendationOutcome.NOT_ADOPTED,
    )
    PositionFactory(recommendation=split, agency=world.users["chair"].agency, stance=Stance.AGREE)
    PositionFactory(
        recommendation=split,
        agency=world.users["police"].agency,
        stance=Stance.OBJECT,
        reason="Not yet proportionate.",
    )
    return meeting


def signed_minutes(world: World, meeting: Meeting) -> MinutesVersion:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    for key in ("chair", "police", "prosecutor"):
        services.sign(version, actor=world.users[key], now=AFTER)
    db.session.commit()
    return version


def test_the_minutes_hold_the_record_and_positions_only_where_not_unanimous(
    world: World, meeting: Meeting
) -> None:
    content = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER).content
    first, second = content["items"]
    assert first["reference"] == world.cases["plain"].reference
    assert first["facts"] == "Two appointments kept."
    assert first["reasons"] == ["Review due"]
    assert first["recommendations"][0]["positions"] == []  # unanimous
    assert [a["text"] for a in first["actions"]] == ["Find a mentor"]
    assert second["coordinator"]["agency"] == world.users["social"].agency.name
    assert [(p["stance"], p["reason"]) for p in second["recommendations"][0]["positions"]] == [
        ("Agree", ""),
        ("Object", "Not yet proportionate."),
    ]
    assert {a["status"] for a in content["attendance"]} == {"Present", "Apologies"}


def test_extracts_hold_only_the_items_that_concern_the_agency(
    world: World, meeting: Meeting
) -> None:
    content = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER).content
    police = world.users["police"].agency
    social = world.users["social"].agency
    for_police = extract_content(content, police.id, police.name)
    for_social = extract_content(content, social.id, social.name)
    # Police own an action on the first and objected on the second; social coordinates the second.
    assert [i["number"] for i in for_police["items"]] == [1, 2]
    assert [i["number"] for i in for_social["items"]] == [2]
    assert for_social["extract"]["left_out"] == 1
    ngo = world.users["ngo"].agency
    assert extract_content(content, ngo.id, ngo.name)["items"] == []


def test_signing_takes_the_chair_and_each_core_agency_present(
    world: World, meeting: Meeting
) -> None:
    secretary = world.users["secretary"]
    with pytest.raises(ForbiddenError):
        services.draft_minutes(meeting, actor=world.users["police"], now=AFTER)
    version = services.draft_minutes(meeting, actor=secretary, now=AFTER)
    with pytest.raises(InvalidTransitionError, match="circulated"):
        services.sign(version, actor=world.users["chair"], now=AFTER)
    # Those present who may read the draft; the social services partner reads its extract
    # once the minutes are signed, and is not sent a link it could not open.
    assert services.circulate(version, actor=secretary, now=AFTER) == 4
    told = db.session.scalars(
        sa.select(Notification.user_id).where(
            Notification.kind == NotificationKind.MINUTES_CIRCULATED
        )
    ).all()
    assert world.users["social"].id not in told
    with pytest.raises(ForbiddenError):
        services.sign(version, actor=world.users["social"], now=AFTER)
    assert services.sign(version, actor=world.users["chair"], now=AFTER) is MinutesStatus.CIRCULATED
    with pytest.raises(DomainError, match="already been given"):
        services.sign(version, actor=world.users["chair"], now=AFTER)
    assert (
        services.sign(version, actor=world.users["police"], now=AFTER) is MinutesStatus.CIRCULATED
    )
    assert (
        services.sign(version, actor=world.users["prosecutor"], now=AFTER) is MinutesStatus.ARCHIVED
    )
    assert meeting.status is MeetingStatus.MINUTES_SIGNED
    assert version.signed_at == AFTER


def test_a_signed_version_never_changes(world: World, meeting: Meeting) -> None:
    version = signed_minutes(world, meeting)
    version.content = version.content | {"items": []}
    with pytest.raises(SignedMinutesError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(InvalidTransitionError, match="amendment"):
        services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)


def test_an_amendment_supersedes_the_signed_version_and_both_stay_archived(
    world: World, meeting: Meeting, login
) -> None:
    first = signed_minutes(world, meeting)
    secretary = world.users["secretary"]
    with pytest.raises(DomainError, match="Say what the correction is"):
        services.amend(first, reason=" ", actor=secretary, now=AFTER)
    second = services.amend(first, reason="Facts of item 1 were wrong.", actor=secretary, now=AFTER)
    services.correct_item(
        second, 1, facts="One appointment kept.", assessment="", actor=secretary, now=AFTER
    )
    services.circulate(second, actor=secretary, now=AFTER)
    for key in ("chair", "police", "prosecutor"):
        services.sign(second, actor=world.users[key], now=AFTER)
    db.session.commit()

    assert second.supersedes_id == first.id
    assert second.number == 2
    assert first.status is MinutesStatus.ARCHIVED
    assert second.status is MinutesStatus.ARCHIVED
    changes = "\n".join(services.changes_between(first, second))
    assert "-  facts: Two appointments kept." in changes
    assert "+  facts: One appointment kept." in changes
    page = login(world.users["chair"]).get(f"/minutes/{second.id}/changes").get_data(as_text=True)
    assert "One appointment kept." in page


def _body(row: ArchivedFile) -> bytes:
    return db.session.scalar(sa.select(ArchivedFile.body).where(ArchivedFile.id == row.id))


def test_the_archive_is_pdf_a_in_the_database_and_verify_names_what_changed(
    app: Flask, world: World, meeting: Meeting, tmp_path: Path
) -> None:
    version = signed_minutes(world, meeting)
    files = db.session.scalars(
        sa.select(ArchivedFile).where(ArchivedFile.version_id == version.id)
    ).all()
    pdfs = [f for f in files if f.path.endswith(".pdf")]
    assert len(pdfs) == 1 + 2  # the minutes; the extracts of the police and of social services
    main = next(f for f in pdfs if f.agency_id is None)
    body = _body(main)
    reader = PdfReader(io.BytesIO(body))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp  # PDF/A-3b, as the archive's metadata says
    assert 'pdfaid:conformance="B"' in xmp
    assert world.cases["plain"].reference in pdf_text(body)

    runner = app.test_cli_runner()
    assert runner.invoke(args=["minutes", "verify"]).exit_code == 0
    # An export for printing, checked against the archive.
    exported = runner.invoke(args=["minutes", "export", "--out", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / main.path).read_bytes() == body
    assert runner.invoke(args=["minutes", "verify", "--export", str(tmp_path)]).exit_code == 0
    extract = next(f for f in pdfs if f.agency_id is not None)
    (tmp_path / extract.path).write_bytes(_body(extract) + b"%tampered")
    result = runner.invoke(args=["minutes", "verify", "--export", str(tmp_path)])
    assert result.exit_code != 0
    assert f"changed: {extract.path}" in result.output

    # Below the app: a file rewritten in the database, one emptied, the signed content edited.
    table = ArchivedFile.__table__
    db.session.execute(table.update().where(table.c.id == extract.id).values(body=b"%PDF-x"))
    db.session.execute(table.update().where(table.c.id == main.id).values(body=None))
    content = MinutesVersion.__table__
    db.session.execute(
        content.update()
        .where(content.c.id == version.id)
        .values(content=version.content | {"amendment_reason": "edited in SQL"})
    )
    db.session.commit()
    result = runner.invoke(args=["minutes", "verify"])
    assert result.exit_code != 0
    assert f"changed: {extract.path}" in result.output
    assert f"missing: {main.path}" in result.output
    assert "content changed" in result.output


def test_signed_minutes_are_downloaded_from_the_archive_and_audited(
    world: World, meeting: Meeting, login
) -> None:
    version = signed_minutes(world, meeting)
    main = next(f for f in version.files if f.agency_id is None and f.path.endswith(".pdf"))
    response = login(world.users["police"]).get(f"/minutes/{version.id}.pdf")
    assert response.data == _body(main)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.downloaded")
    ).all()
    assert [e.actor_id for e in events] == [world.users["police"].id]


def test_a_changed_or_missing_archived_file_is_refused_with_a_message_never_a_500(
    world: World, meeting: Meeting, login
) -> None:
    version = signed_minutes(world, meeting)
    main = next(f for f in version.files if f.agency_id is None and f.path.endswith(".pdf"))
    table = ArchivedFile.__table__
    db.session.execute(table.update().where(table.c.id == main.id).values(body=b"%PDF-forged"))
    db.session.commit()
    client = login(world.users["police"])
    response = client.get(f"/minutes/{version.id}.pdf")
    assert response.status_code == 409
    assert "no longer what was signed" in response.get_data(as_text=True)
    db.session.execute(table.update().where(table.c.id == main.id).values(body=None))
    db.session.commit()
    response = client.get(f"/minutes/{version.id}.pdf")
    assert response.status_code == 409
    assert "archived copy is missing" in response.get_data(as_text=True)
    refused = db.session.scalars(
        sa.select(AuditEvent.detail)
        .where(AuditEvent.action == "minutes.archive_check_failed")
        .order_by(AuditEvent.id)  # in the order they happened, on any database
    ).all()
    assert [d["what"] for d in refused] == ["changed", "missing"]


def test_signed_content_edited_in_the_database_is_not_shown(
    world: World, meeting: Meeting, login
) -> None:
    version = signed_minutes(world, meeting)
    table = MinutesVersion.__table__
    forged = version.content | {"amendment_reason": "Forged in SQL"}
    db.session.execute(table.update().where(table.c.id == version.id).values(content=forged))
    db.session.commit()
    response = login(world.users["chair"]).get(f"/minutes/{version.id}")
    assert response.status_code == 409
    assert "Forged in SQL" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("user_key", "page", "sees_plain"),
    [
        ("chair", 200, True),
        ("police", 200, True),
        ("ngo", 200, False),
        ("social", 200, False),
        ("other", 404, False),
        ("admin", 404, False),
    ],
)
def test_who_reads_which_minutes(
    world: World, meeting: Meeting, login, user_key: str, page: int, sees_plain: bool
) -> None:
    version = signed_minutes(world, meeting)
    response = login(world.users[user_key]).get(f"/minutes/{version.id}")
    assert response.status_code == page
    if page == 200:
        text = response.get_data(as_text=True)
        assert (world.cases["plain"].reference in text) is sees_plain
        assert ("Extract for" in text) is (not sees_plain)


def test_a_member_who_joined_later_reads_only_their_agencys_extract(
    world: World, meeting: Meeting, login
) -> None:
    from conference.panels.models import PanelRole

    version = signed_minutes(world, meeting)
    newcomer = member(world.panel, PanelRole.MEMBER, world.users["police"].agency)
    newcomer.memberships[0].since = AFTER.date()
    text = login(newcomer).get(f"/minutes/{version.id}").get_data(as_text=True)
    assert "Extract for" in text


def test_drafts_are_for_the_chair_and_secretary_until_circulated(
    world: World, meeting: Meeting, login
) -> None:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    assert login(world.users["police"]).get(f"/minutes/{version.id}").status_code == 404
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    assert login(world.users["police"]).get(f"/minutes/{version.id}").status_code == 200
    assert (
        login(world.users["ngo"]).get(f"/minutes/{version.id}").status_code == 404
    )  # was not there


def test_the_secretary_is_reminded_when_the_draft_is_not_circulated(
    world: World, meeting: Meeting
) -> None:
    assert minutes_circulation(NOW + timedelta(days=2)) == 0  # within three working days
    later = NOW + timedelta(days=7)
    assert minutes_circulation(later) == 1
    assert minutes_circulation(later + timedelta(hours=1)) == 0
    [note] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.MINUTES_CIRCULATION_DUE)
    ).all()
    assert note.user_id == world.users["secretary"].id
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=later)
    services.circulate(version, actor=world.users["secretary"], now=later)
    assert minutes_circulation(later + timedelta(days=1)) == 0


def test_rendering_is_deterministic_for_the_stored_content(world: World, meeting: Meeting) -> None:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    first = pdf_text(archive.render_minutes(version.content, locale="en"))
    assert first == pdf_text(archive.render_minutes(version.content, locale="en"))


def test_an_amendment_in_draft_hides_nothing_signed(world: World, meeting: Meeting, login) -> None:
    first = signed_minutes(world, meeting)
    services.amend(first, reason="Typo in item 2.", actor=world.users["secretary"], now=AFTER)
    db.session.commit()
    response = login(world.users["police"]).get(f"/meetings/{meeting.id}/minutes")
    assert response.headers["Location"] == f"/minutes/{first.id}"


def test_draft_minutes_render_once_per_content_and_signatures(
    world: World, meeting: Meeting, login
) -> None:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    db.session.commit()
    client = login(world.users["police"])
    before = cache.renders

    first = client.get(f"/minutes/{version.id}.pdf")
    again = client.get(f"/minutes/{version.id}.pdf")
    assert first.data == again.data
    assert cache.renders == before + 1

    services.sign(version, actor=world.users["chair"], now=AFTER)
    db.session.commit()
    signed = client.get(f"/minutes/{version.id}.pdf")
    assert cache.renders == before + 2
    assert world.users["chair"].name in pdf_text(signed.data)
    # An extract is a copy of its own.
    ngo = world.users["ngo"].agency_id
    extract = client.get(f"/minutes/{version.id}/extracts/{ngo}.pdf")
    assert extract.mimetype == "application/pdf"
    assert cache.renders == before + 3
