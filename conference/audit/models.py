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
    # The hash chain: each event's place in the sequence, the hash of the one before, its own.
    seq: Mapped[int | None] = internal(unique=True)
    prev_hash: Mapped[str | None] = internal(sa.String(64))
    hash: Mapped[str | None] = internal(sa.String(64))

    actor: Mapped[User | None] = relationship()


class AuditChain(Model):
    """The head of the audit hash chain: one row, locked while an event is appended."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = primary_key()
    seq: Mapped[int] = internal(default=0)
    head: Mapped[str] = internal(sa.String(64), default="")
