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


class User(UserMixin, Model):
    """A person who signs in. Belongs to one agency and to panels through memberships."""

    __tablename__ = "user_account"

    id: Mapped[int] = primary_key()
    email: Mapped[str] = internal(sa.String(254), unique=True)
    name: Mapped[str] = need_to_know(sa.String(120))
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str] = internal(sa.String(255))
    active: Mapped[bool] = internal(default=True, server_default=sa.true())
    is_administrator: Mapped[bool] = internal(default=False, server_default=sa.false())
    is_auditor: Mapped[bool] = internal(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = created_at()
    last_login_at: Mapped[datetime | None] = internal()

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
