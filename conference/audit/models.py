"""The append-only audit trail: who did what to which record, when, from where."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import User
from conference.db import internal, primary_key
from conference.extensions import Model


class AuditEvent(Model):
    """One audited act. `detail` holds ids and codes only, never personal data."""

    __tablename__ = "audit_event"

    id: Mapped[int] = primary_key()
    at: Mapped[datetime] = internal(index=True)
    actor_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = internal(sa.String(64), index=True)
    object_type: Mapped[str | None] = internal(sa.String(40))
    object_id: Mapped[str | None] = internal(sa.String(64))
    panel_id: Mapped[int | None] = internal(sa.ForeignKey("panel.id"))
    ip: Mapped[str | None] = internal(sa.String(45))
    detail: Mapped[dict[str, Any]] = internal(default=dict)
    # Written with the event: a random nonce (no two events alike) and the keyed MAC of its
    # fields. Given by the sealing step once the event is committed: its place in the chain, the
    # chain hash before it and its own (see chain.py). Events from before the keyed chain have no
    # MAC and a plain SHA-256 chain.
    nonce: Mapped[str | None] = internal(sa.String(32))
    mac: Mapped[str | None] = internal(sa.String(64), unique=True)
    seq: Mapped[int | None] = internal(unique=True)
    prev_hash: Mapped[str | None] = internal(sa.String(64))
    hash: Mapped[str | None] = internal(sa.String(64))

    actor: Mapped[User | None] = relationship()


class AuditChain(Model):
    """The head of the audit chain: one row, locked only while committed events are sealed."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = primary_key()
    seq: Mapped[int] = internal(default=0)
    head: Mapped[str] = internal(sa.String(64), default="")
    # Where the unkeyed chain of an upgraded installation ends: events up to legacy_seq are
    # checked the old way (plain SHA-256); events without a place up to legacy_last_id were
    # written before there was a chain at all.
    legacy_seq: Mapped[int] = internal(default=0, server_default="0")
    legacy_last_id: Mapped[int] = internal(default=0, server_default="0")
