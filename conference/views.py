"""Helpers every blueprint's views share."""

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request
from flask_wtf import FlaskForm

from conference.auth.rules import safe_next_path
from conference.errors import DomainError
from conference.extensions import db


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a refusal from a service next to the field it concerns, or atop the form."""
    target = form._fields.get(error.field) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def client_ip() -> str | None:
    """The client's address for the audit trail (the proxy sets it; see ProxyFix)."""
    return request.remote_addr


def safe_back(default: str) -> str:
    """Where a form asked to return to (`next`), if that is a path on this site."""
    return safe_next_path(request.form.get("next")) or default


def apply_change(change: Callable[[], Any], success: str, target: str) -> Any:
    """A button's change: committed and reported, or rolled back with the reason; then `target`."""
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(target)
