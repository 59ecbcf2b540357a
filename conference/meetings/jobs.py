"""Scheduled jobs about meetings. Each is idempotent."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from conference.extensions import db
from conference.formatting import LazyDate
from conference.meetings.models import Meeting, MeetingStatus
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base as meeting_base
from conference.notify.models import NotificationKind
from conference.notify.services import notify
from conference.panels.models import PanelRole


def agenda_draft(now: datetime) -> int:
    """A set number of days before a meeting, propose its agenda (if nobody has yet) and send
    the chair to review and publish it. Once per meeting."""
    window = timedelta(days=current_app.config["AGENDA_DRAFT_DAYS_BEFORE"])
    meetings = db.session.scalars(
        sa.select(Meeting).where(
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + window,
        )
    ).all()
    created = 0
    for meeting in meetings:
        chair_id = meeting.chair_id or next(
            (
                m.user_id
                for m in meeting_base.current_memberships(meeting.panel)
                if m.role is PanelRole.CHAIR
            ),
            None,
        )
        if chair_id is None:
            continue
        if not meeting_base.active_items(meeting):
            agenda_services.build_agenda(meeting, actor=None, now=now)
        created += notify(
            chair_id,
            NotificationKind.AGENDA_DRAFT,
            _l(
                "The draft agenda of the %(panel)s meeting on %(date)s is ready to review.",
                panel=meeting.panel.code,
                date=LazyDate(meeting.starts_at, meeting.panel.timezone),
            ),
            link=f"/meetings/{meeting.id}/agenda",
            dedupe_key=f"agenda-draft:{meeting.id}",
            now=now,
            meeting_id=meeting.id,
        )
    return created
