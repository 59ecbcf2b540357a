"""Read queries for meetings, scoped to what the user may see, and the agenda builder's facts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from conference.actions.models import Action, ProgressReport, RagStatus
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
_DAY, _WEEK = timedelta(days=1), timedelta(days=7)
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


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant the panel's day begins, to compare stored instants with local days in SQL."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def agenda_facts(meeting: Meeting) -> AgendaFacts:
    """The caseload as the agenda builder sees it, for this meeting's date.

    Only the cases that could have a reason are read (the candidates): the conditions below are
    each a necessary condition of one of the builder's reasons, so the rules, which decide, see
    every case they would propose and not the tens of thousands they would pass over.
    """
    panel = meeting.panel
    zone = ZoneInfo(panel.timezone)
    settings = agenda_settings(panel)
    on = meeting.starts_at.astimezone(zone).date()
    previous = previous_meeting(meeting)
    previous_on = previous.starts_at.astimezone(zone).date() if previous else None
    held = (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED)
    carries = previous is not None and previous.status in held

    # Not discussed: nothing discussed at the panel's sittings since the interval's first day.
    interval_start = _local_midnight(
        on - timedelta(days=settings.max_discussion_interval_days), zone
    )
    recent_sittings = sa.select(Meeting.id).where(
        Meeting.panel_id == panel.id,
        Meeting.starts_at < meeting.starts_at,
        Meeting.starts_at >= interval_start,
    )
    discussed_recently = (
        sa.select(AgendaItem.id)
        .where(
            AgendaItem.case_id == Case.id,
            AgendaItem.outcome == ItemOutcome.DISCUSSED,
            AgendaItem.meeting_id.in_(recent_sittings),
        )
        .correlate(Case)
    )
    # Overdue actions, and reports that are off track or ask for a discussion or the closure.
    overdue_action = sa.and_(Action.status.in_(OPEN_STATUSES), Action.due_on < on)
    report_before = sa.and_(
        ProgressReport.submitted_at.is_not(None), ProgressReport.submitted_at < meeting.starts_at
    )
    report_flagged = sa.or_(
        ProgressReport.rag == RagStatus.OFF_TRACK,
        ProgressReport.discussion_requested.is_(True),
        ProgressReport.closure_proposed.is_(True),
    )
    flagged_reports = sa.select(ProgressReport.case_id).where(report_before, report_flagged)
    in_panel = Case.panel_id == panel.id
    is_active = Case.status.in_(rules.ACTIVE_STATUSES)
    # The candidates are a union of small sets, each found by an index or one scan; a single
    # OR over them would test every case against every set (and PostgreSQL, its hash of the
    # recently discussed cases too big for work_mem, ran NOT IN as a loop within a loop).
    on_their_own = [
        Case.status.in_((CaseStatus.REFERRED, CaseStatus.CLOSURE_PROPOSED)),
        Case.next_review_on <= on,
    ]
    if previous_on is not None:
        on_their_own.append(Case.referred_at >= _local_midnight(previous_on + _DAY, zone))
    else:  # without a previous sitting every case is a new referral
        on_their_own.append(sa.true())
    # A closed case comes back when a post-exit review falls due: closed about that many
    # months before the window since the last sitting (a week either side for short months).
    window_start = previous_on or on - timedelta(days=settings.max_discussion_interval_days)
    post_exit = [
        sa.and_(
            Case.status == CaseStatus.CLOSED,
            Case.closed_at
            >= _local_midnight(rules.add_months(window_start, -months), zone) - _WEEK,
            Case.closed_at < _local_midnight(rules.add_months(on, -months), zone) + _WEEK,
        )
        for months in (settings.post_exit_first_months, settings.post_exit_second_months)
    ]
    # NOT EXISTS rather than EXCEPT: PostgreSQL hashes the recent discussions once and probes
    # them with each active case (an anti-join), where EXCEPT appended and hashed both sides in
    # full; SQLite looks each case up in the index on the case and outcome.
    not_recently_discussed = sa.select(Case.id).where(
        in_panel, is_active, ~sa.exists(discussed_recently)
    )
    candidate_sets: list[sa.Select[Any]] = [
        sa.select(Case.id).where(
            in_panel, sa.or_(sa.and_(is_active, sa.or_(*on_their_own)), *post_exit)
        ),
        sa.select(Action.case_id).where(overdue_action),
        flagged_reports,
        not_recently_discussed,
        # A referral still waiting on the service's answer (the rule says whether too long).
        sa.select(ServiceReferral.case_id).where(ServiceReferral.status.in_(AWAITING_ANSWER)),
    ]
    if carries and previous is not None:  # deferred or not reached at the last sitting
        candidate_sets.append(
            sa.select(AgendaItem.case_id).where(
                AgendaItem.meeting_id == previous.id,
                AgendaItem.kind == AgendaItemKind.CASE,
                AgendaItem.removed_at.is_(None),
                AgendaItem.outcome.is_distinct_from(ItemOutcome.DISCUSSED),
            )
        )
    in_scope = sa.or_(is_active, *post_exit)

    # The sitting's conditions sit in the aggregate, not the WHERE clause, so that the database
    # looks the case's items up by case (a few) rather than the panel's sittings' items (all).
    last_discussed = (
        sa.select(
            sa.func.max(
                sa.case(
                    (
                        sa.and_(
                            Meeting.panel_id == panel.id, Meeting.starts_at < meeting.starts_at
                        ),
                        Meeting.starts_at,
                    )
                )
            )
        )
        .select_from(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id == Case.id, AgendaItem.outcome == ItemOutcome.DISCUSSED)
        .correlate(Case)
        .scalar_subquery()
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
            last_discussed.label("last_discussed"),
        )
        .outerjoin(Subject, Subject.case_id == Case.id)
        .where(in_panel, in_scope, Case.id.in_(sa.union(*candidate_sets)))
    ).all()
    local_days: dict[datetime, date] = {}  # a few sittings, thousands of rows: convert once
    cases, discussions = [], []
    # Rows are unpacked as tuples: reading them by attribute name costs more than the query.
    for (
        case_id,
        reference,
        status,
        risk,
        referred_at,
        next_review_on,
        closed_at,
        minor,
        last,
    ) in case_rows:
        cases.append(
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
        )
        if last is not None:
            day = local_days.get(last) or local_days.setdefault(last, last.astimezone(zone).date())
            discussions.append(rules.Discussion(case_id, day, ItemOutcome.DISCUSSED))

    # Only actions that will be overdue on the day can put a case on the agenda.
    actions = [
        rules.ActionFacts(*row)
        for row in db.session.execute(
            sa.select(Action.case_id, Action.due_on, Action.status)
            .join(Case, Case.id == Action.case_id)
            .where(
                Case.panel_id == panel.id,
                Case.status.in_(rules.ACTIVE_STATUSES),
                overdue_action,
            )
        )
    ]

    # Each case's latest report, where it is one that can put the case on the agenda.
    ranked = (
        sa.select(
            ProgressReport.case_id,
            ProgressReport.submitted_at,
            ProgressReport.rag,
            ProgressReport.closure_proposed,
            ProgressReport.discussion_requested,
            (ProgressReport.meeting_id == meeting.id).label("for_this_meeting"),
            report_flagged.label("flagged"),
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
            report_before,
            ProgressReport.case_id.in_(flagged_reports),
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
        for case_id, submitted_at, rag, closure, requested, for_this_meeting, _flag, _rank in (
            db.session.execute(
                sa.select(ranked).where(ranked.c.rank == 1, ranked.c.flagged.is_(True))
            )
        )
    ]

    # Items left without an outcome count as not reached, but only once that sitting is over.
    if carries and previous is not None and previous_on is not None:
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
