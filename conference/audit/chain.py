"""The audit trail's hash chain: each event seals the one before it.

Appending takes the chain's head row under a write lock (an UPDATE, held to the end of the
transaction), so concurrent requests append one after the other and the chain never forks.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from conference.audit.models import AuditChain, AuditEvent
from conference.db import insert_or_ignore
from conference.extensions import db


def event_hash(event: AuditEvent, seq: int, prev_hash: str) -> str:
    """SHA-256 over the event's fields, its place in the chain and the hash before it."""
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
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(event: AuditEvent) -> None:
    """Give the event its place in the chain and seal it."""
    insert_or_ignore(db.session, AuditChain, id=1, seq=0, head="")
    db.session.execute(  # the write lock on the head, until commit
        sa.update(AuditChain).where(AuditChain.id == 1).values(seq=AuditChain.seq + 1)
    )
    seq, head = db.session.execute(
        sa.select(AuditChain.seq, AuditChain.head).where(AuditChain.id == 1)
    ).one()
    event.seq, event.prev_hash = seq, head
    event.hash = event_hash(event, seq, head)
    db.session.execute(sa.update(AuditChain).where(AuditChain.id == 1).values(head=event.hash))


@dataclass(frozen=True)
class Break:
    seq: int | None
    event_id: int | None
    what: str


def verify() -> tuple[int, list[Break]]:
    """Walk the chain in order: a changed row, a missing one, one out of order are all named."""
    breaks: list[Break] = []
    expected_seq, prev = 1, ""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
    ).all()
    for event in events:
        seq = cast(int, event.seq)
        if seq != expected_seq:
            breaks.append(
                Break(expected_seq, None, f"events {expected_seq} to {seq - 1} are missing")
            )
        if event.prev_hash != prev:
            breaks.append(Break(seq, event.id, "does not follow the event before it"))
        if event.hash != event_hash(event, seq, event.prev_hash or ""):
            breaks.append(Break(seq, event.id, "was changed after it was written"))
        expected_seq, prev = seq + 1, event.hash or ""
    head = db.session.scalar(sa.select(AuditChain.seq).where(AuditChain.id == 1))
    if head is not None and head >= expected_seq:
        breaks.append(Break(expected_seq, None, f"events {expected_seq} to {head} are missing"))
    unchained = db.session.scalars(
        sa.select(AuditEvent.id).where(
            AuditEvent.seq.is_(None), AuditEvent.id > (min((e.id for e in events), default=0))
        )
    ).all()
    breaks += [Break(None, i, "was inserted outside the chain") for i in unchained if events]
    return len(events), breaks
