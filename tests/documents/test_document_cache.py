"""Rendered documents: once per content, shared only between identical copies, rendered off the
request, with "being prepared", "ready" and "failed" pages in between."""

import os
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.db import utcnow
from conference.documents import cache
from conference.documents.models import RenderedDocument, RenderStatus
from conference.extensions import db
from conference.meetings.models import AttendanceStatus, Meeting
from conference.meetings.services import agenda as agenda_services
from tests.documents.test_agenda_documents import pdf_text
from tests.factories import NOW, AttendanceFactory, MeetingFactory, RenderedDocumentFactory
from tests.test_concurrency import at_once
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    world = build_world()
    for case in world.cases.values():
        case.next_review_on = NOW.date()
    return world


@pytest.fixture
def meeting(world: World) -> Meeting:
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=7), place="Room 4")
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    return meeting


@pytest.fixture
def deferred(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Renders wait until the test runs them, as a busy render process would."""
    monkeypatch.setitem(app.config, "DOCUMENT_RENDERER", "deferred")


def downloads(meeting: Meeting) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "document.downloaded", AuditEvent.object_id == str(meeting.id)
            )
        )
        or 0
    )


def rows(**where: object) -> list[RenderedDocument]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(RenderedDocument).filter_by(**where)))


def test_the_second_download_of_an_agenda_is_served_from_the_cache_and_still_audited(
    world: World, meeting: Meeting, login
) -> None:
    before = cache.renders
    client = login(world.users["police"])
    first = client.get(f"/meetings/{meeting.id}/agenda.pdf")
    second = client.get(f"/meetings/{meeting.id}/agenda.pdf")

    assert first.mimetype == second.mimetype == "application/pdf"
    assert first.data == second.data
    assert cache.renders == before + 1
    assert downloads(meeting) == 2
    assert len(rows(kind="agenda")) == 1


def test_a_changed_agenda_is_rendered_anew(world: World, meeting: Meeting, login) -> None:
    client = login(world.users["police"])
    client.get(f"/meetings/{meeting.id}/agenda.pdf")
    before = cache.renders
    agenda_services.add_general_item(
        meeting, title="Training on referrals", minutes=10, actor=world.users["chair"], now=NOW
    )
    db.session.commit()

    response = client.get(f"/meetings/{meeting.id}/agenda.pdf")

    assert cache.renders == before + 1
    assert "Training on referrals" in pdf_text(response.data)


def test_a_partner_never_gets_the_core_members_copy(world: World, meeting: Meeting, login) -> None:
    plain = world.cases["plain"].reference
    shared = world.cases["shared"].reference
    core = login(world.users["police"]).get(f"/meetings/{meeting.id}/agenda.pdf")
    partner = login(world.users["ngo"]).get(f"/meetings/{meeting.id}/agenda.pdf")

    assert plain in pdf_text(core.data)
    assert shared in pdf_text(partner.data)
    assert plain not in pdf_text(partner.data)
    assert len(rows(kind="agenda")) == 2
    # Readers who see the same cases share one copy.
    before = cache.renders
    login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda.pdf")
    assert cache.renders == before
    assert len(rows(kind="agenda")) == 2


def test_the_pack_is_cached_per_reader_too(world: World, meeting: Meeting, login) -> None:
    AttendanceFactory(meeting=meeting, user=world.users["police"], status=AttendanceStatus.INVITED)
    db.session.commit()
    client = login(world.users["police"])
    before = cache.renders
    first = client.get(f"/meetings/{meeting.id}/pack.pdf")
    second = client.get(f"/meetings/{meeting.id}/pack.pdf")

    assert first.data == second.data
    assert first.mimetype == "application/pdf"
    assert cache.renders == before + 1
    assert len(rows(kind="pack")) == 1


def test_an_uncached_document_is_being_prepared_then_ready(
    world: World, meeting: Meeting, login, deferred: None
) -> None:
    client = login(world.users["police"])
    url = f"/meetings/{meeting.id}/agenda.pdf"

    asked = client.get(url)
    assert asked.status_code == 202
    page = asked.get_data(as_text=True)
    assert "being prepared" in page
    assert f'http-equiv="refresh" content="3;url={url}?wait=1"' in page
    assert client.get(f"{url}?wait=1").status_code == 202  # still being prepared
    assert downloads(meeting) == 0  # nothing was handed out yet

    assert cache.render_pending() == 1
    ready = client.get(f"{url}?wait=1")
    assert ready.status_code == 200
    assert "The document is ready." in ready.get_data(as_text=True)
    assert f'href="{url}"' in ready.get_data(as_text=True)
    assert downloads(meeting) == 0

    response = client.get(url)
    assert response.mimetype == "application/pdf"
    assert world.cases["plain"].reference in pdf_text(response.data)
    assert downloads(meeting) == 1


def test_a_failed_render_is_reported_and_can_be_asked_for_again(
    world: World, meeting: Meeting, login, deferred: None
) -> None:
    client = login(world.users["police"])
    url = f"/meetings/{meeting.id}/agenda.pdf"
    client.get(url)

    def broken(html: str) -> bytes:
        raise RuntimeError("the renderer fell over")

    assert cache.render_pending(render=broken) == 0
    failed = client.get(url)
    assert failed.status_code == 200
    assert "could not be prepared" in failed.get_data(as_text=True)
    assert f'href="{url}?retry=1"' in failed.get_data(as_text=True)
    assert rows(kind="agenda")[0].error == "RuntimeError"

    assert client.get(f"{url}?retry=1").status_code == 202
    assert cache.render_pending() == 1
    assert client.get(url).mimetype == "application/pdf"


def test_a_render_lost_with_its_process_can_be_asked_for_again(
    world: World, meeting: Meeting, login, deferred: None
) -> None:
    client = login(world.users["police"])
    url = f"/meetings/{meeting.id}/agenda.pdf"
    client.get(url)
    db.session.execute(
        sa.update(RenderedDocument).values(created_at=utcnow() - cache.STALE_AFTER * 2)
    )
    db.session.commit()

    assert "could not be prepared" in client.get(url).get_data(as_text=True)
    assert client.get(f"{url}?retry=1").status_code == 202
    assert cache.render_pending() == 1


def test_two_requests_at_once_render_the_document_once(
    app: Flask, world: World, meeting: Meeting, deferred: None
) -> None:
    db.session.commit()
    url = f"/meetings/{meeting.id}/agenda.pdf"
    police = world.users["police"]

    responses = at_once(app, [police, police], lambda client, _i: client.get(url))

    assert sorted(r.status_code for r in responses) == [202, 202]
    assert len(rows(kind="agenda")) == 1
    assert cache.render_pending() == 1
    assert cache.render_pending() == 0


def test_a_render_process_of_its_own_makes_the_document(
    app: Flask, world: World, meeting: Meeting, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "DOCUMENT_RENDERER", "process")
    client = login(world.users["police"])
    url = f"/meetings/{meeting.id}/agenda.pdf"
    try:
        assert client.get(url).status_code == 202
        for _ in range(600):  # the first render also starts the process
            if rows(kind="agenda")[0].status != RenderStatus.PENDING:
                break
            time.sleep(0.1)
        assert rows(kind="agenda")[0].status == RenderStatus.READY
        assert client.get(url).mimetype == "application/pdf"
    finally:
        cache.shutdown()


def test_the_render_processes_give_way_to_the_web_workers(app: Flask) -> None:
    # A render runs at a lower CPU priority than the worker that asked for it, so the pages of
    # everyone else are answered first on a busy machine.
    try:
        theirs = cache._executor().submit(os.nice, 0).result(timeout=60)
    finally:
        cache.shutdown()
    assert theirs == min(os.nice(0) + cache.RENDER_NICENESS, 19)


def test_old_documents_are_pruned(world: World, meeting: Meeting) -> None:
    old = RenderedDocumentFactory(meeting=meeting, created_at=NOW - timedelta(days=40))
    new = RenderedDocumentFactory(meeting=meeting, created_at=NOW - timedelta(days=1))
    db.session.commit()
    old_id, new_id = old.id, new.id

    assert cache.prune_documents(NOW) == 1
    assert [r.id for r in rows()] == [new_id]
    assert old_id != new_id


def test_a_meeting_keeps_its_newest_documents_of_each_kind(
    world: World, meeting: Meeting, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "KEEP_PER_MEETING", 1)
    login(world.users["police"]).get(f"/meetings/{meeting.id}/agenda.pdf")
    login(world.users["ngo"]).get(f"/meetings/{meeting.id}/agenda.pdf")

    assert len(rows(kind="agenda")) == 1
