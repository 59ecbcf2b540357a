"""Scheduled jobs of the notifications: the weekly digest and e-mail delivery."""

from datetime import datetime
from functools import partial

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from conference.actions import rules
from conference.actions.models import Action
from conference.auth.models import User
from conference.extensions import db
from conference.formatting import local_date
from conference.meetings.models import Meeting
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
        next_meeting = meetings[0] if meetings else None
        created += notify(
            user.id,
            NotificationKind.WEEKLY_DIGEST,
            partial(_digest, len(open_actions), overdue, next_meeting),
            link="/my-work",
            dedupe_key=f"digest:{user.id}:{year}-W{week:02d}",
            now=now,
        )
    return created


def _digest(open_actions: int, overdue: int, next_meeting: Meeting | None) -> str:
    """The digest's line, in the language of the moment (the recipient's)."""
    text = ngettext(
        "Your week: %(num)d open action (%(overdue)d overdue).",
        "Your week: %(num)d open actions (%(overdue)d overdue).",
        open_actions,
        overdue=overdue,
    )
    if next_meeting is None:
        return text
    return _(
        "%(week)s Next meeting on %(date)s.",
        week=text,
        date=local_date(next_meeting.starts_at, next_meeting.panel.timezone),
    )


def email_delivery(now: datetime) -> int:
    """Send the notifications not yet e-mailed."""
    return deliver_email(now)
