"""What the system tells a person, in the app and by e-mail: references and links only."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model


class NotificationKind(enum.StrEnum):
    ACTION_DUE = "action_due"
    ACTION_OVERDUE = "action_overdue"
    REPORT_REQUESTED = "report_requested"
    REPORT_LATE = "report_late"
    AGENDA_DRAFT = "agenda_draft"
    AGENDA_PUBLISHED = "agenda_published"
    COORDINATOR_ASSIGNED = "coordinator_assigned"
    ACTION_ASSIGNED = "action_assigned"
    MINUTES_CIRCULATED = "minutes_circulated"
    MINUTES_CIRCULATION_DUE = "minutes_circulation_due"
    WEEKLY_DIGEST = "weekly_digest"


class Notification(Model):
    """One message to one user; `dedupe_key` makes repeated job runs create it once."""

    __tablename__ = "notification"

    id: Mapped[int] = primary_key()
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    kind: Mapped[NotificationKind] = internal()
    title: Mapped[str] = need_to_know(sa.String(200))
    link: Mapped[str] = internal(sa.String(300), default="")
    case_id: Mapped[int | None] = internal(sa.ForeignKey("case_file.id"))
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"))
    action_id: Mapped[int | None] = internal(sa.ForeignKey("action.id"))
    dedupe_key: Mapped[str | None] = internal(sa.String(200), unique=True)
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = internal()
    emailed_at: Mapped[datetime | None] = internal()
    # E-mail delivery: tries so far, when to try again after a temporary failure, and when it
    # was given up (a permanent refusal, or too many tries) with the mail server's answer.
    email_attempts: Mapped[int] = internal(default=0, server_default=sa.text("0"))
    email_retry_at: Mapped[datetime | None] = internal()
    email_failed_at: Mapped[datetime | None] = internal(index=True)
    email_error: Mapped[str] = internal(sa.String(200), default="", server_default="")


class JobLease(Model):
    """Who runs a scheduled job until when: two scheduler processes never run the same job."""

    __tablename__ = "job_lease"

    id: Mapped[int] = primary_key()
    name: Mapped[str] = internal(sa.String(60), unique=True)
    holder: Mapped[str] = internal(sa.String(120), default="")
    until: Mapped[datetime] = internal()
    last_run_at: Mapped[datetime | None] = internal()
