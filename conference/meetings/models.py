"""Meetings, attendance, agenda items, recommendations and each agency's position."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import Agency, User
from conference.cases.models import Case, RiskLevel
from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model
from conference.panels.models import Panel


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    AGENDA_PUBLISHED = "agenda_published"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    MINUTES_SIGNED = "minutes_signed"


class AttendanceStatus(enum.StrEnum):
    INVITED = "invited"
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"


class InvitationReply(enum.StrEnum):
    """What an invitee answers before the sitting."""

    ATTENDING = "attending"
    APOLOGIES = "apologies"
    DEPUTY = "deputy"  # sends another member of the same agency in their place


class AttendeeRole(enum.StrEnum):
    MEMBER = "member"
    OBSERVER = "observer"


class AgendaItemKind(enum.StrEnum):
    ACTION_REVIEW = "action_review"  # the standing first item: last meeting's open actions
    CASE = "case"
    GENERAL = "general"


class ItemOutcome(enum.StrEnum):
    DISCUSSED = "discussed"
    DEFERRED = "deferred"
    ESCALATED = "escalated"  # no consensus: put to the agencies' management, comes back after
    NOT_REACHED = "not_reached"


class RecommendationKind(enum.StrEnum):
    SUPPORT_MEASURE = "support_measure"
    SERVICE_REFERRAL = "service_referral"
    CRIMINAL_JUSTICE = "criminal_justice"
    CONSULT_EXPERTS = "consult_experts"
    NO_FURTHER_ACTION = "no_further_action"
    CLOSE_CASE = "close_case"


class RecommendationOutcome(enum.StrEnum):
    PENDING = "pending"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    NO_QUORUM = "no_quorum"


class Stance(enum.StrEnum):
    AGREE = "agree"
    AGREE_WITH_RESERVATION = "agree_with_reservation"  # agrees, and the minutes keep why not fully
    ABSTAIN = "abstain"
    OBJECT = "object"


class Meeting(Model):
    """One sitting of a panel."""

    __tablename__ = "meeting"
    # One sitting of a panel at a time: a double click or a series cannot make two.
    __table_args__ = (sa.UniqueConstraint("panel_id", "starts_at"),)

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id"), index=True)
    starts_at: Mapped[datetime] = need_to_know(index=True)
    ends_at: Mapped[datetime] = need_to_know()
    place: Mapped[str] = need_to_know(sa.String(200), default="")
    video_link: Mapped[str] = need_to_know(sa.String(500), default="")
    chair_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))
    secretary_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))
    status: Mapped[MeetingStatus] = internal(default=MeetingStatus.PLANNED)
    agenda_published_at: Mapped[datetime | None] = internal()
    opened_at: Mapped[datetime | None] = internal()
    closed_at: Mapped[datetime | None] = internal()
    created_at: Mapped[datetime] = created_at()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    panel: Mapped[Panel] = relationship(lazy="joined")
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    secretary: Mapped[User | None] = relationship(foreign_keys=[secretary_id])
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="meeting")
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position"
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id}>"


class Attendance(Model):
    """A person invited to a meeting, and whether and when they were there."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = primary_key()
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    status: Mapped[AttendanceStatus] = need_to_know(default=AttendanceStatus.INVITED)
    role: Mapped[AttendeeRole] = need_to_know(default=AttendeeRole.MEMBER)
    arrived_at: Mapped[datetime | None] = need_to_know()
    left_at: Mapped[datetime | None] = need_to_know()
    confidentiality_acknowledged_at: Mapped[datetime | None] = need_to_know()
    # The invitee's own answer before the sitting; the chair's attendance starts from it.
    reply: Mapped[InvitationReply | None] = need_to_know()
    replied_at: Mapped[datetime | None] = internal()
    deputy_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    agency: Mapped[Agency] = relationship()
    deputy: Mapped[User | None] = relationship(foreign_keys=[deputy_id])


class AgendaItem(Model):
    """A case or general item on a meeting, why it is there, its slot and its outcome."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        # A meeting's items, and for the statistics the case items of the sittings held in a
        # period by outcome, from the index alone.
        sa.Index(
            "ix_agenda_item_meeting_id_kind_outcome",
            "meeting_id",
            "kind",
            "removed_at",
            "outcome",
            "case_id",
        ),
        # A case's items, and for the statistics its discussions, from the index alone.
        sa.Index(
            "ix_agenda_item_case_id_outcome",
            "case_id",
            "outcome",
            "kind",
            "removed_at",
            "meeting_id",
        ),
    )

    id: Mapped[int] = primary_key()
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[AgendaItemKind] = need_to_know()
    case_id: Mapped[int | None] = internal(sa.ForeignKey("case_file.id"))
    title: Mapped[str] = need_to_know(sa.String(200), default="")
    reasons: Mapped[list[str]] = need_to_know(default=list)
    # Proposed by the agenda builder (replaced when the draft is rebuilt) or put on by hand.
    proposed: Mapped[bool] = internal(default=False, server_default=sa.false())
    position: Mapped[int] = need_to_know()
    minutes_allocated: Mapped[int] = need_to_know(default=10)
    likely_carry_over: Mapped[bool] = need_to_know(default=False)
    removed_at: Mapped[datetime | None] = internal()
    removed_reason: Mapped[str] = need_to_know(sa.Text, default="")
    outcome: Mapped[ItemOutcome | None] = need_to_know()
    facts: Mapped[str] = need_to_know(sa.Text, default="")
    assessment: Mapped[str] = need_to_know(sa.Text, default="")
    assessed_risk: Mapped[RiskLevel | None] = need_to_know()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    # Loaded with the items, in one query for all of them: every page that lists items names
    # their cases (the chair's view, the live page), and one query per item grew with the agenda.
    case: Mapped[Case | None] = relationship(lazy="selectin")
    recommendations: Mapped[list["Recommendation"]] = relationship(back_populates="item")


class AgendaChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    RETIMED = "retimed"


class AgendaChange(Model):
    """A change made to an agenda after it was published: shown with the agenda."""

    __tablename__ = "agenda_change"

    id: Mapped[int] = primary_key()
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int] = internal(sa.ForeignKey("agenda_item.id", ondelete="CASCADE"))
    kind: Mapped[AgendaChangeKind] = need_to_know()
    detail: Mapped[str] = need_to_know(sa.Text, default="")
    at: Mapped[datetime] = need_to_know()
    by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))

    meeting: Mapped[Meeting] = relationship()
    item: Mapped[AgendaItem] = relationship()


class ConflictDeclaration(Model):
    """A member's declared conflict of interest on an item: they cannot speak for their agency."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "user_id"),)

    id: Mapped[int] = primary_key()
    agenda_item_id: Mapped[int] = internal(
        sa.ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    declared_at: Mapped[datetime] = internal()
    recorded_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))


class Recommendation(Model):
    """What the panel proposes for a case; adopted only by consensus."""

    __tablename__ = "recommendation"

    id: Mapped[int] = primary_key()
    agenda_item_id: Mapped[int] = internal(sa.ForeignKey("agenda_item.id"), index=True)
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    kind: Mapped[RecommendationKind] = need_to_know()
    text: Mapped[str] = need_to_know(sa.Text)
    outcome: Mapped[RecommendationOutcome] = need_to_know(default=RecommendationOutcome.PENDING)
    positions_hidden: Mapped[bool] = internal(default=False)
    decided_at: Mapped[datetime | None] = internal()
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))

    item: Mapped[AgendaItem] = relationship(back_populates="recommendations")
    positions: Mapped[list["Position"]] = relationship(back_populates="recommendation")


class Position(Model):
    """One agency's position on a recommendation: agree, abstain, or object with a reason."""

    __tablename__ = "position"
    __table_args__ = (sa.UniqueConstraint("recommendation_id", "agency_id"),)

    id: Mapped[int] = primary_key()
    recommendation_id: Mapped[int] = internal(
        sa.ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    stance: Mapped[Stance] = need_to_know()
    reason: Mapped[str] = need_to_know(sa.Text, default="")
    recorded_at: Mapped[datetime] = internal()
    # Who typed it in: the member from their own device, or the chair for someone present by
    # phone (None on positions recorded before members gave their own).
    entered_by_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))

    recommendation: Mapped[Recommendation] = relationship(back_populates="positions")
    agency: Mapped[Agency] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def entered_for(self) -> bool:
        """Whether someone else (the chair) typed it in for the agency's representative."""
        return self.entered_by_id is not None and self.entered_by_id != self.user_id


class CurrentItem(Model):
    """The item the chair is on during the sitting: the live page follows it."""

    __tablename__ = "current_item"

    id: Mapped[int] = primary_key()
    meeting_id: Mapped[int] = internal(sa.ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    agenda_item_id: Mapped[int] = internal(sa.ForeignKey("agenda_item.id", ondelete="CASCADE"))
    since: Mapped[datetime] = internal()
    set_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))

    item: Mapped[AgendaItem] = relationship()
