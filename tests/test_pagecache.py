"""Kept pages: asked again, a page nothing has changed since is sent as it was made a moment
ago, to the same person in the same browser session only, and never once the session has
ended, something it shows has changed (in any server process), or a message is waiting."""

import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from conference import pagecache
from conference.audit.models import AuditEvent
from conference.audit.verify import verify_trail
from conference.auth.models import UserSession
from conference.db import utcnow
from conference.extensions import db
from conference.pagecache import Page, PageStore
from tests.auth.test_sessions import age_sessions
from tests.conftest import make_app
from tests.factories import TEST_PASSWORD, AgendaItemFactory, AttendanceFactory, MeetingFactory
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def signed_in(app: Flask, user) -> object:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    client.get("/notifications/")  # the first page after signing in makes the CSRF token
    return client


def test_a_page_asked_again_is_sent_as_made_without_building_it(
    app: Flask, world: World, count_queries
) -> None:
    client = signed_in(app, world.users["police"])
    path = f"/cases/{world.cases['plain'].reference}"
    first = client.get(path)
    with count_queries() as again:
        second = client.get(path)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    # The session check and the count of changes, in one statement; nothing else is read.
    assert len(again.statements) == 1
    assert second.headers["Cache-Control"] == "no-store"


def test_a_change_committed_anywhere_is_on_the_next_page(app: Flask, world: World) -> None:
    client = signed_in(app, world.users["police"])
    case = world.cases["plain"]
    assert "Check on the family" not in client.get(f"/cases/{case.reference}").get_data(True)
    # Another server process (its own app and connections) agrees an action on the case.
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with other.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO action (case_id, text, owner_agency_id, due_on, status, created_at,"
                " created_by_id, version_id) VALUES (:case, 'Check on the family', :agency,"
                " :due, 'open', :now, :chair, 1)"
            ),
            {
                "case": case.id,
                "agency": world.users["police"].agency_id,
                "due": utcnow().date() + timedelta(days=7),
                "now": utcnow(),
                "chair": world.users["chair"].id,
            },
        )
        db.session.commit()
    assert "Check on the family" in client.get(f"/cases/{case.reference}").get_data(True)


def test_each_person_and_each_session_has_pages_of_their_own(app: Flask, world: World) -> None:
    chair = signed_in(app, world.users["chair"])
    social = signed_in(app, world.users["social"])
    assert "Chris Chair" in chair.get("/").get_data(True)
    page = social.get("/").get_data(True)
    assert "Sol Social" in page
    assert "Chris Chair" not in page
    # The same person in another browser: the page is made for that session.
    again = signed_in(app, world.users["chair"])
    assert "Chris Chair" in again.get("/").get_data(True)
    assert "Chris Chair" in chair.get("/").get_data(True)


def test_no_kept_page_once_the_session_has_ended(app: Flask, world: World) -> None:
    client = signed_in(app, world.users["police"])
    assert client.get("/").status_code == 200
    # Signed out everywhere (a password change elsewhere, an administrator): the session row
    # ends, which changes no page, but the session is checked on every request.
    db.session.execute(sa.update(UserSession).values(ended_at=utcnow(), end_reason="test"))
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.location


def test_a_waiting_message_is_shown_on_a_page_made_for_it(app: Flask, world: World) -> None:
    client = signed_in(app, world.users["police"])
    assert "Saved the change" not in client.get("/").get_data(True)
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Saved the change")]
    assert "Saved the change" in client.get("/").get_data(True)
    assert "Saved the change" not in client.get("/").get_data(True)


def test_each_showing_of_a_kept_restricted_section_is_audited(
    app: Flask, world: World, count_queries
) -> None:
    client = signed_in(app, world.users["police"])
    case = world.cases["plain"]
    path = f"/cases/{case.reference}/restricted"
    first = client.get(path).get_data()
    with count_queries() as again:
        assert client.get(path).get_data() == first
    assert len(again.statements) < 10  # sent as kept, not made again
    views = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "case.restricted_viewed")
    ).all()
    assert [(e.actor_id, e.object_id) for e in views] == [
        (world.users["police"].id, str(case.id))
    ] * 2
    assert verify_trail().breaks == []


def test_a_kept_page_has_new_one_time_form_tokens_each_time(
    app: Flask, world: World, count_queries
) -> None:
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=utcnow() - timedelta(minutes=5),
        ends_at=utcnow() + timedelta(hours=2),
        chair=world.users["chair"],
    )
    AttendanceFactory(meeting=meeting, user=world.users["chair"])
    item = AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    db.session.commit()
    client = signed_in(app, world.users["chair"])
    assert client.post(f"/meetings/{meeting.id}/open").status_code == 302
    path = f"/meetings/{meeting.id}/items/{item.id}"
    client.get(path)  # the chair takes the item up

    def tokens() -> list[str]:
        page = client.get(path).get_data(True)
        return re.findall(r'name="[\w-]*once"[^>]*value="([0-9a-f]{32})"', page)

    first = tokens()
    with count_queries() as again:
        second = tokens()
    # The kept page: the session checked and its audit record kept, nothing of the meeting read.
    assert not any("FROM agenda_item" in statement for statement in again.statements)
    assert len(first) == len(second) == 1
    assert first != second  # two tabs never send the same token


def sitting_meeting(world: World):  # type: ignore[no-untyped-def]
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=utcnow() + timedelta(days=3),
        ends_at=utcnow() + timedelta(days=3, hours=2),
        chair=world.users["chair"],
    )
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    db.session.commit()
    return meeting


def downloads() -> list[tuple[int, str]]:
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "document.downloaded")
        .order_by(AuditEvent.id)
    )
    return [(event.actor_id, event.object_id) for event in events]


def test_a_kept_download_is_audited_each_time_and_keeps_its_name(
    app: Flask, world: World, count_queries
) -> None:
    meeting = sitting_meeting(world)
    client = signed_in(app, world.users["chair"])
    path = f"/meetings/{meeting.id}/agenda.pdf"
    client.get(path)  # rendered and cached by the document cache
    first = client.get(path)
    with count_queries() as again:
        second = client.get(path)
    assert second.mimetype == "application/pdf"
    assert second.get_data() == first.get_data()
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert not any("FROM agenda_item" in statement for statement in again.statements)
    assert downloads() == [(world.users["chair"].id, str(meeting.id))] * 3


def test_a_kept_download_is_not_sent_once_the_sign_in_is_no_longer_recent(
    app: Flask, world: World, count_queries, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = sitting_meeting(world)
    client = signed_in(app, world.users["chair"])
    # Signed in 14 minutes 45 seconds ago: downloads are allowed for 15 more seconds.
    age_sessions(world.users["chair"], authenticated_at=timedelta(minutes=14, seconds=45))
    path = f"/meetings/{meeting.id}/agenda.pdf"
    client.get(path)
    client.get(path)  # kept
    later = utcnow() + timedelta(seconds=30)
    monkeypatch.setattr(pagecache, "utcnow", lambda: later)
    with count_queries() as after:
        client.get(path)
    # Not the kept copy: the download was decided again (the meeting read, the sign-in checked).
    assert any("FROM meeting" in statement for statement in after.statements)


def test_changes_committed_at_once_are_each_counted(app: Flask, world: World) -> None:
    def count() -> int:
        return db.session.scalar(sa.text("SELECT n FROM content_version")) or 0

    db.session.commit()  # the world, before the threads write
    before, workers = count(), 8
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    case_id = world.cases["plain"].id

    def change() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                db.session.execute(
                    sa.text("UPDATE case_file SET updated_at = updated_at WHERE id = :id"),
                    {"id": case_id},
                )
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=change) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.rollback()
    assert count() == before + workers


def test_a_process_keeps_no_more_pages_than_its_budget_the_least_recent_going_first() -> None:
    store = PageStore(max_bytes=3000)

    def page(size: int) -> Page:
        return Page(200, b"x" * size, (), time.monotonic(), None, (), ())

    store.put(("a",), page(300), 30)
    store.put(("b",), page(300), 30)
    store.put(("too big",), page(1000), 30)  # more than an eighth of the budget: never kept
    assert store.get(("too big",), 30) is None
    assert store.get(("a",), 30) is not None  # now the most recently used
    for n in range(9):
        store.put((n,), page(300), 30)
    # Eleven pages of 300 are more than 3000: the least recently used one went.
    assert store.get(("b",), 30) is None
    assert store.get(("a",), 30) is not None
    assert store.get((8,), 30) is not None
    assert store.get((8,), 0) is None  # older than the age asked

    # Pages nobody asks for again (their session ended) go once they are too old to be sent.
    sweeping = PageStore(max_bytes=3000)
    sweeping.put(("ended",), page(300), 0.05)
    time.sleep(0.1)
    sweeping.put(("new",), page(300), 0.05)
    assert sweeping.get(("ended",), max_age=3600) is None
