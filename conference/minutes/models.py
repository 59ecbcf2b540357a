"""Versioned minutes, their signatures, and the archived files."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import User
from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model
from conference.meetings.models import Meeting


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    CIRCULATED = "circulated"
    SIGNED = "signed"
    ARCHIVED = "archived"


class SignatureRole(enum.StrEnum):
    CHAIR = "chair"
    CO_SIGNER = "co_signer"


class MinutesVersion(Model):
    """One version of a meeting's minutes; `content` is the need-to-know projection."""

    __tablename__ = "minutes_version"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = primary_key()
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id"), index=True)
    number: Mapped[int] = need_to_know()
    document_id: Mapped[str] = need_to_know(sa.String(36), unique=True)
    status: Mapped[MinutesStatus] = internal(default=MinutesStatus.DRAFT)
    content: Mapped[dict[str, Any]] = need_to_know(default=dict)
    # The language the version is written in: a signed version renders the same for ever.
    locale: Mapped[str] = internal(sa.String(8), default="en", server_default="en")
    supersedes_id: Mapped[int | None] = internal(sa.ForeignKey("minutes_version.id"))
    amendment_reason: Mapped[str] = need_to_know(sa.Text, default="")
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    circulated_at: Mapped[datetime | None] = internal()
    signed_at: Mapped[datetime | None] = internal()
    archived_at: Mapped[datetime | None] = internal()

    meeting: Mapped[Meeting] = relationship()
    signatures: Mapped[list["MinutesSignature"]] = relationship(back_populates="version")
    files: Mapped[list["ArchivedFile"]] = relationship(back_populates="version")


class MinutesSignature(Model):
    """The chair's signature or a core agency's co-signature on one version."""

    __tablename__ = "minutes_signature"
    __table_args__ = (sa.UniqueConstraint("version_id", "user_id", "role"),)

    id: Mapped[int] = primary_key()
    version_id: Mapped[int] = internal(sa.ForeignKey("minutes_version.id"), index=True)
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    role: Mapped[SignatureRole] = need_to_know()
    signed_at: Mapped[datetime] = need_to_know()

    version: Mapped[MinutesVersion] = relationship(back_populates="signatures")


class ArchivedFileKind(enum.StrEnum):
    MINUTES = "minutes"
    EXTRACT = "extract"
    MANIFEST = "manifest"


class ArchivedFile(Model):
    """A file of the archive of signed minutes, kept in the database so that every server can
    serve and verify it: the PDF/A minutes, one agency's extract, or the manifest of hashes.
    Written once at sign-off and never changed (see minutes/archive.py)."""

    __tablename__ = "archived_file"

    id: Mapped[int] = primary_key()
    version_id: Mapped[int] = internal(sa.ForeignKey("minutes_version.id"), index=True)
    agency_id: Mapped[int | None] = internal(sa.ForeignKey("agency.id"))
    kind: Mapped[ArchivedFileKind] = internal(
        default=ArchivedFileKind.MINUTES, server_default=ArchivedFileKind.MINUTES.value
    )
    # Where an export puts it: <panel>/<year>/<document id>-v<version>[-<agency>].pdf
    path: Mapped[str] = internal(sa.String(500), unique=True)
    sha256: Mapped[str] = internal(sa.String(64))
    size_bytes: Mapped[int] = internal()
    body: Mapped[bytes | None] = internal(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = created_at()

    version: Mapped[MinutesVersion] = relationship(back_populates="files")


class CommentAnswer(enum.StrEnum):
    TAKEN_IN = "taken_in"  # the version was changed accordingly
    NOT_TAKEN_IN = "not_taken_in"  # kept as it is, with the reason


class MinutesComment(Model):
    """A comment on a circulated version, on one item or on the whole, and the secretary's
    answer. Kept with the version; never part of the minutes themselves."""

    __tablename__ = "minutes_comment"

    id: Mapped[int] = primary_key()
    version_id: Mapped[int] = internal(
        sa.ForeignKey("minutes_version.id", ondelete="CASCADE"), index=True
    )
    item_number: Mapped[int | None] = need_to_know()  # None: on the whole
    author_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    body: Mapped[str] = need_to_know(sa.Text)
    created_at: Mapped[datetime] = created_at()
    answer: Mapped[CommentAnswer | None] = need_to_know()
    answer_text: Mapped[str] = need_to_know(sa.Text, default="", server_default="")
    answered_by_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = internal()

    version: Mapped[MinutesVersion] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
