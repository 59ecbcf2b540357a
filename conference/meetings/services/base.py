"""What every meeting service shares: who may change a meeting, the one guard that keeps a
closed meeting's record final, and the audit entry of a meeting."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.errors import ForbiddenError, InvalidTransitionError
from conference.extensions import db
from conference.meetings import rules
from conference.meetings.models import AgendaItem, Meeting, MeetingStatus
from conference.panels.models import Membership, Panel

EDITABLE_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.AGENDA_PUBLISHED)


def audit_meeting(
    meeting: Meeting,
    action: str,
    actor: User | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an act on a meeting in the audit trail."""
    record_event(
        action,
        actor=actor,
        now=now,
        object_type="meeting",
        object_id=meeting.id,
        panel_id=meeting.panel_id,
        detail=detail,
    )


def check_manage(meeting: Meeting, actor: User) -> None:
    """Refuse anyone but those who run the meeting."""
    if not permissions.can_manage_meeting(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary may change this meeting."))


def check_record_open(meeting: Meeting) -> None:
    """The one guard on a meeting's record: once closed, nothing of it changes here any more
    (attendance, items, decisions, coordinators, actions, reviews, referrals, the agenda)."""
    if rules.record_is_final(meeting.status):
        raise InvalidTransitionError(
            _("The meeting is closed; what it recorded changes only through a minutes amendment.")
        )


def check_in_session(meeting: Meeting) -> None:
    """Refuse a decision outside the sitting: before it opens or once it is closed."""
    check_record_open(meeting)
    if meeting.status is not MeetingStatus.IN_PROGRESS:
        raise InvalidTransitionError(_("Open the meeting first."))


def current_memberships(panel: Panel) -> list[Membership]:
    """The panel's current members, partners included."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.panel_id == panel.id, Membership.until.is_(None))
            .options(joinedload(Membership.user))  # not one query per member
        )
    )


def active_items(meeting: Meeting) -> list[AgendaItem]:
    """The items still on the agenda, in order of business."""
    return sorted(
        (i for i in meeting.items if i.removed_at is None), key=lambda i: (i.position, i.id)
    )


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


def agency_names(meeting: Meeting, agency_ids: Iterable[int]) -> list[str]:
    """The names of some of the panel's agencies, in alphabetical order."""
    wanted = set(agency_ids)
    return sorted(pa.agency.name for pa in meeting.panel.agency_tiers if pa.agency_id in wanted)
