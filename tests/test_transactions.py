"""How a request's transaction ends: a transaction that only read ends with COMMIT, so that
PostgreSQL keeps the statements it has prepared (and planned) for the next request; anything
written and not committed by the view is still rolled back, never saved by the ending."""

import os

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.auth.models import Agency, AgencyKind
from conference.db import end_reading, insert_many
from conference.extensions import db
from tests.conftest import TEST_PASSWORD, make_app
from tests.factories import UserFactory

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


def agencies(code: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Agency.code == code)) or 0


def test_what_a_request_read_ends_with_its_transaction() -> None:
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) is not None
    assert db.session().in_transaction()
    end_reading(db.session())
    assert not db.session().in_transaction()


def test_a_write_not_committed_is_never_saved_by_the_end_of_the_request() -> None:
    db.session.execute(sa.insert(Agency).values(code="UNSAVED", name="Unsaved", kind="ngo"))
    end_reading(db.session())
    db.session.rollback()  # what closing the session does next
    assert agencies("UNSAVED") == 0


def test_a_change_not_yet_flushed_is_never_saved_by_the_end_of_the_request() -> None:
    db.session.add(Agency(code="PENDING", name="Pending", kind=AgencyKind.NGO))
    end_reading(db.session())
    db.session.rollback()
    assert agencies("PENDING") == 0


def test_rows_copied_in_bulk_are_never_saved_by_the_end_of_the_request() -> None:
    # On PostgreSQL insert_many writes with COPY, which the statement events do not see.
    rows = [{"code": "BULK", "name": "Bulk", "kind": "ngo"}]
    insert_many(db.session.connection(), Agency.__table__, rows)  # type: ignore[arg-type]
    end_reading(db.session())
    db.session.rollback()
    assert agencies("BULK") == 0


@pytest.mark.skipif(not POSTGRES, reason="prepared statements are PostgreSQL's")
def test_a_page_read_again_is_not_planned_again(app: Flask) -> None:
    user = UserFactory()
    db.session.commit()
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_size": 1, "max_overflow": 0}
    server = make_app(
        pooled=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS=options,
        PAGE_CACHE_SECONDS=0,  # the page made for every request, not sent as kept
        AUDIT_SEAL_SECONDS=3600,  # the sign-in's event sealed later, not on a second connection
    )
    client = server.test_client()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    for _ in range(12):
        assert client.get("/notifications/").status_code == 200
    with server.app_context():
        # The one connection of this server: psycopg prepared the page's statements after
        # their fifth run, and no ROLLBACK at the end of a request made it forget them.
        prepared = db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) or 0
        db.session.rollback()
    assert prepared >= 2
