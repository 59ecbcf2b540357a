"""Read queries for meetings, scoped to what the user may see, and the agenda builder's facts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from conference.actions.models import Action, ProgressReport
from conference.actions.rules import OPEN_STATUSES
from conference.auth.models import User
from conference.cases.models import Case, CaseStatus, RiskLevel, Subject
from conference.cases.rules import adult_cutoff
from conference.directory.models import ServiceReferral, ServiceReferralStatus
from conference.directory.rules import AWAITING_ANSWER
from conference.extensions import db
from conference.meetings import rules
from conference.meetings.models import (
    AgendaChange,
    AgendaItem,
    AgendaItemKind,
    Attendance,
    ItemOutcome,
    Meeting,
    MeetingStatus,
)
from conference.panels.models import Panel

COMING_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED, MeetingStatus.IN_PROGRESS)


def upcoming_meetings(user: User, now: datetime, limit: int = 5) -> Sequence[Meeting]:
    """The next meetings of the user's panels that have not been closed."""
    panel_ids = [m.panel_id for m in user.current_memberships]
    if not panel_ids:
        return []
    return db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.panel_id.in_(panel_ids),
            Meeting.ends_at >= now,
            Meeting.status.in_(COMING_STATUSES),
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()


def meetings_of(user: User, now: datetime, *, past: bool) -> Sequence[Meeting]:
    """The meetings of the user's panels: coming ones soonest first, past ones latest first."""
    panel_ids = [m.panel_id for m in user.current_memberships]
    if not panel_ids:
        return []
    query = sa.select(Meeting).where(Meeting.panel_id.in_(panel_ids))
    if past:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc()).limit(50)
    else:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    return db.session.scalars(query).all()


def meeting_by_id(meeting_id: int) -> Meeting | None:
    return db.session.get(Meeting, meeting_id)


def attendance_of(meeting: Meeting) -> Sequence[Attendance]:
    return db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(joinedload(Attendance.user), joinedload(Attendance.agency))
        .join(Attendance.user)
        .order_by(Attendance.agency_id, User.name)
    ).all()


def agenda_items(meeting: Meeting) -> Sequence[AgendaItem]:
    """Every item, the removed ones too, in order, with their cases, coordinators and shares."""
    return db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .options(
            selectinload(AgendaItem.case).options(
                selectinload(Case.shares), joinedload(Case.coordinator).joinedload(User.agency)
            )
        )
        .order_by(AgendaItem.removed_at.is_not(None), AgendaItem.position, AgendaItem.id)
    ).all()


def agenda_changes(meeting: Meeting) -> Sequence[AgendaChange]:
    return db.session.scalars(
        sa.select(AgendaChange)
        .where(AgendaChange.meeting_id == meeting.id)
        .options(joinedload(AgendaChange.item))
        .order_by(AgendaChange.at, AgendaChange.id)
    ).all()


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The panel's last sitting before this one."""
    return db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.panel_id == meeting.panel_id, Meeting.starts_at < meeting.starts_at)
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )


def open_actions_from(meeting: Meeting | None) -> Sequence[Action]:
    """The actions agreed at a meeting that are still open: the standing first item."""
    if meeting is None:
        return []
    return db.session.scalars(
        sa.select(Action)
        .where(Action.meeting_id == meeting.id, Action.status.in_(OPEN_STATUSES))
        .options(joinedload(Action.case), joinedload(Action.owner_agency))
        .order_by(Action.due_on, Action.id)
    ).all()


def agenda_settings(panel: Panel) -> rules.AgendaSettings:
    return rules.AgendaSettings(
        max_discussion_interval_days=panel.max_discussion_interval_days,
        post_exit_first_months=panel.post_exit_review_first_months,
        post_exit_second_months=panel.post_exit_review_second_months,
        minors_first=panel.minors_first,
        minutes_new_referral=panel.minutes_new_referral,
        minutes_review=panel.minutes_review,
        minutes_closure=panel.minutes_closure,
        referral_answer_days=panel.referral_answer_days,
    )


def length_minutes(meeting: Meeting) -> int:
    return int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


_CASE_STATUS = {s.value: s for s in CaseStatus}
_RISK = {r.value: r for r in RiskLevel}


@dataclass(frozen=True)
class AgendaFacts:
    """Everything the agenda builder needs, read in a fixed number of queries."""

    meeting: rules.MeetingFacts
    settings: rules.AgendaSettings
    cases: list[rules.CaseFacts]
    actions: list[rules.ActionFacts]
    reports: list[rules.ReportFacts]
    discussions: list[rules.Discussion]
    referrals: list[rules.ReferralFacts]


def agenda_facts(meeting: Meeting) -> AgendaFacts:
    """The caseload as the agenda builder sees it, for this meeting's date."""
    panel = meeting.panel
    zone = ZoneInfo(panel.timezone)
    settings = agenda_settings(panel)
    on = meeting.starts_at.astimezone(zone).date()
    previous = previous_meeting(meeting)
    previous_on = previous.starts_at.astimezone(zone).date() if previous else None
    closed_since = meeting.starts_at - timedelta(days=31 * (settings.post_exit_second_months + 1))
    in_scope = sa.or_(
        Case.status.in_(rules.ACTIVE_STATUSES),
        sa.and_(Case.status == CaseStatus.CLOSED, Case.closed_at >= closed_since),
    )

    # Enumerations come back as plain strings and are looked up here: on ten thousand rows the
    # per-value conversion of the Enum type would be a third of the build time.
    case_rows = db.session.execute(
        sa.select(
            Case.id,
            Case.reference,
            sa.type_coerce(Case.status, sa.String).label("status"),
            sa.type_coerce(Case.risk_level, sa.String).label("risk_level"),
            Case.referred_at,
            Case.next_review_on,
            Case.closed_at,
            (Subject.date_of_birth > adult_cutoff(on)).label("is_minor"),
        )
        .outerjoin(Subject, Subject.case_id == Case.id)
        .where(Case.panel_id == panel.id, in_scope)
    ).all()
    # Rows are unpacked as tuples: reading them by attribute name costs more than the query.
    cases = [
        rules.CaseFacts(
            case_id,
            reference,
            _CASE_STATUS[status],
            _RISK[risk],
            referred_at.astimezone(zone).date(),
            bool(minor),
            next_review_on,
            closed_at.astimezone(zone).date() if closed_at else None,
        )
        for case_id, reference, status, risk, referred_at, next_review_on, closed_at, minor in (
            case_rows
        )
    ]

    # Only actions that will be overdue on the day can put a case on the agenda.
    actions = [
        rules.ActionFacts(*row)
        for row in db.session.execute(
            sa.select(Action.case_id, Action.due_on, Action.status)
            .join(Case, Case.id == Action.case_id)
            .where(
                Case.panel_id == panel.id,
                Case.status.in_(rules.ACTIVE_STATUSES),
                Action.status.in_(OPEN_STATUSES),
                Action.due_on < on,
            )
        )
    ]

    ranked = (
        sa.select(
            ProgressReport.case_id,
            ProgressReport.submitted_at,
            ProgressReport.rag,
            ProgressReport.closure_proposed,
            ProgressReport.discussion_requested,
            (ProgressReport.meeting_id == meeting.id).label("for_this_meeting"),
            sa.func.row_number()
            .over(
                partition_by=ProgressReport.case_id,
                order_by=(ProgressReport.submitted_at.desc(), ProgressReport.id.desc()),
            )
            .label("rank"),
        )
        .join(Case, Case.id == ProgressReport.case_id)
        .where(
            Case.panel_id == panel.id,
            Case.status.in_(rules.ACTIVE_STATUSES),
            ProgressReport.submitted_at.is_not(None),
            ProgressReport.submitted_at < meeting.starts_at,
        )
        .subquery()
    )
    reports = [
        rules.ReportFacts(
            case_id,
            submitted_at.astimezone(zone).date(),
            rag,
            closure,
            requested,
            bool(for_this_meeting),
        )
        for case_id, submitted_at, rag, closure, requested, for_this_meeting, _rank in (
            db.session.execute(sa.select(ranked).where(ranked.c.rank == 1))
        )
    ]

    last_discussed = db.session.execute(
        sa.select(AgendaItem.case_id, sa.func.max(Meeting.starts_at).label("starts_at"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            Meeting.panel_id == panel.id,
            Meeting.starts_at < meeting.starts_at,
            AgendaItem.case_id.is_not(None),
            AgendaItem.outcome == ItemOutcome.DISCUSSED,
        )
        .group_by(AgendaItem.case_id)
    ).all()
    sitting_days: dict[datetime, date] = {}  # a few sittings, thousands of rows: convert once
    discussions = [
        rules.Discussion(
            case_id,
            sitting_days.get(starts_at)
            or sitting_days.setdefault(starts_at, starts_at.astimezone(zone).date()),
            ItemOutcome.DISCUSSED,
        )
        for case_id, starts_at in last_discussed
        if case_id is not None
    ]
    # Items left without an outcome count as not reached, but only once that sitting is over.
    held = (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED)
    if previous is not None and previous_on is not None and previous.status in held:
        discussions += [
            rules.Discussion(case_id, previous_on, outcome)
            for case_id, outcome in db.session.execute(
                sa.select(AgendaItem.case_id, AgendaItem.outcome).where(
                    AgendaItem.meeting_id == previous.id,
                    AgendaItem.kind == AgendaItemKind.CASE,
                    AgendaItem.removed_at.is_(None),
                    AgendaItem.outcome.is_distinct_from(ItemOutcome.DISCUSSED),
                )
            )
            if case_id is not None
        ]

    # Referrals waiting on a service's answer (the rule decides whether it has taken too long).
    referrals = [
        rules.ReferralFacts(case_id, ServiceReferralStatus(status), referred_on)
        for case_id, status, referred_on in db.session.execute(
            sa.select(
                ServiceReferral.case_id,
                sa.type_coerce(ServiceReferral.status, sa.String),
                ServiceReferral.referred_on,
            )
            .join(Case, Case.id == ServiceReferral.case_id)
            .where(
                Case.panel_id == panel.id,
                Case.status.in_(rules.ACTIVE_STATUSES),
                ServiceReferral.status.in_(AWAITING_ANSWER),
            )
        )
    ]

    return AgendaFacts(
        meeting=rules.MeetingFacts(
            on=on, length_minutes=length_minutes(meeting), previous_on=previous_on
        ),
        settings=settings,
        cases=cases,
        actions=actions,
        reports=reports,
        discussions=discussions,
        referrals=referrals,
    )
