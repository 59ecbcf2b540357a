"""Signing in and out, the login wall, and the audit of both."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.audit.models import AuditEvent
from conference.extensions import db
from tests.conftest import second_app
from tests.factories import TEST_PASSWORD, UserFactory

FAILED = "Sign-in failed"


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_correct_password_signs_in_and_lands_on_home(client: FlaskClient) -> None:
    user = UserFactory(email="pat@example.org", name="Pat Police")
    response = client.post("/login", data={"email": "PAT@example.org ", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.location == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Pat Police" in home
    assert user.agency.name in home
    assert audit_actions() == ["auth.login"]


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("pat@example.org", "wrong password!", True),
        ("nobody@example.org", TEST_PASSWORD, True),
        ("pat@example.org", TEST_PASSWORD, False),  # deactivated account
    ],
    ids=["wrong-password", "unknown-account", "inactive-account"],
)
def test_failed_sign_in_says_the_same_and_keeps_nobody_signed_in(
    client: FlaskClient, email: str, password: str, active: bool
) -> None:
    UserFactory(email="pat@example.org", active=active)
    response = client.post("/login", data={"email": email, "password": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert FAILED in page
    assert 'value="pat@example.org"' in page or email != "pat@example.org"
    assert password not in page
    assert client.get("/").status_code == 302
    assert audit_actions() == ["auth.login_failed"]


def test_empty_form_is_redisplayed_with_messages(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("This field is required.") == 2
    assert 'aria-invalid="true"' in page
    assert '"None"' not in page  # no attribute rendered from a missing value


def test_deactivated_user_is_signed_out_on_the_next_request(client: FlaskClient, login) -> None:
    user = UserFactory()
    login(user)
    user.active = False
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_sign_out_ends_the_session(client: FlaskClient, login) -> None:
    login(UserFactory())
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert audit_actions() == ["auth.login", "auth.logout"]


def test_sign_out_needs_a_post(client: FlaskClient, login) -> None:
    login(UserFactory())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/cases/", "/cases/RVT-2026-0001"])
def test_every_page_needs_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_unknown_paths_also_need_sign_in_first(client: FlaskClient, login) -> None:
    # A 404 for anonymous visitors would tell which paths exist.
    assert client.get("/no-such-page").status_code == 302
    login(UserFactory())
    assert client.get("/no-such-page").status_code == 404


def test_after_sign_in_the_user_returns_to_the_page_they_asked_for(client: FlaskClient) -> None:
    user = UserFactory()
    response = client.post(
        "/login?next=/cases/", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.location == "/cases/"


def test_an_external_next_target_is_ignored(client: FlaskClient) -> None:
    user = UserFactory()
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.location == "/"


@pytest.fixture
def csrf_app(app: Flask) -> Iterator[Flask]:
    with second_app(app, WTF_CSRF_ENABLED=True) as other:
        yield other


def test_forms_without_a_csrf_token_are_refused(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        user = UserFactory()
        client = csrf_app.test_client()
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 400
        assert "form had expired" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_the_login_form_carries_a_csrf_token_that_works(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        user = UserFactory()
        client = csrf_app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/login",
            data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        home = client.get("/").get_data(as_text=True)
        assert 'name="csrf_token"' in home  # the sign-out form is protected too
        assert client.post("/logout").status_code == 400


def test_every_response_carries_the_protective_headers(client) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # only in production, over HTTPS


def test_production_sends_hsts() -> None:
    from tests.conftest import make_app

    production = make_app(HSTS=True)
    response = production.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_names_the_session_cookie_for_this_host_only(app) -> None:
    from conference import create_app
    from conference.extensions import db as database

    production = create_app(
        "production",
        SECRET_KEY="x" * 64,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    try:
        cookie = production.test_client().get("/login").headers["Set-Cookie"]
    finally:
        with production.app_context():
            database.engine.dispose()
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


def test_a_refused_request_is_logged_with_who_and_where_but_no_values(caplog, login) -> None:
    from tests.worlds import build_world

    world = build_world()
    client = login(world.users["ngo"])
    case = world.cases["shared"]
    with caplog.at_level("WARNING", logger="conference.access"):
        response = client.post(f"/cases/{case.reference}/shares", data={"share-agency_id": "1"})
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "conference.access"]
    assert record.getMessage() == (
        f"refused POST /cases/{case.reference}/shares for user {world.users['ngo'].id}"
    )
