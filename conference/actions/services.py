"""Writing actions: agreed at a meeting, reviewed at the next one.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from datetime import date, datetime

from conference.actions import rules
from conference.actions.models import Action, ActionStatus, ActionUpdate
from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.errors import DomainError, ForbiddenError
from conference.extensions import db
from conference.meetings.models import Meeting, Recommendation, RecommendationOutcome


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
        raise ForbiddenError("Only the chair or the secretary record the panel's actions.")
    if recommendation.outcome is not RecommendationOutcome.ADOPTED:
        raise DomainError("Actions follow from an adopted recommendation.")
    if permissions.membership_on(owner, case.panel_id) is None:
        raise DomainError("The owner must be a current member of the panel.", field="owner_id")
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
        raise ForbiddenError("Only the chair or the secretary record the review of actions.")
    if action.status not in rules.OPEN_STATUSES:
        raise DomainError("This action has already been closed.")
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
