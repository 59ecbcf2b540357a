"""Writing cases: intake, lifecycle, edits, personal data, notes, consent and shares.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import Agency, User
from conference.cases import queries, rules
from conference.cases.models import (
    Case,
    CaseNote,
    CaseShare,
    CaseStatus,
    CaseStatusChange,
    ConcernCategory,
    ConsentGiver,
    ConsentPurpose,
    ConsentRecord,
    ConsentState,
    CoordinatorAssignment,
    Guardian,
    LegalBasis,
    ReferenceCounter,
    Referral,
    ReferralSource,
    RiskLevel,
    Subject,
)
from conference.db import insert_or_ignore
from conference.errors import (
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    check_version,
)
from conference.extensions import db
from conference.meetings.models import Meeting, Recommendation
from conference.meetings.services.base import check_in_session
from conference.notify.models import NotificationKind
from conference.notify.services import notify
from conference.panels.models import AgencyTier, Panel


def allocate_reference(panel: Panel, year: int) -> tuple[str, int]:
    """The next free reference of the panel for the year; safe under concurrent intakes.

    The counter row is created if missing, then incremented in one UPDATE ... RETURNING, which
    holds a row lock (PostgreSQL) or the write lock (SQLite) until the transaction ends.
    """
    insert_or_ignore(db.session, ReferenceCounter, panel_id=panel.id, year=year, last_number=0)
    number = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.panel_id == panel.id, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    return rules.format_reference(panel.code, year, number), number


# --- Intake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardianData:
    name: str
    relationship: str
    contact: str = ""


@dataclass(frozen=True)
class PersonData:
    """The subject's restricted personal data as typed in a form."""

    full_name: str
    date_of_birth: date | None
    address: str = ""
    languages: str = ""
    guardians: tuple[GuardianData, ...] = ()


@dataclass(frozen=True)
class Intake:
    """Everything a referral form collects."""

    source: ReferralSource
    received_on: date
    concern_category: ConcernCategory
    risk_level: RiskLevel
    crime_suspected: bool
    narrative: str
    person: PersonData


@dataclass(frozen=True)
class Match:
    case: Case
    strength: rules.MatchStrength


class DuplicateSuspectedError(DomainError):
    """The person may already have a case; the referrer must confirm with a reason."""

    status_code = 409

    def __init__(self, matches: list[Match]) -> None:
        super().__init__(
            _(
                "This person may already have a case on this panel. Open the earlier case, or "
                "give the reason why a new case is needed."
            ),
            field="duplicate_reason",
        )
        self.matches = matches


def _check_person(person: PersonData, today: date) -> None:
    if not person.full_name.strip():
        raise DomainError(_("Enter the person's name."), field="full_name")
    rules.check_date_of_birth(person.date_of_birth, today)
    if rules.is_minor(person.date_of_birth, today) and not any(
        g.name.strip() for g in person.guardians
    ):
        raise DomainError(
            _("The person is a minor: enter at least one parent or guardian."), field="guardians"
        )


def find_matches(panel: Panel, person: PersonData) -> list[Match]:
    """Earlier cases on the panel that may be the same person, strongest first."""
    key = rules.name_key(person.full_name)
    candidates = sa.or_(Subject.name_key == key)
    if person.date_of_birth is not None:
        candidates = sa.or_(candidates, Subject.date_of_birth == person.date_of_birth)
    rows = db.session.execute(
        sa.select(Case, Subject.name_key, Subject.date_of_birth)
        .join(Subject, Subject.case_id == Case.id)
        .where(Case.panel_id == panel.id, candidates)
    ).all()
    matches = []
    for case, old_key, old_birth in rows:
        strength = rules.match_strength(key, person.date_of_birth, old_key, old_birth)
        if strength is not None:
            matches.append(Match(case, strength))
    order = {rules.MatchStrength.LIKELY: 0, rules.MatchStrength.POSSIBLE: 1}
    return sorted(matches, key=lambda m: (order[m.strength], -m.case.referred_at.timestamp()))


def find_person(
    full_name: str, date_of_birth: date | None, *, actor: User, now: datetime
) -> list[Match]:
    """Whether the panels the actor sits on already know a person: matched as a new referral is
    (normalised name, likely and possible matches), strongest first. The search is audited with
    who searched and which references were shown, never with the name typed."""
    panel_ids = permissions.find_person_panels(actor)
    if not panel_ids:
        raise ForbiddenError(_("Only core members and coordinators look a person up by name."))
    if not full_name.strip():
        raise DomainError(_("Enter the person's name."), field="full_name")
    person = PersonData(full_name=full_name, date_of_birth=date_of_birth)
    panels = db.session.scalars(sa.select(Panel).where(Panel.id.in_(panel_ids))).all()
    found = [
        match
        for panel in sorted(panels, key=lambda p: p.code)
        for match in find_matches(panel, person)
        if permissions.can_view_case(actor, match.case)
    ]
    order = {rules.MatchStrength.LIKELY: 0, rules.MatchStrength.POSSIBLE: 1}
    found.sort(key=lambda m: (order[m.strength], m.case.reference))
    record_event(
        "case.person_searched",
        actor=actor,
        now=now,
        detail={
            "panels": panel_ids,
            "with_date_of_birth": date_of_birth is not None,
            "shown": [m.case.reference for m in found],
        },
    )
    return found


def refer_case(
    intake: Intake,
    *,
    panel: Panel,
    actor: User,
    now: datetime,
    duplicate_reason: str = "",
) -> Case:
    """Take in a referral: a new case with its subject, referral and first status.

    When the person may already have a case the referrer can see, the referral is refused with
    the matches until the referrer gives a reason. Matches the referrer may not see are never
    shown to them; the new case is linked to the earlier one for the chair and secretary.
    """
    if not permissions.can_refer_case(actor, panel.id):
        raise ForbiddenError(_("You are not a member of this panel."))
    today = now.date()
    rules.check_received_on(intake.received_on, today)
    if not intake.narrative.strip():
        raise DomainError(_("Describe the concern."), field="narrative")
    _check_person(intake.person, today)

    matches = find_matches(panel, intake.person)
    visible = [m for m in matches if permissions.can_view_case(actor, m.case)]
    if visible and not duplicate_reason.strip():
        raise DuplicateSuspectedError(visible)
    likely = [m.case for m in matches if m.strength is rules.MatchStrength.LIKELY]
    earlier_dates = db.session.scalars(
        sa.select(Referral.received_on).where(Referral.case_id.in_([c.id for c in likely]))
    ).all()

    reference, number = allocate_reference(panel, today.year)
    case = Case(
        panel=panel,
        reference=reference,
        ref_year=today.year,
        ref_number=number,
        status=CaseStatus.REFERRED,
        concern_category=intake.concern_category,
        risk_level=intake.risk_level,
        crime_suspected=intake.crime_suspected,
        is_repeat_referral=rules.is_repeat_referral(intake.received_on, earlier_dates),
        age_band=rules.age_band(intake.person.date_of_birth, intake.received_on),
        referred_at=now,
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    _set_person(Subject(case=case), intake.person)
    db.session.add(
        Referral(
            case=case,
            source=intake.source,
            received_on=intake.received_on,
            referred_by_id=actor.id,
            referring_agency_id=actor.agency_id,
            narrative=intake.narrative.strip(),
            previous_case_id=matches[0].case.id if matches else None,
            duplicate_override_reason=duplicate_reason.strip() or None,
            created_at=now,
        )
    )
    db.session.flush()
    _add_status_change(
        case, None, CaseStatus.REFERRED, actor=actor, now=now, reason=_("Referral received.")
    )
    record_event(
        "case.referred",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=panel.id,
        detail={
            "matches": len(matches),
            "matches_shown": len(visible),
            "repeat_referral": case.is_repeat_referral,
        },
    )
    return case


def refer_again(intake: Intake, earlier: Case, *, panel: Panel, actor: User, now: datetime) -> Case:
    """Add a repeat referral to the person's earlier case instead of opening a new one. A
    closed case is referred again (back before the panel, which decides whether to re-open
    it); an active one comes back to the next agenda as newly referred. The person's details
    stay as the earlier case holds them."""
    if not permissions.can_refer_case(actor, panel.id):
        raise ForbiddenError(_("You are not a member of this panel."))
    today = now.date()
    rules.check_received_on(intake.received_on, today)
    if not intake.narrative.strip():
        raise DomainError(_("Describe the concern."), field="narrative")
    matched = {m.case.id for m in find_matches(panel, intake.person)}
    if earlier.id not in matched or not permissions.can_view_case(actor, earlier):
        raise DomainError(
            _(
                "That case is not one this person may already have: refer the case as new, or "
                "choose one of the cases shown."
            )
        )
    if earlier.status is CaseStatus.DECLINED:
        raise InvalidTransitionError(
            _("That referral was declined: refer the person as a new case, with the reason.")
        )
    earlier_dates = [r.received_on for r in earlier.referrals]
    db.session.add(
        Referral(
            case=earlier,
            source=intake.source,
            received_on=intake.received_on,
            referred_by_id=actor.id,
            referring_agency_id=actor.agency_id,
            narrative=intake.narrative.strip(),
            created_at=now,
        )
    )
    earlier.is_repeat_referral = earlier.is_repeat_referral or rules.is_repeat_referral(
        intake.received_on, earlier_dates
    )
    earlier.referred_at = now  # on the next agenda as newly referred
    earlier.updated_at = now
    if earlier.status is CaseStatus.CLOSED:  # not a step anyone takes by hand: a new referral
        previous = earlier.status
        earlier.status = CaseStatus.REFERRED
        earlier.closed_at = None
        _add_status_change(
            earlier,
            previous,
            CaseStatus.REFERRED,
            actor=actor,
            now=now,
            reason=_("Referred again."),
        )
    db.session.flush()
    record_event(
        "case.referred_again",
        actor=actor,
        now=now,
        object_type="case",
        object_id=earlier.id,
        panel_id=panel.id,
        detail={"status": earlier.status.value},
    )
    return earlier


def _set_person(subject: Subject, person: PersonData) -> None:
    subject.full_name = person.full_name.strip()
    subject.name_key = rules.name_key(person.full_name)
    subject.date_of_birth = person.date_of_birth
    subject.address = person.address.strip()
    subject.languages = person.languages.strip()
    subject.guardians = [
        Guardian(
            name=g.name.strip(),
            relationship_to_subject=g.relationship.strip(),
            contact=g.contact.strip(),
        )
        for g in person.guardians
        if g.name.strip()
    ]
    db.session.add(subject)


# --- Lifecycle --------------------------------------------------------------------------------


def _add_status_change(
    case: Case,
    from_status: CaseStatus | None,
    to_status: CaseStatus,
    *,
    actor: User,
    now: datetime,
    reason: str,
    recommendation_id: int | None = None,
    meeting_id: int | None = None,
) -> None:
    db.session.add(
        CaseStatusChange(
            case_id=case.id,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            recommendation_id=recommendation_id,
            meeting_id=meeting_id,
            changed_at=now,
            changed_by_id=actor.id,
        )
    )


def change_status(
    case: Case,
    target: CaseStatus,
    *,
    actor: User,
    now: datetime,
    reason: str,
    recommendation: Recommendation | None = None,
    meeting: Meeting | None = None,
) -> None:
    """Move a case along its lifecycle; opening, declining and closing rest on a decision.
    Decided at a sitting (`meeting`), it goes into that sitting's minutes."""
    current = case.status
    if not permissions.can_change_status(actor, case, rules.needs_decision(current, target)):
        raise ForbiddenError(_("You may not make this change to the case."))
    if meeting is not None:
        check_in_session(meeting)
    decision = (
        rules.Decision(recommendation.case_id, recommendation.kind, recommendation.outcome)
        if recommendation is not None
        else None
    )
    rules.check_transition(case.id, current, target, reason=reason, decision=decision)
    case.status = target
    case.updated_at = now
    if target is CaseStatus.CLOSED:
        case.closed_at = now
        case.next_review_on = None
        _end_coordination(case, now)
    elif current is CaseStatus.CLOSED:
        case.closed_at = None
    _add_status_change(
        case,
        current,
        target,
        actor=actor,
        now=now,
        reason=reason.strip(),
        recommendation_id=recommendation.id if recommendation else None,
        meeting_id=meeting.id if meeting else None,
    )
    record_event(
        "case.status_changed",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={
            "from": current.value,
            "to": target.value,
            "recommendation_id": recommendation.id if recommendation else None,
        },
    )
    db.session.flush()


def _end_coordination(case: Case, now: datetime) -> None:
    db.session.execute(
        sa.update(CoordinatorAssignment)
        .where(CoordinatorAssignment.case_id == case.id, CoordinatorAssignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    case.coordinator = None


# --- Editing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseChanges:
    concern_category: ConcernCategory
    risk_level: RiskLevel
    crime_suspected: bool
    next_review_on: date | None
    lead_agency_id: int | None


def _check_version(record: Any, expected_version: int) -> None:
    check_version(
        record,
        expected_version,
        _(
            "Someone else changed this case while you were editing it. Your changes were not "
            "saved: review the current values below and apply your changes again."
        ),
    )


def update_case(
    case: Case, changes: CaseChanges, *, expected_version: int, actor: User, now: datetime
) -> list[str]:
    """Save the need-to-know fields of a case; refuses a stale edit. Returns what changed."""
    if not permissions.can_edit_case(actor, case):
        raise ForbiddenError(_("You may not edit this case."))
    _check_version(case, expected_version)
    if changes.next_review_on != case.next_review_on:
        rules.check_review_date(changes.next_review_on, now.date())
    if changes.lead_agency_id is not None and case.panel.tier_of(changes.lead_agency_id) is None:
        raise DomainError(_("The lead agency must sit on the panel."), field="lead_agency_id")
    changed = [
        name
        for name in (
            "concern_category",
            "risk_level",
            "crime_suspected",
            "next_review_on",
            "lead_agency_id",
        )
        if getattr(case, name) != getattr(changes, name)
    ]
    for name in changed:
        setattr(case, name, getattr(changes, name))
    if changed:
        case.updated_at = now
        record_event(
            "case.updated",
            actor=actor,
            now=now,
            object_type="case",
            object_id=case.id,
            panel_id=case.panel_id,
            detail={"fields": changed},
        )
        db.session.flush()
    return changed


def update_subject(
    case: Case, person: PersonData, *, expected_version: int, actor: User, now: datetime
) -> None:
    """Correct the subject's personal data; audited by field name, never by value."""
    if not permissions.can_edit_subject(actor, case):
        raise ForbiddenError(_("You may not edit this person's details."))
    _check_version(case, expected_version)
    _check_person(person, now.date())
    subject = case.subject or Subject(case=case)
    before = _person_fields(subject)
    _set_person(subject, person)
    received_on = case.referral.received_on if case.referral else case.referred_at.date()
    case.age_band = rules.age_band(person.date_of_birth, received_on)
    changed = [k for k, v in _person_fields(subject).items() if before.get(k) != v]
    case.updated_at = now  # moves the case's version: a concurrent edit is detected
    record_event(
        "subject.updated",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"fields": changed},
    )
    db.session.flush()


def _person_fields(subject: Subject) -> dict[str, Any]:
    return {
        "full_name": subject.full_name,
        "date_of_birth": subject.date_of_birth,
        "address": subject.address,
        "languages": subject.languages,
        "guardians": [(g.name, g.relationship_to_subject, g.contact) for g in subject.guardians],
    }


def _record_view(
    case: Case, *, actor: User, now: datetime, ip: str | None, fields: tuple[str, ...] = ()
) -> None:
    """The audited door: refuses those who may not see the restricted details, and records
    that this person was shown them (all, or only the `fields` named)."""
    if not permissions.can_view_restricted(actor, case):
        raise ForbiddenError(_("The restricted details of this case are not available to you."))
    record_event(
        "case.restricted_viewed",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        ip=ip,
        detail={"fields": list(fields)} if fields else None,
    )


@dataclass(frozen=True)
class RestrictedDetails:
    """The restricted part of a case as one person was shown it; made only by `open_restricted`."""

    subject: Subject | None
    referral: Referral | None  # the first, which opened the case
    referrals: Sequence[Referral]  # and any added since
    notes: Sequence[CaseNote]
    consents: Sequence[ConsentRecord]
    shares: Sequence[CaseShare]
    previous_case: Case | None
    minor: bool
    crime_suspected: bool


def open_restricted(case: Case, *, actor: User, now: datetime, ip: str | None) -> RestrictedDetails:
    """The restricted details of a case for a page, recorded in the audit trail as viewed: the
    one way they reach a template. Refuses those who may not see them."""
    _record_view(case, actor=actor, now=now, ip=ip)
    referral = case.referral
    return RestrictedDetails(
        subject=case.subject,
        referral=referral,
        referrals=list(case.referrals),
        notes=queries.notes_for(case),
        consents=queries.consent_records_for(case),
        shares=queries.shares_for(case),
        previous_case=db.session.get(Case, referral.previous_case_id)
        if referral and referral.previous_case_id
        else None,
        minor=rules.is_minor(case.subject.date_of_birth if case.subject else None, now.date()),
        crime_suspected=case.crime_suspected,
    )


def open_crime_suspected(case: Case, *, actor: User, now: datetime, ip: str | None) -> bool:
    """Whether a crime is suspected (it decides who coordinates), shown through the same audited
    door as the rest of the restricted details, recorded as that one field."""
    _record_view(case, actor=actor, now=now, ip=ip, fields=("crime_suspected",))
    return case.crime_suspected


def add_note(case: Case, text: str, *, actor: User, now: datetime) -> CaseNote:
    """Add a restricted note to the case."""
    if not permissions.can_view_restricted(actor, case):
        raise ForbiddenError(_("You may not add notes to this case."))
    if not text.strip():
        raise DomainError(_("Write the note first."), field="text")
    note = CaseNote(case_id=case.id, author_id=actor.id, text=text.strip(), created_at=now)
    db.session.add(note)
    db.session.flush()
    record_event(
        "case.note_added",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"note_id": note.id},
    )
    return note


# --- Consent and sharing ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentData:
    purpose: ConsentPurpose
    state: ConsentState
    given_by: ConsentGiver | None
    guardian_name: str = ""
    legal_basis: LegalBasis | None = None
    partner_agency_id: int | None = None
    service_id: int | None = None
    note: str = ""


def consent_facts(case: Case) -> list[rules.ConsentFacts]:
    """The case's consent records as plain facts, oldest first."""
    records = db.session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.case_id == case.id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    return [
        rules.ConsentFacts(r.purpose, r.state, r.partner_agency_id, r.service_id) for r in records
    ]


def record_consent(case: Case, data: ConsentData, *, actor: User, now: datetime) -> ConsentRecord:
    """Add a consent record; a withdrawal is a new record and ends the shares that rested on it."""
    if not permissions.can_record_consent(actor, case):
        raise ForbiddenError(_("You may not record consent for this case."))
    if data.purpose is ConsentPurpose.PARTNER_SHARING and data.partner_agency_id is None:
        raise DomainError(_("Choose the partner the consent is about."), field="partner_agency_id")
    if data.purpose is ConsentPurpose.SERVICE_REFERRAL and data.partner_agency_id is not None:
        raise DomainError(
            _("Consent to a referral is about a service, not a partner."), field="partner_agency_id"
        )
    birth = case.subject.date_of_birth if case.subject else None
    rules.check_consent_record(
        state=data.state,
        given_by=data.given_by,
        guardian_name=data.guardian_name,
        legal_basis=data.legal_basis,
        subject_is_minor=rules.is_minor(birth, now.date()),
    )
    record = ConsentRecord(
        case_id=case.id,
        purpose=data.purpose,
        state=data.state,
        given_by=data.given_by,
        guardian_name=data.guardian_name.strip() or None,
        legal_basis=LegalBasis.CONSENT if data.state is ConsentState.GIVEN else data.legal_basis,
        partner_agency_id=data.partner_agency_id,
        service_id=data.service_id,
        note=data.note.strip(),
        recorded_at=now,
        recorded_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    record_event(
        "consent.recorded",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"purpose": data.purpose.value, "state": data.state.value, "consent_id": record.id},
    )
    if data.purpose is ConsentPurpose.PARTNER_SHARING and data.state in (
        ConsentState.WITHDRAWN,
        ConsentState.REFUSED,
    ):
        for share in _active_shares(case, data.partner_agency_id):
            if share.legal_basis in (None, LegalBasis.CONSENT):
                _revoke(share, actor=actor, now=now, why="consent " + data.state.value)
    return record


def _active_shares(case: Case, agency_id: int | None) -> list[CaseShare]:
    return [s for s in case.shares if s.agency_id == agency_id and s.revoked_at is None]


def share_case(
    case: Case, agency: Agency, *, legal_basis: LegalBasis | None, actor: User, now: datetime
) -> CaseShare:
    """Share the case's need-to-know summary with a partner, on consent or a legal basis."""
    if not permissions.can_share_case(actor, case):
        raise ForbiddenError(_("You may not share this case."))
    if case.panel.tier_of(agency.id) not in (AgencyTier.PARTNER, AgencyTier.ADVISER):
        raise DomainError(
            _("Cases are shared only with the panel's partners and advisers."), field="agency_id"
        )
    if _active_shares(case, agency.id):
        raise DomainError(_("The case is already shared with this partner."), field="agency_id")
    consent = rules.current_consent(
        consent_facts(case), ConsentPurpose.PARTNER_SHARING, partner_agency_id=agency.id
    )
    rules.check_sharing_basis(consent, legal_basis)
    consent_id = None
    if legal_basis in (None, LegalBasis.CONSENT):
        legal_basis = LegalBasis.CONSENT
        consent_id = db.session.scalar(
            sa.select(ConsentRecord.id)
            .where(
                ConsentRecord.case_id == case.id,
                ConsentRecord.purpose == ConsentPurpose.PARTNER_SHARING,
                ConsentRecord.partner_agency_id == agency.id,
            )
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
            .limit(1)
        )
    share = next((s for s in case.shares if s.agency_id == agency.id), None)
    if share is None:
        share = CaseShare(case=case, agency_id=agency.id)
        db.session.add(share)
    share.consent_id = consent_id
    share.legal_basis = legal_basis
    share.shared_at = now
    share.shared_by_id = actor.id
    share.revoked_at = None
    db.session.flush()
    record_event(
        "case.shared",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"agency_id": agency.id, "legal_basis": legal_basis.value},
    )
    return share


def revoke_share(share: CaseShare, *, actor: User, now: datetime) -> None:
    """Stop sharing the case with a partner."""
    if not permissions.can_share_case(actor, share.case):
        raise ForbiddenError(_("You may not change who this case is shared with."))
    if share.revoked_at is not None:
        raise DomainError(_("The case is no longer shared with this partner."))
    _revoke(share, actor=actor, now=now, why="revoked")


def _revoke(share: CaseShare, *, actor: User, now: datetime, why: str) -> None:
    share.revoked_at = now
    record_event(
        "case.share_revoked",
        actor=actor,
        now=now,
        object_type="case",
        object_id=share.case_id,
        panel_id=share.case.panel_id,
        detail={"agency_id": share.agency_id, "why": why},
    )
    db.session.flush()


# --- The coordinator --------------------------------------------------------------------------

COORDINATED_STATUSES = (
    CaseStatus.REFERRED,
    CaseStatus.OPEN,
    CaseStatus.MONITORING,
    CaseStatus.CLOSURE_PROPOSED,
)


def assign_coordinator(
    case: Case,
    coordinator: User,
    *,
    reason: str,
    override_reason: str = "",
    meeting: Meeting | None,
    actor: User,
    now: datetime,
) -> CoordinatorAssignment:
    """Name the one coordinator of an open case; the previous one hands over, history is kept,
    and the new coordinator is told (by reference only). Named at a sitting (`meeting`), it
    goes into that sitting's minutes."""
    if not permissions.can_assign_coordinator(actor, case):
        raise ForbiddenError(_("Only the chair or the secretary name a case's coordinator."))
    if meeting is not None:
        check_in_session(meeting)
    if case.status not in COORDINATED_STATUSES:
        raise InvalidTransitionError(_("Only an open case has a coordinator."))
    if permissions.membership_on(coordinator, case.panel_id) is None:
        raise DomainError(
            _("The coordinator must be a current member of the panel."), field="user_id"
        )
    if case.coordinator_id == coordinator.id:
        raise DomainError(_("This person already coordinates the case."), field="user_id")
    rules.check_coordinator(
        crime_suspected=case.crime_suspected,
        agency_kind=coordinator.agency.kind,
        reason=reason,
        override_reason=override_reason,
    )
    _end_coordination(case, now)
    assignment = CoordinatorAssignment(
        case_id=case.id,
        user_id=coordinator.id,
        agency_id=coordinator.agency_id,
        meeting_id=meeting.id if meeting else None,
        reason=reason.strip(),
        override_reason=override_reason.strip() or None,
        started_at=now,
    )
    db.session.add(assignment)
    case.coordinator = coordinator
    case.lead_agency_id = coordinator.agency_id
    case.updated_at = now
    notify(
        coordinator.id,
        NotificationKind.COORDINATOR_ASSIGNED,
        _l("You now coordinate case %(reference)s.", reference=case.reference),
        link=f"/cases/{case.reference}",
        case_id=case.id,
        dedupe_key=f"coordinator:{case.id}:{coordinator.id}:{now.isoformat()}",
        now=now,
    )
    record_event(
        "case.coordinator_assigned",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"user_id": coordinator.id, "override": bool(override_reason.strip())},
    )
    db.session.flush()
    return assignment
