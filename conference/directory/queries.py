"""Read queries for the service directory and referrals."""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from conference.auth.models import User
from conference.auth.permissions import case_visibility
from conference.cases.models import Case
from conference.directory import rules
from conference.directory.models import Service, ServiceReferral, ServiceReferralStep
from conference.extensions import db


def active_services(panel_id: int) -> Sequence[Service]:
    return db.session.scalars(
        sa.select(Service)
        .where(Service.panel_id == panel_id, Service.active.is_(True))
        .order_by(Service.kind, Service.name)
    ).all()


def referrals_for(case: Case) -> Sequence[ServiceReferral]:
    return db.session.scalars(
        sa.select(ServiceReferral)
        .where(ServiceReferral.case_id == case.id)
        .options(joinedload(ServiceReferral.service))
        .order_by(ServiceReferral.created_at.desc())
    ).all()


def steps_of(referral: ServiceReferral) -> Sequence[ServiceReferralStep]:
    """The referral's steps, first first."""
    return db.session.scalars(
        sa.select(ServiceReferralStep)
        .where(ServiceReferralStep.referral_id == referral.id)
        .order_by(ServiceReferralStep.at, ServiceReferralStep.id)
    ).all()


def unanswered_for(user: User, today: date) -> list[ServiceReferral]:
    """Referrals on the cases the user coordinates that a service has left unanswered for longer
    than their panel allows, longest waiting first."""
    waiting = db.session.scalars(
        sa.select(ServiceReferral)
        .join(Case, Case.id == ServiceReferral.case_id)
        .where(
            Case.coordinator_id == user.id,
            ServiceReferral.status.in_(rules.AWAITING_ANSWER),
            case_visibility(user),
        )
        .options(joinedload(ServiceReferral.service), joinedload(ServiceReferral.case))
        .order_by(ServiceReferral.referred_on, ServiceReferral.id)
    ).all()
    return [
        r
        for r in waiting
        if rules.is_unanswered(
            r.status,
            r.referred_on,
            r.case.panel.referral_answer_days,
            today,
        )
    ]
