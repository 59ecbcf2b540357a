"""Writing the service directory and referrals of cases to services.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import Case, ConsentPurpose, ConsentRecord, ConsentState, LegalBasis
from conference.cases.rules import current_consent
from conference.cases.services import consent_facts
from conference.directory import rules
from conference.directory.models import (
    ReferralOutcome,
    Service,
    ServiceReferral,
    ServiceReferralStatus,
    ServiceReferralStep,
)
from conference.errors import DomainError, ForbiddenError, check_version
from conference.extensions import db
from conference.formatting import to_zone
from conference.meetings.models import Meeting, Recommendation
from conference.meetings.services.base import check_in_session


def consent_to_refer(case: Case, service: Service) -> ConsentState:
    """The person's say on this referral: consent to this service, or to referrals in general."""
    facts = consent_facts(case)
    specific = current_consent(facts, ConsentPurpose.SERVICE_REFERRAL, service_id=service.id)
    if specific is not ConsentState.NOT_SOUGHT:
        return specific
    return current_consent(facts, ConsentPurpose.SERVICE_REFERRAL)


def consent_record_to_refer(case: Case, service: Service) -> int | None:
    """The consent record a referral rests on: the latest for this service, else in general."""
    for service_id in (service.id, None):
        record_id = db.session.scalar(
            sa.select(ConsentRecord.id)
            .where(
                ConsentRecord.case_id == case.id,
                ConsentRecord.purpose == ConsentPurpose.SERVICE_REFERRAL,
                ConsentRecord.service_id.is_(None)
                if service_id is None
                else ConsentRecord.service_id == service_id,
            )
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
            .limit(1)
        )
        if record_id is not None:
            return record_id
    return None


def propose_referral(
    case: Case,
    service: Service,
    *,
    recommendation: Recommendation | None,
    guided: bool,
    meeting: Meeting | None = None,
    actor: User,
    now: datetime,
) -> ServiceReferral:
    """Propose referring the case to a service in the panel's directory; proposed at a sitting
    (`meeting`), it goes into that sitting's minutes."""
    if not permissions.can_refer_to_service(actor, case):
        raise ForbiddenError(
            _("Only the chair, the secretary or the coordinator refer a case to a service.")
        )
    if meeting is not None:
        check_in_session(meeting)
    if service.panel_id != case.panel_id or not service.active:
        raise DomainError(_("Choose a service from the panel's directory."), field="service_id")
    referral = ServiceReferral(
        case_id=case.id,
        service_id=service.id,
        recommendation_id=recommendation.id if recommendation else None,
        meeting_id=meeting.id if meeting else None,
        status=ServiceReferralStatus.PROPOSED,
        guided=guided,
        created_at=now,
        created_by_id=actor.id,
        updated_at=now,
    )
    db.session.add(referral)
    db.session.flush()
    _add_step(referral, None, meeting=meeting, actor=actor, now=now, happened_on=None)
    _audit(referral, "referral.proposed", actor, now)
    return referral


def _add_step(
    referral: ServiceReferral,
    from_status: ServiceReferralStatus | None,
    *,
    meeting: Meeting | None,
    actor: User,
    now: datetime,
    happened_on: date | None,
) -> None:
    db.session.add(
        ServiceReferralStep(
            referral_id=referral.id,
            from_status=from_status,
            to_status=referral.status,
            legal_basis=referral.legal_basis,
            consent_id=referral.consent_id,
            meeting_id=meeting.id if meeting else None,
            happened_on=happened_on,
            at=now,
            by_id=actor.id,
        )
    )


def last_step_on(referral: ServiceReferral) -> date | None:
    """The day of the referral's latest dated step."""
    return db.session.scalar(
        sa.select(sa.func.max(ServiceReferralStep.happened_on)).where(
            ServiceReferralStep.referral_id == referral.id
        )
    )


# Which of the referral's days each step sets.
_DAY_OF_STEP = {
    ServiceReferralStatus.REFERRED: "referred_on",
    ServiceReferralStatus.ACCEPTED: "answered_on",
    ServiceReferralStatus.SUPPORT_STARTED: "support_started_on",
    ServiceReferralStatus.ENDED: "ended_on",
}


def advance_referral(
    referral: ServiceReferral,
    target: ServiceReferralStatus,
    *,
    legal_basis: LegalBasis | None,
    version: int,
    meeting: Meeting | None = None,
    happened_on: date | None = None,
    outcome: ReferralOutcome | None = None,
    outcome_note: str = "",
    actor: User,
    now: datetime,
) -> None:
    """Move a referral on; it is only `referred` with the person's consent or a legal basis, and
    it ends with an outcome. Each step is kept with the day it happened (today unless given),
    and the sitting that took it if the panel did."""
    if not permissions.can_update_referral(actor, referral.case):
        raise ForbiddenError(
            _("Only the case's coordinator and the panel's core members update a referral.")
        )
    if meeting is not None:
        check_in_session(meeting)
    check_version(
        referral, version, _("Someone else updated this referral meanwhile. Check its status.")
    )
    consent = consent_to_refer(referral.case, referral.service)
    rules.check_referral_step(referral.status, target, consent=consent, legal_basis=legal_basis)
    today = to_zone(now, referral.case.panel.timezone).date()
    day = happened_on or today
    rules.check_step_facts(
        target,
        happened_on=day,
        last_step_on=last_step_on(referral),
        outcome=outcome,
        outcome_note=outcome_note,
        today=today,
    )
    before = referral.status
    referral.status = target
    if target is ServiceReferralStatus.REFERRED:
        on_consent = consent is ConsentState.GIVEN
        referral.legal_basis = LegalBasis.CONSENT if on_consent else legal_basis
        referral.consent_id = (
            consent_record_to_refer(referral.case, referral.service) if on_consent else None
        )
    if target is ServiceReferralStatus.DECLINED and before is ServiceReferralStatus.REFERRED:
        referral.answered_on = day  # the service said no
    if target in _DAY_OF_STEP:
        setattr(referral, _DAY_OF_STEP[target], day)
    if target is ServiceReferralStatus.ENDED:
        referral.outcome = outcome
        referral.outcome_note = outcome_note.strip()
    referral.updated_at = now
    _add_step(referral, before, meeting=meeting, actor=actor, now=now, happened_on=day)
    _audit(referral, f"referral.{target.value}", actor, now)
    db.session.flush()


def record_referral_viewed(
    referral: ServiceReferral, *, actor: User, now: datetime, ip: str | None
) -> None:
    """The referral's page shows its restricted note on how support ended: audited."""
    if not permissions.can_update_referral(actor, referral.case):
        raise ForbiddenError(_("You may not see this referral."))
    record_event(
        "referral.viewed",
        actor=actor,
        now=now,
        object_type="service_referral",
        object_id=referral.id,
        panel_id=referral.case.panel_id,
        ip=ip,
    )


def _audit(referral: ServiceReferral, action: str, actor: User, now: datetime) -> None:
    record_event(
        action,
        actor=actor,
        now=now,
        object_type="service_referral",
        object_id=referral.id,
        panel_id=referral.case.panel_id,
    )


def save_service(
    panel_id: int,
    fields: dict[str, object],
    *,
    service: Service | None,
    actor: User,
    now: datetime,
) -> Service:
    """Add a service to the panel's directory, or correct one."""
    if not permissions.can_manage_directory(actor, panel_id):
        raise ForbiddenError(_("The panel's chair or secretary keep its service directory."))
    low, high = fields.get("min_age"), fields.get("max_age")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        raise DomainError(_("The age range ends before it starts."), field="max_age")
    if service is None:
        service = Service(panel_id=panel_id)
        db.session.add(service)
    elif service.panel_id != panel_id:
        raise ForbiddenError(_("That service belongs to another panel."))
    for name, value in fields.items():
        setattr(service, name, value)
    db.session.flush()
    record_event(
        "directory.service_saved",
        actor=actor,
        now=now,
        object_type="service",
        object_id=service.id,
        panel_id=panel_id,
    )
    return service
