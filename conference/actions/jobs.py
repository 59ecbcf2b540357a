"""Scheduled jobs about actions and progress reports. Each is idempotent for its day."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from conference.actions import queries, rules
from conference.actions.models import Action
from conference.auth import permissions
from conference.cases.models import Case
from conference.extensions import db
from conference.formatting import LazyDate, to_zone
from conference.meetings.models import AgendaItem, AgendaItemKind, Meeting, MeetingStatus
from conference.notify.models import NotificationKind
from conference.notify.services import notify


def action_reminders(now: datetime) -> int:
    """Tell owners of actions due in the next days or overdue: once per action per day."""
    soon_days = current_app.config["ACTION_DUE_SOON_DAYS"]
    created = 0
    actions = db.session.scalars(
        sa.select(Action)
        .join(Action.case)
        .options(joinedload(Action.case).joinedload(Case.panel))
        .where(Action.status.in_(rules.OPEN_STATUSES))
    ).all()
    coming = queries.next_meetings({a.case for a in actions}, now)
    for action in actions:
        # An owner who may not open the case (a partner whose share ended) is not told of it.
        owner = action.owner
        if owner is None or not permissions.can_view_case(owner, action.case):
            continue
        today = to_zone(now, action.case.panel.timezone).date()
        if rules.is_overdue(action.status, action.due_on, today):
            kind, key = NotificationKind.ACTION_OVERDUE, "action-overdue"
            title = _l(
                "Action on %(reference)s is overdue (due %(date)s).",
                reference=action.case.reference,
                date=LazyDate(action.due_on),
            )
        elif action.due_on <= today + timedelta(days=soon_days):
            kind, key = NotificationKind.ACTION_DUE, "action-due"
            title = _l(
                "Action on %(reference)s is due on %(date)s.",
                reference=action.case.reference,
                date=LazyDate(action.due_on),
            )
        else:
            continue
        meeting = coming.get(action.case_id)
        created += notify(
            owner.id,
            kind,
            title,
            link=f"/actions/{action.id}",
            dedupe_key=f"{key}:{action.id}:{today.isoformat()}",
            now=now,
            case_id=action.case_id,
            # The meeting where it comes up: the e-mail links to the reply to its invitation.
            meeting_id=meeting.id if meeting is not None else None,
            action_id=action.id,
        )
    return created


def report_requests(now: datetime) -> int:
    """Ask each coordinator of a case on a coming agenda for a progress report, once; then
    remind them every day the report is late."""
    window = timedelta(days=current_app.config["REPORT_REQUEST_DAYS_BEFORE"])
    meetings = db.session.scalars(
        sa.select(Meeting).where(
            Meeting.status.in_((MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED)),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + window,
        )
    ).all()
    created = 0
    for meeting in meetings:
        zone = meeting.panel.timezone
        today = to_zone(now, zone).date()
        due_on = queries.report_due(meeting)
        reports = queries.reports_for(meeting)
        items = db.session.scalars(
            sa.select(AgendaItem)
            .options(joinedload(AgendaItem.case))
            .where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.kind == AgendaItemKind.CASE,
                AgendaItem.removed_at.is_(None),
            )
        )
        for item in items:
            case = item.case
            if case is None or case.coordinator_id is None:
                continue
            report = reports.get(case.id)
            if report is not None and report.submitted_at is not None:
                continue
            link = f"/cases/{case.reference}/reports/{meeting.id}"
            created += notify(
                case.coordinator_id,
                NotificationKind.REPORT_REQUESTED,
                _l(
                    "Progress report on %(reference)s due %(date)s.",
                    reference=case.reference,
                    date=LazyDate(due_on),
                ),
                link=link,
                dedupe_key=f"report-request:{meeting.id}:{case.id}",
                now=now,
                case_id=case.id,
                meeting_id=meeting.id,
            )
            if today > due_on:
                created += notify(
                    case.coordinator_id,
                    NotificationKind.REPORT_LATE,
                    _l(
                        "Progress report on %(reference)s is late (was due %(date)s).",
                        reference=case.reference,
                        date=LazyDate(due_on),
                    ),
                    link=link,
                    dedupe_key=f"report-late:{meeting.id}:{case.id}:{today.isoformat()}",
                    now=now,
                    case_id=case.id,
                    meeting_id=meeting.id,
                )
    return created
