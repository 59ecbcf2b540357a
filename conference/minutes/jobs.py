"""Scheduled jobs about minutes. Idempotent for their day."""

from datetime import datetime

import sqlalchemy as sa

from conference.extensions import db
from conference.formatting import local_date, to_zone
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
            f"The minutes of the {meeting.panel.code} meeting of "
            f"{local_date(meeting.starts_at, zone)} have not been circulated yet.",
            link=f"/meetings/{meeting.id}/minutes",
            dedupe_key=f"minutes-circulation:{meeting.id}:{today.isoformat()}",
            now=now,
            meeting_id=meeting.id,
        )
    return created
