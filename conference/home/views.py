"""The home page: the user's panels, meetings, cases and actions."""

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from conference.actions.queries import open_actions_for
from conference.actions.rules import is_overdue
from conference.cases.queries import coordinated_cases
from conference.db import utcnow
from conference.meetings.queries import upcoming_meetings
from conference.notify.queries import unread_for

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> Any:
    now = utcnow()
    today = now.date()
    actions = open_actions_for(current_user)
    return render_template(
        "home/index.html",
        memberships=sorted(current_user.current_memberships, key=lambda m: m.panel.name),
        meetings=upcoming_meetings(current_user, now),
        cases=coordinated_cases(current_user),
        actions=[(a, is_overdue(a.status, a.due_on, today)) for a in actions],
        notifications=unread_for(current_user),
    )
