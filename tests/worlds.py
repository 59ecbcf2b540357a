"""A small standard world for access tests: one panel with every kind of user, and another."""

from dataclasses import dataclass

from conference import models as m
from conference.panels.models import AgencyTier, PanelRole
from tests.factories import (
    NOW,
    TODAY,
    ActionFactory,
    AgencyFactory,
    CaseFactory,
    CaseNoteFactory,
    CaseShareFactory,
    GuardianFactory,
    MembershipFactory,
    PanelAgencyFactory,
    PanelFactory,
    ReferralFactory,
    SubjectFactory,
    UserFactory,
    member,
)


@dataclass
class World:
    panel: m.Panel
    other_panel: m.Panel
    users: dict[str, m.User]
    cases: dict[str, m.Case]


def build_world() -> World:
    """Panel RVT (core: MUN, POL, PRO; partners: SOC, NGO) and panel OTH.

    Cases on RVT: `plain` (nobody special), `coordinated` (coordinated by the social partner),
    `shared` (shared with the NGO), `revoked` (was shared with the NGO, share revoked).
    """
    panel = PanelFactory(code="RVT", name="Riverton")
    other_panel = PanelFactory(code="OTH", name="Otherton")
    agencies = {
        code: AgencyFactory(code=code, name=f"{code} agency")
        for code in ("MUN", "POL", "PRO", "SOC", "NGO", "OMU")
    }
    for code in ("MUN", "POL", "PRO"):
        PanelAgencyFactory(panel=panel, agency=agencies[code], tier=AgencyTier.CORE)
    for code in ("SOC", "NGO"):
        PanelAgencyFactory(panel=panel, agency=agencies[code], tier=AgencyTier.PARTNER)
    PanelAgencyFactory(panel=other_panel, agency=agencies["OMU"], tier=AgencyTier.CORE)

    users = {
        "chair": member(panel, PanelRole.CHAIR, agencies["MUN"], name="Chris Chair"),
        "secretary": member(panel, PanelRole.SECRETARY, agencies["MUN"]),
        "police": member(panel, PanelRole.MEMBER, agencies["POL"]),
        "social": member(panel, PanelRole.PARTNER, agencies["SOC"], name="Sol Social"),
        "ngo": member(panel, PanelRole.PARTNER, agencies["NGO"]),
        "other": member(other_panel, PanelRole.MEMBER, agencies["OMU"]),
        "admin": UserFactory(agency=agencies["MUN"], is_administrator=True),
        "auditor": UserFactory(agency=agencies["MUN"], is_auditor=True),
        "former": UserFactory(agency=agencies["POL"]),
    }
    # A member whose membership has ended sees nothing any more.
    MembershipFactory(panel=panel, user=users["former"], role=PanelRole.MEMBER, until=TODAY)

    cases = {
        "plain": CaseFactory(panel=panel),
        "coordinated": CaseFactory(panel=panel, coordinator=users["social"]),
        "shared": CaseFactory(panel=panel),
        "revoked": CaseFactory(panel=panel),
        "elsewhere": CaseFactory(panel=other_panel),
    }
    CaseShareFactory(case=cases["shared"], agency=agencies["NGO"])
    CaseShareFactory(case=cases["revoked"], agency=agencies["NGO"], revoked_at=NOW)
    ActionFactory(case=cases["plain"], owner=users["police"])
    return World(panel=panel, other_panel=other_panel, users=users, cases=cases)


def add_restricted_records(world: World) -> None:
    """Give every case a person, a guardian, a referral and a note: restricted data to keep out."""
    for case in world.cases.values():
        subject = SubjectFactory(case=case)
        GuardianFactory(subject=subject)
        ReferralFactory(case=case)
        CaseNoteFactory(case_id=case.id)
