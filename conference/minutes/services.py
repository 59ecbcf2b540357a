"""Writing minutes: draft, circulate, sign, archive, amend.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once. Signed versions are refused
below this layer too (see the mapper hook at the end).
"""

import copy
import difflib
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.audit.anchor import Anchor
from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.documents.minutes import minutes_content, signature_block
from conference.errors import DomainError, ForbiddenError, InvalidTransitionError
from conference.extensions import db
from conference.formatting import to_zone
from conference.languages import written_in
from conference.meetings.models import AttendanceStatus, Meeting, MeetingStatus
from conference.meetings.services.base import current_memberships
from conference.minutes import archive, rules
from conference.minutes.models import (
    MinutesSignature,
    MinutesStatus,
    MinutesVersion,
    SignatureRole,
)
from conference.notify.models import NotificationKind
from conference.notify.services import notify
from conference.panels.models import PanelRole


class SignedMinutesError(RuntimeError):
    """Code tried to change a signed version: a bug, refused whatever the caller."""


def latest_version(meeting: Meeting) -> MinutesVersion | None:
    return db.session.scalar(
        sa.select(MinutesVersion)
        .where(MinutesVersion.meeting_id == meeting.id)
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )


def _audit(version: MinutesVersion, action: str, actor: User | None, now: datetime) -> None:
    record_event(
        action,
        actor=actor,
        now=now,
        object_type="minutes",
        object_id=version.id,
        panel_id=version.meeting.panel_id,
        detail={"document_id": version.document_id, "version": version.number},
    )


def draft_minutes(meeting: Meeting, *, actor: User, now: datetime) -> MinutesVersion:
    """Draw up the minutes from the closed meeting's record, or refresh the unsigned draft."""
    if not permissions.can_manage_minutes(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary draw up the minutes."))
    if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED):
        raise InvalidTransitionError(_("Close the meeting before drawing up its minutes."))
    version = latest_version(meeting)
    if version is not None and version.status in rules.LOCKED_STATUSES:
        raise InvalidTransitionError(
            _("These minutes are signed. A correction is an amendment, with its reason.")
        )
    if version is not None and version.supersedes_id is not None:
        raise InvalidTransitionError(
            _("This is an amendment: correct its items; it is not drawn up again.")
        )
    if version is None:
        version = MinutesVersion(
            meeting_id=meeting.id,
            number=1,
            document_id=str(uuid.uuid4()),
            created_at=now,
            created_by_id=actor.id,
        )
        db.session.add(version)
    # Written in the panel's language, which the version keeps: it renders the same for ever.
    version.locale = meeting.panel.locale
    with written_in(version.locale):
        version.content = minutes_content(meeting, document_id=version.document_id, number=1)
    version.status = MinutesStatus.DRAFT
    version.circulated_at = None
    db.session.flush()
    _audit(version, "minutes.drafted", actor, now)
    return version


def circulate(version: MinutesVersion, *, actor: User, now: datetime) -> int:
    """Send the draft to those present who may read it, for comments; returns how many were
    told."""
    meeting = version.meeting
    if not permissions.can_manage_minutes(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary circulate the minutes."))
    if version.status is not MinutesStatus.DRAFT:
        raise InvalidTransitionError(_("Only a draft is circulated."))
    version.status = MinutesStatus.CIRCULATED
    version.circulated_at = now
    told = 0
    for attendance in meeting.attendance:
        # Those present who may read the draft: partners read their extract once it is signed.
        if attendance.status is not AttendanceStatus.PRESENT or (
            permissions.minutes_access(attendance.user, meeting) != "full"
        ):
            continue
        told += notify(
            attendance.user_id,
            NotificationKind.MINUTES_CIRCULATED,
            _l(
                "Draft minutes of the %(panel)s meeting for your comments.",
                panel=meeting.panel.code,
            ),
            link=f"/minutes/{version.id}",
            dedupe_key=f"minutes-circulated:{version.id}:{attendance.user_id}",
            now=now,
            meeting_id=meeting.id,
        )
    _audit(version, "minutes.circulated", actor, now)
    db.session.flush()
    return told


def core_present(meeting: Meeting) -> set[int]:
    """The core agencies that were present: each co-signs the minutes."""
    core = meeting.panel.core_agency_ids
    return {
        a.agency_id
        for a in meeting.attendance
        if a.status is AttendanceStatus.PRESENT and a.agency_id in core
    }


def chair_id(meeting: Meeting) -> int | None:
    """Who signs as chair: the meeting's chair, else the panel's."""
    if meeting.chair_id is not None:
        return meeting.chair_id
    return next(
        (m.user_id for m in current_memberships(meeting.panel) if m.role is PanelRole.CHAIR),
        None,
    )


def signatures_of(version: MinutesVersion) -> dict[str, Any]:
    """The signature block of a version: who signed, whose signature is awaited."""
    meeting = version.meeting
    return signature_block(
        version,
        chair_id=chair_id(meeting),
        core_present=core_present(meeting),
        zone=meeting.panel.timezone,
    )


def _signature_of(version: MinutesVersion, actor: User) -> tuple[SignatureRole, int]:
    """The signature the actor gives: as chair, or for their core agency present."""
    meeting = version.meeting
    if actor.id == chair_id(meeting):
        return SignatureRole.CHAIR, actor.agency_id
    if (
        actor.agency_id in core_present(meeting)
        and permissions.minutes_access(actor, meeting) == "full"
    ):
        return SignatureRole.CO_SIGNER, actor.agency_id
    raise ForbiddenError(_("The chair signs; a member of each core agency present co-signs."))


def _complete(meeting: Meeting, signed: list[tuple[SignatureRole, int]]) -> bool:
    return rules.fully_signed(
        any(role is SignatureRole.CHAIR for role, _agency in signed),
        {agency for _role, agency in signed},
        core_present(meeting),
    )


def completes(version: MinutesVersion, actor: User) -> bool:
    """Whether the actor's signature would be the last one, the one that archives."""
    try:
        given = _signature_of(version, actor)
    except ForbiddenError:
        return False
    signed = [(s.role, s.agency_id) for s in version.signatures]
    return given not in signed and _complete(version.meeting, [*signed, given])


def sign(
    version: MinutesVersion, *, actor: User, now: datetime, anchor: Anchor | None = None
) -> MinutesStatus:
    """The chair signs, each core agency present co-signs; the last signature archives them.

    The signer has just proved who they are (`auth.services.reauthenticate`, with the sign-in
    throttle and audit); the archive is written in this same transaction, so a failed commit
    leaves nothing behind and the last signature can simply be given again. The audit chain's
    `anchor`, taken just before (outside the database), is listed in the archive's manifest."""
    meeting = version.meeting
    if version.status is not MinutesStatus.CIRCULATED:
        raise InvalidTransitionError(_("Minutes are signed once they have been circulated."))
    role, agency_id = _signature_of(version, actor)
    signatures = version.signatures
    if any(
        s.role is role and (role is SignatureRole.CHAIR or s.agency_id == agency_id)
        for s in signatures
    ):
        raise DomainError(_("This signature has already been given."))
    db.session.add(
        MinutesSignature(
            version=version, user_id=actor.id, agency_id=agency_id, role=role, signed_at=now
        )
    )
    db.session.flush()
    _audit(version, "minutes.signed", actor, now)
    if _complete(meeting, [(s.role, s.agency_id) for s in version.signatures]):
        version.status = MinutesStatus.SIGNED
        version.signed_at = now
        db.session.flush()
        manifest = archive.archive_version(version, signatures_of(version), now, anchor=anchor)
        version.status = MinutesStatus.ARCHIVED
        version.archived_at = now
        meeting.status = MeetingStatus.MINUTES_SIGNED
        record_event(
            "minutes.archived",
            actor=actor,
            now=now,
            object_type="minutes",
            object_id=version.id,
            panel_id=meeting.panel_id,
            detail={
                "document_id": version.document_id,
                "version": version.number,
                "content_sha256": manifest["content_sha256"],
                "manifest_sha256": manifest["manifest_sha256"],
            },
        )
        db.session.flush()
    return version.status


def amend(version: MinutesVersion, *, reason: str, actor: User, now: datetime) -> MinutesVersion:
    """Start a correction: a new version that will supersede this signed one, with the reason."""
    meeting = version.meeting
    if not permissions.can_manage_minutes(actor, meeting):
        raise ForbiddenError(_("Only the chair or the secretary amend the minutes."))
    if version.status not in rules.LOCKED_STATUSES:
        raise InvalidTransitionError(_("Only signed minutes are amended; correct the draft."))
    if latest_version(meeting) is not version:
        raise InvalidTransitionError(_("A newer version exists; amend that one."))
    if not reason.strip():
        raise DomainError(_("Say what the correction is and why."), field="reason")
    number = version.number + 1
    document_id = str(uuid.uuid4())  # each version is a document of its own
    content = copy.deepcopy(version.content)
    content |= {
        "document_id": document_id,
        "version": number,
        "amendment_reason": reason.strip(),
        "supersedes": version.document_id,
    }
    amended = MinutesVersion(
        meeting_id=meeting.id,
        number=number,
        document_id=document_id,
        status=MinutesStatus.DRAFT,
        content=content,
        locale=version.locale,
        supersedes_id=version.id,
        amendment_reason=reason.strip(),
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(amended)
    db.session.flush()
    _audit(amended, "minutes.amendment_started", actor, now)
    return amended


def correct_item(
    version: MinutesVersion,
    number: int,
    *,
    facts: str,
    assessment: str,
    actor: User,
    now: datetime,
) -> None:
    """Correct an item's facts or assessment in an unsigned version (an amendment, usually)."""
    if not permissions.can_manage_minutes(actor, version.meeting):
        raise ForbiddenError(_("Only the chair or the secretary correct the minutes."))
    if version.status is not MinutesStatus.DRAFT:
        raise InvalidTransitionError(_("Only a draft can be corrected."))
    content = copy.deepcopy(version.content)
    item = next((i for i in content["items"] if i["number"] == number), None)
    if item is None or item.get("kind") != "case":
        raise DomainError(_("There is no such case item in these minutes."))
    item["facts"], item["assessment"] = facts.strip(), assessment.strip()
    version.content = content
    _audit(version, "minutes.corrected", actor, now)
    db.session.flush()


def content_lines(content: dict[str, Any]) -> list[str]:
    """The minutes as lines of text, for showing what changed between two versions."""
    lines = [f"Amendment: {content.get('amendment_reason', '')}"]
    for a in content["action_review"]:
        lines.append(f"Review {a['reference']}: {a['text']} · {a['status']} {a['note']}")
    for item in content["items"]:
        head = f"{item['number']}. {item.get('reference') or item.get('title', '')}"
        lines.append(head)
        for key in ("facts", "assessment", "assessed_risk", "outcome", "next_review_on"):
            if item.get(key):
                lines.append(f"  {key.replace('_', ' ')}: {item[key]}")
        for r in item.get("recommendations", []):
            lines.append(f"  {r['kind']}: {r['text']} · {r['outcome']}")
        for a in item.get("actions", []):
            lines.append(f"  action: {a['text']} · {a['owner_agency']} · {a['due_on']}")
    return lines


def changes_between(older: MinutesVersion, newer: MinutesVersion) -> list[str]:
    return list(
        difflib.unified_diff(
            content_lines(older.content),
            content_lines(newer.content),
            fromfile=f"version {older.number}",
            tofile=f"version {newer.number}",
            lineterm="",
        )
    )


def meeting_day(meeting: Meeting) -> Any:
    return to_zone(meeting.starts_at, meeting.panel.timezone).date()


# --- Signed minutes never change -----------------------------------------------------------------

_MAY_CHANGE_AFTER_SIGNING = frozenset({"status", "archived_at"})


@sa.event.listens_for(MinutesVersion, "before_update")
def _refuse_changes_to_signed(mapper: Any, connection: Any, version: MinutesVersion) -> None:
    state = sa.inspect(version)
    status_history = state.attrs.status.history
    was = (status_history.deleted or [version.status])[0]
    if was not in rules.LOCKED_STATUSES:
        return
    changed = {
        attr.key for attr in state.attrs if attr.history.has_changes()
    } - _MAY_CHANGE_AFTER_SIGNING
    if changed or version.status not in rules.LOCKED_STATUSES:
        raise SignedMinutesError(f"minutes version {version.id} is signed: {sorted(changed)}")


@sa.event.listens_for(MinutesVersion, "before_delete")
def _refuse_deleting_signed(mapper: Any, connection: Any, version: MinutesVersion) -> None:
    if version.status in rules.LOCKED_STATUSES:
        raise SignedMinutesError(f"minutes version {version.id} is signed and cannot be deleted")
