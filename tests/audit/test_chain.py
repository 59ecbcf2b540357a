"""The audit trail is tamper-evident: `flask audit verify` names a changed, missing or
out-of-order event."""

import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.audit.services import record_event
from conference.extensions import db
from tests.factories import NOW


def write_events(count: int) -> list[AuditEvent]:
    events = [
        record_event(f"test.event{n}", actor=None, now=NOW, object_id=n) for n in range(count)
    ]
    db.session.commit()
    return events


def verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_each_event_carries_the_hash_of_the_one_before(app: Flask) -> None:
    events = write_events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == ""
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert verify(app) == (0, "3 audit events verified\n")


def test_a_changed_event_is_named(app: Flask) -> None:
    events = write_events(3)
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == events[1].id).values(action="test.harmless")
    )
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "event 2: was changed after it was written" in output


def test_a_deleted_event_is_named(app: Flask) -> None:
    events = write_events(4)
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[1].id))
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "events 2 to 2 are missing" in output
    assert "event 3: does not follow the event before it" in output


def test_the_last_event_deleted_is_named_too(app: Flask) -> None:
    events = write_events(3)
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[2].id))
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "events 3 to 3 are missing" in output


def test_an_event_inserted_behind_the_chains_back_is_named(app: Flask) -> None:
    write_events(2)
    db.session.execute(sa.insert(AuditEvent).values(at=NOW, action="test.forged", detail={}))
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "was inserted outside the chain" in output
