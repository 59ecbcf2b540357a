"""Referrals to services on plain values: the steps a referral may take, and what it needs."""

import enum

from flask_babel import gettext as _

from conference.cases.models import ConsentState, LegalBasis
from conference.directory.models import ServiceReferralStatus as S
from conference.errors import DomainError, InvalidTransitionError

NEXT_STEPS: dict[S, frozenset[S]] = {
    S.PROPOSED: frozenset({S.CONSENT_SOUGHT, S.REFERRED, S.DECLINED}),
    S.CONSENT_SOUGHT: frozenset({S.REFERRED, S.DECLINED}),
    S.REFERRED: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.COMPLETED, S.DECLINED}),
    S.DECLINED: frozenset(),
    S.COMPLETED: frozenset(),
}


def _label(value: enum.Enum) -> str:
    from conference.labels import label

    return label(value)


def check_referral_step(
    current: S, target: S, *, consent: ConsentState, legal_basis: LegalBasis | None
) -> None:
    """Refuse a step the referral cannot take, and a referral made without consent or basis."""
    if target not in NEXT_STEPS[current]:
        raise InvalidTransitionError(
            _(
                "A referral that is %(current)s cannot become %(target)s.",
                current=_label(current).lower(),
                target=_label(target).lower(),
            )
        )
    has_basis = legal_basis is not None and legal_basis is not LegalBasis.CONSENT
    if target is S.REFERRED and consent is not ConsentState.GIVEN and not has_basis:
        raise DomainError(
            _(
                "The person has not consented to a referral to services: record their consent, or "
                "the legal basis for referring without it, first."
            ),
            field="status",
        )
