"""Actions agreed for a case, their history, and coordinators' progress reports."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import Agency, User
from conference.cases.models import Case
from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_POSSIBLE = "not_possible"  # circumstances changed
    NOT_DONE = "not_done"
    CANCELLED = "cancelled"


class RagStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Action(Model):
    """A concrete task from a recommendation: owner, due date, status. Overdue is derived."""

    __tablename__ = "action"
    # The order of a person's open actions (home, My work): earliest due first.
    __table_args__ = (
        sa.Index("ix_action_owner_due", "owner_id", "due_on", "id"),
        # For the statistics, the actions agreed in a period and what became of them, from the
        # index alone.
        sa.Index(
            "ix_action_created_at",
            "created_at",
            "case_id",
            "owner_agency_id",
            "status",
            "due_on",
            "completed_at",
        ),
    )

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    recommendation_id: Mapped[int | None] = internal(sa.ForeignKey("recommendation.id"))
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"), index=True)
    text: Mapped[str] = need_to_know(sa.String(500))
    owner_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"), index=True)
    owner_agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    due_on: Mapped[date] = need_to_know(index=True)
    status: Mapped[ActionStatus] = need_to_know(default=ActionStatus.OPEN, index=True)
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = internal()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    case: Mapped[Case] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    owner_agency: Mapped[Agency] = relationship()
    updates: Mapped[list["ActionUpdate"]] = relationship(
        back_populates="action", order_by="ActionUpdate.at"
    )


class ActionUpdate(Model):
    """One change to an action: its status, a note, perhaps a new due date."""

    __tablename__ = "action_update"

    id: Mapped[int] = primary_key()
    action_id: Mapped[int] = internal(sa.ForeignKey("action.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = internal()
    from_status: Mapped[ActionStatus | None] = need_to_know()
    to_status: Mapped[ActionStatus] = need_to_know()
    note: Mapped[str] = need_to_know(sa.Text, default="")
    new_due_on: Mapped[date | None] = need_to_know()

    action: Mapped[Action] = relationship(back_populates="updates")


class ProgressReport(Model):
    """The coordinator's report on a case for a coming meeting."""

    __tablename__ = "progress_report"
    __table_args__ = (
        # One report per case and meeting: a second save of it is an edit, never a second report.
        sa.UniqueConstraint("case_id", "meeting_id"),
        # For the statistics, whether the report for a case's sitting came in on time, and the
        # reports submitted in a period by RAG status, from the index alone.
        sa.Index(
            "ix_progress_report_case_meeting_submitted", "case_id", "meeting_id", "submitted_at"
        ),
        sa.Index("ix_progress_report_submitted_at", "submitted_at", "case_id", "rag"),
    )

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"))
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"), index=True)
    author_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    rag: Mapped[RagStatus] = need_to_know()
    summary: Mapped[str] = need_to_know(sa.Text)
    closure_proposed: Mapped[bool] = need_to_know(default=False)
    discussion_requested: Mapped[bool] = need_to_know(default=False)
    # The case's actions as they stood when the report was submitted: text, due date, status.
    action_states: Mapped[list[dict[str, str]]] = need_to_know(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    created_at: Mapped[datetime] = created_at()
    submitted_at: Mapped[datetime | None] = internal()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship()
