"""Every access decision, in one place: deny by default.

Predicates are shared by views, services and templates. `case_visibility` is the same rule as
`can_view_case`, expressed in SQL for list pages; tests check that the two agree.
"""

from typing import Any

import sqlalchemy as sa

from conference.auth.models import User
from conference.cases.models import Case, CaseShare
from conference.extensions import db
from conference.meetings.models import Meeting
from conference.panels.models import AgencyTier, Membership, PanelRole

# Roles that see every case of their panel; partners see only what is shared with them.
FULL_PANEL_ROLES = frozenset({PanelRole.CHAIR, PanelRole.SECRETARY, PanelRole.MEMBER})
PANEL_LEADS = frozenset({PanelRole.CHAIR, PanelRole.SECRETARY})


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "active", False))


def membership_on(user: Any, panel_id: int) -> Membership | None:
    """The user's current membership of the panel, if any."""
    if not _signed_in(user):
        return None
    for membership in user.current_memberships:
        if membership.panel_id == panel_id:
            return membership
    return None


def panel_role(user: Any, panel_id: int) -> PanelRole | None:
    """The user's current role on the panel, or None."""
    membership = membership_on(user, panel_id)
    return membership.role if membership else None


def can_view_panel(user: Any, panel_id: int) -> bool:
    """Any current member of a panel sees the panel and its meetings."""
    return membership_on(user, panel_id) is not None


def can_refer_case(user: Any, panel_id: int) -> bool:
    """Any current member of a panel, partners included, may bring a case to it."""
    return membership_on(user, panel_id) is not None


def _is_shared_with(case: Case, agency_id: int) -> bool:
    return any(s.agency_id == agency_id and s.revoked_at is None for s in case.shares)


def can_view_case(user: Any, case: Case) -> bool:
    """Full members see their panel's cases; partners those shared with them or coordinated."""
    role = panel_role(user, case.panel_id)
    if role is None:
        return False
    if role in FULL_PANEL_ROLES:
        return True
    return case.coordinator_id == user.id or _is_shared_with(case, user.agency_id)


def can_view_restricted(user: Any, case: Case) -> bool:
    """The subject's identity and the narrative: core agencies' members and the coordinator."""
    if not can_view_case(user, case):
        return False
    if case.coordinator_id == user.id:
        return True
    role = panel_role(user, case.panel_id)
    return role in FULL_PANEL_ROLES and case.panel.tier_of(user.agency_id) is AgencyTier.CORE


def _is_lead_or_coordinator(user: Any, case: Case) -> bool:
    return case.coordinator_id == user.id or panel_role(user, case.panel_id) in PANEL_LEADS


def can_edit_case(user: Any, case: Case) -> bool:
    """The chair, the secretary and the case's coordinator keep the case record up to date."""
    return can_view_case(user, case) and _is_lead_or_coordinator(user, case)


def can_edit_subject(user: Any, case: Case) -> bool:
    """Editing personal data needs both the restricted view and the right to edit the case."""
    return can_view_restricted(user, case) and can_edit_case(user, case)


def can_change_status(user: Any, case: Case, needs_decision: bool) -> bool:
    """Chair and secretary record every lifecycle step; the coordinator only the steps that
    need no panel decision (monitoring, proposing closure, escalating again)."""
    if not can_view_case(user, case):
        return False
    if panel_role(user, case.panel_id) in PANEL_LEADS:
        return True
    return not needs_decision and case.coordinator_id == user.id


def can_assign_coordinator(user: Any, case: Case) -> bool:
    """The chair and the secretary record whom the panel names as coordinator."""
    return can_view_case(user, case) and panel_role(user, case.panel_id) in PANEL_LEADS


def can_refer_to_service(user: Any, case: Case) -> bool:
    """Chair, secretary or coordinator, who know the person, refer the case to a service."""
    return can_view_restricted(user, case) and _is_lead_or_coordinator(user, case)


def can_update_referral(user: Any, case: Case) -> bool:
    """The case's coordinator and the panel's core members follow a referral to its outcome
    (its note on how it ended is restricted, as their view is)."""
    return can_view_restricted(user, case)


def can_update_action(user: Any, action: Any) -> bool:
    """The action's owner, the case's coordinator, the chair and the secretary update it."""
    case = action.case
    if not can_view_case(user, case):
        return False
    return action.owner_id == user.id or _is_lead_or_coordinator(user, case)


def can_write_report(user: Any, case: Case) -> bool:
    """The coordinator reports on the case; the chair or secretary may do it in their place."""
    return can_view_case(user, case) and _is_lead_or_coordinator(user, case)


def can_record_consent(user: Any, case: Case) -> bool:
    """Those who may see who the person is record what they consented to."""
    return can_view_restricted(user, case)


def can_share_case(user: Any, case: Case) -> bool:
    """Chair, secretary or coordinator, with the restricted view, share a case with a partner."""
    return can_view_restricted(user, case) and _is_lead_or_coordinator(user, case)


def can_schedule_meeting(user: Any, panel_id: int) -> bool:
    """The panel's chair and secretary schedule its meetings."""
    return panel_role(user, panel_id) in PANEL_LEADS


def can_manage_panel(user: Any, panel_id: int) -> bool:
    """The chair and secretary set the panel's cadence, agenda settings and statement."""
    return panel_role(user, panel_id) in PANEL_LEADS


def can_manage_directory(user: Any, panel_id: int) -> bool:
    """The chair and secretary keep the panel's directory of local services."""
    return panel_role(user, panel_id) in PANEL_LEADS


def can_view_meeting(user: Any, meeting: Meeting) -> bool:
    """Every current member of the panel sees its meetings; what of the agenda depends on them."""
    return can_view_panel(user, meeting.panel_id)


def can_manage_meeting(user: Any, meeting: Meeting) -> bool:
    """The panel's chair and secretary, and whoever chairs or minutes this meeting, run it."""
    if not can_view_meeting(user, meeting):
        return False
    return panel_role(user, meeting.panel_id) in PANEL_LEADS or user.id in (
        meeting.chair_id,
        meeting.secretary_id,
    )


def can_get_pack(user: Any, meeting: Meeting) -> bool:
    """The meeting pack goes to those invited to the meeting and to those who run it; what of it
    depends on the cases each may see."""
    if not can_view_meeting(user, meeting):
        return False
    if can_manage_meeting(user, meeting):
        return True
    return any(a.user_id == user.id for a in meeting.attendance)


def find_person_panels(user: Any) -> list[int]:
    """The panels whose cases the user may search by a person's name: those where they are a
    full member from a core agency, or coordinate a case. Partners and administrators: none."""
    if not _signed_in(user) or user.is_administrator:
        return []
    full = [m for m in user.current_memberships if m.role in FULL_PANEL_ROLES]
    core = {m.panel_id for m in full if m.panel.tier_of(user.agency_id) is AgencyTier.CORE}
    others = [m.panel_id for m in full if m.panel_id not in core]
    coordinating = (
        set(
            db.session.scalars(
                sa.select(Case.panel_id).where(
                    Case.coordinator_id == user.id, Case.panel_id.in_(others)
                )
            )
        )
        if others
        else set()
    )
    return sorted(core | coordinating)


def can_find_person(user: Any) -> bool:
    """Whether the user may look a person up by name in the cases of their panels."""
    return bool(find_person_panels(user))


def minutes_access(user: Any, meeting: Meeting) -> str | None:
    """'full' for a current full member of the panel who was entitled to attend that meeting (a
    full member then, present or not); 'extract' (their agency's only) for current partners and
    for members who joined later or are partners now; nothing once the membership has ended
    (what is held on a person stays reachable through the data-protection officer's export)."""
    current = membership_on(user, meeting.panel_id)
    if current is None:
        return None
    if current.role not in FULL_PANEL_ROLES:
        return "extract"
    day = meeting.starts_at.date()
    entitled_then = any(
        membership.panel_id == meeting.panel_id
        and membership.role in FULL_PANEL_ROLES
        and membership.since <= day
        and (membership.until is None or membership.until >= day)
        for membership in user.memberships
    )
    return "full" if entitled_then else "extract"


def can_manage_minutes(user: Any, meeting: Meeting) -> bool:
    """The chair and the secretary draft, circulate and amend the minutes."""
    return can_manage_meeting(user, meeting)


def can_view_statistics(user: Any, panel_id: int) -> bool:
    """The panel's chair, secretary and core members, and the auditors, read its statistics:
    aggregated figures, still internal to the panel until exported with small numbers hidden."""
    if not _signed_in(user):
        return False
    if user.is_auditor:
        return True
    membership = membership_on(user, panel_id)
    if membership is None:
        return False
    if membership.role in PANEL_LEADS:
        return True
    return (
        membership.role is PanelRole.MEMBER
        and membership.panel.tier_of(user.agency_id) is AgencyTier.CORE
    )


def can_view_any_statistics(user: Any) -> bool:
    """Whether the navigation offers statistics: an auditor, or someone who may read the
    statistics of one of their panels."""
    if not _signed_in(user):
        return False
    return bool(user.is_auditor) or any(
        can_view_statistics(user, m.panel_id) for m in user.current_memberships
    )


def can_read_audit(user: Any) -> bool:
    """Auditors (data-protection officers) read the audit trail."""
    return _signed_in(user) and bool(user.is_auditor)


def can_manage_users(user: Any) -> bool:
    """Administrators manage accounts; that alone gives them no case content."""
    return _signed_in(user) and bool(user.is_administrator)


def needs_second_factor(user: Any) -> bool:
    """Every account that can reach confidential data: administrators and auditors, full
    members from a core agency (the restricted view), and coordinators of a case."""
    if not _signed_in(user):
        return False
    if user.is_administrator or user.is_auditor:
        return True
    for membership in user.current_memberships:
        if membership.role in FULL_PANEL_ROLES and (
            membership.panel.tier_of(user.agency_id) is AgencyTier.CORE
        ):
            return True
    return (
        db.session.scalar(sa.select(Case.id).where(Case.coordinator_id == user.id).limit(1))
        is not None
    )


def case_visibility(user: User) -> sa.ColumnElement[bool]:
    """The SQL form of `can_view_case`, for scoped list queries."""
    if not _signed_in(user):
        return sa.false()
    full = [m.panel_id for m in user.current_memberships if m.role in FULL_PANEL_ROLES]
    partner = [m.panel_id for m in user.current_memberships if m.role not in FULL_PANEL_ROLES]
    clauses: list[sa.ColumnElement[bool]] = []
    if full:
        clauses.append(Case.panel_id.in_(full))
    if partner:
        shared = (
            sa.select(CaseShare.id)
            .where(
                CaseShare.case_id == Case.id,
                CaseShare.agency_id == user.agency_id,
                CaseShare.revoked_at.is_(None),
            )
            .exists()
        )
        clauses.append(
            sa.and_(Case.panel_id.in_(partner), sa.or_(Case.coordinator_id == user.id, shared))
        )
    return sa.or_(*clauses) if clauses else sa.false()
