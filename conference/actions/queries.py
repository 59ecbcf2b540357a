"""Read queries for actions."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from conference.actions.models import Action, ActionUpdate, ProgressReport
from conference.actions.rules import OPEN_STATUSES, report_due_on
from conference.auth.models import User
from conference.auth.permissions import case_visibility
from conference.cases.models import Case
from conference.extensions import db
from conference.formatting import to_zone
from conference.meetings.models import AgendaItem, Meeting, MeetingStatus


def _open_actions_of(user: User) -> list[sa.ColumnElement[bool]]:
    """The user's own open actions on cases of their panels they may see (with Case joined)."""
    return [
        Action.owner_id == user.id,
        Action.status.in_(OPEN_STATUSES),
        Case.panel_id.in_([m.panel_id for m in user.current_memberships]),
        case_visibility(user),
    ]


def open_actions(user: User) -> sa.Select[Action]:
    """The user's own open actions on cases they may see (a partner's: cases shared with their
    agency), earliest due first (so the overdue come first), as a query to page through."""
    return (
        sa.select(Action)
        .join(Action.case)
        .options(contains_eager(Action.case))
        .where(*_open_actions_of(user))
        .order_by(Action.due_on, Action.id)
    )


def open_action_counts(user: User, today: date) -> tuple[int, int]:
    """How many open actions the user has (`open_actions`) and how many of them are past their
    due date, counted together in one statement."""
    if not user.current_memberships:
        return 0, 0
    overdue = sa.func.count(sa.case((Action.due_on < today, 1)))
    total, late = db.session.execute(
        sa.select(sa.func.count(), overdue).join(Action.case).where(*_open_actions_of(user))
    ).one()
    return total, late


def recently_changed(user: User, since: datetime) -> Sequence[ActionUpdate]:
    """Updates since `since` to actions the user owns or on cases the user coordinates, on cases
    they may see."""
    panel_ids = [m.panel_id for m in user.current_memberships]
    if not panel_ids:
        return []
    return db.session.scalars(
        sa.select(ActionUpdate)
        .join(Action, Action.id == ActionUpdate.action_id)
        .join(Case, Case.id == Action.case_id)
        .where(
            ActionUpdate.at >= since,
            Case.panel_id.in_(panel_ids),
            sa.or_(Action.owner_id == user.id, Case.coordinator_id == user.id),
            case_visibility(user),
        )
        .options(joinedload(ActionUpdate.action).joinedload(Action.case))
        .order_by(ActionUpdate.at.desc())
        .limit(20)
    ).all()


def next_meetings(cases: Iterable[Case], now: datetime) -> dict[int, Meeting]:
    """For each case, the coming meeting where it is on the agenda, else its panel's next one."""
    cases = list(cases)
    if not cases:
        return {}
    coming = (
        Meeting.ends_at >= now,
        Meeting.status.in_(
            (MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED, MeetingStatus.IN_PROGRESS)
        ),
    )
    on_agenda = db.session.execute(
        sa.select(AgendaItem.case_id, Meeting)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.case_id.in_([c.id for c in cases]),
            AgendaItem.removed_at.is_(None),
            *coming,
        )
        .order_by(Meeting.starts_at.desc())
    ).all()
    by_case = {case_id: meeting for case_id, meeting in on_agenda}  # the earliest wins
    panel_next: dict[int, Meeting] = {}
    for meeting in db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.panel_id.in_({c.panel_id for c in cases}), *coming)
        .order_by(Meeting.starts_at.desc())
    ):
        panel_next[meeting.panel_id] = meeting
    return {
        c.id: by_case.get(c.id) or panel_next[c.panel_id]
        for c in cases
        if c.id in by_case or c.panel_id in panel_next
    }


def submitted_reports(meetings: dict[int, Meeting]) -> set[int]:
    """The cases (of {case id: meeting}) whose report for that meeting is already submitted."""
    if not meetings:
        return set()
    rows = db.session.execute(
        sa.select(ProgressReport.case_id, ProgressReport.meeting_id).where(
            ProgressReport.case_id.in_(list(meetings)),
            ProgressReport.meeting_id.in_({m.id for m in meetings.values()}),
            ProgressReport.submitted_at.is_not(None),
        )
    ).all()
    return {case_id for case_id, meeting_id in rows if meetings[case_id].id == meeting_id}


def reports_for(meeting: Meeting) -> dict[int, ProgressReport]:
    """The progress reports written for a meeting, by case."""
    return {
        r.case_id: r
        for r in db.session.scalars(
            sa.select(ProgressReport).where(ProgressReport.meeting_id == meeting.id)
        )
    }


def report_due(meeting: Meeting) -> date:
    """The day progress reports for the meeting are due, by the panel's calendar."""
    zone = meeting.panel.timezone
    return report_due_on(to_zone(meeting.starts_at, zone).date(), meeting.panel.report_due_days)


def reports_submitted_on(meeting: Meeting) -> dict[int, date]:
    """The day each case's report for the meeting was submitted, by the panel's calendar."""
    zone = meeting.panel.timezone
    return {
        case_id: to_zone(report.submitted_at, zone).date()
        for case_id, report in reports_for(meeting).items()
        if report.submitted_at is not None
    }
