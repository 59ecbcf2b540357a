"""Opening a notification: marks it read and goes where it points."""

from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from conference.auth.rules import safe_next_path
from conference.db import utcnow
from conference.extensions import db
from conference.notify import queries
from conference.notify.models import Notification
from conference.pagecache import kept

bp = Blueprint("notify", __name__, url_prefix="/notifications")


@bp.route("/")
@kept
def inbox() -> Any:
    return render_template("notify/inbox.html", notifications=queries.inbox_of(current_user))


@bp.route("/read", methods=["POST"])
def mark_all_read() -> Any:
    now = utcnow()
    for notification in queries.inbox_of(current_user):
        if notification.read_at is None:
            notification.read_at = now
    db.session.commit()
    return redirect(url_for("notify.inbox"))


@bp.route("/<int:notification_id>", methods=["POST"])
def open_notification(notification_id: int) -> Any:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    # Links are paths the app wrote itself; anything else (another host) is not followed.
    return redirect(safe_next_path(notification.link) or "/")
