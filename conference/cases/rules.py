"""Case decisions on plain values: references, minors, the lifecycle, matching, consent."""

import calendar
import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.auth.models import AgencyKind
from conference.cases.models import (
    NAME_KEY_LENGTH,
    AgeBand,
    CaseStatus,
    ConsentGiver,
    ConsentPurpose,
    ConsentState,
    LegalBasis,
)
from conference.errors import DomainError, InvalidTransitionError
from conference.meetings.models import RecommendationKind, RecommendationOutcome
from conference.meetings.rules import add_months

ACTIVE_STATUSES = frozenset(
    {CaseStatus.REFERRED, CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED}
)
ADULT_AGE = 18
REPEAT_REFERRAL_WINDOW = timedelta(days=365)  # MARAC: a new referral within 12 months
# Dates outside these windows are typing slips (year 1, 9999), refused beside their field.
EARLIEST_BIRTH = date(1900, 1, 1)
REFERRAL_LOOKBACK_MONTHS = 120  # a concern received longer ago than ten years is no referral
REVIEW_HORIZON_MONTHS = 120  # a review date within ten years of today, either way


def _label(value: enum.Enum) -> str:
    from conference.labels import label

    return label(value)


def format_reference(panel_code: str, year: int, number: int) -> str:
    """The pseudonymous reference, e.g. RVT-2026-0042."""
    return f"{panel_code}-{year}-{number:04d}"


def age_on(date_of_birth: date, today: date) -> int:
    """Full years of age on `today`."""
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def adult_cutoff(today: date) -> date:
    """The last birth date of someone who is an adult on `today` (a query can compare with it)."""
    year = today.year - ADULT_AGE
    if (today.month, today.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return today.replace(year=year)


def check_date_of_birth(born: date | None, today: date) -> None:
    """A date of birth lies between 1 January 1900 and today; unknown is allowed."""
    if born is None:
        return
    if born > today:
        raise DomainError(
            str(_l("The date of birth cannot be in the future.")), field="date_of_birth"
        )
    if born < EARLIEST_BIRTH:
        raise DomainError(str(_l("Give a date of birth from 1900 on.")), field="date_of_birth")


def check_received_on(received_on: date, today: date) -> None:
    """A concern was received in the last ten years, and not after today."""
    if received_on > today:
        raise DomainError(
            str(_l("The date the concern was received cannot be in the future.")),
            field="received_on",
        )
    if received_on < add_months(today, -REFERRAL_LOOKBACK_MONTHS):
        raise DomainError(
            str(
                _l("A concern received more than ten years ago is not a referral: check the date.")
            ),
            field="received_on",
        )


def check_review_date(review_on: date | None, today: date) -> None:
    """A next review date lies within ten years of today (either way); none is allowed."""
    if review_on is None:
        return
    if not (
        add_months(today, -REVIEW_HORIZON_MONTHS)
        <= review_on
        <= add_months(today, REVIEW_HORIZON_MONTHS)
    ):
        raise DomainError(
            str(_l("Give a review date within ten years of today.")), field="next_review_on"
        )


def is_minor(date_of_birth: date | None, today: date) -> bool:
    """Whether the person is under 18 on `today`; unknown date of birth counts as adult."""
    return date_of_birth is not None and date_of_birth > adult_cutoff(today)


def age_band(date_of_birth: date | None, received_on: date) -> AgeBand:
    """The age band kept on the case: minor or adult on the day the concern was received."""
    if date_of_birth is None:
        return AgeBand.UNKNOWN
    return AgeBand.MINOR if is_minor(date_of_birth, received_on) else AgeBand.ADULT


# --- The lifecycle ----------------------------------------------------------------------------

S = CaseStatus
# Each allowed step, and whether it must rest on an adopted panel decision.
TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], bool] = {
    (S.REFERRED, S.OPEN): True,
    (S.REFERRED, S.DECLINED): True,
    (S.OPEN, S.MONITORING): False,
    (S.MONITORING, S.OPEN): False,  # escalated again
    (S.OPEN, S.CLOSURE_PROPOSED): False,
    (S.MONITORING, S.CLOSURE_PROPOSED): False,
    (S.CLOSURE_PROPOSED, S.OPEN): False,  # closure not agreed
    (S.CLOSURE_PROPOSED, S.MONITORING): False,
    (S.OPEN, S.CLOSED): True,
    (S.MONITORING, S.CLOSED): True,
    (S.CLOSURE_PROPOSED, S.CLOSED): True,
    (S.CLOSED, S.OPEN): True,  # re-opened
}
# The kinds of recommendation a decision-bound step may rest on.
DECISION_KINDS: dict[CaseStatus, frozenset[RecommendationKind]] = {
    S.OPEN: frozenset(RecommendationKind)
    - {RecommendationKind.NO_FURTHER_ACTION, RecommendationKind.CLOSE_CASE},
    S.DECLINED: frozenset({RecommendationKind.NO_FURTHER_ACTION}),
    S.CLOSED: frozenset({RecommendationKind.CLOSE_CASE, RecommendationKind.NO_FURTHER_ACTION}),
}


@dataclass(frozen=True)
class Decision:
    """The facts about a recommendation that a status change may rest on."""

    case_id: int
    kind: RecommendationKind
    outcome: RecommendationOutcome


def allowed_next_statuses(current: CaseStatus) -> list[CaseStatus]:
    """The statuses a case may move to from `current`, in lifecycle order."""
    return [to for (frm, to) in TRANSITIONS if frm is current]


def needs_decision(current: CaseStatus, target: CaseStatus) -> bool:
    """Whether the step must rest on an adopted panel decision."""
    return TRANSITIONS.get((current, target), False)


def check_transition(
    case_id: int,
    current: CaseStatus,
    target: CaseStatus,
    *,
    reason: str,
    decision: Decision | None,
) -> None:
    """Refuse, with a message a chair understands, a step the lifecycle does not allow."""
    if (current, target) not in TRANSITIONS:
        raise InvalidTransitionError(
            _(
                "A case that is %(current)s cannot become %(target)s.",
                current=_label(current).lower(),
                target=_label(target).lower(),
            )
        )
    if not reason.strip():
        raise DomainError(_("Give the reason for the change."))
    if not TRANSITIONS[(current, target)]:
        return
    if decision is None:
        raise InvalidTransitionError(
            _("This change must rest on a panel decision: choose the adopted recommendation.")
        )
    if decision.case_id != case_id:
        raise InvalidTransitionError(_("The decision chosen was made about another case."))
    if decision.outcome is not RecommendationOutcome.ADOPTED:
        raise InvalidTransitionError(_("The decision chosen was not adopted by the panel."))
    if decision.kind not in DECISION_KINDS[target]:
        raise InvalidTransitionError(
            _(
                "A recommendation of kind “%(kind)s” cannot make a case %(target)s.",
                kind=_label(decision.kind),
                target=_label(target).lower(),
            )
        )


# --- Re-referral matching ---------------------------------------------------------------------


class MatchStrength(StrEnum):
    LIKELY = "likely"  # same name and same date of birth: almost certainly the same person
    POSSIBLE = "possible"  # same name with another or unknown birth date, or similar name


POSSIBLE_NAME_SIMILARITY = 0.8


def name_key(full_name: str) -> str:
    """A name for matching: no accents, case, punctuation or word order; never longer than the
    column that keeps it (ligatures and other compatibility forms grow when decomposed)."""
    decomposed = unicodedata.normalize("NFKD", full_name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[^\W_]+", plain)
    return " ".join(sorted(words))[:NAME_KEY_LENGTH].rstrip()


def match_strength(
    new_key: str, new_birth: date | None, old_key: str, old_birth: date | None
) -> MatchStrength | None:
    """How strongly an earlier subject matches the person being referred, if at all."""
    if not new_key or not old_key:
        return None
    same_name = new_key == old_key
    same_birth = new_birth is not None and new_birth == old_birth
    if same_name and same_birth:
        return MatchStrength.LIKELY
    if same_name:
        return MatchStrength.POSSIBLE
    if same_birth and SequenceMatcher(None, new_key, old_key).ratio() >= POSSIBLE_NAME_SIMILARITY:
        return MatchStrength.POSSIBLE
    return None


def is_repeat_referral(received_on: date, earlier_referrals: Iterable[date]) -> bool:
    """Whether the person was referred before within the 12 months up to this referral."""
    return any(
        earlier <= received_on and received_on - earlier <= REPEAT_REFERRAL_WINDOW
        for earlier in earlier_referrals
    )


# --- Consent and legal basis ------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentFacts:
    """One consent record, as plain values, for deciding what it allows."""

    purpose: ConsentPurpose
    state: ConsentState
    partner_agency_id: int | None = None
    service_id: int | None = None


def check_consent_record(
    *,
    state: ConsentState,
    given_by: ConsentGiver | None,
    guardian_name: str,
    legal_basis: LegalBasis | None,
    subject_is_minor: bool,
) -> None:
    """Refuse a consent record that does not say who decided, or on what basis."""
    if state in (ConsentState.GIVEN, ConsentState.REFUSED, ConsentState.WITHDRAWN):
        if given_by is None:
            raise DomainError(_("Say who gave, refused or withdrew consent."))
        if subject_is_minor and given_by is not ConsentGiver.GUARDIAN:
            raise DomainError(_("The subject is a minor: a guardian decides on consent."))
        if given_by is ConsentGiver.GUARDIAN and not guardian_name.strip():
            raise DomainError(_("Name the guardian who decided."))
    if state is ConsentState.GIVEN and legal_basis not in (None, LegalBasis.CONSENT):
        raise DomainError(_("When consent is given, consent is the legal basis."))
    if state is not ConsentState.GIVEN and legal_basis is LegalBasis.CONSENT:
        raise DomainError(_("Consent cannot be the legal basis when it was not given."))


def current_consent(
    records: Sequence[ConsentFacts],
    purpose: ConsentPurpose,
    *,
    partner_agency_id: int | None = None,
    service_id: int | None = None,
) -> ConsentState:
    """The latest state for a purpose and recipient; records are in the order they were made."""
    state = ConsentState.NOT_SOUGHT
    for record in records:
        if (
            record.purpose is purpose
            and record.partner_agency_id == partner_agency_id
            and record.service_id == service_id
        ):
            state = record.state
    return state


def check_sharing_basis(consent: ConsentState, legal_basis: LegalBasis | None) -> None:
    """Sharing with a partner needs the subject's consent or another recorded legal basis."""
    on_consent = legal_basis is LegalBasis.CONSENT or legal_basis is None
    if on_consent and consent is not ConsentState.GIVEN:
        raise DomainError(
            _(
                "This case cannot be shared with the partner: consent for sharing with them has "
                "not been given. Record consent first, or choose another legal basis."
            )
        )


# --- The coordinator --------------------------------------------------------------------------


def check_coordinator(
    *, crime_suspected: bool, agency_kind: AgencyKind, reason: str, override_reason: str
) -> None:
    """One coordinator per case, chosen with a reason; the police when a crime is suspected,
    unless the panel records why not."""
    if not reason.strip():
        raise DomainError(_("Say why this person coordinates the case."), field="reason")
    if crime_suspected and agency_kind is not AgencyKind.POLICE and not override_reason.strip():
        raise DomainError(
            _(
                "A crime is suspected: the coordinator comes from the police, unless the panel "
                "records why another agency should coordinate."
            ),
            field="override_reason",
        )


def retention_ends(ended_on: date, retention_months: int) -> date:
    """The day a case's personal data is wiped: the panel's retention period after it ended."""
    return add_months(ended_on, retention_months)
