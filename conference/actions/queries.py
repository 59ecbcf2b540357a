"""Read queries for actions."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from conference.actions.models import Action
from conference.actions.rules import OPEN_STATUSES
from conference.auth.models import User
from conference.cases.models import Case
from conference.extensions import db


def open_actions_for(user: User) -> Sequence[Action]:
    """The user's own open actions on cases of panels they belong to, earliest due first."""
    panel_ids = [m.panel_id for m in user.current_memberships]
    if not panel_ids:
        return []
    return db.session.scalars(
        sa.select(Action)
        .join(Action.case)
        .options(contains_eager(Action.case))
        .where(
            Action.owner_id == user.id,
            Action.status.in_(OPEN_STATUSES),
            Case.panel_id.in_(panel_ids),
        )
        .order_by(Action.due_on, Action.id)
    ).all()
