"""Read queries for notifications: a user only ever reads their own."""

from collections.abc import Sequence

import sqlalchemy as sa

from conference.auth.models import User
from conference.extensions import db
from conference.notify.models import Notification


def unread_for(user: User, limit: int = 10) -> Sequence[Notification]:
    """The user's unread notifications, newest first."""
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def inbox_of(user: User, limit: int = 100) -> Sequence[Notification]:
    """The user's notifications, read and unread, newest first."""
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def undelivered(limit: int = 100) -> Sequence[tuple[Notification, User]]:
    """E-mails given up, and those waiting to be tried again, newest first, with their
    recipient: for the administrator, who can correct an address or tell the person."""
    return [
        (notification, user)
        for notification, user in db.session.execute(
            sa.select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.emailed_at.is_(None),
                sa.or_(Notification.email_failed_at.is_not(None), Notification.email_attempts > 0),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    ]
