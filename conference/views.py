"""Helpers every blueprint's views share."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from conference.auth.rules import is_recent, safe_next_path
from conference.db import utcnow
from conference.errors import DomainError, ForbiddenError
from conference.extensions import db


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a refusal from a service next to the field it concerns, or atop the form."""
    if isinstance(error, ForbiddenError):
        raise error  # a refusal is a 403 page, never a remark beside a field
    target = form._fields.get(error.field) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def client_ip() -> str | None:
    """The client's address for the audit trail and the throttle (from the proxy's
    X-Forwarded-For only when TRUSTED_PROXIES says there is one)."""
    return request.remote_addr


# Further than any list goes; a larger number would overflow the database's OFFSET.
LAST_PAGE_READ = 100_000


def paginate(query: Any, per_page: int) -> Any:
    """The page of `query` asked for in `?page=`: the first when it is not a number or below 1,
    the last when it is beyond the end (never an overflow in the database)."""
    asked = request.args.get("page", 1, type=int)
    page = min(max(asked, 1), LAST_PAGE_READ)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if pagination.pages and page > pagination.pages:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


def safe_back(default: str) -> str:
    """Where a form asked to return to (`next`), if that is a path on this site."""
    return safe_next_path(request.form.get("next")) or default


def apply_change(
    change: Callable[[], Any], success: str | Callable[[Any], str], target: str
) -> Any:
    """A button's change: committed and reported, or rolled back with the reason; then `target`.
    `success` is the message, or makes it from what the change returned."""
    try:
        result = change()
    except ForbiddenError:
        raise  # a refusal is a 403 page, never a notice on the page one came from
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success(result) if callable(success) else success, "success")
    return redirect(target)


def recent_authentication(back: Callable[..., str] | None = None) -> Callable[..., Any]:
    """Views for signing and for documents: the person must have proved who they are in the
    last REAUTH_MINUTES, or confirm it first and come back (to `back(**view_args)` for a POST,
    which cannot be replayed)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            within = timedelta(minutes=current_app.config["REAUTH_MINUTES"])
            if is_recent(g.user_session.authenticated_at, now=utcnow(), within=within):
                return view(**kwargs)
            target = request.full_path if request.method == "GET" else None
            if back is not None and request.method != "GET":
                target = back(**kwargs)
                flash(_("Confirm it is you, then do it again."), "info")
            return redirect(url_for("auth.reauthenticate", next=target))

        return wrapped

    return decorate
