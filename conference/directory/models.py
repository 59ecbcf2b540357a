"""The local service directory and referrals of cases to services."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from conference.cases.models import Case, LegalBasis
from conference.db import created_at, internal, need_to_know, primary_key, restricted
from conference.extensions import Model


class ServiceKind(enum.StrEnum):
    EXIT_PROGRAMME = "exit_programme"
    MENTORING = "mentoring"
    MENTAL_HEALTH = "mental_health"
    YOUTH_WORK = "youth_work"
    FAMILY_COUNSELLING = "family_counselling"
    VICTIM_SUPPORT = "victim_support"
    RELIGIOUS_SUPPORT = "religious_support"
    OTHER = "other"


class ServiceReferralStatus(enum.StrEnum):
    PROPOSED = "proposed"
    CONSENT_SOUGHT = "consent_sought"
    REFERRED = "referred"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPPORT_STARTED = "support_started"
    ENDED = "ended"


class ReferralOutcome(enum.StrEnum):
    """How the support a service gave came to an end."""

    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    MOVED = "moved"
    OTHER = "other"


class Service(Model):
    """A local service a case can be referred to."""

    __tablename__ = "service"

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id"), index=True)
    name: Mapped[str] = need_to_know(sa.String(160))
    provider: Mapped[str] = need_to_know(sa.String(160))
    kind: Mapped[ServiceKind] = need_to_know()
    min_age: Mapped[int | None] = internal()
    max_age: Mapped[int | None] = internal()
    languages: Mapped[str] = internal(sa.String(200), default="")
    contact: Mapped[str] = internal(sa.String(300), default="")
    active: Mapped[bool] = internal(default=True)


class ServiceReferral(Model):
    """A case referred to a service; `referred` needs consent or a recorded legal basis."""

    __tablename__ = "service_referral"

    id: Mapped[int] = primary_key()
    case_id: Mapped[int] = internal(sa.ForeignKey("case_file.id"), index=True)
    service_id: Mapped[int] = internal(sa.ForeignKey("service.id"), index=True)
    recommendation_id: Mapped[int | None] = internal(sa.ForeignKey("recommendation.id"))
    # The sitting where the panel proposed it, if it was a panel's decision.
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"), index=True)
    status: Mapped[ServiceReferralStatus] = need_to_know(default=ServiceReferralStatus.PROPOSED)
    guided: Mapped[bool] = need_to_know(default=False)
    consent_id: Mapped[int | None] = internal(sa.ForeignKey("consent_record.id"))
    legal_basis: Mapped[LegalBasis | None] = internal()
    note: Mapped[str] = restricted(sa.Text, default="")
    # The days the referral reached the service, the service answered, support started and
    # ended, as the coordinator records them; and how it ended.
    referred_on: Mapped[date | None] = need_to_know()
    answered_on: Mapped[date | None] = need_to_know()
    support_started_on: Mapped[date | None] = need_to_know()
    ended_on: Mapped[date | None] = need_to_know()
    outcome: Mapped[ReferralOutcome | None] = need_to_know()
    # What the coordinator adds about how it ended: about the person, so never in a document.
    outcome_note: Mapped[str] = restricted(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = created_at()
    created_by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = internal()
    version_id: Mapped[int] = internal(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's own hook

    case: Mapped[Case] = relationship()
    service: Mapped[Service] = relationship()


class ServiceReferralStep(Model):
    """One step of a referral: from which status to which, when, by whom, on what basis, and
    at which sitting if the panel took it there."""

    __tablename__ = "service_referral_step"

    id: Mapped[int] = primary_key()
    referral_id: Mapped[int] = internal(
        sa.ForeignKey("service_referral.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ServiceReferralStatus | None] = need_to_know()
    to_status: Mapped[ServiceReferralStatus] = need_to_know()
    legal_basis: Mapped[LegalBasis | None] = internal()
    consent_id: Mapped[int | None] = internal(sa.ForeignKey("consent_record.id"))
    meeting_id: Mapped[int | None] = internal(sa.ForeignKey("meeting.id"), index=True)
    # The day it happened, as recorded (a service's answer may be recorded days later).
    happened_on: Mapped[date | None] = need_to_know()
    at: Mapped[datetime] = internal()
    by_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"))

    referral: Mapped[ServiceReferral] = relationship()
