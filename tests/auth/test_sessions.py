"""Server-side sessions: timeouts, and sign-out, password change or deactivation ending them all."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.audit.models import AuditEvent
from conference.auth.models import User, UserSession
from conference.auth.rules import session_end_reason
from conference.auth.sessions import digest
from conference.db import utcnow
from conference.extensions import db
from config import ProductionConfig
from tests.factories import NOW, TEST_PASSWORD, UserFactory

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


def sign_in(app: Flask, user: User, password: str = TEST_PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def sessions_of(user: User) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
        )
    )


def age_sessions(user: User, **ago: timedelta) -> None:
    """Move the user's session times into the past, as if time had passed."""
    now = utcnow()
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id)
        .values({column: now - delta for column, delta in ago.items()})
    )
    db.session.commit()


def test_the_rule_ends_a_session_when_idle_or_too_old() -> None:
    def reason(created: timedelta, seen: timedelta) -> str | None:
        return session_end_reason(
            created_at=NOW - created, last_seen_at=NOW - seen, now=NOW, idle=IDLE, absolute=ABSOLUTE
        )

    assert reason(timedelta(hours=2), timedelta(minutes=29)) is None
    assert reason(timedelta(hours=2), timedelta(minutes=30)) == "idle"
    assert reason(timedelta(hours=12), timedelta(minutes=1)) == "expired"
    assert reason(timedelta(hours=13), timedelta(hours=1)) == "expired"


def test_the_cookie_carries_a_token_whose_hash_alone_is_stored(app: Flask) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    (row,) = sessions_of(user)
    assert row.ended_at is None
    with client.session_transaction() as flask_session:
        token = flask_session["sid"]
    assert row.token_hash == digest(token)
    assert token not in row.token_hash
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_half_an_hour_without_activity_ends_the_session(app: Flask) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    age_sessions(user, last_seen_at=timedelta(minutes=31))
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert "without activity" in client.get(response.location).get_data(as_text=True)
    (row,) = sessions_of(user)
    assert row.end_reason == "idle"
    assert not signed_in(client)


def test_activity_keeps_the_session_alive(app: Flask) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    age_sessions(user, last_seen_at=timedelta(minutes=29))
    assert signed_in(client)
    (row,) = sessions_of(user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app: Flask) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    age_sessions(user, created_at=timedelta(hours=12, minutes=1), last_seen_at=timedelta(0))
    assert not signed_in(client)
    assert sessions_of(user)[0].end_reason == "expired"


def test_signing_out_ends_every_session_and_a_copied_cookie_opens_nothing(app: Flask) -> None:
    user = UserFactory()
    office, laptop = sign_in(app, user), sign_in(app, user)
    copied = office.get_cookie("session")
    assert copied is not None
    office.post("/logout")
    assert not signed_in(office)
    assert not signed_in(laptop)
    replay = app.test_client()
    replay.set_cookie("session", copied.value)
    assert not signed_in(replay)
    assert {row.end_reason for row in sessions_of(user)} == {"signed_out"}


def test_a_password_change_keeps_this_browser_and_signs_out_the_others(app: Flask) -> None:
    user = UserFactory()
    here, elsewhere = sign_in(app, user), sign_in(app, user)
    new_password = "a much longer new passphrase"
    response = here.post(
        "/account/password",
        data={"current": TEST_PASSWORD, "new": new_password, "confirm": new_password},
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    ended = [row.end_reason for row in sessions_of(user)]
    assert ended == ["password_changed", "password_changed", None]
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        .status_code
        == 401
    )
    sign_in(app, user, new_password)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "auth.password_changed" in actions


def test_a_wrong_current_password_changes_nothing_and_says_so(app: Flask) -> None:
    user = UserFactory()
    old_hash = user.password_hash
    here, elsewhere = sign_in(app, user), sign_in(app, user)
    response = here.post(
        "/account/password",
        data={
            "current": "not my password",
            "new": "new passphrase 123",
            "confirm": "new passphrase 123",
        },
    )
    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash
    assert signed_in(here)
    assert signed_in(elsewhere)
    failures = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "auth.login_failed")
    ).all()
    assert len(failures) == 1  # a wrong current password is a failed sign-in, audited


def test_mismatched_new_passwords_are_refused(app: Flask) -> None:
    user = UserFactory()
    here = sign_in(app, user)
    response = here.post(
        "/account/password",
        data={
            "current": TEST_PASSWORD,
            "new": "new passphrase 123",
            "confirm": "new passphrase 124",
        },
    )
    assert response.status_code == 422
    assert "The two new passwords differ." in response.get_data(as_text=True)


def test_deactivation_by_an_administrator_ends_the_person_s_sessions(app: Flask) -> None:
    user = UserFactory(name="Dana Departed")
    admin = UserFactory(is_administrator=True)
    victim = sign_in(app, user)
    admin_client = sign_in(app, admin)
    page = admin_client.get("/accounts/").get_data(as_text=True)
    assert "Dana Departed" in page
    response = admin_client.post(f"/accounts/{user.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert not signed_in(victim)
    assert sessions_of(user)[0].end_reason == "deactivated"
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        .status_code
        == 401
    )
    admin_client.post(f"/accounts/{user.id}/active", data={"active": "1"})
    sign_in(app, user)


def test_only_administrators_manage_accounts_and_never_their_own_activity(app: Flask) -> None:
    user = UserFactory()
    admin = UserFactory(is_administrator=True)
    member_client = sign_in(app, user)
    assert member_client.get("/accounts/").status_code == 403
    assert (
        member_client.post(f"/accounts/{admin.id}/active", data={"active": "0"}).status_code == 403
    )
    admin_client = sign_in(app, admin)
    admin_client.post(f"/accounts/{admin.id}/active", data={"active": "0"})
    assert signed_in(admin_client)
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    assert db.session.get(User, user.id).active


def test_a_short_new_password_is_refused_beside_its_field(app: Flask) -> None:
    user = UserFactory()
    here = sign_in(app, user)
    response = here.post(
        "/account/password", data={"current": TEST_PASSWORD, "new": "short", "confirm": "short"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="new-error"' in page
    assert "at least 12 characters" in page
    assert "this browser" in page  # the page keeps showing where one is signed in
