"""The audit trail is a keyed chain sealed after commit: `flask audit verify` names a changed,
missing, forged or out-of-order event, and a chain rewritten or cut short after an anchor."""

import hashlib
import json
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from conference.audit import services
from conference.audit.anchor import anchor_head
from conference.audit.chain import legacy_event_hash
from conference.audit.jobs import audit_seal
from conference.audit.models import AuditChain, AuditEvent
from conference.audit.services import TO_SEAL, record_event
from conference.db import UTCDateTime
from conference.extensions import db
from conference.scheduler import run_job
from tests.conftest import second_app
from tests.factories import NOW


def write_events(count: int) -> list[AuditEvent]:
    events = [
        record_event(f"test.event{n}", actor=None, now=NOW, object_id=n) for n in range(count)
    ]
    db.session.commit()
    return events


def write_unsealed_event() -> AuditEvent:
    """An event committed without its sealing step (as when that step failed)."""
    event = record_event("test.unsealed", actor=None, now=NOW)
    db.session.flush()
    db.session.info.pop(TO_SEAL)
    db.session.commit()
    return event


def verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def chain_rows() -> list[AuditEvent]:
    db.session.expire_all()
    placed = sa.select(AuditEvent).where(AuditEvent.seq.is_not(None))
    return list(db.session.scalars(placed.order_by(AuditEvent.seq)))


def recompute_plain_chain(*, unkeyed: bool = False) -> None:
    """What someone with write access to the database could always do: renumber the events and
    recompute every plain SHA-256 hash and the head (and, `unkeyed`, call them all legacy)."""
    prev = ""
    events = chain_rows()
    for seq, event in enumerate(events, start=1):
        digest = legacy_event_hash(event, seq, prev)
        values = {"seq": seq, "prev_hash": prev, "hash": digest}
        if unkeyed:
            values.update(mac=None, nonce=None)
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(values))
        prev = digest
    head = {"seq": len(events), "head": prev}
    if unkeyed:
        head["legacy_seq"] = len(events)
    db.session.execute(sa.update(AuditChain).values(head))
    db.session.commit()


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_committed_events_are_sealed_in_order_each_binding_the_one_before(app: Flask) -> None:
    events = write_events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == ""
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert len({e.mac for e in events}) == 3  # each event's own MAC, even with equal fields
    head = db.session.get(AuditChain, 1)
    assert (head.seq, head.head) == (3, events[2].hash)
    assert verify(app) == (0, "3 audit events verified, 0 anchors\n")


def test_an_event_has_no_place_in_the_chain_until_its_transaction_commits() -> None:
    event = record_event("test.event", actor=None, now=NOW)
    db.session.flush()
    assert event.seq is None
    assert event.mac is not None
    db.session.commit()
    assert event.seq == 1


def test_events_committed_between_sealing_steps_wait_for_the_next_in_order(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "AUDIT_SEAL_SECONDS", 3600)
    services._PACE.due(0)  # this process has just sealed
    first = record_event("test.first", actor=None, now=NOW)
    db.session.commit()
    second = record_event("test.second", actor=None, now=NOW)
    db.session.commit()
    assert (first.seq, second.seq) == (None, None)  # each has its MAC; their place waits
    assert audit_seal(NOW) == 2  # the scheduler's job, once a minute
    db.session.expire_all()
    assert (first.seq, second.seq) == (1, 2)
    assert verify(app) == (0, "2 audit events verified, 0 anchors\n")


def test_a_rolled_back_event_leaves_no_trace_and_no_gap(app: Flask) -> None:
    record_event("test.rolled_back", actor=None, now=NOW)
    db.session.flush()
    db.session.rollback()
    kept = record_event("test.kept", actor=None, now=NOW)
    db.session.commit()
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["test.kept"]
    assert kept.seq == 1
    assert verify(app) == (0, "1 audit events verified, 0 anchors\n")


def test_threads_recording_at_once_give_one_unbroken_chain(app: Flask) -> None:
    workers, each = 8, 9
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def serve(worker: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                for n in range(each):
                    record_event("test.concurrent", actor=None, now=NOW, object_id=f"{worker}-{n}")
                    if n % 3 == 2:
                        db.session.rollback()  # a request that failed: its event goes with it
                    else:
                        db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    kept = {f"{w}-{n}" for w in range(workers) for n in range(each) if n % 3 != 2}
    rows = db.session.execute(sa.select(AuditEvent.seq, AuditEvent.object_id)).all()
    assert sorted(object_id for _, object_id in rows) == sorted(kept)
    assert sorted(seq for seq, _ in rows) == list(range(1, len(kept) + 1))
    assert verify(app) == (0, f"{len(kept)} audit events verified, 0 anchors\n")


def test_a_request_in_progress_holds_no_lock_that_others_wait_for(app: Flask) -> None:
    if not is_postgresql():
        pytest.skip("SQLite lets one transaction write at a time, whatever the chain does")
    slow = record_event("test.slow", actor=None, now=NOW)
    db.session.flush()  # this request's event is written; the request goes on
    done: list[int | None] = []

    def quick_request() -> None:
        with app.app_context():
            event = record_event("test.quick", actor=None, now=NOW)
            db.session.commit()
            done.append(event.seq)

    thread = threading.Thread(target=quick_request)
    thread.start()
    thread.join(timeout=10)
    assert done == [1]  # committed and sealed while the slow request is still open
    db.session.commit()
    assert slow.seq == 2


def test_an_event_changed_before_it_was_sealed_is_never_sealed_and_is_named(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    event = record_event("test.original", actor=None, now=NOW)
    event.action = "test.altered"  # after its MAC was taken
    db.session.commit()
    assert event.seq is None
    assert f"audit events [{event.id}] not sealed" in caplog.text
    write_events(1)
    code, output = verify(app)
    assert code == 1
    assert f"row {event.id}: does not match its MAC" in output


def test_the_old_attack_deleting_an_event_and_recomputing_every_hash_is_caught(
    app: Flask,
) -> None:
    events = write_events(4)
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[1].id))
    recompute_plain_chain()
    code, output = verify(app)
    assert code == 1
    assert "event 2: was sealed with another key or moved" in output


def test_a_changed_field_is_named(app: Flask) -> None:
    events = write_events(3)
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == events[1].id).values(ip="10.9.9.9")
    )
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "event 2: was changed after it was written" in output


def test_a_mac_overwritten_with_anything_is_named(app: Flask) -> None:
    events = write_events(2)
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == events[1].id).values(mac="ü" * 64)
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
    assert "the chain's head: events 3 to 3 are missing" in output


def test_an_event_inserted_behind_the_chains_back_is_named(app: Flask) -> None:
    write_events(2)
    db.session.execute(sa.insert(AuditEvent).values(at=NOW, action="test.forged", detail={}))
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert "was inserted outside the chain" in output


def test_a_copy_of_an_event_cannot_be_slipped_in(app: Flask) -> None:
    [event] = write_events(1)
    copy = {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns}
    copy.update(id=None, seq=None, prev_hash=None, hash=None)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(AuditEvent).values(copy))
    db.session.rollback()


@pytest.mark.parametrize("setting", [{"AUDIT_KEY": "another key"}, {"SECRET_KEY": "another"}])
def test_the_chain_holds_only_under_its_own_key(app: Flask, setting: dict[str, str]) -> None:
    write_events(2)
    with second_app(app, **setting) as other, other.app_context():
        code, output = verify(other)
    assert code == 1
    assert "event 1: was changed after it was written" in output
    assert verify(app)[0] == 0


def test_verify_seals_pending_events_first(app: Flask) -> None:
    event = write_unsealed_event()
    assert event.seq is None
    assert verify(app) == (0, "1 audit events verified, 0 anchors\n")
    db.session.refresh(event)
    assert event.seq == 1


def test_an_anchor_holds_the_committed_head_outside_the_database(
    app: Flask, no_anchors: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="conference.audit")
    events = write_events(2)
    pending = write_unsealed_event()
    uncommitted = record_event("test.uncommitted", actor=None, now=NOW)
    db.session.flush()
    if not is_postgresql():
        db.session.rollback()  # SQLite: one writer at a time, so anchor after a commit

    anchor = anchor_head(NOW, reason="minutes archived")

    db.session.refresh(pending)
    assert pending.seq == 3
    assert uncommitted.seq is None
    assert (anchor.seq, anchor.head) == (3, pending.hash)
    assert anchor.path == "anchors/20261124T090000Z-3.json"
    body = (no_anchors.parent / anchor.path).read_bytes()
    assert hashlib.sha256(body).hexdigest() == anchor.sha256
    assert json.loads(body)["head"] == pending.hash
    assert f"event 3, head {pending.hash}" in caplog.text
    assert events[0].hash not in caplog.text

    again = anchor_head(NOW, reason="minutes archived")
    assert again.path == "anchors/20261124T090000Z-3-2.json"  # never over the first
    assert (no_anchors.parent / anchor.path).read_bytes() == body
    assert sorted(p.name for p in no_anchors.iterdir()) == [
        "20261124T090000Z-3-2.json",
        "20261124T090000Z-3.json",
    ]
    db.session.rollback()
    assert verify(app) == (0, "3 audit events verified, 2 anchors\n")


def test_a_tail_cut_after_an_anchor_is_caught_though_the_head_was_fixed(app: Flask) -> None:
    events = write_events(5)
    anchor = anchor_head(NOW, reason="test")
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > 3))
    db.session.execute(sa.update(AuditChain).values(seq=3, head=events[2].hash))
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert f"{anchor.path}: the chain has no event 5: cut short after this" in output
    assert "event 3" not in output  # the rest of the chain is whole


def test_calling_the_whole_chain_unkeyed_is_caught_by_an_anchor(app: Flask) -> None:
    events = write_events(3)
    anchor = anchor_head(NOW, reason="test")
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[1].id))
    recompute_plain_chain(unkeyed=True)
    code, output = verify(app)
    assert code == 1
    assert f"{anchor.path}: the unkeyed chain ended at event 0; the database now says 2" in output


def test_a_forged_anchor_is_caught(app: Flask, no_anchors: Path) -> None:
    events = write_events(2)
    anchor = anchor_head(NOW, reason="test")
    forged = json.loads((no_anchors.parent / anchor.path).read_text())
    forged.update(seq=1, head=events[0].hash, reason="forged")
    (no_anchors / "forged.json").write_text(json.dumps(forged))
    (no_anchors / "garbage.json").write_text("not an anchor")
    (no_anchors / "odd.json").write_text(json.dumps({**forged, "signature": "ü" * 64}))
    code, output = verify(app)
    assert code == 1
    assert "anchors/forged.json: its signature does not verify" in output
    assert "anchors/garbage.json: is not an anchor file" in output
    assert "anchors/odd.json: its signature does not verify" in output
    assert anchor.path not in output


def test_the_daily_job_seals_and_anchors_once_a_day(app: Flask, no_anchors: Path) -> None:
    event = write_unsealed_event()
    assert run_job("audit-anchor", NOW) == 1
    db.session.refresh(event)
    assert event.seq == 1
    assert run_job("audit-anchor", NOW + timedelta(hours=3)) == 0
    assert run_job("audit-anchor", NOW + timedelta(days=1)) == 1
    assert len(list(no_anchors.iterdir())) == 2
    listed = app.test_cli_runner().invoke(args=["jobs", "list"]).output
    assert "audit-anchor" in listed


def write_legacy_trail() -> str:
    """What the unkeyed chain left (at the revision before the keyed chain): two events from
    before any chain, then three in the plain SHA-256 chain; returns its last hash."""
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime()),
        sa.column("action", sa.String),
        sa.column("object_id", sa.String),
        sa.column("detail", sa.JSON),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    fields = {"at": NOW, "detail": {}}
    absent = dict.fromkeys(("actor_id", "object_type", "panel_id", "ip"))
    prev = ""
    with db.engine.begin() as conn:
        for event_id in (1, 2):
            conn.execute(events.insert().values(id=event_id, action="test.before", **fields))
        for seq in (1, 2, 3):
            old = SimpleNamespace(action="test.legacy", object_id=str(seq), **fields, **absent)
            digest = legacy_event_hash(old, seq, prev)
            conn.execute(
                events.insert().values(
                    id=seq + 2,
                    action=old.action,
                    object_id=old.object_id,
                    seq=seq,
                    prev_hash=prev,
                    hash=digest,
                    **fields,
                )
            )
            prev = digest
        head = sa.table("audit_chain", *(sa.column(name) for name in ("id", "seq", "head")))
        conn.execute(head.insert().values(id=1, seq=3, head=prev))
    return prev


def test_an_upgraded_installation_keeps_its_unkeyed_chain_and_goes_on_keyed(app: Flask) -> None:
    db.session.remove()
    flask_migrate.downgrade(revision="debf93a85e9d")
    try:
        legacy_head = write_legacy_trail()
    finally:
        flask_migrate.upgrade()
    head = db.session.get(AuditChain, 1)
    assert (head.seq, head.legacy_seq, head.legacy_last_id) == (3, 3, 5)

    keyed = write_events(2)
    assert [e.seq for e in keyed] == [4, 5]
    assert keyed[0].prev_hash == legacy_head
    assert verify(app) == (
        0,
        "5 audit events verified, 0 anchors\n"
        "3 of them in the unkeyed chain from before AUDIT_KEY\n"
        "2 events from before the chain, not verifiable\n",
    )

    # The unkeyed part can still be recomputed, but the keyed chain holds its last hash.
    legacy = chain_rows()[:3]
    legacy[1].action = "test.harmless"
    legacy[2].prev_hash = legacy_event_hash(legacy[1], 2, legacy[1].prev_hash or "")
    legacy[1].hash = legacy[2].prev_hash
    legacy[2].hash = legacy_event_hash(legacy[2], 3, legacy[2].prev_hash)
    db.session.commit()
    code, output = verify(app)
    assert code == 1
    assert output.splitlines() == ["event 4: does not follow the event before it"]


def test_an_event_left_by_a_paced_step_is_sealed_when_the_pace_allows(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "AUDIT_SEAL_SECONDS", 0.2)
    services._PACE.due(0)  # this process has just sealed
    event = record_event("test.paced", actor=None, now=NOW)
    db.session.commit()
    assert event.seq is None  # no step now: the last was a moment ago
    for _ in range(50):  # one more step runs once the 0.2 s are up, with no other commit
        time.sleep(0.05)
        db.session.expire_all()
        if event.seq is not None:
            break
    assert event.seq == 1
    assert verify(app) == (0, "1 audit events verified, 0 anchors\n")
