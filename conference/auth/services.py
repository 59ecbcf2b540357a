"""Accounts and sign-in: the only code that writes users and memberships."""

from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from conference.audit.services import record_event
from conference.auth import mfa, sessions
from conference.auth.models import EMAIL_LENGTH, NAME_LENGTH, Agency, User, UserSession
from conference.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Weakness,
    hash_password,
    needs_rehash,
    verify_password,
    weakness,
)
from conference.auth.rules import normalise_email
from conference.errors import DomainError
from conference.extensions import db
from conference.observability import metrics
from conference.panels.models import Membership, Panel, PanelRole


def create_user(
    *,
    email: str,
    name: str,
    agency: Agency,
    password: str,
    now: datetime,
    actor: Any = None,
    is_administrator: bool = False,
    is_auditor: bool = False,
) -> User:
    """Create an account; refuses a taken e-mail address or a weak password."""
    email = normalise_email(email)
    if not email or len(email) > EMAIL_LENGTH:
        raise DomainError(
            ngettext(
                "Give an e-mail address of at most %(num)d character.",
                "Give an e-mail address of at most %(num)d characters.",
                EMAIL_LENGTH,
            ),
            field="email",
        )
    if not name.strip() or len(name.strip()) > NAME_LENGTH:
        raise DomainError(
            ngettext(
                "Give a name of at most %(num)d character.",
                "Give a name of at most %(num)d characters.",
                NAME_LENGTH,
            ),
            field="name",
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    check_new_password(password, personal=(email, name), field="password")
    user = User(
        email=email,
        name=name.strip(),
        agency=agency,
        password_hash=hash_password(password),
        is_administrator=is_administrator,
        is_auditor=is_auditor,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record_event("user.created", actor=actor, now=now, object_type="user", object_id=user.id)
    return user


def check_new_password(password: str, *, personal: tuple[str, ...], field: str) -> None:
    """Refuse a password that is short or easy to guess, saying why beside `field`."""
    problem = weakness(password, personal)
    if problem is Weakness.TOO_SHORT:
        raise DomainError(
            ngettext(
                "The password must have at least %(num)d character.",
                "The password must have at least %(num)d characters.",
                MIN_PASSWORD_LENGTH,
            ),
            field=field,
        )
    if problem is Weakness.TOO_LONG:
        raise DomainError(
            ngettext(
                "The password can have at most %(num)d character.",
                "The password can have at most %(num)d characters.",
                MAX_PASSWORD_LENGTH,
            ),
            field=field,
        )
    if problem is Weakness.GUESSABLE:
        raise DomainError(
            _(
                "This password is too easy to guess: it is a common password, a simple pattern "
                "or close to your name or e-mail address. A few unrelated words make a strong one."
            ),
            field=field,
        )


def add_membership(
    user: User, panel: Panel, role: PanelRole, *, since: date, now: datetime, actor: Any = None
) -> Membership:
    """Make the user a member of the panel with the role, from `since`."""
    membership = Membership(user=user, panel=panel, role=role, since=since)
    db.session.add(membership)
    db.session.flush()
    record_event(
        "membership.created",
        actor=actor,
        now=now,
        object_type="membership",
        object_id=membership.id,
        panel_id=panel.id,
        detail={"user_id": user.id, "role": role.value},
    )
    return membership


class Attempt(NamedTuple):
    """The outcome of a password check: the user when it passed, when a lockout ends if any."""

    user: User | None
    locked_until: datetime | None = None


def _user_event(action: str, user: User, *, now: datetime, ip: str | None) -> None:
    record_event(action, actor=user, now=now, ip=ip, object_type="user", object_id=user.id)


def _failed(reason: str, email: str, user: User | None, *, now: datetime, ip: str | None) -> None:
    record_event(
        "auth.login_failed",
        actor=user,
        now=now,
        ip=ip,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        detail={"reason": reason},
    )
    metrics.sign_in_failed()
    if reason != "locked":
        sessions.record_failure(email, ip, now=now)


def check_password(email: str, password: str, *, now: datetime, ip: str | None) -> Attempt:
    """The first step of signing in. Every failure is audited and counted against the account
    name and the address; while either is locked the password is not even looked at."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    until = sessions.locked_until(email, ip, now=now)
    if until is not None:
        _failed("locked", email, user, now=now, ip=ip)
        return Attempt(None, until)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        _failed("inactive" if user and password_ok else "credentials", email, user, now=now, ip=ip)
        return Attempt(None, sessions.locked_until(email, ip, now=now))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Attempt(user)


def check_second_factor(user: User, code: str, *, now: datetime, ip: str | None) -> Attempt:
    """The second step for enrolled users: a code from the app or a recovery code, throttled
    and audited like the password."""
    until = sessions.locked_until(user.email, ip, now=now)
    if until is not None:
        _failed("locked", user.email, user, now=now, ip=ip)
        return Attempt(None, until)
    if not user.active or not mfa.verify_second_factor(user, code, now=now):
        _failed("second_factor", user.email, user, now=now, ip=ip)
        return Attempt(None, sessions.locked_until(user.email, ip, now=now))
    return Attempt(user)


def complete_sign_in(user: User, *, now: datetime, ip: str | None) -> str:
    """Open a session for a user who passed every step; returns the session cookie's token."""
    sessions.record_success(user.email)
    user.last_login_at = now
    _user_event("auth.login", user, now=now, ip=ip)
    return sessions.start_session(user.id, now=now)


def reauthenticate(
    user: User, session_row: UserSession, password: str, code: str, *, now: datetime, ip: str | None
) -> Attempt:
    """Prove again who one is before a sensitive step (signing, downloading documents)."""
    attempt = check_password(user.email, password, now=now, ip=ip)
    if attempt.user is not None and user.mfa_enabled_at is not None:
        attempt = check_second_factor(user, code, now=now, ip=ip)
    if attempt.user is not None:
        session_row.authenticated_at = now
        _user_event("auth.reauthenticated", user, now=now, ip=ip)
    return attempt


def sign_out(user: User, *, now: datetime, ip: str | None) -> None:
    """Signing out ends every session of the user, in every browser."""
    sessions.end_sessions(user.id, now=now, reason="signed_out")
    _user_event("auth.logout", user, now=now, ip=ip)


def change_password(user: User, new: str, *, now: datetime, ip: str | None) -> str:
    """Set a new password (the caller has checked the current one with `check_password`, which
    audits and counts a wrong one); every session ends and the browser that made the change
    gets a fresh one (its token is returned)."""
    check_new_password(new, personal=(user.email, user.name), field="new")
    if verify_password(user.password_hash, new):
        raise DomainError(_("The new password must differ from the current one."), field="new")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    sessions.end_sessions(user.id, now=now, reason="password_changed")
    _user_event("auth.password_changed", user, now=now, ip=ip)
    return sessions.start_session(user.id, now=now)


def set_active(user: User, active: bool, *, actor: Any, now: datetime) -> None:
    """An administrator deactivates (every session ends at once) or reactivates an account."""
    if actor is not None and actor.id == user.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        sessions.end_sessions(user.id, now=now, reason="deactivated")
    record_event(
        "user.deactivated" if not active else "user.reactivated",
        actor=actor,
        now=now,
        object_type="user",
        object_id=user.id,
    )
