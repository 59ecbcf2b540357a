"""Read queries for cases, always through the policy's scoped filter."""

from collections.abc import Sequence

import sqlalchemy as sa

from conference.auth.models import User
from conference.auth.permissions import case_visibility
from conference.cases.models import Case
from conference.cases.rules import ACTIVE_STATUSES
from conference.extensions import db


def visible_cases(user: User) -> sa.Select[Case]:
    """A select of the cases the user may see, newest referral first."""
    return (
        sa.select(Case)
        .where(case_visibility(user))
        .order_by(Case.referred_at.desc(), Case.id.desc())
    )


def coordinated_cases(user: User) -> Sequence[Case]:
    """The active cases the user coordinates, next review first."""
    return db.session.scalars(
        sa.select(Case)
        .where(
            case_visibility(user), Case.coordinator_id == user.id, Case.status.in_(ACTIVE_STATUSES)
        )
        .order_by(Case.next_review_on.is_(None), Case.next_review_on, Case.reference)
    ).all()


def case_by_reference(reference: str) -> Case | None:
    """The case with this reference, whoever may see it; callers check access."""
    return db.session.scalar(sa.select(Case).where(Case.reference == reference))
