"""The second factor: enrolment, signing in with a code or a recovery code, the requirement."""

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.audit.models import AuditEvent
from conference.auth import mfa
from conference.auth.models import RecoveryCode, User
from conference.extensions import db
from conference.panels.models import PanelRole
from tests.auth.test_sessions import sessions_of, sign_in, signed_in
from tests.conftest import second_app
from tests.factories import TEST_PASSWORD, CaseFactory, UserFactory
from tests.worlds import World, build_world

CODE_PAGE = "/login/code"


@pytest.fixture
def mfa_required(app: Flask) -> Iterator[None]:
    app.config["MFA_REQUIRED"] = True
    yield
    app.config["MFA_REQUIRED"] = False


def enrol(client: FlaskClient, user: User) -> list[str]:
    """Scan (read the key from the page), confirm with a code; returns the recovery codes."""
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', page).group(1)
    response = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    return re.findall(r"<li>([0-9A-F]{5}-[0-9A-F]{5})</li>", response.get_data(as_text=True))


def secret_of(user: User) -> str:
    db.session.expire_all()
    return mfa.secret_of(db.session.get(User, user.id))


def password_step(client: FlaskClient, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.location == CODE_PAGE


def test_enrolment_shows_a_qr_code_confirms_with_a_code_and_gives_ten_recovery_codes(
    app: Flask,
) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    wrong = client.post("/account/second-factor", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert db.session.get(User, user.id).mfa_enabled_at is None
    codes = enrol(client, user)
    assert len(set(codes)) == 10
    db.session.expire_all()
    assert db.session.get(User, user.id).mfa_enabled_at is not None
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert "auth.mfa_enrolled" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_an_enrolled_user_needs_the_code_after_the_password_and_a_code_works_once(
    app: Flask,
) -> None:
    user = UserFactory()
    enrol(sign_in(app, user), user)
    client = app.test_client()
    password_step(client, user)
    assert not signed_in(client)  # the password alone opens nothing
    # The next step's code: the one used to enrol is spent, and the app may run a little ahead.
    code = pyotp.TOTP(secret_of(user)).at(time.time() + 30)
    assert client.post(CODE_PAGE, data={"code": code}).location == "/"
    assert signed_in(client)

    replay = app.test_client()
    password_step(replay, user)
    response = replay.post(CODE_PAGE, data={"code": code})
    assert response.status_code == 401
    assert "Sign-in failed" in response.get_data(as_text=True)
    assert not signed_in(replay)


def test_a_recovery_code_stands_in_for_the_phone_once(app: Flask) -> None:
    user = UserFactory()
    codes = enrol(sign_in(app, user), user)
    client = app.test_client()
    password_step(client, user)
    assert client.post(CODE_PAGE, data={"code": codes[3].lower()}).location == "/"
    again = app.test_client()
    password_step(again, user)
    assert again.post(CODE_PAGE, data={"code": codes[3]}).status_code == 401
    used = db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))
    assert len(used.all()) == 1


def test_wrong_codes_lock_the_account_like_wrong_passwords(app: Flask) -> None:
    user = UserFactory()
    enrol(sign_in(app, user), user)
    client = app.test_client()
    password_step(client, user)
    statuses = [client.post(CODE_PAGE, data={"code": "123456"}).status_code for _ in range(5)]
    assert statuses == [401] * 4 + [429]
    code = pyotp.TOTP(secret_of(user)).now()
    assert client.post(CODE_PAGE, data={"code": code}).status_code == 429
    reasons = [
        e.detail["reason"]
        for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "auth.login_failed")
            .order_by(AuditEvent.id)
        )
    ]
    assert reasons == ["second_factor"] * 5 + ["locked"]


def test_the_code_page_without_a_password_first_sends_back_to_sign_in(client: FlaskClient) -> None:
    response = client.post(CODE_PAGE, data={"code": "123456"})
    assert response.location == "/login"


def test_when_required_core_members_must_enrol_before_anything_else(
    app: Flask, mfa_required: None
) -> None:
    world: World = build_world()
    chair = sign_in(app, world.users["chair"])
    response = chair.get(f"/cases/{world.cases['plain'].reference}")
    assert response.location == "/account/second-factor"
    assert chair.get("/account/second-factor").status_code == 200
    enrol(chair, world.users["chair"])
    assert chair.get(f"/cases/{world.cases['plain'].reference}").status_code == 200


@pytest.mark.parametrize(
    ("key", "must_enrol"),
    [
        ("chair", True),
        ("police", True),
        ("admin", True),
        ("auditor", True),
        ("social", True),  # coordinates a case: sees who the person is
        ("ngo", False),  # a partner with a share sees no restricted data
        ("other", True),
    ],
)
def test_who_must_enrol(app: Flask, mfa_required: None, key: str, must_enrol: bool) -> None:
    world = build_world()
    client = sign_in(app, world.users[key])
    response = client.get("/notifications/")
    assert (response.location == "/account/second-factor") is must_enrol


def test_a_partner_becomes_bound_to_enrol_once_named_coordinator(
    app: Flask, mfa_required: None
) -> None:
    world = build_world()
    client = sign_in(app, world.users["ngo"])
    assert client.get("/notifications/").status_code == 200
    CaseFactory(panel=world.panel, coordinator=world.users["ngo"])
    assert client.get("/notifications/").location == "/account/second-factor"
    assert PanelRole.PARTNER  # the NGO is a partner throughout


def test_an_administrator_resets_a_lost_second_factor(app: Flask) -> None:
    user = UserFactory()
    admin = UserFactory(is_administrator=True)
    phone_lost = sign_in(app, user)
    enrol(phone_lost, user)
    admin_client = sign_in(app, admin)
    admin_client.post(f"/accounts/{user.id}/second-factor/reset")
    assert not signed_in(phone_lost)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.mfa_enabled_at is None
    assert fresh.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    client = sign_in(app, user)  # the password alone again; enrols anew
    assert signed_in(client)
    assert sessions_of(user)[-1].ended_at is None


def test_the_secret_is_sealed_in_the_database_and_useless_under_another_key(app: Flask) -> None:
    user = UserFactory()
    client = sign_in(app, user)
    page = client.get("/account/second-factor").get_data(as_text=True)
    shown = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', page).group(1)
    enrol(client, user)
    db.session.expire_all()
    stored = db.session.get(User, user.id).totp_secret
    assert shown not in stored
    assert secret_of(user) == shown
    with second_app(app, SECRET_KEY="another key entirely") as other:
        browser = other.test_client()
        browser.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        code = pyotp.TOTP(shown).at(time.time() + 30)
        assert browser.post(CODE_PAGE, data={"code": code}).status_code == 401
