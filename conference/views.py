"""Helpers every blueprint's views share."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from conference import pagecache, submissions
from conference.auth.rules import is_recent, safe_next_path
from conference.db import utcnow
from conference.errors import ConflictError, DomainError, ForbiddenError
from conference.extensions import db

# Two saves of one record at the same moment: the database settles it, the loser is told.
CONCURRENT_WRITE = (StaleDataError, IntegrityError)


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


def paginate(query: Any, per_page: int, arg: str = "page", total: int | None = None) -> Any:
    """The page of `query` asked for in `?page=` (or `arg`, for a second list on the page): the
    first when it is not a number or below 1, the last when it is beyond the end (never an
    overflow in the database). A `total` counted already (with other figures, in one
    statement) spares the page its own count."""
    asked = request.args.get(arg, 1, type=int)
    page = min(max(asked, 1), LAST_PAGE_READ)
    if total is not None:
        page = min(page, max(1, -(-total // per_page)))
        pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
        pagination.total = total
        return pagination
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if pagination.pages and page > pagination.pages:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


def safe_back(default: str) -> str:
    """Where a form asked to return to (`next`), if that is a path on this site."""
    return safe_next_path(request.form.get("next")) or default


def conflict_message(form: FlaskForm | None = None) -> str:
    """What a person is told when someone else saved the same record at the same moment: the
    form's own words if it has them."""
    own = getattr(form, "conflict_message", None)
    if own:
        return str(own)
    return _(
        "Someone else saved this at the same moment. Nothing of yours was lost: check what is "
        "saved now, then do it again."
    )


def commit_change(change: Callable[[], Any]) -> Any:
    """Run a change and commit it. A refusal, or a write that lost a race with someone else's
    (raised as a ConflictError), rolls back everything it did."""
    try:
        result = change()
        db.session.commit()
    except CONCURRENT_WRITE as error:
        db.session.rollback()
        raise ConflictError(conflict_message()) from error
    except DomainError:
        db.session.rollback()
        raise
    return result


def apply_change(
    change: Callable[[], Any], success: str | Callable[[Any], str], target: str
) -> Any:
    """A button's change: committed and reported, or rolled back with the reason; then `target`.
    `success` is the message, or makes it from what the change returned."""
    try:
        result = commit_change(change)
    except ForbiddenError:
        db.session.rollback()
        raise  # a refusal is a 403 page, never a notice on the page one came from
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(success(result) if callable(success) else success, "success")
    return redirect(target)


def post_form(
    form: FlaskForm,
    change: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    target: str | Callable[[Any], str],
    page: Callable[[int], Any],
) -> Any:
    """The form-post sequence every view shares. A valid form runs `change`, is committed and
    reported, then goes to `target` (or makes it from what the change returned). A refusal,
    or a save that lost a race with someone else's, rolls everything back and shows `page`
    again with the form as typed and the reason beside its field (`form.conflicted` says it was
    someone else's save, so the page can offer what is saved now). A create form sent twice
    (a double click, a resent post) goes to what its first sending made."""
    if not form.is_submitted():
        return page(200)
    if form.validate():
        token = form.once.data if isinstance(form, submissions.SubmitOnce) else None
        try:
            earlier = submissions.claim(token, user_id=current_user.id, now=utcnow())
            if earlier is not None:
                db.session.rollback()
                flash(_("This form had already been sent; here is what it made."), "info")
                return redirect(earlier)

            def made() -> Any:
                result = change()
                submissions.record_result(token, target(result) if callable(target) else target)
                return result

            result = commit_change(made)
        except ForbiddenError:
            db.session.rollback()
            raise
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, ConflictError):
                form.conflicted = True  # the page can show what is saved now
                if error.message == conflict_message():
                    error = ConflictError(conflict_message(form))
            show_error(form, error)
        else:
            flash(success(result) if callable(success) else success, "success")
            return redirect(target(result) if callable(target) else target)
    return page(422)


def recent_authentication(back: Callable[..., str] | None = None) -> Callable[..., Any]:
    """Views for signing and for documents: the person must have proved who they are in the
    last REAUTH_MINUTES, or confirm it first and come back (to `back(**view_args)` for a POST,
    which cannot be replayed)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            within = timedelta(minutes=current_app.config["REAUTH_MINUTES"])
            proved_at = g.user_session.authenticated_at
            if is_recent(proved_at, now=utcnow(), within=within):
                pagecache.keep_until(proved_at + within)  # a kept copy: only while recent
                return view(**kwargs)
            target = request.full_path if request.method == "GET" else None
            if back is not None and request.method != "GET":
                target = back(**kwargs)
                flash(_("Confirm it is you, then do it again."), "info")
            return redirect(url_for("auth.reauthenticate", next=target))

        return wrapped

    return decorate


def confirmed() -> bool:
    """Whether the person has confirmed a consequential step on its confirmation page."""
    return request.form.get("confirmed") == "1"


def confirmation(
    *, title: str, lines: list[str], action: str, button: str, cancel: str
) -> tuple[str, int]:
    """A page asking to confirm a consequential step (no script: a form posting again)."""
    page = render_template(
        "confirm.html", title=title, lines=lines, action=action, button=button, cancel=cancel
    )
    return page, 200
