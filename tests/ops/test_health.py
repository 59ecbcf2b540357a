"""Liveness and readiness: answered without signing in, saying nothing else, touching nothing."""

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.auth.models import UserSession
from conference.db import utcnow
from conference.extensions import db
from tests.conftest import make_app
from tests.worlds import build_world


def test_healthz_answers_anyone_with_one_word(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_the_schema_is_at_the_head_migration(client) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ready\n")


def test_readyz_is_not_ready_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'no.db'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "not ready: database\n"  # no error text


def test_readyz_is_not_ready_while_the_schema_is_behind_the_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('c9064a507339')"))
    engine.dispose()
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "not ready: schema\n"  # no revision named
    with app.app_context():
        db.engine.dispose()


def test_probes_leave_the_session_and_the_audit_trail_alone(client, login) -> None:
    chair = build_world().users["chair"]
    login(chair)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == chair.id))
    a_while_ago = utcnow() - timedelta(minutes=5)
    row.last_seen_at = a_while_ago
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    for path in ("/healthz", "/readyz", "/metrics"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        db.session.refresh(row)
        assert row.last_seen_at == a_while_ago, f"{path} touched the session"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events

    client.get("/")  # a page does note the activity: the check above can fail
    db.session.refresh(row)
    assert row.last_seen_at > a_while_ago


def test_probes_answer_for_a_signed_out_visitor_where_pages_send_to_sign_in(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/").status_code == 302
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
