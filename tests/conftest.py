"""Fixtures: the app on a real database built by the migration chain, a client, `login`."""

import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.pool import NullPool

from conference import create_app
from conference.extensions import db as _db
from config import CONFIGS, database_url
from tests.factories import TEST_PASSWORD


class IsolatedRequestClient(FlaskClient):
    """Each request runs in its own app context and database session, as in production.

    The test's own changes are committed first so the request sees them, and the test's session
    is expired afterwards so it reads what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        _db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()
        return response


_MADE: list[Flask] = []


def make_app(*, pooled: bool = False, **overrides: Any) -> Flask:
    """A testing app whose client isolates requests; one made in a test has its database
    connections closed when the test ends.

    Only the session's app keeps a pool: the others close each connection as soon as it is
    handed back, so none is left open in a pool for the garbage collector to find later (on
    PostgreSQL a ResourceWarning in whichever test happens to run then)."""
    overrides.setdefault("EXPORTS_DIR", tempfile.mkdtemp(prefix="conference-exports-"))
    if not pooled:
        options = {**CONFIGS["testing"].SQLALCHEMY_ENGINE_OPTIONS, "poolclass": NullPool}
        overrides.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    app = create_app("testing", **overrides)
    app.test_client_class = IsolatedRequestClient
    _MADE.append(app)
    return app


@pytest.fixture(autouse=True)
def close_apps_made_in_the_test(app: Flask) -> Iterator[None]:
    """Apps a test makes (another configuration, another database) close their connections
    when it ends, not whenever the garbage collector gets to them."""
    before = len(_MADE)
    yield
    while len(_MADE) > before:
        made = _MADE.pop()
        with made.app_context():
            _db.session.remove()
            _db.engine.dispose()


@contextmanager
def second_app(app: Flask, **overrides: Any) -> Iterator[Flask]:
    """Another app on the same database (other settings); its connections closed afterwards."""
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **overrides)
    try:
        yield other
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per run; the schema comes from `flask db upgrade`, as in production."""
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )
    app = make_app(
        pooled=True,
        SQLALCHEMY_DATABASE_URI=database_url(url),
        EXPORTS_DIR=str(tmp_path_factory.mktemp("exports")),
    )
    with app.app_context():
        existing = sa.MetaData()
        existing.reflect(_db.engine)
        existing.drop_all(_db.engine)
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app: Flask) -> Iterator[Any]:
    """An app context per test; every table is emptied afterwards, and the audit anchors that
    spoke of them are gone with them."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _empty_tables()
        _db.session.remove()
    shutil.rmtree(Path(app.config["EXPORTS_DIR"]) / "anchors", ignore_errors=True)


def _empty_tables() -> None:
    # DELETE, not TRUNCATE: on tables this small it is several times faster on PostgreSQL.
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign a user in through the real form; returns the signed-in client."""

    def _login(user: Any, password: str = TEST_PASSWORD) -> FlaskClient:
        client.post("/logout")  # whoever was signed in on this client before
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "sign-in failed"
        return client

    return _login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as counter:` counts the SQL statements run inside the block."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            counter.statements.append(statement)

        sa.event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", before)

    return _count


class MailServer:
    """A real SMTP server on loopback: what it received, its port, and the recipients it
    refuses (address -> the reply it gives, e.g. "550 5.1.1 No such mailbox")."""

    def __init__(self, port: int) -> None:
        self.messages: list = []
        self.port = port
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's hook name
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP server on loopback, which can be told to refuse recipients."""
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = MailServer(port)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(mail_server: MailServer) -> tuple[list, int]:
    """A real SMTP server on loopback; the envelopes it received and its port."""
    return mail_server.messages, mail_server.port
