"""The agenda from draft to published: the builder's proposal, the chair's changes, publishing.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.auth import permissions
from conference.auth.models import User
from conference.cases.models import Case
from conference.db import insert_many
from conference.errors import (
    DomainError,
    InvalidTransitionError,
)
from conference.extensions import db
from conference.meetings import queries, rules
from conference.meetings.models import (
    AgendaChange,
    AgendaChangeKind,
    AgendaItem,
    AgendaItemKind,
    Meeting,
    MeetingStatus,
)
from conference.meetings.services.base import (
    EDITABLE_STATUSES,
    active_items,
    audit_meeting,
    check_manage,
)
from conference.notify.models import NotificationKind
from conference.notify.services import notify


def _check_agenda_open(meeting: Meeting) -> None:
    if meeting.status not in EDITABLE_STATUSES:
        raise InvalidTransitionError(
            _("The meeting has started; its agenda can no longer be changed.")
        )


def renumber(meeting: Meeting, order: list[AgendaItem] | None = None) -> None:
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
    audit_meeting(meeting, "agenda.changed", actor, now, {"change": kind.value, "item_id": item.id})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while the facts are read and decided on: tens of thousands of
    short-lived tuples, no cycles among them, set off collections that took a sixth of the
    build. The collector is as it was afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_agenda(meeting: Meeting, *, actor: User | None, now: datetime) -> int:
    """Replace the builder's proposal with a fresh one from the caseload; returns its size.

    Items put on by hand stay, and so do removals: a case taken off with a reason is not
    proposed again. A published agenda is frozen and cannot be rebuilt. `actor` None is the
    scheduler preparing the draft for the chair.
    """
    if actor is not None:
        check_manage(meeting, actor)
    if meeting.status is not MeetingStatus.PLANNED:
        raise InvalidTransitionError(
            _("The agenda has been published and is frozen. Add or remove items instead.")
        )
    with _collector_paused():
        return _build(meeting, actor=actor, now=now)


def _build(meeting: Meeting, *, actor: User | None, now: datetime) -> int:
    facts = queries.agenda_facts(meeting)
    proposal = rules.propose_agenda(
        facts.meeting,
        facts.settings,
        facts.cases,
        facts.actions,
        facts.reports,
        facts.discussions,
        facts.referrals,
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
                "kind": proposed.kind.value,
                "case_id": proposed.case_id,
                "title": _("Open actions from the last meeting") if standing else "",
                "reasons": [r.value for r in proposed.reasons],
                "proposed": True,
                "minutes_allocated": proposed.minutes,
                "removed_reason": "",
                "facts": "",
                "assessment": "",
                "version_id": 1,
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
        insert_many(db.session.connection(), cast(sa.Table, AgendaItem.__table__), rows)
    db.session.expire(meeting, ["items"])
    audit_meeting(meeting, "agenda.built", actor, now, {"proposed": len(rows)})
    db.session.flush()
    return len(rows)


def _item_of(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise DomainError(_("That item is not on this agenda."))
    return item


def move_item(meeting: Meeting, item_id: int, position: int, *, actor: User, now: datetime) -> None:
    """Move an item to a place in the order of business (1 is first; beyond the end is last)."""
    check_manage(meeting, actor)
    _check_agenda_open(meeting)
    items = active_items(meeting)
    item = _item_of(meeting, item_id)
    if item not in items:
        raise DomainError(_("A removed item has no place in the order."))
    old = items.index(item)
    new = min(max(position - 1, 0), len(items) - 1)
    if new == old:
        return
    items.insert(new, items.pop(old))
    renumber(meeting, items)
    _after_publication(meeting, item, AgendaChangeKind.MOVED, f"{old + 1} → {new + 1}", actor, now)
    db.session.flush()


def retime_item(
    meeting: Meeting, item_id: int, minutes: int, *, actor: User, now: datetime
) -> None:
    """Give an item a different time slot."""
    check_manage(meeting, actor)
    _check_agenda_open(meeting)
    item = _item_of(meeting, item_id)
    if not 1 <= minutes <= 240:
        raise DomainError(_("Give between 1 and 240 minutes."), field="minutes")
    before = item.minutes_allocated
    if before == minutes:
        return
    item.minutes_allocated = minutes
    renumber(meeting)
    _after_publication(
        meeting, item, AgendaChangeKind.RETIMED, f"{before} → {minutes} min", actor, now
    )
    db.session.flush()


def add_case_item(
    meeting: Meeting, case: Case, *, minutes: int, note: str, actor: User, now: datetime
) -> AgendaItem:
    """Put a case on the agenda by hand."""
    check_manage(meeting, actor)
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
    check_manage(meeting, actor)
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
    renumber(meeting)
    db.session.flush()
    _after_publication(meeting, item, AgendaChangeKind.ADDED, "", actor, now)
    db.session.flush()
    return item


def remove_item(meeting: Meeting, item_id: int, *, reason: str, actor: User, now: datetime) -> None:
    """Take an item off with a reason; it stays visible as removed, and is not proposed again."""
    check_manage(meeting, actor)
    _check_agenda_open(meeting)
    item = _item_of(meeting, item_id)
    if item.removed_at is not None:
        raise DomainError(_("That item has already been removed."))
    if not reason.strip():
        raise DomainError(_("Say why the item comes off the agenda."), field="reason")
    item.removed_at = now
    item.removed_reason = reason.strip()
    renumber(meeting)
    _after_publication(meeting, item, AgendaChangeKind.REMOVED, item.removed_reason, actor, now)
    db.session.flush()


def publish_agenda(meeting: Meeting, *, actor: User, now: datetime) -> int:
    """Freeze the agenda and tell every invitee; returns how many were notified."""
    check_manage(meeting, actor)
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
            _l("The agenda of the %(panel)s meeting has been published.", panel=meeting.panel.code),
            link=f"/meetings/{meeting.id}/agenda",
            meeting_id=meeting.id,
            dedupe_key=f"agenda_published:{meeting.id}:{attendance.user_id}",
            now=now,
        )
        notified += 1
    audit_meeting(
        meeting,
        "agenda.published",
        actor,
        now,
        {"items": len(active_items(meeting)), "notified": notified},
    )
    db.session.flush()
    return notified
