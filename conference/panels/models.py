"""Panels, the agencies that sit on them, and the people who are members."""

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, relationship

from conference.auth.models import Agency, User
from conference.db import created_at, internal, need_to_know, primary_key
from conference.extensions import Model


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools know
    """Marks a message for extraction (`make messages`); it is translated where it is shown."""
    return message


# Stored in English; shown in the reader's language as long as the panel keeps it.
DEFAULT_CONFIDENTIALITY_STATEMENT = N_(
    "What is said in this conference stays in this conference. Information shared here may be "
    "used only for the purpose of this panel, only by the agencies that need it, and only on a "
    "lawful basis. Written records hold only what each recipient needs to know."
)


def statement_to_read(statement: str) -> str:
    """A panel's confidentiality statement in the language of the moment, if it is the default
    one; as the panel wrote it otherwise."""
    return gettext(statement) if statement == DEFAULT_CONFIDENTIALITY_STATEMENT else statement


class AgencyTier(enum.StrEnum):
    CORE = "core"  # makes the quorum; its agreement makes a consensus
    PARTNER = "partner"
    ADVISER = "adviser"


class PanelRole(enum.StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"
    PARTNER = "partner"


class Panel(Model):
    """A standing conference with its member agencies, cadence and defaults."""

    __tablename__ = "panel"

    id: Mapped[int] = primary_key()
    code: Mapped[str] = need_to_know(sa.String(8), unique=True)
    name: Mapped[str] = need_to_know(sa.String(160))
    timezone: Mapped[str] = internal(sa.String(64), default="Europe/Amsterdam")
    # The language of the panel's documents (agenda, minutes, extracts, invitations), and of its
    # pages for a member whose browser asks for none of the app's languages.
    locale: Mapped[str] = internal(sa.String(8), default="en", server_default="en")
    # Cadence: every `cadence_every_weeks` weeks on `cadence_weekday` (0 = Monday).
    cadence_weekday: Mapped[int] = internal(default=1)
    cadence_every_weeks: Mapped[int] = internal(default=2)
    cadence_start: Mapped[time] = internal(default=time(10, 0))
    cadence_end: Mapped[time] = internal(default=time(12, 0))
    default_place: Mapped[str] = need_to_know(sa.String(200), default="")
    review_interval_days: Mapped[int] = internal(default=56)
    max_discussion_interval_days: Mapped[int] = internal(default=91)
    post_exit_review_first_months: Mapped[int] = internal(default=6)
    post_exit_review_second_months: Mapped[int] = internal(default=12)
    minors_first: Mapped[bool] = internal(default=False)
    minutes_new_referral: Mapped[int] = internal(default=15)
    minutes_review: Mapped[int] = internal(default=10)
    minutes_closure: Mapped[int] = internal(default=5)
    report_due_days: Mapped[int] = internal(default=3)
    # A referral to a service unanswered this many days comes back to the coordinator and panel.
    referral_answer_days: Mapped[int] = internal(default=14, server_default="14")
    retention_months: Mapped[int] = internal(default=60)
    # Counts from 1 to this less one never leave the panel (statistics exports).
    suppression_threshold: Mapped[int] = internal(default=5, server_default="5")
    confidentiality_statement: Mapped[str] = need_to_know(
        sa.Text, default=DEFAULT_CONFIDENTIALITY_STATEMENT
    )
    created_at: Mapped[datetime] = created_at()

    # Loaded once per panel and request (the sign-in loads them with the user's panels): a
    # "selectin" default ran the query again each time a query returned the panel, joined to a
    # meeting, a case or a membership, up to seven times on the chair's view.
    agency_tiers: Mapped[list["PanelAgency"]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )

    def tier_of(self, agency_id: int) -> AgencyTier | None:
        """The tier the agency sits in on this panel, or None if it is not a member agency."""
        for entry in self.agency_tiers:
            if entry.agency_id == agency_id:
                return entry.tier
        return None

    @property
    def core_agency_ids(self) -> set[int]:
        return {e.agency_id for e in self.agency_tiers if e.tier is AgencyTier.CORE}

    def __repr__(self) -> str:
        return f"<Panel {self.code}>"


class PanelAgency(Model):
    """An agency's seat on a panel: core, partner or adviser."""

    __tablename__ = "panel_agency"
    __table_args__ = (sa.UniqueConstraint("panel_id", "agency_id"),)

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = internal(sa.ForeignKey("agency.id"))
    tier: Mapped[AgencyTier] = need_to_know()

    panel: Mapped[Panel] = relationship(back_populates="agency_tiers")
    agency: Mapped[Agency] = relationship(lazy="joined")


class Membership(Model):
    """A person's role on a panel from `since` until `until` (None while current)."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("panel_id", "user_id", "since"),)

    id: Mapped[int] = primary_key()
    panel_id: Mapped[int] = internal(sa.ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id"), index=True)
    role: Mapped[PanelRole] = need_to_know()
    since: Mapped[date] = internal()
    until: Mapped[date | None] = internal()

    panel: Mapped[Panel] = relationship(lazy="joined")
    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
