"""Members take part: the item the chair is on, what each invitee sees of the sitting from their
own device, and their replies to the invitation.

Every function that writes checks the policy, applies the rules, records the audit event and
flushes. None commits: the entry point does, once.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from conference.actions.models import ProgressReport
from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import Case, CaseShare
from conference.db import insert_or_ignore
from conference.errors import DomainError, ForbiddenError
from conference.extensions import db
from conference.labels import label
from conference.meetings import rules
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    ConflictDeclaration,
    CurrentItem,
    InvitationReply,
    Meeting,
    MeetingStatus,
    Position,
    Recommendation,
    RecommendationOutcome,
)
from conference.meetings.services.base import (
    active_items,
    agency_names,
    audit_meeting,
    check_in_session,
    check_manage,
    check_record_open,
    current_memberships,
)
from conference.meetings.services.sitting import conflicted_user_ids, presence_of, quorum_now

# --- The item the chair is on ---------------------------------------------------------------------


def leads_the_sitting(meeting: Meeting, user: User) -> bool:
    """Whether the item this person opens is the one the panel is on: the meeting's chair, or
    whoever runs it when it has no chair of its own (a secretary reading ahead moves nothing)."""
    if meeting.chair_id is not None:
        return meeting.chair_id == user.id
    return permissions.can_manage_meeting(user, meeting)


def take_up_item(meeting: Meeting, item: AgendaItem, *, actor: User, now: datetime) -> bool:
    """The chair opens an item during the sitting: the live page moves to it. Returns whether
    the panel moved on (opening the same item again changes nothing)."""
    check_manage(meeting, actor)
    check_in_session(meeting)
    if item.meeting_id != meeting.id or item.removed_at is not None:
        raise DomainError(_("That item is not on this meeting's agenda."))
    was = db.session.scalar(
        sa.select(CurrentItem.agenda_item_id).where(CurrentItem.meeting_id == meeting.id)
    )
    if was == item.id:
        return False
    values = {"agenda_item_id": item.id, "since": now, "set_by_id": actor.id}
    if was is None:  # the first item of the sitting; two tabs at once make one row
        insert_or_ignore(db.session, CurrentItem, meeting_id=meeting.id, **values)
    db.session.execute(
        sa.update(CurrentItem).where(CurrentItem.meeting_id == meeting.id).values(**values)
    )
    audit_meeting(meeting, "meeting.item_taken_up", actor, now, {"agenda_item_id": item.id})
    db.session.flush()
    return True


def current_item(meeting: Meeting) -> AgendaItem | None:
    """The item under discussion: the one the chair last opened, else the first still open."""
    items = active_items(meeting)
    chosen = db.session.scalar(
        sa.select(CurrentItem.agenda_item_id).where(CurrentItem.meeting_id == meeting.id)
    )
    found = next((i for i in items if i.id == chosen), None)
    if found is None:
        found = next((i for i in items if i.outcome is None), items[0] if items else None)
    return found


# --- What changed: one query that answers "nothing" cheaply ---------------------------------------


def fingerprint(meeting: Meeting, viewer: User, now: datetime) -> str:
    """A tag that changes whenever anything the live page shows this viewer changes: the item
    the chair is on, the items' records, recommendations, positions, who is in the room,
    declared conflicts, the cases (their version) and what is shared with the viewer. One
    statement, so that a poll while nothing happens costs one query and a 304."""
    m = meeting.id
    items = sa.select(AgendaItem.id).where(AgendaItem.meeting_id == m).scalar_subquery()
    recommendations = (
        sa.select(Recommendation.id).where(Recommendation.agenda_item_id.in_(items))
    ).scalar_subquery()
    cases = sa.select(AgendaItem.case_id).where(AgendaItem.meeting_id == m).scalar_subquery()
    in_room = sa.and_(
        Attendance.status == AttendanceStatus.PRESENT,
        Attendance.role == AttendeeRole.MEMBER,
        sa.or_(Attendance.arrived_at.is_(None), Attendance.arrived_at <= now),
        sa.or_(Attendance.left_at.is_(None), Attendance.left_at > now),
    )

    def one(expression: Any, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
        return sa.select(expression).where(*where).scalar_subquery()

    row = db.session.execute(
        sa.select(
            one(Meeting.status, Meeting.id == m),
            one(CurrentItem.agenda_item_id, CurrentItem.meeting_id == m),
            one(sa.func.sum(AgendaItem.version_id), AgendaItem.meeting_id == m),
            one(sa.func.count(AgendaItem.id), AgendaItem.meeting_id == m),
            one(sa.func.sum(Case.version_id), Case.id.in_(cases)),
            one(sa.func.max(ProgressReport.submitted_at), ProgressReport.case_id.in_(cases)),
            one(sa.func.count(Recommendation.id), Recommendation.agenda_item_id.in_(items)),
            one(sa.func.count(Recommendation.decided_at), Recommendation.agenda_item_id.in_(items)),
            one(sa.func.count(Position.id), Position.recommendation_id.in_(recommendations)),
            one(sa.func.max(Position.recorded_at), Position.recommendation_id.in_(recommendations)),
            one(sa.func.sum(Attendance.id), Attendance.meeting_id == m, in_room),
            one(sa.func.count(Attendance.id), Attendance.meeting_id == m, in_room),
            one(
                sa.func.count(ConflictDeclaration.id),
                ConflictDeclaration.agenda_item_id.in_(items),
            ),
            one(
                sa.func.sum(CaseShare.id),
                CaseShare.case_id.in_(cases),
                CaseShare.agency_id == viewer.agency_id,
                CaseShare.revoked_at.is_(None),
            ),
        )
    ).one()
    seen = repr((viewer.id, viewer.agency_id, *(str(v) for v in row)))
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


# --- What an invitee sees --------------------------------------------------------------------


@dataclass(frozen=True)
class LivePosition:
    agency: str
    stance: str
    reason: str
    entered_for: bool  # typed in by the chair for someone present by phone
    mine: bool


@dataclass(frozen=True)
class LiveRecommendation:
    id: int
    kind: str
    text: str
    outcome: RecommendationOutcome
    outcome_label: str
    hidden: bool  # positions hidden until all are in: only who has answered shows
    positions: list[LivePosition]
    answered: list[str]
    waiting: list[str]
    own: Position | None  # the viewer's agency's position, to start the form from


@dataclass(frozen=True)
class LiveItem:
    id: int
    number: int
    shared: bool  # False: "an item not shared with your organisation", and nothing else
    title: str
    outcome: str = ""
    reasons: list[str] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    recommendations: list[LiveRecommendation] = field(default_factory=list)


@dataclass(frozen=True)
class Live:
    meeting: Meeting
    in_session: bool
    current: LiveItem | None
    coming: list[LiveItem]
    quorate: bool
    missing: list[str]
    speaks: bool  # the viewer can give their agency's position on the current item now
    why_not: str  # why not, when there is an open recommendation


def _title(item: AgendaItem) -> str:
    if item.case is not None:
        return item.case.reference
    if item.kind is AgendaItemKind.ACTION_REVIEW:
        return _("Open actions from the last meeting")
    return item.title


def _item(item: AgendaItem, viewer: User) -> LiveItem:
    """An item as this viewer may see it: partners see only the cases shared with them."""
    if item.case is not None and not permissions.can_view_case(viewer, item.case):
        return LiveItem(id=item.id, number=item.position, shared=False, title="")
    return LiveItem(
        id=item.id,
        number=item.position,
        shared=True,
        title=_title(item),
        outcome=label(item.outcome) if item.outcome else "",
    )


def _summary(case: Case) -> list[tuple[str, str]]:
    """The need-to-know summary of the case, as the chair's view shows it."""
    report = db.session.scalar(
        sa.select(ProgressReport)
        .where(ProgressReport.case_id == case.id, ProgressReport.submitted_at.is_not(None))
        .order_by(ProgressReport.submitted_at.desc(), ProgressReport.id.desc())
        .limit(1)
    )
    coordinator = case.coordinator
    return [
        (_("Status"), label(case.status)),
        (_("Risk level"), label(case.risk_level)),
        (_("Concern"), label(case.concern_category)),
        (
            _("Coordinator"),
            f"{coordinator.name} ({coordinator.agency.name})" if coordinator else _("None yet"),
        ),
        (
            _("Latest report"),
            f"{label(report.rag)}: {report.summary}" if report is not None else _("None"),
        ),
    ]


def _recommendation(
    recommendation: Recommendation, viewer: User, present: set[int], names: dict[int, str]
) -> LiveRecommendation:
    positions = sorted(recommendation.positions, key=lambda p: names.get(p.agency_id, ""))
    pending = recommendation.outcome is RecommendationOutcome.PENDING
    hidden = recommendation.positions_hidden and pending
    given = {p.agency_id for p in positions}
    return LiveRecommendation(
        id=recommendation.id,
        kind=label(recommendation.kind),
        text=recommendation.text,
        outcome=recommendation.outcome,
        outcome_label=label(recommendation.outcome),
        hidden=hidden,
        positions=[]
        if hidden
        else [
            LivePosition(
                agency=names.get(p.agency_id, ""),
                stance=label(p.stance),
                reason=p.reason,
                entered_for=p.entered_for,
                mine=p.agency_id == viewer.agency_id,
            )
            for p in positions
        ],
        answered=[names.get(p.agency_id, "") for p in positions],
        waiting=sorted(names.get(a, "") for a in present - given) if pending else [],
        own=next((p for p in positions if p.agency_id == viewer.agency_id), None),
    )


def _why_not(meeting: Meeting, item: AgendaItem, viewer: User, now: datetime) -> str:
    """Why the viewer cannot give their agency's position now ('' when they can)."""
    if meeting.status is not MeetingStatus.IN_PROGRESS:
        return _("The meeting is not in session.")
    if not any(p.user_id == viewer.id and rules.in_room(p, now) for p in presence_of(meeting)):
        return _(
            "You are not recorded as present, so you cannot give your agency's position. "
            "Ask the chair to record you."
        )
    if viewer.id in conflicted_user_ids(item):
        return _("You declared a conflict of interest on this item.")
    return ""


def live_view(meeting: Meeting, viewer: User, now: datetime) -> Live:
    """The sitting as this viewer sees it now: the item under discussion with its summary and
    open recommendation, the positions so far, and what comes next."""
    in_session = meeting.status is MeetingStatus.IN_PROGRESS
    quorum = quorum_now(meeting, now)
    items = active_items(meeting)
    on = current_item(meeting) if in_session else None
    current, speaks, why_not = None, False, ""
    if on is not None:
        current = _item(on, viewer)
        if current.shared and on.case is not None:
            names = {pa.agency_id: pa.agency.name for pa in meeting.panel.agency_tiers}
            present = rules.present_agencies(presence_of(meeting), now)
            current = LiveItem(
                id=current.id,
                number=current.number,
                shared=True,
                title=current.title,
                outcome=current.outcome,
                reasons=[label(rules.Reason(r)) for r in on.reasons],
                summary=_summary(on.case),
                recommendations=[
                    _recommendation(r, viewer, present, names)
                    for r in sorted(on.recommendations, key=lambda r: r.id)
                ],
            )
            if any(r.outcome is RecommendationOutcome.PENDING for r in current.recommendations):
                why_not = _why_not(meeting, on, viewer, now)
                speaks = not why_not
    after = items[items.index(on) + 1 :] if on is not None else items
    return Live(
        meeting=meeting,
        in_session=in_session,
        current=current,
        coming=[_item(i, viewer) for i in after if i.outcome is None][:5],
        quorate=quorum.met,
        missing=agency_names(meeting, quorum.missing_agency_ids),
        speaks=speaks,
        why_not=why_not,
    )


# --- Replies to invitations ------------------------------------------------------------------


def own_invitation(meeting: Meeting, user: User) -> Attendance | None:
    """The person's own entry on the meeting's list, if they were invited."""
    return next((a for a in meeting.attendance if a.user_id == user.id), None)


def possible_deputies(meeting: Meeting, invitee: User) -> list[User]:
    """Who may go in the invitee's place: the panel's other current members from the same
    agency (a deputy sees what a member sees, so they must be on the panel)."""
    return sorted(
        (
            m.user
            for m in current_memberships(meeting.panel)
            if m.user.agency_id == invitee.agency_id and m.user_id != invitee.id and m.user.active
        ),
        key=lambda u: u.name,
    )


def reply_to_invitation(
    meeting: Meeting,
    reply: InvitationReply,
    *,
    deputy: User | None,
    actor: User,
    now: datetime,
) -> Attendance:
    """The invitee answers: attending, apologies, or sending a named deputy from their agency,
    who is then expected in their place."""
    check_record_open(meeting)
    entry = own_invitation(meeting, actor)
    if entry is None or not permissions.can_view_meeting(actor, meeting):
        raise ForbiddenError(_("You were not invited to this meeting."))
    if reply is InvitationReply.DEPUTY:
        if deputy is None or deputy not in possible_deputies(meeting, actor):
            raise DomainError(
                _("Choose a deputy from your own agency's members of the panel."),
                field="deputy_id",
            )
    else:
        deputy = None
    entry.reply = reply
    entry.replied_at = now
    entry.deputy_id = deputy.id if deputy else None
    if deputy is not None:
        stand_in = own_invitation(meeting, deputy)
        if stand_in is None:  # joined the panel after the invitations went out
            stand_in = Attendance(meeting=meeting, user_id=deputy.id, agency_id=deputy.agency_id)
            db.session.add(stand_in)
        stand_in.reply = InvitationReply.ATTENDING
        stand_in.replied_at = now
    audit_meeting(
        meeting,
        "meeting.invitation_answered",
        actor,
        now,
        {"reply": reply.value, "deputy_id": deputy.id if deputy else None},
    )
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ReplyForecast:
    quorate: bool
    coming: list[str]
    unanswered: list[str]
    apologies: list[str]


def reply_forecast(meeting: Meeting) -> ReplyForecast:
    """What the replies say of the quorum, with the core agencies named."""
    result = rules.forecast(
        meeting.panel.core_agency_ids,
        (rules.Reply(a.agency_id, a.reply, a.deputy_id) for a in meeting.attendance),
    )
    core = set(meeting.panel.core_agency_ids)
    return ReplyForecast(
        quorate=result.quorate,
        coming=agency_names(meeting, result.expected_agency_ids & core),
        unanswered=agency_names(meeting, result.unanswered_agency_ids),
        apologies=agency_names(meeting, result.apologies_agency_ids),
    )
