"""Rendered documents, kept in the database so that every server shares them (see cache.py)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.db import UTCDateTime, created_at, internal, need_to_know, primary_key
from conference.extensions import Model
from conference.meetings.models import Meeting


class RenderStatus(enum.StrEnum):
    PENDING = "pending"  # asked for; a renderer is on it
    READY = "ready"
    FAILED = "failed"


class RenderedDocument(Model):
    """One rendered PDF (an agenda, a meeting pack, draft minutes or an extract) for one exact
    content: the key is the hash of the HTML it was rendered from, so two readers share a row
    only when their copies are the same, byte for byte."""

    __tablename__ = "rendered_document"

    id: Mapped[int] = primary_key()
    key: Mapped[str] = internal(sa.String(64), unique=True)
    kind: Mapped[str] = internal(sa.String(40))
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    status: Mapped[RenderStatus] = internal(
        default=RenderStatus.PENDING, server_default=RenderStatus.PENDING.value
    )
    # The document's HTML until it is rendered (a retry renders it again), then the PDF.
    html: Mapped[str | None] = need_to_know(sa.Text, deferred=True)
    body: Mapped[bytes | None] = need_to_know(sa.LargeBinary, deferred=True)
    error: Mapped[str] = internal(sa.String(200), default="", server_default="")
    created_at: Mapped[datetime] = created_at()
    rendered_at: Mapped[datetime | None] = internal(UTCDateTime())

    meeting: Mapped[Meeting] = relationship()
