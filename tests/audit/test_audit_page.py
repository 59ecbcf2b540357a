"""The audit trail: only auditors read it, they can filter it, and reading it is recorded."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.extensions import db
from tests.factories import NOW, AuditEventFactory
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    world = build_world()
    police, chair = world.users["police"], world.users["chair"]
    plain, shared = world.cases["plain"], world.cases["shared"]
    AuditEventFactory(
        actor=police,
        action="case.restricted_viewed",
        object_type="case",
        object_id=str(plain.id),
        at=NOW - timedelta(days=3),
        ip="10.0.0.7",
    )
    AuditEventFactory(
        actor=chair,
        action="case.updated",
        object_type="case",
        object_id=str(shared.id),
        at=NOW - timedelta(days=1),
    )
    AuditEventFactory(actor=None, action="auth.login_failed", at=NOW)
    return world


def rows(page: str) -> int:
    return page.count("<tr>") - 1


@pytest.mark.parametrize("user_key", ["chair", "admin", "police", "ngo"])
def test_only_auditors_read_the_trail(world: World, login, user_key: str) -> None:
    assert login(world.users[user_key]).get("/audit/").status_code == 403


def test_the_auditor_sees_who_did_what_to_which_case(world: World, login) -> None:
    page = login(world.users["auditor"]).get("/audit/").get_data(as_text=True)
    assert world.cases["plain"].reference in page
    assert "case.restricted_viewed" in page
    assert "10.0.0.7" in page
    assert "system or unknown" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=case.updated", {"case.updated"}),
        ("actor=__police__", {"case.restricted_viewed"}),
        ("reference=__plain__", {"case.restricted_viewed"}),
        ("since=__yesterday__", {"case.updated", "auth.login_failed"}),
        ("until=__two_days_ago__", {"case.restricted_viewed"}),
    ],
)
def test_the_trail_can_be_filtered(world: World, login, query: str, expected: set[str]) -> None:
    query = (
        query.replace("__police__", str(world.users["police"].id))
        .replace("__plain__", world.cases["plain"].reference.lower())
        .replace("__yesterday__", (NOW - timedelta(days=1)).date().isoformat())
        .replace("__two_days_ago__", (NOW - timedelta(days=2)).date().isoformat())
    )
    page = login(world.users["auditor"]).get(f"/audit/?{query}").get_data(as_text=True)
    shown = {
        a
        for a in ("case.updated", "case.restricted_viewed", "auth.login_failed")
        if f"<code>{a}</code>" in page
    }
    assert shown == expected


def test_reading_the_trail_is_itself_recorded(world: World, login) -> None:
    login(world.users["auditor"]).get("/audit/?action=case.updated")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "audit.viewed"))
    assert event.actor_id == world.users["auditor"].id
    assert event.detail == {"filters": {"action": "case.updated"}}


def test_the_trail_page_query_count_does_not_grow_with_events(
    world: World, login, count_queries
) -> None:
    client = login(world.users["auditor"])
    with count_queries() as few:
        client.get("/audit/")
    for n in range(30):
        AuditEventFactory(
            actor=world.users["police" if n % 2 else "chair"],
            action="case.restricted_viewed",
            object_type="case",
            object_id=str(world.cases["shared"].id),
        )
    with count_queries() as many:
        page = client.get("/audit/").get_data(as_text=True)
    assert rows(page) > 30
    assert many.count == few.count
