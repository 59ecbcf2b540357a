"""Finding a person by name: matched as a re-referral is, over the panels the user sits on, by
POST only, audited with the references shown and never the name typed."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.cases.rules import name_key
from conference.extensions import db
from tests.factories import SubjectFactory
from tests.ops.test_logs import Lines, log_lines  # noqa: F401 - the fixture
from tests.worlds import World, build_world

BORN = date(1999, 3, 14)


@pytest.fixture
def world() -> World:
    world = build_world()
    for key, name, born in (
        ("plain", "Jörgen van der Berg", BORN),  # likely: name and birth
        ("shared", "Berg Jorgen van der", date(2001, 1, 1)),  # possible: same name, other birth
        ("revoked", "Anna Smit", BORN),
        ("elsewhere", "Jorgen van der Berg", BORN),  # another panel: never shown
    ):
        SubjectFactory(
            case=world.cases[key], full_name=name, name_key=name_key(name), date_of_birth=born
        )
    db.session.commit()
    return world


def _search(client, name: str, born: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/cases/find", data={"full_name": name, "date_of_birth": born})


def test_a_core_member_finds_likely_and_possible_matches_on_their_panels(
    world: World, login
) -> None:
    response = _search(login(world.users["police"]), "JORGEN van der  berg", BORN.isoformat())

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    plain, shared = world.cases["plain"].reference, world.cases["shared"].reference
    assert plain in page
    assert shared in page
    assert page.index(plain) < page.index(shared)  # the likely match first
    assert "Likely the same person" in page
    assert "Possibly the same person" in page
    assert world.cases["revoked"].reference not in page
    assert world.cases["elsewhere"].reference not in page
    assert 'value="JORGEN van der  berg"' in page  # the form keeps what was typed


def test_every_search_is_audited_with_the_references_shown_and_not_the_name(
    world: World, login
) -> None:
    police = world.users["police"]
    client = login(police)
    _search(client, "Jorgen van der Berg", BORN.isoformat())
    _search(client, "Nobody Known")

    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "case.person_searched")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.actor_id for e in events] == [police.id, police.id]
    assert events[0].detail["shown"] == [
        world.cases["plain"].reference,
        world.cases["shared"].reference,
    ]
    assert events[1].detail["shown"] == []
    stored = json.dumps([e.detail for e in events]).lower()
    assert "jorgen" not in stored
    assert "nobody" not in stored
    assert "1999" not in stored


def test_the_name_goes_by_post_never_in_a_url_or_a_log(
    world: World,
    login,
    log_lines: Lines,  # noqa: F811 - the fixture imported above
) -> None:
    client = login(world.users["chair"])
    page = client.get("/cases/find").get_data(as_text=True)
    assert 'method="post"' in page
    response = _search(client, "Jorgen van der Berg", BORN.isoformat())
    assert response.status_code == 200  # shown in place: no redirect carries the name
    written = json.dumps(log_lines())
    assert "find" in written
    assert "Jorgen" not in written
    assert "1999-03-14" not in written
    # A name put in the query string is not read.
    leaked = client.get("/cases/find?full_name=Jorgen+van+der+Berg").get_data(as_text=True)
    assert world.cases["plain"].reference not in leaked


def test_an_empty_name_is_refused_beside_the_field(world: World, login) -> None:
    response = _search(login(world.users["police"]), "  ", BORN.isoformat())
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "case.person_searched")
        )
        == 0
    )


@pytest.mark.parametrize("key", ["ngo", "social", "admin", "auditor", "former"])
def test_partners_administrators_and_others_may_not_search(world: World, login, key: str) -> None:
    client = login(world.users[key])
    assert client.get("/cases/find").status_code == 403
    assert _search(client, "Jorgen van der Berg").status_code == 403
    assert "/cases/find" not in client.get("/cases/").get_data(as_text=True)


def test_the_case_list_offers_the_search_to_those_allowed(world: World, login) -> None:
    page = login(world.users["police"]).get("/cases/").get_data(as_text=True)
    assert "/cases/find" in page
