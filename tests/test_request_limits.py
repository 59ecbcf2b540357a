"""Request bodies are bounded: anything larger than MAX_CONTENT_LENGTH is refused with a 413 page
before it is read or parsed, whatever its encoding (form, multipart or raw)."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.cases.models import CaseNote
from conference.extensions import db
from tests.worlds import World, build_world


def too_large(app: Flask) -> int:
    return app.config["MAX_CONTENT_LENGTH"] + 1024


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
)
def test_a_body_over_the_limit_is_refused_before_it_is_read(
    app: Flask, client: FlaskClient, content_type: str
) -> None:
    body = b"email=a%40example.org&password=" + b"x" * too_large(app)
    if content_type == "multipart/form-data":
        content_type += "; boundary=frontier"
        body = b'--frontier\r\nContent-Disposition: form-data; name="password"\r\n\r\n' + body
    response = client.post("/login", data=body, content_type=content_type)
    assert response.status_code == 413
    assert "larger than the 2 MB the app accepts" in response.get_data(as_text=True)


def test_a_signed_in_form_over_the_limit_saves_nothing(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    world: World = build_world()
    client = login(world.users["chair"])
    reference = world.cases["plain"].reference
    response = client.post(f"/cases/{reference}/notes", data={"note-text": "n" * too_large(app)})
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0


def test_a_form_under_the_limit_is_read_as_usual(login: Callable[..., FlaskClient]) -> None:
    world = build_world()
    client = login(world.users["chair"])
    reference = world.cases["plain"].reference
    response = client.post(f"/cases/{reference}/notes", data={"note-text": "A short note."})
    assert response.status_code == 302
