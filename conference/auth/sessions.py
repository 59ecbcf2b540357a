"""The server-side half of being signed in: session rows and sign-in throttling.

The cookie only carries a random token; the row behind it decides whether the session is still
good (idle and absolute timeouts, sign-out, password change, deactivation). Throttling counts
failures per account name and per client address in the database, so every worker process and
every restart sees the same counts.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from conference.auth.models import SignInThrottle, User, UserSession
from conference.auth.rules import lockout_for, normalise_email, session_end_reason
from conference.db import insert_or_ignore
from conference.extensions import db
from conference.panels.models import Membership, Panel


def digest(value: str) -> str:
    """The SHA-256 of a token or name, as stored instead of the value itself."""
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(user_id: int, *, now: datetime) -> str:
    """Open a session for a person who has just proved who they are; returns the cookie token."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user_id,
            token_hash=digest(token),
            created_at=now,
            last_seen_at=now,
            authenticated_at=now,
        )
    )
    return token


def open_session(token: str | None, user_id: int) -> UserSession | None:
    """The session the cookie token names, if it belongs to the user and has not ended, with
    the user, their agency, memberships, panels and the panels' agency tiers (every access
    check reads them): one statement on every request instead of one per relationship."""
    if not token:
        return None
    return db.session.scalar(
        sa.select(UserSession)
        .where(
            UserSession.token_hash == digest(token),
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
        )
        .options(
            joinedload(UserSession.user)
            .joinedload(User.memberships)
            .joinedload(Membership.panel)
            .joinedload(Panel.agency_tiers)
        )
    )


def timeouts() -> tuple[timedelta, timedelta]:
    """The idle and absolute session timeouts from the configuration."""
    config = current_app.config
    return (
        timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


def expire_if_due(row: UserSession, *, now: datetime) -> str | None:
    """End the session when it was idle or open too long; returns why it ended, if it did."""
    idle, absolute = timeouts()
    reason = session_end_reason(
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        now=now,
        idle=idle,
        absolute=absolute,
    )
    if reason is not None:
        row.ended_at = now
        row.end_reason = reason
    return reason


# How often a session row notes that it was seen (the idle timeout counts from it).
TOUCH_EVERY = timedelta(seconds=60)


def quiet(*, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """Whether a session, at `now`, neither ends (idle or too long open) nor is due to be
    noted as seen."""
    idle, absolute = timeouts()
    ends = session_end_reason(
        created_at=created_at, last_seen_at=last_seen_at, now=now, idle=idle, absolute=absolute
    )
    return ends is None and now - last_seen_at <= TOUCH_EVERY


def end_sessions(user_id: int, *, now: datetime, reason: str) -> None:
    """End every open session of the user (sign-out, password change, deactivation)."""
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


@dataclass(frozen=True)
class ThrottlePolicy:
    lock_after_per_account: int
    lock_after_per_address: int
    longest_lockout: timedelta
    forget_after: timedelta

    @classmethod
    def from_config(cls) -> "ThrottlePolicy":
        config = current_app.config
        return cls(
            lock_after_per_account=config["SIGN_IN_LOCK_AFTER"],
            lock_after_per_address=config["SIGN_IN_LOCK_AFTER_PER_ADDRESS"],
            longest_lockout=timedelta(minutes=config["SIGN_IN_LONGEST_LOCKOUT_MINUTES"]),
            forget_after=timedelta(hours=24),
        )


def _keys(email: str, ip: str | None, policy: ThrottlePolicy) -> dict[str, int]:
    """The throttle rows a sign-in attempt counts against, with the failures that lock them. Unknown
    addresses are counted like real ones, so a lockout tells nothing about who has an account."""
    keys = {"account:" + digest(normalise_email(email)): policy.lock_after_per_account}
    if ip:
        keys["address:" + digest(ip)] = policy.lock_after_per_address
    return keys


def locked_until(email: str, ip: str | None, *, now: datetime) -> datetime | None:
    """When sign-in for this account name from this address opens again, if it is locked now."""
    keys = _keys(email, ip, ThrottlePolicy.from_config())
    until = db.session.scalar(
        sa.select(sa.func.max(SignInThrottle.locked_until)).where(SignInThrottle.key.in_(keys))
    )
    return until if until is not None and until > now else None


def record_failure(email: str, ip: str | None, *, now: datetime) -> None:
    """Count one failed sign-in against the account name and the address; lock when due."""
    policy = ThrottlePolicy.from_config()
    for key, lock_after in _keys(email, ip, policy).items():
        insert_or_ignore(db.session, SignInThrottle, key=key, failures=0, last_failure_at=now)
        row = db.session.execute(
            sa.select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        ).scalar_one()
        if now - row.last_failure_at > policy.forget_after:
            row.failures = 0  # a quiet day starts the count again
        row.failures += 1
        row.last_failure_at = now
        lockout = lockout_for(row.failures, lock_after=lock_after, cap=policy.longest_lockout)
        row.locked_until = now + lockout if lockout else None


def record_success(email: str) -> None:
    """A successful sign-in clears the account's count (not the address's)."""
    key = "account:" + digest(normalise_email(email))
    db.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key == key))
