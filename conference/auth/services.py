"""Accounts and sign-in: the only code that writes users and memberships."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from conference.audit.services import record_event
from conference.auth.models import Agency, User
from conference.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from conference.auth.rules import normalise_email
from conference.errors import DomainError
from conference.extensions import db
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
    """Create an account; refuses a taken e-mail address or a short password."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise DomainError("An account with this e-mail address already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
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


def authenticate(email: str, password: str, *, now: datetime, ip: str | None) -> User | None:
    """The active user with these credentials, or None; both outcomes are audited."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        record_event(
            "auth.login_failed",
            actor=user,
            now=now,
            ip=ip,
            object_type="user" if user else None,
            object_id=user.id if user else None,
            detail={"reason": "inactive" if user and password_ok else "credentials"},
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record_event("auth.login", actor=user, now=now, ip=ip, object_type="user", object_id=user.id)
    return user


def record_logout(user: User, *, now: datetime, ip: str | None) -> None:
    """Audit a sign-out."""
    record_event("auth.logout", actor=user, now=now, ip=ip, object_type="user", object_id=user.id)
