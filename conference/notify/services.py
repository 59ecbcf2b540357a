"""Telling people: in-app notifications, delivered by e-mail from an outbox.

A notification is created in the same transaction as what it is about; `deliver_email` sends the
ones not yet sent. Titles carry references and links only, never personal data.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeAlias

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import selectinload

from conference.auth.models import User
from conference.extensions import db
from conference.languages import language_of, written_in
from conference.notify import rules
from conference.notify.mail import DeliveryError, send_mail
from conference.notify.models import Notification, NotificationKind
from conference.panels.models import Membership

log = logging.getLogger(__name__)

# A notification's title, written when the recipient's language is known.
Text: TypeAlias = str | LazyString | Callable[[], str]

# Reminders about an action name the meeting where it comes up: the e-mail links to the reply.
REPLY_LINK_KINDS = frozenset({NotificationKind.ACTION_DUE, NotificationKind.ACTION_OVERDUE})


def notify(
    user_id: int,
    kind: NotificationKind,
    title: Text,
    *,
    link: str,
    dedupe_key: str,
    now: datetime,
    case_id: int | None = None,
    meeting_id: int | None = None,
    action_id: int | None = None,
) -> bool:
    """Add a notification unless one with the same key exists; returns whether it was added.
    The title is written in the recipient's language: give it lazily (`_l`, or a function).

    The key says what the message is about and for which day or week, so a job that runs twice,
    or after a restart, adds nothing new. The unique index on the key settles a race.
    """
    exists = db.session.scalar(
        sa.select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    )
    if exists:
        return False
    with written_in(language_of(db.session.get(User, user_id))):
        text = title() if callable(title) else str(title)
    db.session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            title=text,
            link=link,
            dedupe_key=dedupe_key,
            case_id=case_id,
            meeting_id=meeting_id,
            action_id=action_id,
            created_at=now,
        )
    )
    db.session.flush()
    return True


def deliver_email(now: datetime, limit: int = 200) -> int:
    """Send the notifications due to be e-mailed, oldest first, each on its own; returns how
    many were sent.

    Each is marked sent as soon as the server accepted it, so a crash half-way resends at most
    the message being sent. A refusal is that message's alone: a permanent one (5xx) marks it
    failed at once, a temporary one tries it again later, waiting longer each time, until it
    too is given up; the rest of the queue goes on. When the server cannot be reached at all,
    the run stops and the next one carries on.
    """
    pending = db.session.execute(
        sa.select(Notification, User)
        # Each recipient's language comes from their account or their panel: read with them.
        .options(selectinload(User.memberships).joinedload(Membership.panel))
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.email_failed_at.is_(None),
            sa.or_(Notification.email_retry_at.is_(None), Notification.email_retry_at <= now),
            User.active.is_(True),
        )
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    ).all()
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    sent = 0
    for notification, user in pending:
        with written_in(language_of(user)):
            subject, body = _email(notification, base)
        try:
            send_mail(to=user.email, subject=subject, body=body)
        except DeliveryError as error:
            _record_failure(notification, error, now)
            db.session.commit()
            if error.smtp_code is None:
                break
            continue
        notification.emailed_at = now
        notification.email_retry_at = None
        db.session.commit()
        sent += 1
    return sent


def _email(notification: Notification, base: str) -> tuple[str, str]:
    """The subject and body of a notification's e-mail, in the language of the moment."""
    paragraphs = [
        notification.title,
        _("Open it in Case Conference: %(link)s", link=f"{base}{notification.link}"),
    ]
    if notification.kind in REPLY_LINK_KINDS and notification.meeting_id is not None:
        paragraphs.append(
            _(
                "Will you be at the meeting where it comes up? Reply to the invitation: %(link)s",
                link=f"{base}/meetings/{notification.meeting_id}/reply",
            )
        )
    paragraphs.append(_("This message holds no personal details; sign in to read more."))
    subject = _("[Case Conference] %(title)s", title=notification.title)
    return subject, "\n\n".join(paragraphs) + "\n"


def _record_failure(notification: Notification, error: DeliveryError, now: datetime) -> None:
    notification.email_attempts += 1
    notification.email_error = f"{error.smtp_code or ''} {error.reply}".strip()[:200]
    if rules.gives_up(notification.email_attempts, error.smtp_code):
        notification.email_failed_at = now
        notification.email_retry_at = None
        # Ids and codes only: the address and the server's reply stay in the database.
        log.warning(
            "e-mail for notification %s given up after %s tries (%s)",
            notification.id,
            notification.email_attempts,
            error.smtp_code or "no answer",
        )
    else:
        notification.email_retry_at = rules.retry_at(notification.email_attempts, now)
        log.info(
            "e-mail for notification %s failed (%s); trying again at %s",
            notification.id,
            error.smtp_code or "no answer",
            notification.email_retry_at.isoformat(),
        )
