"""Case rules, table-driven: the lifecycle, re-referral matching, repeat referrals, consent."""

from datetime import date, timedelta

import pytest

from conference.cases.models import (
    CaseStatus,
    ConsentGiver,
    ConsentPurpose,
    ConsentState,
    LegalBasis,
)
from conference.cases.rules import (
    ConsentFacts,
    Decision,
    MatchStrength,
    allowed_next_statuses,
    check_consent_record,
    check_sharing_basis,
    check_transition,
    current_consent,
    is_repeat_referral,
    match_strength,
    name_key,
    needs_decision,
)
from conference.errors import DomainError, InvalidTransitionError
from conference.meetings.models import RecommendationKind as K
from conference.meetings.models import RecommendationOutcome as O

S = CaseStatus
CASE_ID = 7
ADOPTED = {kind: Decision(CASE_ID, kind, O.ADOPTED) for kind in K}

# (from, to) -> the decision it needs (None: no decision needed)
ALLOWED = {
    (S.REFERRED, S.OPEN): K.SUPPORT_MEASURE,
    (S.REFERRED, S.DECLINED): K.NO_FURTHER_ACTION,
    (S.OPEN, S.MONITORING): None,
    (S.MONITORING, S.OPEN): None,
    (S.OPEN, S.CLOSURE_PROPOSED): None,
    (S.MONITORING, S.CLOSURE_PROPOSED): None,
    (S.CLOSURE_PROPOSED, S.OPEN): None,
    (S.CLOSURE_PROPOSED, S.MONITORING): None,
    (S.OPEN, S.CLOSED): K.CLOSE_CASE,
    (S.MONITORING, S.CLOSED): K.CLOSE_CASE,
    (S.CLOSURE_PROPOSED, S.CLOSED): K.CLOSE_CASE,
    (S.CLOSED, S.OPEN): K.CRIMINAL_JUSTICE,
}
ALL_PAIRS = [(a, b) for a in S for b in S if a is not b]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_only_the_lifecycle_steps_are_allowed(current: S, target: S) -> None:
    if (current, target) not in ALLOWED:
        with pytest.raises(InvalidTransitionError, match="cannot become"):
            check_transition(CASE_ID, current, target, reason="why", decision=ADOPTED[K.CLOSE_CASE])
        assert target not in allowed_next_statuses(current)
        return
    kind = ALLOWED[(current, target)]
    assert target in allowed_next_statuses(current)
    assert needs_decision(current, target) is (kind is not None)
    check_transition(
        CASE_ID, current, target, reason="why", decision=ADOPTED[kind] if kind else None
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair, kind in ALLOWED.items() if kind is not None],
    ids=lambda s: s.value,
)
def test_opening_declining_and_closing_need_an_adopted_decision(current: S, target: S) -> None:
    with pytest.raises(InvalidTransitionError, match="must rest on a panel decision"):
        check_transition(CASE_ID, current, target, reason="why", decision=None)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision(CASE_ID + 1, K.CLOSE_CASE, O.ADOPTED), "another case"),
        (Decision(CASE_ID, K.CLOSE_CASE, O.NOT_ADOPTED), "not adopted"),
        (Decision(CASE_ID, K.CLOSE_CASE, O.NO_QUORUM), "not adopted"),
        (Decision(CASE_ID, K.CLOSE_CASE, O.PENDING), "not adopted"),
        (Decision(CASE_ID, K.SUPPORT_MEASURE, O.ADOPTED), "cannot make a case closed"),
    ],
)
def test_closing_on_the_wrong_decision_is_refused(decision: Decision, message: str) -> None:
    with pytest.raises(InvalidTransitionError, match=message):
        check_transition(CASE_ID, S.OPEN, S.CLOSED, reason="why", decision=decision)


def test_opening_cannot_rest_on_a_closing_decision() -> None:
    with pytest.raises(InvalidTransitionError, match="cannot make a case open"):
        check_transition(CASE_ID, S.REFERRED, S.OPEN, reason="why", decision=ADOPTED[K.CLOSE_CASE])


def test_every_change_needs_a_reason() -> None:
    with pytest.raises(DomainError, match="reason"):
        check_transition(CASE_ID, S.OPEN, S.MONITORING, reason="  ", decision=None)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("José de la Cruz", "de la Cruz, Jose"),
        ("ANNA-MARIA  Öztürk", "anna maria ozturk"),
        (" Sam  Example ", "Example Sam"),
    ],
)
def test_names_match_without_accents_case_punctuation_or_order(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


BORN = date(2009, 3, 14)


@pytest.mark.parametrize(
    ("new", "new_born", "old", "old_born", "expected"),
    [
        ("Sam Example", BORN, "Example Sam", BORN, MatchStrength.LIKELY),
        ("Sam Example", BORN, "Sam Example", date(2009, 4, 14), MatchStrength.POSSIBLE),
        ("Sam Example", None, "Sam Example", BORN, MatchStrength.POSSIBLE),
        ("Sam Exampel", BORN, "Sam Example", BORN, MatchStrength.POSSIBLE),  # a typo
        ("Kim Other", BORN, "Sam Example", BORN, None),  # same birthday, another person
        ("Sam Example", None, "Sam Sample", None, None),
    ],
)
def test_match_strength(
    new: str, new_born: date | None, old: str, old_born: date | None, expected: MatchStrength | None
) -> None:
    assert match_strength(name_key(new), new_born, name_key(old), old_born) == expected


@pytest.mark.parametrize(
    ("earlier", "repeat"),
    [
        ([date(2026, 6, 1)], True),
        ([date(2025, 11, 25)], True),  # exactly twelve months
        ([date(2025, 11, 24)], False),
        ([date(2024, 1, 1), date(2026, 10, 1)], True),
        ([], False),
    ],
)
def test_a_referral_within_twelve_months_is_a_repeat(earlier: list[date], repeat: bool) -> None:
    assert is_repeat_referral(date(2026, 11, 25), earlier) is repeat


@pytest.mark.parametrize(
    ("state", "given_by", "guardian", "basis", "minor", "error"),
    [
        (ConsentState.GIVEN, ConsentGiver.SUBJECT, "", None, False, None),
        (ConsentState.GIVEN, None, "", None, False, "who gave"),
        (ConsentState.GIVEN, ConsentGiver.SUBJECT, "", None, True, "a guardian decides"),
        (ConsentState.GIVEN, ConsentGiver.GUARDIAN, "", None, True, "Name the guardian"),
        (ConsentState.GIVEN, ConsentGiver.GUARDIAN, "Pat Parent", None, True, None),
        (ConsentState.GIVEN, ConsentGiver.SUBJECT, "", LegalBasis.PUBLIC_TASK, False, "consent is"),
        (ConsentState.WITHDRAWN, ConsentGiver.SUBJECT, "", None, False, None),
        (ConsentState.REFUSED, ConsentGiver.SUBJECT, "", LegalBasis.CONSENT, False, "cannot be"),
        (ConsentState.NOT_SOUGHT, None, "", LegalBasis.VITAL_INTERESTS, False, None),
    ],
)
def test_consent_records_say_who_decided_and_on_what_basis(
    state: ConsentState,
    given_by: ConsentGiver | None,
    guardian: str,
    basis: LegalBasis | None,
    minor: bool,
    error: str | None,
) -> None:
    def check() -> None:
        check_consent_record(
            state=state,
            given_by=given_by,
            guardian_name=guardian,
            legal_basis=basis,
            subject_is_minor=minor,
        )

    if error is None:
        check()
    else:
        with pytest.raises(DomainError, match=error):
            check()


def test_the_latest_record_for_the_same_recipient_decides() -> None:
    sharing = ConsentPurpose.PARTNER_SHARING
    records = [
        ConsentFacts(sharing, ConsentState.GIVEN, partner_agency_id=1),
        ConsentFacts(sharing, ConsentState.GIVEN, partner_agency_id=2),
        ConsentFacts(sharing, ConsentState.WITHDRAWN, partner_agency_id=1),
    ]
    assert current_consent(records, sharing, partner_agency_id=1) is ConsentState.WITHDRAWN
    assert current_consent(records, sharing, partner_agency_id=2) is ConsentState.GIVEN
    assert current_consent(records, sharing, partner_agency_id=3) is ConsentState.NOT_SOUGHT


@pytest.mark.parametrize(
    ("consent", "basis", "allowed"),
    [
        (ConsentState.GIVEN, LegalBasis.CONSENT, True),
        (ConsentState.GIVEN, None, True),
        (ConsentState.WITHDRAWN, LegalBasis.CONSENT, False),
        (ConsentState.NOT_SOUGHT, None, False),
        (ConsentState.REFUSED, LegalBasis.VITAL_INTERESTS, True),
        (ConsentState.NOT_SOUGHT, LegalBasis.LAW_ENFORCEMENT, True),
    ],
)
def test_sharing_needs_consent_or_another_legal_basis(
    consent: ConsentState, basis: LegalBasis | None, allowed: bool
) -> None:
    if allowed:
        check_sharing_basis(consent, basis)
    else:
        with pytest.raises(DomainError, match="consent for sharing"):
            check_sharing_basis(consent, basis)


def test_the_adult_cutoff_agrees_with_the_age_on_every_day_of_a_leap_cycle() -> None:
    from conference.cases.rules import ADULT_AGE, adult_cutoff, age_on

    births = [
        date(2008, 2, 28),
        date(2008, 2, 29),
        date(2008, 3, 1),
        date(2010, 2, 28),
        date(2010, 3, 1),
    ]
    day = date(2026, 1, 1)
    while day < date(2029, 1, 1):
        for born in births:
            assert (born > adult_cutoff(day)) is (age_on(born, day) < ADULT_AGE), (born, day)
        day += timedelta(days=1)
