"""The audit trail's keyed chain, and sealing events into it.

An event is written with the change it audits and carries a MAC of its own fields under the
audit key; it has no place in the chain yet, so recording one takes no lock. Once its
transaction has committed, a short sealing step in a transaction of its own takes the chain's
head row, gives every committed, unsealed event the next place in order (its seq, the chain
hash before it, and its own chain hash: a MAC over that hash, the event's MAC and the seq),
moves the head and commits. The key is not in the database (AUDIT_KEY, or derived from
SECRET_KEY), so whoever can write the table cannot recompute the chain; anchors (anchor.py) keep
the head outside the database, so a table rewritten or cut short after an anchor is caught too.

An installation upgraded from the unkeyed chain keeps it: events up to the head row's
`legacy_seq` are checked the old way (plain SHA-256), and the keyed chain goes on from the last
of their hashes; events up to `legacy_last_id` without a place were written before any chain.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from conference.audit.models import AuditChain, AuditEvent
from conference.db import insert_or_ignore
from conference.extensions import db
from conference.keys import derived_key

log = logging.getLogger("conference.audit")

EVENTS = cast(sa.Table, AuditEvent.__table__)
HEAD = cast(sa.Table, AuditChain.__table__)
HEAD_ID = 1


def audit_key() -> bytes:
    """The key of the chain and its anchors: AUDIT_KEY, else one derived from SECRET_KEY."""
    configured = current_app.config.get("AUDIT_KEY")
    return configured.encode() if configured else derived_key(b"case-conference audit chain")


def keyed_mac(key: bytes, purpose: bytes, message: bytes) -> str:
    """HMAC-SHA256 of the message for one purpose (event, chain or anchor), as hex."""
    return hmac.new(key, purpose + b"\x00" + message, hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    """Whether a stored MAC or hash is the expected one (in constant time, whatever it holds)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def canonical(value: Any) -> bytes:
    """The one byte string a JSON-like value is MACed as."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_mac(key: bytes, event: Any) -> str:
    """The MAC of an event's own fields (an AuditEvent or a row with the same columns)."""
    fields = {
        "nonce": event.nonce,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "panel": event.panel_id,
        "ip": event.ip,
        "detail": event.detail or {},
    }
    return keyed_mac(key, b"audit event", canonical(fields))


def chain_hash(key: bytes, prev: str, mac: str, seq: int) -> str:
    """The chain hash of the event at `seq`: binds its MAC to its place and to all before it."""
    return keyed_mac(key, b"audit chain", f"{prev}|{mac}|{seq}".encode())


def legacy_event_hash(event: Any, seq: int, prev_hash: str) -> str:
    """The unkeyed chain's hash (before AUDIT_KEY): SHA-256 over the fields, seq and prev."""
    fields = {
        "seq": seq,
        "prev": prev_hash,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "panel": event.panel_id,
        "ip": event.ip,
        "detail": event.detail or {},
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    head: str
    legacy_seq: int
    legacy_last_id: int


@dataclass(frozen=True)
class Sealed:
    """What one sealing step did, and the head it left (committed when returned)."""

    count: int
    refused: tuple[int, ...]  # ids of events whose MAC does not verify: never sealed
    head: Head


PENDING = sa.and_(EVENTS.c.seq.is_(None), EVENTS.c.mac.is_not(None))


def _lock_head(conn: sa.Connection) -> Head:
    """Take the head row to the end of the transaction, waiting while another step holds it."""
    columns = (HEAD.c.seq, HEAD.c.head, HEAD.c.legacy_seq, HEAD.c.legacy_last_id)
    lock: sa.Executable
    if conn.dialect.name == "postgresql":
        lock = sa.select(*columns).where(HEAD.c.id == HEAD_ID).with_for_update()
    else:  # a write takes SQLite's lock; FOR UPDATE does not exist there
        lock = (
            sa.update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=HEAD.c.seq).returning(*columns)
        )
    row = conn.execute(lock).first()
    if row is None:  # the very first event
        insert_or_ignore(conn, AuditChain, id=HEAD_ID, seq=0, head="")
        row = conn.execute(lock).one()
    return Head(*row)


def _seal(conn: sa.Connection, key: bytes) -> Sealed:
    head = _lock_head(conn)
    pending = conn.execute(sa.select(EVENTS).where(PENDING).order_by(EVENTS.c.id)).all()
    seq, prev = head.seq, head.head
    places: list[dict[str, Any]] = []
    refused: list[int] = []
    for event in pending:
        if not same(event.mac, event_mac(key, event)):
            refused.append(event.id)
            continue
        seq += 1
        sealed = chain_hash(key, prev, event.mac, seq)
        places.append({"event_id": event.id, "seq": seq, "prev_hash": prev, "hash": sealed})
        prev = sealed
    if places:
        conn.execute(
            sa.update(EVENTS)
            .where(EVENTS.c.id == sa.bindparam("event_id"))
            .values(
                seq=sa.bindparam("seq"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
            ),
            places,
        )
        conn.execute(sa.update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=seq, head=prev))
    if refused:
        log.warning("audit events %s not sealed: their MAC does not verify", refused)
    return Sealed(
        len(places), tuple(refused), Head(seq, prev, head.legacy_seq, head.legacy_last_id)
    )


def seal_pending(*, durable: bool = True) -> Sealed:
    """Give every committed, unsealed event its place in the chain, in a short transaction of
    its own (never the caller's: what the caller has not committed is not sealed), waiting for
    the head while another step holds it. Durable (for anchors and verify), the head it returns
    is on disk, with every seal before it; otherwise the seal may be lost in a crash of the
    database server and is then made again by the next step (the events are committed)."""
    key = audit_key()
    with db.engine.connect() as conn:
        sealed = _seal(conn, key)
        if durable:
            conn.commit()
        elif sealed.count:
            if conn.dialect.name == "postgresql":  # no wait for the disk: see above
                conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
            conn.commit()
        else:  # it found its events sealed by the step it waited for: nothing to write
            conn.rollback()
        return sealed


@dataclass(frozen=True)
class Break:
    where: str  # "event 12", "row 40", "the chain's head", "anchors/<file>"
    what: str


@dataclass
class Walk:
    """What walking the table found."""

    events: int = 0  # events with a place in the chain, checked
    legacy: int = 0  # of which in the unkeyed chain
    before_chain: int = 0  # written before there was any chain: nothing to check them by
    pending: int = 0  # committed after the sealing step that came before the walk
    legacy_seq: int = 0
    hashes_at: dict[int, str] = field(default_factory=dict)  # the asked-for places
    breaks: list[Break] = field(default_factory=list)


def walk_chain(anchored: set[int]) -> Walk:
    """Check every event's MAC, the chain (gaps, order, changed rows, rows outside it) and its
    head; note the chain hash at each anchored place."""
    key = audit_key()
    walk = Walk()
    with db.engine.connect() as conn:
        head_row = conn.execute(sa.select(HEAD).where(HEAD.c.id == HEAD_ID)).first()
        head = (
            Head(head_row.seq, head_row.head, head_row.legacy_seq, head_row.legacy_last_id)
            if head_row
            else Head(0, "", 0, 0)
        )
        walk.legacy_seq = head.legacy_seq
        sealed = conn.execution_options(yield_per=2000).execute(
            sa.select(EVENTS).where(EVENTS.c.seq.is_not(None)).order_by(EVENTS.c.seq)
        )
        last = _walk_sealed(sealed, key, head, anchored, walk)
        _check_head(head, last, walk)
        first_id = conn.scalar(sa.select(sa.func.min(EVENTS.c.id)).where(EVENTS.c.seq.is_not(None)))
        unsealed = conn.execution_options(yield_per=2000).execute(
            sa.select(EVENTS).where(EVENTS.c.seq.is_(None)).order_by(EVENTS.c.id)
        )
        for event in unsealed:
            _check_unsealed(event, key, head, first_id, walk)
    return walk


def _walk_sealed(
    events: Any, key: bytes, head: Head, anchored: set[int], walk: Walk
) -> tuple[int, str]:
    expected, prev = 1, ""
    macs: dict[str, int] = {}
    for event in events:
        seq, where = event.seq, f"event {event.seq}"
        if seq != expected:
            walk.breaks.append(Break(where, f"events {expected} to {seq - 1} are missing"))
        if event.prev_hash != prev:
            walk.breaks.append(Break(where, "does not follow the event before it"))
        if seq <= head.legacy_seq:
            walk.legacy += 1
            if event.mac is not None:
                walk.breaks.append(Break(where, "has a MAC but lies in the unkeyed chain"))
            elif event.hash != legacy_event_hash(event, seq, event.prev_hash or ""):
                walk.breaks.append(Break(where, "was changed after it was written"))
        elif event.mac is None:
            walk.breaks.append(Break(where, "has no MAC: it was not written by the app"))
        else:
            if not same(event.mac, event_mac(key, event)):
                walk.breaks.append(Break(where, "was changed after it was written"))
            elif event.mac in macs:
                walk.breaks.append(Break(where, f"repeats event {macs[event.mac]}"))
            macs[event.mac] = seq
            if event.hash != chain_hash(key, event.prev_hash or "", event.mac, seq):
                walk.breaks.append(Break(where, "was sealed with another key or moved"))
        if seq in anchored:
            walk.hashes_at[seq] = event.hash or ""
        walk.events += 1
        expected, prev = seq + 1, event.hash or ""
    return expected - 1, prev


def _check_head(head: Head, last: tuple[int, str], walk: Walk) -> None:
    last_seq, last_hash = last
    where = "the chain's head"
    if head.seq > last_seq:
        walk.breaks.append(Break(where, f"events {last_seq + 1} to {head.seq} are missing"))
    elif head.seq < last_seq:
        walk.breaks.append(Break(where, f"is at event {head.seq}, the chain goes on to {last_seq}"))
    elif head.head != last_hash:
        walk.breaks.append(Break(where, f"does not match event {last_seq}"))


def _check_unsealed(event: Any, key: bytes, head: Head, first_id: int | None, walk: Walk) -> None:
    where = f"row {event.id}"
    if event.mac is None:
        before_chain = event.id <= head.legacy_last_id and (first_id is None or event.id < first_id)
        if before_chain:
            walk.before_chain += 1
        else:
            walk.breaks.append(Break(where, "was inserted outside the chain"))
    elif same(event.mac, event_mac(key, event)):
        walk.pending += 1  # committed after the sealing step: sealed by the next one
    else:
        walk.breaks.append(Break(where, "does not match its MAC: changed or forged, never sealed"))
