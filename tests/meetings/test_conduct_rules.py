"""The rules of a sitting: presence over time, the consensus rule, objections, the coordinator."""

from datetime import UTC, datetime, timedelta

import pytest

from conference.auth.models import AgencyKind
from conference.cases.models import ConsentState, LegalBasis
from conference.cases.rules import check_coordinator
from conference.directory.models import ServiceReferralStatus as S
from conference.directory.rules import check_referral_step
from conference.errors import DomainError, InvalidTransitionError
from conference.meetings.models import AttendanceStatus, RecommendationOutcome, Stance
from conference.meetings.rules import Presence, check_position, decide, present_agencies

MUN, POL, PRO, SOC = 1, 2, 3, 4
CORE = {MUN, POL, PRO}
START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
PRESENT = AttendanceStatus.PRESENT


def test_late_arrivals_and_early_departures_count_from_and_until_their_time() -> None:
    attendance = [
        Presence(1, MUN, PRESENT),
        Presence(2, POL, PRESENT, arrived_at=START + timedelta(minutes=30)),
        Presence(3, PRO, PRESENT, left_at=START + timedelta(minutes=60)),
        Presence(4, SOC, AttendanceStatus.APOLOGIES),
    ]
    assert present_agencies(attendance, START + timedelta(minutes=10)) == {MUN, PRO}
    assert present_agencies(attendance, START + timedelta(minutes=30)) == {MUN, POL, PRO}
    assert present_agencies(attendance, START + timedelta(minutes=60)) == {MUN, POL}


def test_two_people_of_one_agency_keep_it_present_until_both_have_left() -> None:
    attendance = [
        Presence(1, POL, PRESENT, left_at=START + timedelta(minutes=20)),
        Presence(2, POL, PRESENT, left_at=START + timedelta(minutes=50)),
    ]
    assert present_agencies(attendance, START + timedelta(minutes=30)) == {POL}
    assert present_agencies(attendance, START + timedelta(minutes=50)) == set()


A, AB, X = Stance.AGREE, Stance.ABSTAIN, Stance.OBJECT


@pytest.mark.parametrize(
    ("present", "positions", "expected"),
    [
        pytest.param(CORE, {MUN: A, POL: A, PRO: A}, "adopted", id="all agree"),
        pytest.param(CORE, {MUN: A, POL: AB, PRO: A}, "adopted", id="an abstention does not block"),
        pytest.param(
            CORE, {MUN: AB, POL: AB, PRO: AB}, "adopted", id="all abstain: nobody objects"
        ),
        pytest.param(CORE, {MUN: A, POL: X, PRO: A}, "not_adopted", id="one objection blocks"),
        pytest.param(
            CORE | {SOC},
            {MUN: A, POL: A, PRO: A, SOC: X},
            "not_adopted",
            id="a partner's objection blocks too",
        ),
        pytest.param(CORE, {MUN: A, POL: A}, "pending", id="a present agency has not spoken"),
        pytest.param(
            CORE, {MUN: A, POL: X}, "not_adopted", id="an objection decides before the rest"
        ),
        pytest.param({MUN, POL}, {MUN: A, POL: A}, "no_quorum", id="a core agency is missing"),
        pytest.param(
            {MUN, POL, SOC},
            {MUN: A, POL: A, SOC: A},
            "no_quorum",
            id="a partner does not make up the quorum",
        ),
        pytest.param(
            CORE,
            {MUN: A, POL: A, PRO: A, SOC: X},
            "adopted",
            id="an agency that has left no longer counts",
        ),
    ],
)
def test_the_consensus_rule(present: set[int], positions: dict, expected: str) -> None:
    assert decide(CORE, present, positions) is RecommendationOutcome(expected)


def test_an_objection_needs_a_reason() -> None:
    with pytest.raises(DomainError, match=r"An objection needs a reason\."):
        check_position(Stance.OBJECT, "  ")
    check_position(Stance.OBJECT, "Not proportionate yet.")
    check_position(Stance.ABSTAIN, "")


@pytest.mark.parametrize(
    ("crime", "kind", "override", "refused"),
    [
        (False, AgencyKind.SOCIAL_SERVICES, "", False),
        (True, AgencyKind.POLICE, "", False),
        (True, AgencyKind.SOCIAL_SERVICES, "", True),
        (
            True,
            AgencyKind.MUNICIPALITY,
            "Police agree the municipality leads: minor, no arrest.",
            False,
        ),
    ],
)
def test_the_police_coordinate_when_a_crime_is_suspected_unless_overridden(
    crime: bool, kind: AgencyKind, override: str, refused: bool
) -> None:
    def check() -> None:
        check_coordinator(
            crime_suspected=crime,
            agency_kind=kind,
            reason="Knows the family",
            override_reason=override,
        )

    if refused:
        with pytest.raises(DomainError, match="the coordinator comes from the police"):
            check()
    else:
        check()


def test_a_coordinator_is_chosen_with_a_reason() -> None:
    with pytest.raises(DomainError, match="Say why"):
        check_coordinator(
            crime_suspected=False, agency_kind=AgencyKind.POLICE, reason="", override_reason=""
        )


@pytest.mark.parametrize(
    ("current", "target", "consent", "basis", "error"),
    [
        (S.PROPOSED, S.CONSENT_SOUGHT, ConsentState.NOT_SOUGHT, None, None),
        (S.CONSENT_SOUGHT, S.REFERRED, ConsentState.GIVEN, None, None),
        (S.CONSENT_SOUGHT, S.REFERRED, ConsentState.REFUSED, None, DomainError),
        (S.PROPOSED, S.REFERRED, ConsentState.NOT_SOUGHT, None, DomainError),
        (S.PROPOSED, S.REFERRED, ConsentState.WITHDRAWN, LegalBasis.CONSENT, DomainError),
        (S.PROPOSED, S.REFERRED, ConsentState.NOT_SOUGHT, LegalBasis.VITAL_INTERESTS, None),
        (S.REFERRED, S.ACCEPTED, ConsentState.GIVEN, None, None),
        (S.ACCEPTED, S.SUPPORT_STARTED, ConsentState.GIVEN, None, None),
        (S.ACCEPTED, S.ENDED, ConsentState.GIVEN, None, None),
        (S.SUPPORT_STARTED, S.ENDED, ConsentState.GIVEN, None, None),
        (S.ENDED, S.REFERRED, ConsentState.GIVEN, None, InvalidTransitionError),
        (S.PROPOSED, S.ENDED, ConsentState.GIVEN, None, InvalidTransitionError),
        (S.REFERRED, S.SUPPORT_STARTED, ConsentState.GIVEN, None, InvalidTransitionError),
    ],
)
def test_referral_steps_and_consent(current, target, consent, basis, error) -> None:  # type: ignore[no-untyped-def]
    if error is None:
        check_referral_step(current, target, consent=consent, legal_basis=basis)
    else:
        with pytest.raises(error):
            check_referral_step(current, target, consent=consent, legal_basis=basis)
