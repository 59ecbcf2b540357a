"""Comments on circulated draft minutes, and the secretary's answer to each.

Comments are kept with the version they were made on, read only by those who may read that
version in full, and never printed in the minutes. Every function checks the policy, records the
audit event (never the text) and flushes; none commits.
"""

import copy
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.errors import DomainError, ForbiddenError, InvalidTransitionError
from conference.extensions import db
from conference.meetings.models import AttendanceStatus
from conference.minutes.models import CommentAnswer, MinutesComment, MinutesStatus, MinutesVersion


def may_comment(user: User, version: MinutesVersion) -> bool:
    """While a version is circulated: the chair, the secretary and the full members who were
    present (those it was circulated to)."""
    if version.status is not MinutesStatus.CIRCULATED:
        return False
    meeting = version.meeting
    if permissions.can_manage_minutes(user, meeting):
        return True
    return permissions.minutes_access(user, meeting) == "full" and any(
        a.user_id == user.id and a.status is AttendanceStatus.PRESENT for a in meeting.attendance
    )


def comments_of(version: MinutesVersion) -> list[MinutesComment]:
    """The version's comments, in the order they were made."""
    return list(
        db.session.scalars(
            sa.select(MinutesComment)
            .where(MinutesComment.version_id == version.id)
            .order_by(MinutesComment.created_at, MinutesComment.id)
        )
    )


def open_comments(version: MinutesVersion) -> list[MinutesComment]:
    """The comments the secretary has not answered yet."""
    return [c for c in comments_of(version) if c.answer is None]


def _audit(comment: MinutesComment, action: str, actor: User, now: datetime) -> None:
    record_event(
        action,
        actor=actor,
        now=now,
        object_type="minutes",
        object_id=comment.version_id,
        panel_id=comment.version.meeting.panel_id,
        detail={"comment_id": comment.id, "item": comment.item_number},
    )


def _item(version: MinutesVersion, number: int) -> dict | None:
    return next((i for i in version.content.get("items", []) if i["number"] == number), None)


def add_comment(
    version: MinutesVersion, *, item_number: int | None, body: str, actor: User, now: datetime
) -> MinutesComment:
    """Someone the draft went to comments on one item or on the whole."""
    if version.status is not MinutesStatus.CIRCULATED:
        raise InvalidTransitionError(_("Comments are taken while the draft is circulated."))
    if not may_comment(actor, version):
        raise ForbiddenError(_("Only those the draft was circulated to comment on it."))
    if not body.strip():
        raise DomainError(_("Write your comment."), field="body")
    if item_number is not None and _item(version, item_number) is None:
        raise DomainError(_("There is no such item in these minutes."), field="item_number")
    comment = MinutesComment(
        version_id=version.id,
        version=version,
        item_number=item_number,
        author_id=actor.id,
        body=body.strip(),
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    _audit(comment, "minutes.commented", actor, now)
    return comment


def answer_comment(
    comment: MinutesComment,
    *,
    answer: CommentAnswer,
    text: str,
    facts: str | None = None,
    assessment: str | None = None,
    actor: User,
    now: datetime,
) -> MinutesComment:
    """The secretary answers a comment: taken in (saying what changed, and changing the item's
    facts or assessment here if that is the change) or not taken in (saying why)."""
    version = comment.version
    if not permissions.can_manage_minutes(actor, version.meeting):
        raise ForbiddenError(_("Only the chair or the secretary answer comments."))
    if version.status is not MinutesStatus.CIRCULATED:
        raise InvalidTransitionError(_("Comments are answered while the draft is circulated."))
    if comment.answer is not None:
        raise DomainError(_("This comment has already been answered."))
    if not text.strip():
        raise DomainError(
            _("Say what was changed.")
            if answer is CommentAnswer.TAKEN_IN
            else _("Say why it is not taken in."),
            field="text",
        )
    item = _item(version, comment.item_number) if comment.item_number is not None else None
    if item is not None and item.get("kind") != "case":
        item = None  # only a case item's facts and assessment are corrected here
    changes = {
        key: value.strip()
        for key, value in (("facts", facts), ("assessment", assessment))
        if value is not None and item is not None and value.strip() != item.get(key, "")
    }
    if changes:
        if answer is not CommentAnswer.TAKEN_IN:
            raise DomainError(_("A comment not taken in changes nothing."), field="text")
        if version.signatures:
            raise InvalidTransitionError(
                _(
                    "Signatures have been given on this version: it no longer changes. Draw "
                    "the correction up as an amendment after signing."
                )
            )
        content = copy.deepcopy(version.content)
        changed_item = next(i for i in content["items"] if i["number"] == comment.item_number)
        changed_item.update(changes)
        version.content = content
    comment.answer = answer
    comment.answer_text = text.strip()
    comment.answered_by_id = actor.id
    comment.answered_at = now
    _audit(comment, "minutes.comment_answered", actor, now)
    db.session.flush()
    return comment


def check_signing_over(version: MinutesVersion, *, chair: bool, confirmed: bool) -> None:
    """The chair signs over comments still unanswered only on saying so."""
    waiting = len(open_comments(version))
    if chair and waiting and not confirmed:
        raise DomainError(
            ngettext(
                "%(num)s comment is still open. Read it, or confirm that you sign regardless.",
                "%(num)s comments are still open. Read them, or confirm that you sign regardless.",
                waiting,
            ),
            field="despite_comments",
        )
