"""Referrals to services on plain values: the steps a referral may take, what each needs, and
when a service has been silent too long. No session, no clock: `today` comes in."""

from datetime import date, timedelta

from flask_babel import gettext as _

from conference.cases.models import ConsentState, LegalBasis
from conference.directory.models import ReferralOutcome
from conference.directory.models import ServiceReferralStatus as S
from conference.errors import DomainError, InvalidTransitionError

# proposed → referred → accepted or declined by the service → support started → ended.
NEXT_STEPS: dict[S, frozenset[S]] = {
    S.PROPOSED: frozenset({S.CONSENT_SOUGHT, S.REFERRED, S.DECLINED}),
    S.CONSENT_SOUGHT: frozenset({S.REFERRED, S.DECLINED}),
    S.REFERRED: frozenset({S.ACCEPTED, S.DECLINED}),
    # Accepted but never started (the person did not come) ends too, with its outcome.
    S.ACCEPTED: frozenset({S.SUPPORT_STARTED, S.ENDED}),
    S.SUPPORT_STARTED: frozenset({S.ENDED}),
    S.DECLINED: frozenset(),
    S.ENDED: frozenset(),
}

# The statuses where the referral waits on the service's answer.
AWAITING_ANSWER = frozenset({S.REFERRED})
# Still running: the coordinator follows it between meetings.
OPEN_STATUSES = frozenset({S.PROPOSED, S.CONSENT_SOUGHT, S.REFERRED, S.ACCEPTED, S.SUPPORT_STARTED})


def check_referral_step(
    current: S, target: S, *, consent: ConsentState, legal_basis: LegalBasis | None
) -> None:
    """Refuse a step the referral cannot take, and a referral made without consent or basis."""
    if target not in NEXT_STEPS[current]:
        from conference.labels import label  # here: the labels import the agenda rules

        allowed = ", ".join(str(label(s)).lower() for s in sorted(NEXT_STEPS[current]))
        raise InvalidTransitionError(
            _(
                "A referral that is %(current)s cannot become %(target)s.",
                current=str(label(current)).lower(),
                target=str(label(target)).lower(),
            )
            + " "
            + (
                _("From here it can become: %(allowed)s.", allowed=allowed)
                if allowed
                else _("It has come to its end.")
            )
        )
    has_basis = legal_basis is not None and legal_basis is not LegalBasis.CONSENT
    if target is S.REFERRED and consent is not ConsentState.GIVEN and not has_basis:
        raise DomainError(
            _(
                "The person has not consented to a referral to services: record their consent, "
                "or the legal basis for referring without it, first."
            ),
            field="status",
        )


def check_step_facts(
    target: S,
    *,
    happened_on: date,
    last_step_on: date | None,
    outcome: ReferralOutcome | None,
    outcome_note: str,
    today: date,
) -> None:
    """A step happened on a day between the previous step and today; the end says how it ended
    (and, for "other", in a note)."""
    if happened_on > today:
        raise DomainError(_("The day cannot be in the future."), field="happened_on")
    if last_step_on is not None and happened_on < last_step_on:
        raise DomainError(
            _("The day cannot be before the referral's previous step."), field="happened_on"
        )
    if target is S.ENDED and outcome is None:
        raise DomainError(_("Say how the support ended."), field="outcome")
    if target is not S.ENDED and outcome is not None:
        raise DomainError(_("Only an ended referral has an outcome."), field="outcome")
    if outcome is ReferralOutcome.OTHER and not outcome_note.strip():
        raise DomainError(_("Say in the note how it ended."), field="outcome_note")


def answer_due_on(referred_on: date, answer_days: int) -> date:
    """The day after which a service that has not answered is chased."""
    return referred_on + timedelta(days=answer_days)


def is_unanswered(status: S, referred_on: date | None, answer_days: int, today: date) -> bool:
    """Whether the service has left a referral unanswered for longer than the panel allows."""
    if status not in AWAITING_ANSWER or referred_on is None:
        return False
    return today >= answer_due_on(referred_on, answer_days)
