"""Signing minutes: the same check as signing in, and safe to repeat after a failed commit."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from conference.audit.models import AuditEvent
from conference.auth.models import SignInThrottle
from conference.extensions import db
from conference.meetings.models import AttendanceStatus, Meeting, MeetingStatus
from conference.minutes import services
from conference.minutes.models import ArchivedFile, MinutesStatus, MinutesVersion
from conference.panels.models import PanelRole
from tests.conftest import make_app, second_app
from tests.factories import (
    NOW,
    TEST_PASSWORD,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    member,
)
from tests.worlds import World, build_world

AFTER = NOW + timedelta(days=1)


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro)
    return world


@pytest.fixture
def circulated(world: World) -> MinutesVersion:
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW - timedelta(hours=3),
        status=MeetingStatus.CLOSED,
        chair=world.users["chair"],
        secretary=world.users["secretary"],
    )
    for key in ("chair", "secretary", "police", "prosecutor"):
        AttendanceFactory(meeting=meeting, user=world.users[key], status=AttendanceStatus.PRESENT)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    db.session.commit()
    return version


def test_wrong_passwords_at_signing_are_throttled_and_audited_like_sign_in(
    world: World, circulated: MinutesVersion, login
) -> None:
    client = login(world.users["chair"])
    statuses = [
        client.post(f"/minutes/{circulated.id}/sign", data={"password": f"wrong{n}"}).status_code
        for n in range(6)
    ]
    assert statuses[:4] == [422] * 4
    assert statuses[4:] == [429, 429]  # the fifth failure locks, as on the sign-in page
    locked = client.post(f"/minutes/{circulated.id}/sign", data={"password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "Signing is paused until" in locked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInThrottle)) >= 1
    failures = db.session.scalars(
        sa.select(AuditEvent.detail).where(
            AuditEvent.action == "auth.login_failed",
            AuditEvent.actor_id == world.users["chair"].id,
        )
    ).all()
    assert len(failures) == 7
    assert db.session.get(MinutesVersion, circulated.id).signatures == []


@contextmanager
def archive_commit_fails_once() -> Iterator[None]:
    """The commit that would write the archive fails once, as when the database goes away at
    that moment (any session: the test's or a request's)."""
    state = {"failed": False}

    def fail(session: Session) -> None:
        count = sa.select(sa.func.count()).select_from(ArchivedFile)
        writing_archive = (session.scalar(count) or 0) > 0  # none is archived before it
        if writing_archive and not state["failed"]:
            state["failed"] = True
            raise OperationalError("COMMIT", {}, Exception("connection lost"))

    sa.event.listen(Session, "before_commit", fail)
    try:
        yield
    finally:
        sa.event.remove(Session, "before_commit", fail)


def test_the_last_signature_can_be_given_again_after_its_commit_failed(
    app: Flask, world: World, circulated: MinutesVersion
) -> None:
    for key in ("chair", "police"):
        services.sign(circulated, actor=world.users[key], now=AFTER)
    db.session.commit()
    assert services.sign(circulated, actor=world.users["prosecutor"], now=AFTER) is (
        MinutesStatus.ARCHIVED
    )
    with archive_commit_fails_once(), pytest.raises(OperationalError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ArchivedFile)) == 0
    version = db.session.get(MinutesVersion, circulated.id)
    assert version.status is MinutesStatus.CIRCULATED
    assert services.sign(version, actor=world.users["prosecutor"], now=AFTER) is (
        MinutesStatus.ARCHIVED
    )
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["minutes", "verify"]).exit_code == 0
    assert db.session.get(Meeting, version.meeting_id).status is MeetingStatus.MINUTES_SIGNED


def test_a_failed_commit_shows_a_page_that_needs_no_database_then_signing_again_works(
    app: Flask, world: World, circulated: MinutesVersion
) -> None:
    for key in ("chair", "police"):
        services.sign(circulated, actor=world.users[key], now=AFTER)
    db.session.commit()
    with second_app(app, PROPAGATE_EXCEPTIONS=False) as served:
        client = served.test_client()
        with served.app_context():
            client.post(
                "/login", data={"email": world.users["prosecutor"].email, "password": TEST_PASSWORD}
            )
            with archive_commit_fails_once():
                failed = client.post(
                    f"/minutes/{circulated.id}/sign", data={"password": TEST_PASSWORD}
                )
            assert failed.status_code == 500
            assert "Nothing was saved by it" in failed.get_data(as_text=True)
            again = client.post(f"/minutes/{circulated.id}/sign", data={"password": TEST_PASSWORD})
            assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(MinutesVersion, circulated.id).status is MinutesStatus.ARCHIVED


def test_with_the_database_gone_a_signed_in_user_gets_the_error_page(
    app: Flask, world: World, login
) -> None:
    client = login(world.users["chair"])
    cookie = client.get_cookie("session")
    assert cookie is not None
    gone = make_app(
        PROPAGATE_EXCEPTIONS=False,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:9/none",
    )
    browser = gone.test_client()
    browser.set_cookie("session", cookie.value)
    with gone.app_context():
        response = browser.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
