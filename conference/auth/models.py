"""Agencies and user accounts."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, relationship

from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model

if TYPE_CHECKING:
    from conference.panels.models import Membership


class AgencyKind(enum.StrEnum):
    POLICE = "police"
    MUNICIPALITY = "municipality"
    PROSECUTOR = "prosecutor"
    SOCIAL_SERVICES = "social_services"
    HEALTH = "health"
    YOUTH_WORK = "youth_work"
    EDUCATION = "education"
    NGO = "ngo"
    RELIGIOUS_COMMUNITY = "religious_community"
    EXPERT_CENTRE = "expert_centre"


class Agency(Model):
    """An organisation that sends people to panels: police, municipality, an NGO, ..."""

    __tablename__ = "agency"

    id: Mapped[int] = primary_key()
    code: Mapped[str] = need_to_know(sa.String(16), unique=True)
    name: Mapped[str] = need_to_know(sa.String(120))
    kind: Mapped[AgencyKind] = need_to_know()

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


# An e-mail address's longest form (RFC 5321), and the longest name an account has.
EMAIL_LENGTH = 254
NAME_LENGTH = 120


class User(UserMixin, Model):
    """A person who signs in. Belongs to one agency and to panels through memberships."""

    __tablename__ = "user_account"

    id: Mapped[int] = primary_key()
    email: Mapped[str] = internal(sa.String(EMAIL_LENGTH), unique=True)
    name: Mapped[str] = need_to_know(sa.String(NAME_LENGTH))
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str] = internal(sa.String(255))
    active: Mapped[bool] = internal(default=True, server_default=sa.true())
    is_administrator: Mapped[bool] = internal(default=False, server_default=sa.false())
    is_auditor: Mapped[bool] = internal(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = created_at()
    last_login_at: Mapped[datetime | None] = internal()
    # The second factor: a TOTP secret (sealed with Fernet, see auth/mfa.py), confirmed when
    # mfa_enabled_at is set; the last time step accepted, so that a code never counts twice.
    totp_secret: Mapped[str | None] = internal(sa.String(255))
    mfa_enabled_at: Mapped[datetime | None] = internal()
    totp_last_step: Mapped[int | None] = internal()
    password_changed_at: Mapped[datetime | None] = internal()
    # The language the user reads the app in; None: the browser's, else the panel's.
    locale: Mapped[str | None] = internal(sa.String(8))

    agency: Mapped[Agency] = relationship(lazy="joined")
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def current_memberships(self) -> list["Membership"]:
        """Memberships that have not ended."""
        return [m for m in self.memberships if m.until is None]

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(Model):
    """One signed-in browser. The cookie holds a random token; only its hash is stored, so a
    copy of the database opens no session. Ended sessions stay as a record of who was in."""

    __tablename__ = "user_session"

    id: Mapped[int] = primary_key()
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = internal(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at()
    last_seen_at: Mapped[datetime] = internal()
    # The last time the person proved who they are (password, and code when enrolled).
    authenticated_at: Mapped[datetime] = internal()
    ended_at: Mapped[datetime | None] = internal()
    end_reason: Mapped[str | None] = internal(sa.String(32))

    user: Mapped[User] = relationship()


class SignInThrottle(Model):
    """Failed sign-ins counted per account name and per client address (both hashed)."""

    __tablename__ = "sign_in_throttle"

    id: Mapped[int] = primary_key()
    key: Mapped[str] = internal(sa.String(80), unique=True)
    failures: Mapped[int] = internal(default=0)
    last_failure_at: Mapped[datetime] = internal()
    locked_until: Mapped[datetime | None] = internal()


class RecoveryCode(Model):
    """A one-time code that stands in for the authenticator app; stored hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = primary_key()
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = internal(sa.String(64))
    used_at: Mapped[datetime | None] = internal()

    user: Mapped[User] = relationship()
