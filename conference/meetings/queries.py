"""Read queries for meetings, scoped to what the user may see."""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from conference.auth.models import User
from conference.extensions import db
from conference.meetings.models import Meeting, MeetingStatus

COMING_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED, MeetingStatus.IN_PROGRESS)


def upcoming_meetings(user: User, now: datetime, limit: int = 5) -> Sequence[Meeting]:
    """The next meetings of the user's panels that have not been closed."""
    panel_ids = [m.panel_id for m in user.current_memberships]
    if not panel_ids:
        return []
    return db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.panel_id.in_(panel_ids),
            Meeting.ends_at >= now,
            Meeting.status.in_(COMING_STATUSES),
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()
