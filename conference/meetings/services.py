"""Writing meetings: scheduling, invitations, attendance, and the agenda from draft to published.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import Case, RiskLevel
from conference.errors import (
    DomainError,
    ForbiddenError,
    InvalidTransitionError,
    check_version,
)
from conference.extensions import db
from conference.formatting import local_to_utc
from conference.meetings import queries, rules
from conference.meetings.models import (
    AgendaChange,
    AgendaChangeKind,
    AgendaItem,
    AgendaItemKind,
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
from conference.notify.models import NotificationKind
from conference.notify.services import notify
from conference.panels.models import Membership, Panel, PanelRole

EDITABLE_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED)
MAX_SERIES = 26


def _audit(
    meeting: Meeting,
    action: str,
    actor: User | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    record_event(
        action,
        actor=actor,
        now=now,
        object_type="meeting",
        object_id=meeting.id,
        panel_id=meeting.panel_id,
        detail=detail,
    )


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


def current_memberships(panel: Panel) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(Membership.panel_id == panel.id, Membership.until.is_(None))
        )
    )


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
    _audit(meeting, "meeting.scheduled", actor, now)
    return meeting


def schedule_series(
    panel: Panel, first_on_or_after: date, count: int, *, actor: User, now: datetime
) -> list[Meeting]:
    """Sittings on the panel's cadence; days that already have a sitting are skipped."""
    if not 1 <= count <= MAX_SERIES:
        raise DomainError(
            _("Schedule between 1 and %(most)s meetings at a time.", most=MAX_SERIES),
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
    _check_manage(meeting, actor)
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(_("A meeting that has started can no longer be moved."))
    check_version(
        meeting,
        version,
        _("Someone else changed this meeting while you were editing. Check their change."),
    )
    meeting.starts_at, meeting.ends_at = _check_details(meeting.panel, details, now)
    meeting.place = details.place
    meeting.video_link = details.video_link
    meeting.chair_id = details.chair_id
    meeting.secretary_id = details.secretary_id
    _renumber(meeting)
    _audit(meeting, "meeting.updated", actor, now)
    db.session.flush()


def record_attendance(
    meeting: Meeting,
    statuses: Mapping[int, AttendanceStatus],
    *,
    actor: User,
    now: datetime,
) -> int:
    """Set who came, sent apologies or stayed away; returns how many entries changed."""
    _check_manage(meeting, actor)
    changed = 0
    for attendance in meeting.attendance:
        status = statuses.get(attendance.id)
        if status is None or status is attendance.status:
            continue
        attendance.status = status
        changed += 1
    if changed:
        _audit(meeting, "meeting.attendance_recorded", actor, now, {"changed": changed})
    db.session.flush()
    return changed


def meeting_quorum(meeting: Meeting) -> rules.Quorum:
    return rules.quorum(
        meeting.panel.core_agency_ids, ((a.agency_id, a.status) for a in meeting.attendance)
    )


# --- The agenda -------------------------------------------------------------------------------


def _check_manage(meeting: Meeting, actor: User) -> None:
    if not permissions.can_manage_meeting(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary may change this meeting."))


def _check_agenda_open(meeting: Meeting) -> None:
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(
            _("The meeting has started; its agenda can no longer be changed.")
        )


def active_items(meeting: Meeting) -> list[AgendaItem]:
    return sorted(
        (i for i in meeting.items if i.removed_at is None), key=lambda i: (i.position, i.id)
    )


def _renumber(meeting: Meeting, order: list[AgendaItem] | None = None) -> None:
    """Number the items in order of business and mark those that will not fit in the time."""
    items = order if order is not None else active_items(meeting)
    marks = rules.mark_carry_over(
        [i.minutes_allocated for i in items], queries.length_minutes(meeting)
    )
    for position, (item, late) in enumerate(zip(items, marks, strict=True), start=1):
        item.position = position
        item.likely_carry_over = late
    removed = [i for i in meeting.items if i.removed_at is not None]
    for position, item in enumerate(removed, start=len(items) + 1):
        item.position = position
        item.likely_carry_over = False


def _after_publication(
    meeting: Meeting,
    item: AgendaItem,
    kind: AgendaChangeKind,
    detail: str,
    actor: User,
    now: datetime,
) -> None:
    """Once published, every change is kept and shown with the agenda."""
    if meeting.status is MeetingStatus.AGENDA_PUBLISHED:
        db.session.add(
            AgendaChange(
                meeting=meeting, item=item, kind=kind, detail=detail, at=now, by_id=actor.id
            )
        )
    _audit(meeting, "agenda.changed", actor, now, {"change": kind.value, "item_id": item.id})


def build_agenda(meeting: Meeting, *, actor: User | None, now: datetime) -> int:
    """Replace the builder's proposal with a fresh one from the caseload; returns its size.

    Items put on by hand stay, and so do removals: a case taken off with a reason is not
    proposed again. A published agenda is frozen and cannot be rebuilt. `actor` None is the
    scheduler preparing the draft for the chair.
    """
    if actor is not None:
        _check_manage(meeting, actor)
    if meeting.status is not MeetingStatus.PLANNED:
        raise InvalidTransitionError(
            _("The agenda has been published and is frozen. Add or remove items instead.")
        )
    facts = queries.agenda_facts(meeting)
    proposal = rules.propose_agenda(
        facts.meeting, facts.settings, facts.cases, facts.actions, facts.reports, facts.discussions
    )
    kept = [i for i in meeting.items if not i.proposed or i.removed_at is not None]
    by_case = {i.case_id: i for i in kept if i.case_id is not None}
    has_standing = any(i.kind is AgendaItemKind.ACTION_REVIEW for i in kept)
    rows: list[dict[str, Any]] = []
    for proposed in proposal:
        existing = by_case.get(proposed.case_id) if proposed.case_id else None
        if existing is not None:  # on by hand or removed: keep the chair's choice, add reasons
            existing.reasons = list(dict.fromkeys([*existing.reasons, *proposed.reasons]))
            continue
        if proposed.kind is AgendaItemKind.ACTION_REVIEW and has_standing:
            continue
        standing = proposed.kind is AgendaItemKind.ACTION_REVIEW
        rows.append(
            {
                "meeting_id": meeting.id,
                "kind": proposed.kind,
                "case_id": proposed.case_id,
                "title": _("Open actions from the last meeting") if standing else "",
                "reasons": [r.value for r in proposed.reasons],
                "proposed": True,
                "minutes_allocated": proposed.minutes,
            }
        )
    # The proposal comes first, then what was put on by hand, in the order the chair gave it.
    manual = sorted((i for i in kept if i.removed_at is None), key=lambda i: i.position)
    marks = rules.mark_carry_over(
        [r["minutes_allocated"] for r in rows] + [i.minutes_allocated for i in manual],
        queries.length_minutes(meeting),
    )
    for position, (row, late) in enumerate(zip(rows, marks, strict=False), start=1):
        row |= {"position": position, "likely_carry_over": late}
    for position, item in enumerate(manual, start=len(rows) + 1):
        item.position, item.likely_carry_over = position, marks[position - 1]
    # In bulk: a big caseload proposes hundreds of items, one INSERT each would be most of the time.
    db.session.execute(
        sa.delete(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.proposed.is_(True),
            AgendaItem.removed_at.is_(None),
        )
    )
    if rows:
        db.session.execute(sa.insert(cast(sa.Table, AgendaItem.__table__)), rows)
    db.session.expire(meeting, ["items"])
    _audit(meeting, "agenda.built", actor, now, {"proposed": len(rows)})
    db.session.flush()
    return len(rows)


def _item_of(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise DomainError(_("That item is not on this agenda."))
    return item


def move_item(meeting: Meeting, item_id: int, offset: int, *, actor: User, now: datetime) -> None:
    """Move an item up (-1) or down (+1) the order of business."""
    _check_manage(meeting, actor)
    _check_agenda_open(meeting)
    items = active_items(meeting)
    item = _item_of(meeting, item_id)
    if item not in items:
        raise DomainError(_("A removed item has no place in the order."))
    old = items.index(item)
    new = min(max(old + offset, 0), len(items) - 1)
    if new == old:
        return
    items.insert(new, items.pop(old))
    _renumber(meeting, items)
    _after_publication(meeting, item, AgendaChangeKind.MOVED, f"{old + 1} → {new + 1}", actor, now)
    db.session.flush()


def retime_item(
    meeting: Meeting, item_id: int, minutes: int, *, actor: User, now: datetime
) -> None:
    """Give an item a different time slot."""
    _check_manage(meeting, actor)
    _check_agenda_open(meeting)
    item = _item_of(meeting, item_id)
    if not 1 <= minutes <= 240:
        raise DomainError(_("Give between 1 and 240 minutes."), field="minutes")
    before = item.minutes_allocated
    if before == minutes:
        return
    item.minutes_allocated = minutes
    _renumber(meeting)
    _after_publication(
        meeting, item, AgendaChangeKind.RETIMED, f"{before} → {minutes} min", actor, now
    )
    db.session.flush()


def add_case_item(
    meeting: Meeting, case: Case, *, minutes: int, note: str, actor: User, now: datetime
) -> AgendaItem:
    """Put a case on the agenda by hand."""
    _check_manage(meeting, actor)
    _check_agenda_open(meeting)
    if case.panel_id != meeting.panel_id or not permissions.can_view_case(actor, case):
        raise DomainError(
            _("There is no case with that reference on this panel."), field="reference"
        )
    if any(i.case_id == case.id for i in active_items(meeting)):
        raise DomainError(_("That case is already on the agenda."), field="reference")
    return _add_item(
        meeting,
        AgendaItem(
            kind=AgendaItemKind.CASE,
            case_id=case.id,
            reasons=[rules.Reason.ADDED.value],
            title=note,
            minutes_allocated=minutes,
        ),
        actor=actor,
        now=now,
    )


def add_general_item(
    meeting: Meeting, *, title: str, minutes: int, actor: User, now: datetime
) -> AgendaItem:
    """A general item: a policy question, a training, any other business. No case data."""
    _check_manage(meeting, actor)
    _check_agenda_open(meeting)
    if not title.strip():
        raise DomainError(_("Give the item a title."), field="title")
    return _add_item(
        meeting,
        AgendaItem(kind=AgendaItemKind.GENERAL, title=title.strip(), minutes_allocated=minutes),
        actor=actor,
        now=now,
    )


def _add_item(meeting: Meeting, item: AgendaItem, *, actor: User, now: datetime) -> AgendaItem:
    if not 1 <= item.minutes_allocated <= 240:
        raise DomainError(_("Give between 1 and 240 minutes."), field="minutes")
    item.position = len(active_items(meeting)) + 1
    item.meeting = meeting
    db.session.add(item)
    _renumber(meeting)
    db.session.flush()
    _after_publication(meeting, item, AgendaChangeKind.ADDED, "", actor, now)
    db.session.flush()
    return item


def remove_item(meeting: Meeting, item_id: int, *, reason: str, actor: User, now: datetime) -> None:
    """Take an item off with a reason; it stays visible as removed, and is not proposed again."""
    _check_manage(meeting, actor)
    _check_agenda_open(meeting)
    item = _item_of(meeting, item_id)
    if item.removed_at is not None:
        raise DomainError(_("That item has already been removed."))
    if not reason.strip():
        raise DomainError(_("Say why the item comes off the agenda."), field="reason")
    item.removed_at = now
    item.removed_reason = reason.strip()
    _renumber(meeting)
    _after_publication(meeting, item, AgendaChangeKind.REMOVED, item.removed_reason, actor, now)
    db.session.flush()


def publish_agenda(meeting: Meeting, *, actor: User, now: datetime) -> int:
    """Freeze the agenda and tell every invitee; returns how many were notified."""
    _check_manage(meeting, actor)
    if meeting.status is not MeetingStatus.PLANNED:
        raise InvalidTransitionError(_("This agenda has already been published."))
    if not active_items(meeting):
        raise DomainError(_("Build or add the agenda before publishing it."))
    meeting.status = MeetingStatus.AGENDA_PUBLISHED
    meeting.agenda_published_at = now
    notified = 0
    for attendance in meeting.attendance:
        if attendance.user_id == actor.id:
            continue
        notify(
            attendance.user_id,
            NotificationKind.AGENDA_PUBLISHED,
            _("The agenda of the %(panel)s meeting has been published.", panel=meeting.panel.code),
            link=f"/meetings/{meeting.id}/agenda",
            meeting_id=meeting.id,
            dedupe_key=f"agenda_published:{meeting.id}:{attendance.user_id}",
            now=now,
        )
        notified += 1
    _audit(
        meeting,
        "agenda.published",
        actor,
        now,
        {"items": len(active_items(meeting)), "notified": notified},
    )
    db.session.flush()
    return notified


def record_document(
    meeting: Meeting, document: str, *, actor: User | None, now: datetime, ip: str | None = None
) -> None:
    """Every download or rendering of a meeting document goes into the audit trail."""
    record_event(
        "document.downloaded" if actor is not None else "document.rendered",
        actor=actor,
        now=now,
        object_type="meeting",
        object_id=meeting.id,
        panel_id=meeting.panel_id,
        ip=ip,
        detail={"document": document},
    )


# --- The sitting ------------------------------------------------------------------------------


def _check_in_session(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.CLOSED or meeting.status is MeetingStatus.MINUTES_SIGNED:
        raise InvalidTransitionError(
            _("The meeting is closed; what it recorded changes only through a minutes amendment.")
        )
    if meeting.status is not MeetingStatus.IN_PROGRESS:
        raise InvalidTransitionError(_("Open the meeting first."))


def open_meeting(meeting: Meeting, *, actor: User, now: datetime) -> None:
    """The chair opens the sitting: from now on items, decisions and actions are recorded."""
    _check_manage(meeting, actor)
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(_("This meeting has already been opened."))
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.opened_at = now
    _audit(meeting, "meeting.opened", actor, now)
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
    _check_manage(meeting, actor)
    if attendance.meeting_id != meeting.id:
        raise DomainError(_("That person is not on this meeting's list."))
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED):
        _check_in_session(meeting)
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
    _audit(
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


def quorum_at(meeting: Meeting, at: datetime) -> rules.Quorum:
    """The quorum at a moment of the sitting, with the members in the room then."""
    return rules.quorum_of(
        meeting.panel.core_agency_ids, rules.present_agencies(presence_of(meeting), at)
    )


def speakers_at(meeting: Meeting, item: AgendaItem, at: datetime) -> list[User]:
    """Who can give their agency's position on the item now: members in the room, without a
    declared conflict of interest."""
    conflicted = conflicted_user_ids(item)
    in_room = {p.user_id for p in presence_of(meeting) if rules.in_room(p, at)}
    return [
        a.user for a in meeting.attendance if a.user_id in in_room and a.user_id not in conflicted
    ]


def declare_conflict(item: AgendaItem, user: User, *, actor: User, now: datetime) -> None:
    """A member declares a conflict of interest on an item: they cannot speak for their agency."""
    meeting = item.meeting
    _check_manage(meeting, actor)
    _check_in_session(meeting)
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


def save_item(
    item: AgendaItem, record: ItemRecord, *, version: int, actor: User, now: datetime
) -> None:
    """Save one item on its own; a stale version is refused so nobody's text is overwritten."""
    meeting = item.meeting
    _check_manage(meeting, actor)
    _check_in_session(meeting)
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
    _check_manage(meeting, actor)
    _check_in_session(meeting)
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
    """An agency's position, given by one of its people in the room (a member for themselves,
    or the chair or secretary writing down what was said)."""
    item = recommendation.item
    meeting = item.meeting
    _check_in_session(meeting)
    if actor.id != speaker.id:
        _check_manage(meeting, actor)
    elif not permissions.can_view_meeting(actor, meeting):
        raise ForbiddenError(_("You are not on this panel."))
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
    record_event(
        "recommendation.position_recorded",
        actor=actor,
        now=now,
        object_type="recommendation",
        object_id=recommendation.id,
        panel_id=meeting.panel_id,
        detail={"agency_id": speaker.agency_id, "stance": stance.value},
    )
    db.session.flush()
    return position


def decide_recommendation(
    recommendation: Recommendation, *, actor: User, now: datetime
) -> RecommendationOutcome:
    """Apply the consensus rule now, with the agencies in the room at this moment."""
    meeting = recommendation.item.meeting
    _check_manage(meeting, actor)
    _check_in_session(meeting)
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
    _check_manage(meeting, actor)
    _check_in_session(meeting)
    not_reached = 0
    for item in active_items(meeting):
        if item.outcome is None:
            item.outcome = ItemOutcome.NOT_REACHED
            not_reached += 1
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    _audit(meeting, "meeting.closed", actor, now, {"not_reached": not_reached})
    db.session.flush()
    return not_reached
