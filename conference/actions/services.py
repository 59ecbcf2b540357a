"""Writing actions: agreed at a meeting, reviewed at the next one.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.actions import rules
from conference.actions.models import Action, ActionStatus, ActionUpdate, ProgressReport, RagStatus
from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import Case
from conference.errors import (
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    check_version,
)
from conference.extensions import db
from conference.meetings.models import Meeting, Recommendation, RecommendationOutcome
from conference.meetings.services.base import check_in_session
from conference.notify.models import NotificationKind
from conference.notify.services import notify


def add_action(
    recommendation: Recommendation,
    *,
    text: str,
    owner: User,
    due_on: date | None,
    meeting: Meeting,
    actor: User,
    now: datetime,
) -> Action:
    """A concrete task from an adopted recommendation: what, who (person and agency), by when."""
    case = recommendation.item.case
    if case is None or not permissions.can_manage_meeting(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary record the panel's actions."))
    check_in_session(meeting)
    if recommendation.outcome is not RecommendationOutcome.ADOPTED:
        raise DomainError(_("Actions follow from an adopted recommendation."))
    if permissions.membership_on(owner, case.panel_id) is None:
        raise DomainError(_("The owner must be a current member of the panel."), field="owner_id")
    if not permissions.can_view_case(owner, case):
        # A partner or adviser sees a case only once it is shared with their agency.
        raise DomainError(
            _(
                "This case is not shared with %(agency)s, so %(name)s could not open the action. "
                "Share the case with them first, on their consent or another legal basis.",
                agency=owner.agency.name,
                name=owner.name,
            ),
            field="owner_id",
        )
    rules.check_new_action(text, due_on, now.date())
    action = Action(
        case_id=case.id,
        recommendation_id=recommendation.id,
        meeting_id=meeting.id,
        text=text.strip(),
        owner_id=owner.id,
        owner_agency_id=owner.agency_id,
        due_on=due_on,
        status=ActionStatus.OPEN,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    if owner.id != actor.id:
        notify(
            owner.id,
            NotificationKind.ACTION_ASSIGNED,
            _l("You own a new action on case %(reference)s.", reference=case.reference),
            link=f"/actions/{action.id}",
            case_id=case.id,
            action_id=action.id,
            dedupe_key=f"action-assigned:{action.id}:{owner.id}",
            now=now,
        )
    record_event(
        "action.created",
        actor=actor,
        now=now,
        object_type="action",
        object_id=action.id,
        panel_id=case.panel_id,
    )
    return action


def review_action(
    action: Action,
    outcome: ActionStatus,
    *,
    new_due_on: date | None,
    note: str,
    meeting: Meeting,
    actor: User,
    now: datetime,
) -> None:
    """The panel's verdict on an open action at the next meeting, kept as an update."""
    if (
        not permissions.can_manage_meeting(actor, meeting)
        or action.case.panel_id != meeting.panel_id
    ):
        raise ForbiddenError(_("Only the chair or the secretary record the review of actions."))
    check_in_session(meeting)
    if action.status not in rules.OPEN_STATUSES:
        raise DomainError(_("This action has already been closed."))
    rules.check_review(outcome, new_due_on, now.date())
    update = ActionUpdate(
        action_id=action.id,
        by_id=actor.id,
        at=now,
        from_status=action.status,
        to_status=outcome,
        note=note.strip(),
        new_due_on=new_due_on if outcome is ActionStatus.OPEN else None,
    )
    db.session.add(update)
    if outcome is ActionStatus.OPEN and new_due_on is not None:  # check_review demands one
        action.due_on = new_due_on
    else:
        action.status = outcome
        action.completed_at = now
    record_event(
        "action.reviewed",
        actor=actor,
        now=now,
        object_type="action",
        object_id=action.id,
        panel_id=meeting.panel_id,
        detail={"outcome": outcome.value},
    )
    db.session.flush()


def update_action(
    action: Action,
    status: ActionStatus,
    *,
    note: str,
    new_due_on: date | None,
    version: int,
    actor: User,
    now: datetime,
) -> ActionUpdate:
    """The owner, the coordinator or a panel lead moves an action on; every change is kept."""
    if not permissions.can_update_action(actor, action):
        raise ForbiddenError(
            _(
                "Only the action's owner, the case's coordinator, the chair or the secretary "
                "update it."
            )
        )
    check_version(
        action,
        version,
        _(
            "Someone else updated this action while you were editing it. Your update was not "
            "saved: check theirs below, then apply yours again."
        ),
    )
    rules.check_update(action.status, status, note, new_due_on, now.date())
    update = ActionUpdate(
        action_id=action.id,
        by_id=actor.id,
        at=now,
        from_status=action.status,
        to_status=status,
        note=note.strip(),
        new_due_on=new_due_on,
    )
    db.session.add(update)
    action.status = status
    if new_due_on is not None:
        action.due_on = new_due_on
    action.completed_at = now if status in rules.CLOSING_STATUSES else None
    record_event(
        "action.updated",
        actor=actor,
        now=now,
        object_type="action",
        object_id=action.id,
        panel_id=action.case.panel_id,
        detail={
            "from": update.from_status.value if update.from_status else None,
            "to": status.value,
        },
    )
    db.session.flush()
    return update


@dataclass(frozen=True)
class ReportData:
    rag: RagStatus
    summary: str
    closure_proposed: bool
    discussion_requested: bool


def save_report(
    case: Case,
    meeting: Meeting,
    data: ReportData,
    *,
    submit: bool,
    version: int | None,
    actor: User,
    now: datetime,
) -> ProgressReport:
    """The coordinator's report on a case for a meeting: kept as a draft or submitted. The
    states of the case's actions are filled in when it is submitted."""
    if not permissions.can_write_report(actor, case) or meeting.panel_id != case.panel_id:
        raise ForbiddenError(
            _("Only the case's coordinator, the chair or the secretary report on it.")
        )
    if meeting.starts_at <= now:
        raise InvalidTransitionError(_("The meeting has started; the report can no longer change."))
    if not data.summary.strip():
        raise DomainError(_("Write the summary as the minutes should read it."), field="summary")
    report = db.session.scalar(
        sa.select(ProgressReport).where(
            ProgressReport.case_id == case.id, ProgressReport.meeting_id == meeting.id
        )
    )
    if report is None:
        report = ProgressReport(
            case_id=case.id, meeting_id=meeting.id, author_id=actor.id, created_at=now
        )
        db.session.add(report)
    else:
        check_version(
            report,
            version,
            _(
                "Someone else saved this report while you were writing. Your text is kept below: "
                "compare, then save again."
            ),
        )
    report.rag = data.rag
    report.summary = data.summary.strip()
    report.closure_proposed = data.closure_proposed
    report.discussion_requested = data.discussion_requested
    report.author_id = actor.id
    if submit:
        report.submitted_at = now
        report.action_states = [
            {"text": a.text, "due_on": a.due_on.isoformat(), "status": a.status.value}
            for a in _reported_actions(case, meeting)
        ]
    record_event(
        "report.submitted" if submit else "report.saved",
        actor=actor,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
        detail={"meeting_id": meeting.id},
    )
    db.session.flush()
    return report


def _reported_actions(case: Case, meeting: Meeting) -> list[Action]:
    """The actions still open, and those closed since the panel last sat."""
    previous_start = db.session.scalar(
        sa.select(sa.func.max(Meeting.starts_at)).where(
            Meeting.panel_id == meeting.panel_id, Meeting.starts_at < meeting.starts_at
        )
    )
    query = sa.select(Action).where(Action.case_id == case.id)
    if previous_start is not None:
        query = query.where(
            sa.or_(Action.status.in_(rules.OPEN_STATUSES), Action.completed_at >= previous_start)
        )
    return list(db.session.scalars(query.order_by(Action.due_on, Action.id)))
