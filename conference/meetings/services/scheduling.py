"""Scheduling meetings: one or a series on the cadence, invitations, attendance.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from conference.auth import permissions
from conference.auth.models import User
from conference.errors import (
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    check_version,
)
from conference.extensions import db
from conference.formatting import local_to_utc
from conference.meetings import rules
from conference.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
)
from conference.meetings.services.agenda import renumber
from conference.meetings.services.base import (
    EDITABLE_STATUSES,
    audit_meeting,
    check_manage,
    check_record_open,
    current_memberships,
)
from conference.panels.models import Panel, PanelRole

MAX_SERIES = 26


@dataclass(frozen=True)
class MeetingDetails:
    """What the chair or secretary types when scheduling: local date and times of the panel."""

    day: date
    starts: time
    ends: time
    place: str = ""
    video_link: str = ""
    chair_id: int | None = None
    secretary_id: int | None = None


def _check_details(
    panel: Panel, details: MeetingDetails, now: datetime
) -> tuple[datetime, datetime]:
    rules.check_meeting_day(details.day, now.date())
    if details.ends <= details.starts:
        raise DomainError(_("The meeting must end after it starts."), field="ends")
    starts_at = local_to_utc(details.day, details.starts, panel.timezone)
    ends_at = local_to_utc(details.day, details.ends, panel.timezone)
    if starts_at < now:
        raise DomainError(_("A meeting cannot be scheduled in the past."), field="day")
    members = {m.user_id: m.role for m in current_memberships(panel)}
    for field, user_id in (("chair_id", details.chair_id), ("secretary_id", details.secretary_id)):
        if user_id is not None and members.get(user_id) in (None, PanelRole.PARTNER):
            raise DomainError(_("Choose a member of the panel."), field=field)
    return starts_at, ends_at


def _check_free(panel: Panel, starts_at: datetime, meeting: Meeting | None = None) -> None:
    taken = db.session.scalar(
        sa.select(Meeting.id).where(
            Meeting.panel_id == panel.id,
            Meeting.starts_at == starts_at,
            Meeting.id != (meeting.id if meeting else 0),
        )
    )
    if taken is not None:
        raise DomainError(_("The panel already has a meeting at that time."), field="day")


def _invite_members(meeting: Meeting, panel: Panel) -> None:
    for membership in current_memberships(panel):
        if not membership.user.active:
            continue
        db.session.add(
            Attendance(
                meeting=meeting,
                user_id=membership.user_id,
                agency_id=membership.user.agency_id,
                status=AttendanceStatus.INVITED,
            )
        )


def _default_lead(panel: Panel, role: PanelRole) -> int | None:
    return next((m.user_id for m in current_memberships(panel) if m.role is role), None)


def schedule_meeting(
    panel: Panel, details: MeetingDetails, *, actor: User, now: datetime
) -> Meeting:
    """Put a sitting in the calendar and invite the panel's current members."""
    if not permissions.can_schedule_meeting(actor, panel.id):
        raise ForbiddenError(_("Only the panel's chair or secretary schedule its meetings."))
    starts_at, ends_at = _check_details(panel, details, now)
    _check_free(panel, starts_at)
    meeting = Meeting(
        panel=panel,
        starts_at=starts_at,
        ends_at=ends_at,
        place=details.place or panel.default_place,
        video_link=details.video_link,
        chair_id=details.chair_id or _default_lead(panel, PanelRole.CHAIR),
        secretary_id=details.secretary_id or _default_lead(panel, PanelRole.SECRETARY),
        status=MeetingStatus.PLANNED,
        created_at=now,
    )
    db.session.add(meeting)
    _invite_members(meeting, panel)
    db.session.flush()
    audit_meeting(meeting, "meeting.scheduled", actor, now)
    return meeting


def schedule_series(
    panel: Panel, first_on_or_after: date, count: int, *, actor: User, now: datetime
) -> list[Meeting]:
    """Sittings on the panel's cadence; days that already have a sitting are skipped."""
    if not 1 <= count <= MAX_SERIES:
        raise DomainError(
            ngettext(
                "Schedule between 1 and %(num)d meeting at a time.",
                "Schedule between 1 and %(num)d meetings at a time.",
                MAX_SERIES,
            ),
            field="count",
        )
    rules.check_meeting_day(first_on_or_after, now.date(), field="first_on")
    days = rules.cadence_dates(
        first_on_or_after, panel.cadence_weekday, panel.cadence_every_weeks, count
    )
    taken = {
        starts_at.date()
        for starts_at in db.session.scalars(
            sa.select(Meeting.starts_at).where(
                Meeting.panel_id == panel.id,
                Meeting.starts_at >= local_to_utc(days[0], time(0), panel.timezone),
            )
        )
    }
    meetings = []
    for day in days:
        if local_to_utc(day, panel.cadence_start, panel.timezone).date() in taken:
            continue
        details = MeetingDetails(day=day, starts=panel.cadence_start, ends=panel.cadence_end)
        meetings.append(schedule_meeting(panel, details, actor=actor, now=now))
    return meetings


def update_meeting(
    meeting: Meeting, details: MeetingDetails, *, version: int, actor: User, now: datetime
) -> None:
    """Move or re-seat a coming meeting; refused when someone else changed it meanwhile."""
    check_manage(meeting, actor)
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(_("A meeting that has started can no longer be moved."))
    check_version(
        meeting,
        version,
        _("Someone else changed this meeting while you were editing. Check their change."),
    )
    meeting.starts_at, meeting.ends_at = _check_details(meeting.panel, details, now)
    _check_free(meeting.panel, meeting.starts_at, meeting)
    meeting.place = details.place
    meeting.video_link = details.video_link
    meeting.chair_id = details.chair_id
    meeting.secretary_id = details.secretary_id
    renumber(meeting)
    audit_meeting(meeting, "meeting.updated", actor, now)
    db.session.flush()


def record_attendance(
    meeting: Meeting,
    statuses: Mapping[int, AttendanceStatus],
    *,
    actor: User,
    now: datetime,
) -> int:
    """Set who came, sent apologies or stayed away; returns how many entries changed."""
    check_manage(meeting, actor)
    check_record_open(meeting)
    changed = 0
    for attendance in meeting.attendance:
        status = statuses.get(attendance.id)
        if status is None or status is attendance.status:
            continue
        attendance.status = status
        changed += 1
    if changed:
        audit_meeting(meeting, "meeting.attendance_recorded", actor, now, {"changed": changed})
    db.session.flush()
    return changed


def meeting_quorum(meeting: Meeting) -> rules.Quorum:
    return rules.quorum(
        meeting.panel.core_agency_ids, ((a.agency_id, a.status) for a in meeting.attendance)
    )
