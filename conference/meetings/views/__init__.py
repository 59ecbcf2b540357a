"""Meetings: the calendar and the meeting page, the agenda, the sitting.

One blueprint; its routes live in `scheduling`, `agenda` and `sitting`.
"""

from flask import Blueprint, abort
from flask_login import current_user

from conference.auth import permissions
from conference.meetings import queries
from conference.meetings.models import Meeting

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting, or 404 when the user is not on its panel."""
    meeting = queries.meeting_by_id(meeting_id)
    if meeting is None or not permissions.can_view_meeting(current_user, meeting):
        abort(404)
    return meeting


def load_managed_meeting(meeting_id: int) -> Meeting:
    """The meeting, 404 as above, or 403 for those who do not run it."""
    meeting = load_meeting(meeting_id)
    if not permissions.can_manage_meeting(current_user, meeting):
        abort(403)
    return meeting


from conference.meetings.views import agenda, live, scheduling, sitting  # noqa: E402, F401 - routes
