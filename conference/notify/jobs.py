"""Scheduled jobs of the notifications: the weekly digest and e-mail delivery."""

from datetime import datetime

import sqlalchemy as sa

from conference.actions import rules
from conference.actions.models import Action
from conference.auth.models import User
from conference.extensions import db
from conference.meetings.queries import upcoming_meetings
from conference.notify.models import NotificationKind
from conference.notify.services import deliver_email, notify
from conference.panels.models import Membership


def weekly_digest(now: datetime) -> int:
    """One summary a week for each member with something open: once per ISO week."""
    year, week, _ = now.isocalendar()
    members = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(User.active.is_(True), Membership.until.is_(None))
        .distinct()
    ).all()
    created = 0
    for user in members:
        open_actions = db.session.scalars(
            sa.select(Action).where(
                Action.owner_id == user.id, Action.status.in_(rules.OPEN_STATUSES)
            )
        ).all()
        overdue = sum(rules.is_overdue(a.status, a.due_on, now.date()) for a in open_actions)
        meetings = upcoming_meetings(user, now, limit=1)
        if not open_actions and not meetings:
            continue
        parts = [f"{len(open_actions)} open actions ({overdue} overdue)"]
        if meetings:
            parts.append(f"next meeting {meetings[0].starts_at.date().isoformat()}")
        created += notify(
            user.id,
            NotificationKind.WEEKLY_DIGEST,
            "Your week: " + ", ".join(parts) + ".",
            link="/my-work",
            dedupe_key=f"digest:{user.id}:{year}-W{week:02d}",
            now=now,
        )
    return created


def email_delivery(now: datetime) -> int:
    """Send the notifications not yet e-mailed."""
    return deliver_email(now)
