"""The home page: the user's panels, meetings, cases and actions."""

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from conference.actions.queries import open_action_counts, open_actions
from conference.actions.rules import is_overdue
from conference.cases.queries import coordinated
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.queries import upcoming_meetings
from conference.notify.queries import unread_for
from conference.pagecache import kept

bp = Blueprint("home", __name__)


@bp.route("/")
@kept
def index() -> Any:
    now = utcnow()
    today = now.date()
    size = current_app.config["WORK_LIST_SIZE"]
    # The first rows of each list and how many there are; My work pages through the rest.
    actions_total, overdue_total = open_action_counts(current_user, today)
    actions = db.session.scalars(open_actions(current_user).limit(size)).all()
    cases = db.paginate(coordinated(current_user), page=1, per_page=size, error_out=False)
    return render_template(
        "home/index.html",
        memberships=sorted(current_user.current_memberships, key=lambda m: m.panel.name),
        meetings=upcoming_meetings(current_user, now),
        cases=cases.items,
        cases_total=cases.total,
        actions=[(a, is_overdue(a.status, a.due_on, today)) for a in actions],
        actions_total=actions_total,
        overdue_total=overdue_total,
        notifications=unread_for(current_user),
    )
