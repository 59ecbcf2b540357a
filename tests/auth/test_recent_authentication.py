"""Signing minutes and downloading documents need a recent sign-in."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.meetings.models import Meeting
from conference.minutes import services
from conference.minutes.models import MinutesSignature, MinutesVersion
from tests.auth.test_sessions import age_sessions, sign_in
from tests.factories import TEST_PASSWORD
from tests.minutes.test_minutes import AFTER, meeting, world  # noqa: F401 - the fixtures
from tests.worlds import World

STALE = timedelta(minutes=16)


def test_an_old_sign_in_must_be_confirmed_before_a_document_downloads(
    app: Flask,
    world: World,  # noqa: F811 - the fixture imported above
    meeting: Meeting,  # noqa: F811 - the fixture imported above
) -> None:
    chair = world.users["chair"]
    client = sign_in(app, chair)
    url = f"/meetings/{meeting.id}/agenda.pdf"
    assert client.get(url).mimetype == "application/pdf"

    age_sessions(chair, authenticated_at=STALE)
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/account/confirm?next=")
    wrong = client.post(response.location, data={"password": "not it"})
    assert wrong.status_code == 401
    assert client.get(url).status_code == 302
    confirmed = client.post(response.location, data={"password": TEST_PASSWORD})
    assert confirmed.location.startswith(url)
    assert client.get(url).mimetype == "application/pdf"
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("auth.reauthenticated") == 1
    assert actions.count("auth.login_failed") == 1


def test_signing_minutes_with_an_old_sign_in_asks_to_confirm_and_signs_nothing(
    app: Flask,
    world: World,  # noqa: F811 - the fixture
    meeting,  # noqa: F811 - the fixture
) -> None:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    db.session.commit()
    chair = world.users["chair"]
    client = sign_in(app, chair)
    age_sessions(chair, authenticated_at=STALE)
    response = client.post(f"/minutes/{version.id}/sign", data={"password": TEST_PASSWORD})
    assert response.location == f"/account/confirm?next=/minutes/{version.id}"
    assert db.session.scalar(sa.select(sa.func.count(MinutesSignature.id))) == 0
    client.post(response.location, data={"password": TEST_PASSWORD})
    signed = client.post(f"/minutes/{version.id}/sign", data={"password": TEST_PASSWORD})
    assert signed.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(MinutesSignature.id))) == 1
    assert db.session.get(MinutesVersion, version.id) is not None
