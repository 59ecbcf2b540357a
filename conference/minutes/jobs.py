"""Scheduled jobs about minutes. Idempotent for their day."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from conference.extensions import db
from conference.formatting import LazyDate, to_zone
from conference.meetings.models import Meeting, MeetingStatus
from conference.minutes import rules
from conference.minutes.services import latest_version
from conference.notify.models import NotificationKind
from conference.notify.services import notify


def minutes_circulation(now: datetime) -> int:
    """Remind the secretary, every day, of closed meetings whose draft minutes have not gone
    to those present within three working days."""
    created = 0
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.status == MeetingStatus.CLOSED, Meeting.starts_at < now)
    ).all()
    for meeting in meetings:
        zone = meeting.panel.timezone
        version = latest_version(meeting)
        circulated = version is not None and version.circulated_at is not None
        today = to_zone(now, zone).date()
        if not rules.circulation_overdue(
            to_zone(meeting.starts_at, zone).date(), circulated, today
        ):
            continue
        recipient = meeting.secretary_id or meeting.chair_id
        if recipient is None:
            continue
        created += notify(
            recipient,
            NotificationKind.MINUTES_CIRCULATION_DUE,
            _l(
                "The minutes of the %(panel)s meeting of %(date)s have not been circulated yet.",
                panel=meeting.panel.code,
                date=LazyDate(meeting.starts_at, zone),
            ),
            link=f"/meetings/{meeting.id}/minutes",
            dedupe_key=f"minutes-circulation:{meeting.id}:{today.isoformat()}",
            now=now,
            meeting_id=meeting.id,
        )
    return created
