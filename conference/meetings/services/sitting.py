"""The sitting: opening, presence, each item's record, recommendations and positions, closing.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import RiskLevel
from conference.errors import (
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    check_version,
)
from conference.extensions import db
from conference.meetings import rules
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    ConflictDeclaration,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Position,
    Recommendation,
    RecommendationKind,
    RecommendationOutcome,
    Stance,
)
from conference.meetings.services.base import (
    EDITABLE_STATUSES,
    active_items,
    audit_meeting,
    check_in_session,
    check_manage,
    check_record_open,
)


def open_meeting(meeting: Meeting, *, actor: User, now: datetime) -> None:
    """The chair opens the sitting: from now on items, decisions and actions are recorded."""
    check_manage(meeting, actor)
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(_("This meeting has already been opened."))
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.opened_at = now
    audit_meeting(meeting, "meeting.opened", actor, now)
    db.session.flush()


@dataclass(frozen=True)
class PresenceData:
    status: AttendanceStatus
    role: AttendeeRole
    arrived_at: datetime | None = None
    left_at: datetime | None = None
    acknowledged: bool = False


def record_presence(
    meeting: Meeting, attendance: Attendance, data: PresenceData, *, actor: User, now: datetime
) -> None:
    """Who is in the room, from when to when, and whether they accepted the confidentiality
    statement; quorum follows these times item by item."""
    check_manage(meeting, actor)
    if attendance.meeting_id != meeting.id:
        raise DomainError(_("That person is not on this meeting's list."))
    check_record_open(meeting)
    if data.arrived_at and data.left_at and data.left_at <= data.arrived_at:
        raise DomainError(_("Someone cannot leave before they arrive."), field="left_at")
    unacknowledged = not data.acknowledged and attendance.confidentiality_acknowledged_at is None
    if data.status is AttendanceStatus.PRESENT and unacknowledged:
        raise DomainError(
            _("Everyone present accepts the confidentiality statement first."),
            field="acknowledged",
        )
    attendance.status = data.status
    attendance.role = data.role
    attendance.arrived_at = data.arrived_at
    attendance.left_at = data.left_at
    if data.acknowledged and attendance.confidentiality_acknowledged_at is None:
        attendance.confidentiality_acknowledged_at = now
    audit_meeting(
        meeting,
        "meeting.attendance_recorded",
        actor,
        now,
        {"attendance_id": attendance.id, "status": data.status.value},
    )
    db.session.flush()


def presence_of(meeting: Meeting) -> list[rules.Presence]:
    return [
        rules.Presence(a.user_id, a.agency_id, a.status, a.arrived_at, a.left_at)
        for a in meeting.attendance
        if a.role is AttendeeRole.MEMBER  # observers neither make the quorum nor take positions
    ]


def in_session(meeting: Meeting) -> bool:
    """Whether the sitting is open: items, decisions and actions can be recorded."""
    return meeting.status is MeetingStatus.IN_PROGRESS


def quorum_now(meeting: Meeting, now: datetime) -> rules.Quorum:
    """The quorum as the chair sees it now: with the members in the room now, or as it stood
    when the sitting closed. One answer for the opening page, the item and the meeting page."""
    at = now
    if meeting.closed_at is not None and meeting.closed_at < now:
        at = meeting.closed_at - timedelta(microseconds=1)
    return quorum_at(meeting, at)


def quorum_at(meeting: Meeting, at: datetime) -> rules.Quorum:
    """The quorum at a moment of the sitting, with the members in the room then."""
    return rules.quorum_of(
        meeting.panel.core_agency_ids, rules.present_agencies(presence_of(meeting), at)
    )


def speakers_at(meeting: Meeting, at: datetime, conflicted: set[int]) -> list[User]:
    """Who can give their agency's position on an item now: members in the room, without a
    declared conflict of interest on it (`conflicted_user_ids`)."""
    in_room = {p.user_id for p in presence_of(meeting) if rules.in_room(p, at)}
    return [
        a.user for a in meeting.attendance if a.user_id in in_room and a.user_id not in conflicted
    ]


def declare_conflict(item: AgendaItem, user: User, *, actor: User, now: datetime) -> None:
    """A member declares a conflict of interest on an item: they cannot speak for their agency."""
    meeting = item.meeting
    check_manage(meeting, actor)
    check_in_session(meeting)
    if not any(a.user_id == user.id for a in meeting.attendance):
        raise DomainError(_("That person is not on this meeting's list."), field="user_id")
    exists = db.session.scalar(
        sa.select(ConflictDeclaration.id).where(
            ConflictDeclaration.agenda_item_id == item.id, ConflictDeclaration.user_id == user.id
        )
    )
    if exists:
        raise DomainError(_("That conflict has already been recorded."), field="user_id")
    db.session.add(
        ConflictDeclaration(
            agenda_item_id=item.id, user_id=user.id, declared_at=now, recorded_by_id=actor.id
        )
    )
    record_event(
        "meeting.conflict_declared",
        actor=actor,
        now=now,
        object_type="agenda_item",
        object_id=item.id,
        panel_id=meeting.panel_id,
        detail={"user_id": user.id},
    )
    db.session.flush()


def conflicted_user_ids(item: AgendaItem) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(ConflictDeclaration.user_id).where(
                ConflictDeclaration.agenda_item_id == item.id
            )
        )
    )


@dataclass(frozen=True)
class ItemRecord:
    """What the minutes keep of an item: facts in a line, the assessment, the outcome."""

    facts: str
    assessed_risk: RiskLevel | None
    assessment: str
    outcome: ItemOutcome | None


def _saved_as(item: AgendaItem, record: ItemRecord) -> bool:
    return (item.facts, item.assessed_risk, item.assessment, item.outcome) == (
        record.facts.strip(),
        record.assessed_risk,
        record.assessment.strip(),
        record.outcome,
    )


def save_item(
    item: AgendaItem, record: ItemRecord, *, version: int, actor: User, now: datetime
) -> None:
    """Save one item on its own; a stale version is refused so nobody's text is overwritten."""
    meeting = item.meeting
    check_manage(meeting, actor)
    check_in_session(meeting)
    if version != item.version_id and _saved_as(item, record):
        return  # the same text sent twice (a background save and the button): nothing to do
    check_version(
        item,
        version,
        _(
            "Someone else saved this item while you were typing. Your text is kept below; "
            "compare it with theirs and save again."
        ),
    )
    case = item.case
    changed_risk = case is not None and record.assessed_risk not in (None, case.risk_level)
    if changed_risk and not record.assessment.strip():
        raise DomainError(_("Say why the risk level changes."), field="assessment")
    item.facts = record.facts.strip()
    item.assessed_risk = record.assessed_risk
    item.assessment = record.assessment.strip()
    item.outcome = record.outcome
    if changed_risk and case is not None and record.assessed_risk is not None:
        case.risk_level = record.assessed_risk
        case.updated_at = now
    record_event(
        "agenda.item_saved",
        actor=actor,
        now=now,
        object_type="agenda_item",
        object_id=item.id,
        panel_id=meeting.panel_id,
        detail={"outcome": record.outcome.value if record.outcome else None},
    )
    db.session.flush()


def add_recommendation(
    item: AgendaItem,
    *,
    kind: RecommendationKind,
    text: str,
    hide_positions: bool,
    actor: User,
    now: datetime,
) -> Recommendation:
    """A recommendation, written for the minutes, that the agencies now take positions on."""
    meeting = item.meeting
    check_manage(meeting, actor)
    check_in_session(meeting)
    if item.case_id is None:
        raise DomainError(_("Recommendations are about a case."))
    if not text.strip():
        raise DomainError(_("Write the recommendation as the minutes should read."), field="text")
    recommendation = Recommendation(
        agenda_item_id=item.id,
        case_id=item.case_id,
        kind=kind,
        text=text.strip(),
        positions_hidden=hide_positions,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(recommendation)
    db.session.flush()
    record_event(
        "recommendation.proposed",
        actor=actor,
        now=now,
        object_type="recommendation",
        object_id=recommendation.id,
        panel_id=meeting.panel_id,
    )
    return recommendation


def record_position(
    recommendation: Recommendation,
    speaker: User,
    *,
    stance: Stance,
    reason: str,
    actor: User,
    now: datetime,
) -> Position:
    """An agency's position, given by one of its people in the room: a member for themselves
    from their own device, or the chair or secretary writing down what someone present by phone
    said. The record keeps who typed it in."""
    item = recommendation.item
    meeting = item.meeting
    if actor.id != speaker.id:
        check_manage(meeting, actor)
    elif not permissions.can_view_meeting(actor, meeting):
        raise ForbiddenError(_("You are not on this panel."))
    elif item.case is None or not permissions.can_view_case(actor, item.case):
        raise ForbiddenError(_("This item is not shared with your organisation."))
    check_in_session(meeting)
    if recommendation.outcome is not RecommendationOutcome.PENDING:
        raise InvalidTransitionError(_("This recommendation has been decided."))
    if not any(p.user_id == speaker.id and rules.in_room(p, now) for p in presence_of(meeting)):
        raise DomainError(
            _("Only someone present can give their agency's position."), field="user_id"
        )
    if speaker.id in conflicted_user_ids(item):
        raise DomainError(
            _(
                "This person declared a conflict of interest on this item and cannot speak for "
                "their agency on it."
            ),
            field="user_id",
        )
    rules.check_position(stance, reason)
    position = next((p for p in recommendation.positions if p.agency_id == speaker.agency_id), None)
    if position is None:
        position = Position(recommendation=recommendation, agency_id=speaker.agency_id)
        db.session.add(position)
    position.user_id = speaker.id
    position.stance = stance
    position.reason = reason.strip()
    position.recorded_at = now
    position.entered_by_id = actor.id
    record_event(
        "recommendation.position_recorded",
        actor=actor,
        now=now,
        object_type="recommendation",
        object_id=recommendation.id,
        panel_id=meeting.panel_id,
        detail={
            "agency_id": speaker.agency_id,
            "stance": stance.value,
            "entered_for": actor.id != speaker.id,
        },
    )
    db.session.flush()
    return position


def decide_recommendation(
    recommendation: Recommendation, *, actor: User, now: datetime
) -> RecommendationOutcome:
    """Apply the consensus rule now, with the agencies in the room at this moment."""
    meeting = recommendation.item.meeting
    check_manage(meeting, actor)
    check_in_session(meeting)
    if recommendation.outcome is not RecommendationOutcome.PENDING:
        raise InvalidTransitionError(_("This recommendation has been decided."))
    present = rules.present_agencies(presence_of(meeting), now)
    outcome = rules.decide(
        meeting.panel.core_agency_ids,
        present,
        {p.agency_id: p.stance for p in recommendation.positions},
    )
    if outcome is RecommendationOutcome.PENDING:
        waiting = sorted(
            pa.agency.name
            for pa in meeting.panel.agency_tiers
            if pa.agency_id in present - {p.agency_id for p in recommendation.positions}
        )
        raise DomainError(
            _("Still waiting for the position of: %(agencies)s.", agencies=", ".join(waiting))
        )
    recommendation.outcome = outcome
    recommendation.decided_at = now
    recommendation.positions_hidden = False
    record_event(
        "recommendation.decided",
        actor=actor,
        now=now,
        object_type="recommendation",
        object_id=recommendation.id,
        panel_id=meeting.panel_id,
        detail={"outcome": outcome.value},
    )
    db.session.flush()
    return outcome


def close_meeting(meeting: Meeting, *, actor: User, now: datetime) -> int:
    """Close the sitting and lock its record; items never reached are marked so and will be
    proposed again. Returns how many were not reached."""
    check_manage(meeting, actor)
    check_in_session(meeting)
    not_reached = 0
    for item in active_items(meeting):
        if item.outcome is None:
            item.outcome = ItemOutcome.NOT_REACHED
            not_reached += 1
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    audit_meeting(meeting, "meeting.closed", actor, now, {"not_reached": not_reached})
    db.session.flush()
    return not_reached
