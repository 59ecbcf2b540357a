"""Cases, the subject's restricted personal data, referrals, consent, shares and history."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import Agency, User
from conference.db import created_at, internal, need_to_know, primary_key, restricted
from conference.extensions import Model
from conference.panels.models import Panel

# The subject's name as matched (rules.name_key): normalised, then cut to this length.
NAME_KEY_LENGTH = 200


class CaseStatus(enum.StrEnum):
    REFERRED = "referred"
    OPEN = "open"
    MONITORING = "monitoring"
    CLOSURE_PROPOSED = "closure_proposed"
    CLOSED = "closed"
    DECLINED = "declined"


class ConcernCategory(enum.StrEnum):
    FAR_RIGHT = "far_right"
    FAR_LEFT = "far_left"
    RELIGIOUS = "religious"
    SINGLE_ISSUE = "single_issue"
    UNCLEAR = "unclear"
    OTHER_VIOLENCE = "other_violence"


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ReferralSource(enum.StrEnum):
    FAMILY_FRIENDS = "family_friends"
    SCHOOL = "school"
    POLICE = "police"
    SOCIAL_SERVICES = "social_services"
    HEALTH = "health"
    RELIGIOUS_COMMUNITY = "religious_community"
    NGO = "ngo"
    SELF = "self"
    OTHER = "other"


class AgeBand(enum.StrEnum):
    """The person's age on the day the concern was received: a fact kept for statistics, so that
    they never read the date of birth."""

    MINOR = "minor"
    ADULT = "adult"
    UNKNOWN = "unknown"


class ConsentPurpose(enum.StrEnum):
    SERVICE_REFERRAL = "service_referral"
    PARTNER_SHARING = "partner_sharing"


class ConsentState(enum.StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NOT_SOUGHT = "not_sought"


class ConsentGiver(enum.StrEnum):
    SUBJECT = "subject"
    GUARDIAN = "guardian"


class LegalBasis(enum.StrEnum):
    """GDPR art. 6 bases, and the Law Enforcement Directive for police and prosecutor."""

    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LAW_ENFORCEMENT = "law_enforcement"


class Case(Model):
    """One person of concern on one panel, known everywhere by its pseudonymous reference."""

    __tablename__ = "case_file"
    __table_args__ = (
        sa.UniqueConstraint("panel_id", "ref_year", "ref_number"),
        # The orders of the lists: the case list (newest referral first, per panel) and the
        # cases a coordinator keeps (next review first).
        sa.Index("ix_case_file_panel_referred", "panel_id", "referred_at", "id"),
        sa.Index(
            "ix_case_file_coordinator_review", "coordinator_id", "next_review_on", "reference"
        ),
        # For the statistics, a panel's cases closed in a period (durations, post-exit reviews).
        sa.Index("ix_case_file_panel_status_closed", "panel_id", "status", "closed_at"),
    )

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id"), index=True)
    reference: Mapped[str] = need_to_know(sa.String(32), unique=True)
    ref_year: Mapped[int] = internal()
    ref_number: Mapped[int] = internal()
    status: Mapped[CaseStatus] = need_to_know(index=True)
    concern_category: Mapped[ConcernCategory] = need_to_know()
    risk_level: Mapped[RiskLevel] = need_to_know()
    # Whether a crime is suspected decides the coordinator, but it is not for every reader.
    crime_suspected: Mapped[bool] = restricted(default=False)
    lead_agency_id: Mapped[int | None] = internal(sa.ForeignKey("agency.id"))
    coordinator_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"), index=True)
    next_review_on: Mapped[date | None] = need_to_know()
    is_repeat_referral: Mapped[bool] = need_to_know(default=False)
    age_band: Mapped[AgeBand] = need_to_know(
        default=AgeBand.UNKNOWN, server_default=AgeBand.UNKNOWN.value
    )
    referred_at: Mapped[datetime] = internal()
    closed_at: Mapped[datetime | None] = internal()
    anonymised_at: Mapped[datetime | None] = internal()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = internal()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    panel: Mapped[Panel] = relationship(lazy="joined")
    lead_agency: Mapped[Agency | None] = relationship(lazy="joined")
    coordinator: Mapped[User | None] = relationship(lazy="joined")
    subject: Mapped["Subject | None"] = relationship(back_populates="case", uselist=False)
    # Every referral of the person to this panel's case, the first one first: a repeat
    # referral can be added to the earlier case instead of opening a new one.
    referrals: Mapped[list["Referral"]] = relationship(
        back_populates="case",
        foreign_keys="Referral.case_id",
        order_by="(Referral.created_at, Referral.id)",
    )
    shares: Mapped[list["CaseShare"]] = relationship(back_populates="case")

    @property
    def referral(self) -> "Referral | None":
        """The referral that opened the case."""
        return self.referrals[0] if self.referrals else None

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class ReferenceCounter(Model):
    """The last reference number handed out per panel and year."""

    __tablename__ = "reference_counter"
    __table_args__ = (sa.UniqueConstraint("panel_id", "year"),)

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id"))
    year: Mapped[int] = internal()
    last_number: Mapped[int] = internal(default=0)


class Subject(Model):
    """The person of concern. Every field is restricted: never in any generated document."""

    __tablename__ = "subject"

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), unique=True)
    full_name: Mapped[str] = restricted(sa.String(200))
    name_key: Mapped[str] = restricted(sa.String(NAME_KEY_LENGTH), index=True)
    date_of_birth: Mapped[date | None] = restricted()
    address: Mapped[str] = restricted(sa.Text, default="")
    languages: Mapped[str] = restricted(sa.String(200), default="")
    notes: Mapped[str] = restricted(sa.Text, default="")

    case: Mapped[Case] = relationship(back_populates="subject")
    guardians: Mapped[list["Guardian"]] = relationship(
        back_populates="subject", cascade="all, delete-orphan"
    )


class Guardian(Model):
    """A parent or guardian of a minor subject."""

    __tablename__ = "guardian"

    id: Mapped[int] = primary_key()
    subject_id: Mapped[int] = internal(sa.ForeignKey("subject.id", ondelete="CASCADE"))
    name: Mapped[str] = restricted(sa.String(200))
    relationship_to_subject: Mapped[str] = restricted(sa.String(60))
    contact: Mapped[str] = restricted(sa.String(200), default="")

    subject: Mapped[Subject] = relationship(back_populates="guardians")


class Referral(Model):
    """Where the concern came from, when, by whom, and the concern as described."""

    __tablename__ = "referral"

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    source: Mapped[ReferralSource] = need_to_know()
    received_on: Mapped[date] = need_to_know()
    referred_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    referring_agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    narrative: Mapped[str] = restricted(sa.Text)
    previous_case_id: Mapped[int | None] = internal(sa.ForeignKey("case_file.id"))
    duplicate_override_reason: Mapped[str | None] = restricted(sa.Text)
    created_at: Mapped[datetime] = created_at()

    case: Mapped[Case] = relationship(back_populates="referrals", foreign_keys=[case_id])
    referring_agency: Mapped[Agency] = relationship()


class CaseNote(Model):
    """A note or piece of intelligence on a case: restricted, shown on an audited click."""

    __tablename__ = "case_note"

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    author_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    text: Mapped[str] = restricted(sa.Text)
    created_at: Mapped[datetime] = created_at()


class ConsentRecord(Model):
    """Consent for one purpose at one moment; a withdrawal is a new record."""

    __tablename__ = "consent_record"

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    purpose: Mapped[ConsentPurpose] = internal()
    state: Mapped[ConsentState] = internal()
    given_by: Mapped[ConsentGiver | None] = internal()
    guardian_name: Mapped[str | None] = restricted(sa.String(200))
    legal_basis: Mapped[LegalBasis | None] = internal()
    partner_agency_id: Mapped[int | None] = internal(sa.ForeignKey("agency.id"))
    service_id: Mapped[int | None] = internal(sa.ForeignKey("service.id"))
    note: Mapped[str] = restricted(sa.Text, default="")
    recorded_at: Mapped[datetime] = internal()
    recorded_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))


class CaseShare(Model):
    """A case shared with a partner agency, on consent or a recorded legal basis."""

    __tablename__ = "case_share"
    __table_args__ = (sa.UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"), index=True)
    consent_id: Mapped[int | None] = internal(sa.ForeignKey("consent_record.id"))
    legal_basis: Mapped[LegalBasis | None] = internal()
    shared_at: Mapped[datetime] = internal()
    shared_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = internal()

    case: Mapped[Case] = relationship(back_populates="shares")
    agency: Mapped[Agency] = relationship()


class CaseStatusChange(Model):
    """One step of a case's lifecycle: who, when, why, and the decision it rests on."""

    __tablename__ = "case_status_change"
    __table_args__ = (
        # A case's history, and for the statistics when it reached a status (opened, closed),
        # from the index alone.
        sa.Index("ix_case_status_change_case_id_to_status", "case_id", "to_status", "changed_at"),
        # For the statistics, the cases that reached a status in a period (how cases ended).
        sa.Index("ix_case_status_change_to_status_changed_at", "to_status", "changed_at"),
    )

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"))
    from_status: Mapped[CaseStatus | None] = need_to_know()
    to_status: Mapped[CaseStatus] = need_to_know()
    reason: Mapped[str] = need_to_know(sa.Text, default="")
    recommendation_id: Mapped[int | None] = internal(sa.ForeignKey("recommendation.id"))
    # The sitting that decided it, when the panel did (its minutes record the decision).
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"), index=True)
    changed_at: Mapped[datetime] = internal()
    changed_by_id: Mapped[int | None] = internal(sa.ForeignKey("user_account.id"))


class CoordinatorAssignment(Model):
    """Who coordinated a case from when to when, decided at which meeting, and why."""

    __tablename__ = "coordinator_assignment"
    __table_args__ = (
        # A case's coordinators, and for the statistics who coordinated it when a sitting
        # began, from the index alone.
        sa.Index("ix_coordinator_assignment_case_id_started", "case_id", "started_at", "ended_at"),
    )

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"))
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"))
    reason: Mapped[str] = need_to_know(sa.Text, default="")
    override_reason: Mapped[str | None] = need_to_know(sa.Text)
    started_at: Mapped[datetime] = internal()
    ended_at: Mapped[datetime | None] = internal()

    user: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship()
