"""The minutes' need-to-know projection: plain, JSON-ready data made from a closed meeting.

What this module returns is stored on the minutes version as it is and rendered from there, so a
signed version re-renders identically whatever happens to the record later. Every column value
is read through `read_column`, which refuses restricted columns; strings are formatted here, once.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from conference.actions.models import Action, ActionUpdate, ProgressReport
from conference.actions.rules import OPEN_STATUSES
from conference.auth.models import Agency, User
from conference.cases.models import (
    Case,
    CaseShare,
    CaseStatusChange,
    ConsentRecord,
    CoordinatorAssignment,
    LegalBasis,
)
from conference.directory.models import Service, ServiceReferral, ServiceReferralStep
from conference.documents.projection import read_column
from conference.extensions import db
from conference.formatting import local_date, local_datetime, local_time, long_date
from conference.labels import label
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    ConflictDeclaration,
    ItemOutcome,
    Meeting,
    Recommendation,
    Stance,
)
from conference.meetings.queries import previous_meeting
from conference.meetings.rules import Reason
from conference.minutes.models import MinutesSignature, MinutesVersion, SignatureRole
from conference.panels.models import AgencyTier, statement_to_read

Content = dict[str, Any]

# Every kind of decision a sitting can make, and where the minutes keep it (an item's key, or a
# key of the whole record). tests/minutes/test_record.py makes one decision of each kind through
# the chair's view and finds each in the minutes; a sitting route without a row there fails it.
DECISIONS = {
    "item record (facts, assessment, risk)": "items.facts/assessment/assessed_risk",
    "item outcome (discussed, deferred, escalated, not reached)": "items.outcome",
    "recommendation and its outcome": "items.recommendations",
    "each agency's position, where not unanimous": "items.recommendations.positions",
    "coordinator named or changed, with the reason the rule was set aside": "items.coordinators",
    "case status decided (opened, declined, closure agreed, re-opened)": "items.status_changes",
    "referral to a service and the steps taken in the meeting": "items.referrals",
    "declared conflict of interest: who stepped out": "items.conflicts",
    "action agreed: owner, agency, due date": "items.actions",
    "review of the last meeting's actions": "action_review",
    "items not reached, carried over": "carried_over",
}


def _clock(value: datetime | None, zone: str) -> str:
    return local_time(value, zone)


def _attendance(meeting: Meeting, zone: str) -> list[dict[str, Any]]:
    entries = db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(joinedload(Attendance.user), joinedload(Attendance.agency))
    ).all()
    rows = [
        {
            "agency": read_column(a.agency, "name"),
            "agency_id": read_column(a, "agency_id"),
            "name": read_column(a.user, "name"),
            "observer": read_column(a, "role").value == "observer",
            "status": label(read_column(a, "status")),
            "present": read_column(a, "status").value == "present",
            "arrived": _clock(read_column(a, "arrived_at"), zone),
            "left": _clock(read_column(a, "left_at"), zone),
            "acknowledged": read_column(a, "confidentiality_acknowledged_at") is not None,
        }
        for a in entries
    ]
    return sorted(rows, key=lambda r: (r["agency"], r["name"]))


def _shares(case_ids: Sequence[int]) -> dict[int, list[int]]:
    """The partner agencies each case is shared with now."""
    shared: dict[int, list[int]] = {}
    for case_id, agency_id in db.session.execute(
        sa.select(CaseShare.case_id, CaseShare.agency_id).where(
            CaseShare.case_id.in_(case_ids), CaseShare.revoked_at.is_(None)
        )
    ):
        shared.setdefault(case_id, []).append(agency_id)
    return shared


def _action_review(meeting: Meeting) -> list[dict[str, Any]]:
    """Last meeting's actions and what this meeting found of them."""
    previous = previous_meeting(meeting)
    if previous is None:
        return []
    actions = db.session.scalars(
        sa.select(Action)
        .where(Action.meeting_id == previous.id)
        .options(joinedload(Action.case), joinedload(Action.owner_agency))
        .order_by(Action.due_on, Action.id)
    ).all()
    latest_note = {
        u.action_id: u
        for u in db.session.scalars(
            sa.select(ActionUpdate)
            .where(ActionUpdate.action_id.in_([a.id for a in actions]))
            .order_by(ActionUpdate.at)
        )
    }
    shared = _shares([a.case_id for a in actions])
    core = set(meeting.panel.core_agency_ids)
    return [
        {
            "reference": read_column(a.case, "reference"),
            "text": read_column(a, "text"),
            "owner_agency": read_column(a.owner_agency, "name"),
            # The owner's agency reads it in its extract if the case is shared with it.
            "owner_agency_id": read_column(a, "owner_agency_id")
            if a.owner_agency_id in core | set(shared.get(a.case_id, []))
            or a.case.coordinator_id == a.owner_id
            else None,
            "due_on": long_date(read_column(a, "due_on")),
            "status": label(read_column(a, "status")),
            "still_open": read_column(a, "status") in OPEN_STATUSES,
            "note": read_column(latest_note[a.id], "note") if a.id in latest_note else "",
        }
        for a in actions
    ]


def _recommendation(r: Recommendation) -> dict[str, Any]:
    positions = sorted(r.positions, key=lambda p: p.agency.name)
    unanimous = all(read_column(p, "stance") is Stance.AGREE for p in positions)
    return {
        "kind": label(read_column(r, "kind")),
        "text": read_column(r, "text"),
        "outcome": label(read_column(r, "outcome")),
        "unanimous": unanimous,
        # Positions are recorded only where the panel was not of one mind.
        "positions": []
        if unanimous
        else [
            {
                "agency": read_column(p.agency, "name"),
                "agency_id": read_column(p, "agency_id"),
                "stance": label(read_column(p, "stance")),
                "reason": read_column(p, "reason"),
                # The chair typed it in for someone present by phone.
                "entered_by_chair": read_column(p, "entered_by_id")
                not in (None, read_column(p, "user_id")),
            }
            for p in positions
        ],
    }


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"name": read_column(user, "name"), "agency": read_column(user.agency, "name")}


def _coordinators(meeting: Meeting, case: Case) -> list[dict[str, Any]]:
    """Who the panel named to coordinate the case at this sitting, and why."""
    rows = db.session.scalars(
        sa.select(CoordinatorAssignment)
        .where(
            CoordinatorAssignment.meeting_id == meeting.id,
            CoordinatorAssignment.case_id == case.id,
        )
        .options(joinedload(CoordinatorAssignment.user).joinedload(User.agency))
        .order_by(CoordinatorAssignment.started_at, CoordinatorAssignment.id)
    ).all()
    return [
        {
            **(_person(a.user) or {}),
            "reason": read_column(a, "reason"),
            "override_reason": read_column(a, "override_reason") or "",
        }
        for a in rows
    ]


def _status_changes(meeting: Meeting, case: Case) -> list[dict[str, str]]:
    rows = db.session.scalars(
        sa.select(CaseStatusChange)
        .where(CaseStatusChange.meeting_id == meeting.id, CaseStatusChange.case_id == case.id)
        .order_by(CaseStatusChange.changed_at, CaseStatusChange.id)
    ).all()
    return [
        {
            "from": label(read_column(c, "from_status")),
            "to": label(read_column(c, "to_status")),
            "reason": read_column(c, "reason"),
        }
        for c in rows
    ]


def _basis(legal_basis: LegalBasis | None, consent: ConsentRecord | None, zone: str) -> str:
    """On what the referral rests: a consent record (by its date and who gave it, never its
    notes) or the legal basis recorded."""
    if consent is not None:
        giver = read_column(consent, "given_by")
        return _(
            "consent recorded on %(date)s%(giver)s (consent record %(number)s)",
            date=local_date(read_column(consent, "recorded_at"), zone),
            giver=f", {label(giver).lower()}" if giver else "",
            number=read_column(consent, "id"),
        )
    if legal_basis is not None and legal_basis is not LegalBasis.CONSENT:
        return _("legal basis: %(basis)s", basis=label(legal_basis).lower())
    return ""


def _referrals(meeting: Meeting, case: Case, zone: str) -> list[dict[str, Any]]:
    """Every referral of the case to a service, where it stands when the minutes are drafted,
    with the steps the panel took at this sitting."""
    steps = db.session.scalars(
        sa.select(ServiceReferralStep)
        .join(ServiceReferral, ServiceReferral.id == ServiceReferralStep.referral_id)
        .where(ServiceReferral.case_id == case.id, ServiceReferralStep.meeting_id == meeting.id)
        .order_by(ServiceReferralStep.at, ServiceReferralStep.id)
    ).all()
    referrals = db.session.scalars(
        sa.select(ServiceReferral)
        .where(ServiceReferral.case_id == case.id)
        .order_by(ServiceReferral.created_at, ServiceReferral.id)
    ).all()
    consents = {
        c.id: c
        for c in db.session.scalars(
            sa.select(ConsentRecord).where(
                ConsentRecord.id.in_([s.consent_id for s in steps if s.consent_id])
            )
        )
    }
    services = {
        svc.id: svc
        for svc in db.session.scalars(
            sa.select(Service).where(Service.id.in_([r.service_id for r in referrals]))
        )
    }
    lines = []
    for referral in referrals:
        service = services[referral.service_id]
        own_steps = [s for s in steps if s.referral_id == referral.id]
        lines.append(
            {
                "service": read_column(service, "name"),
                "kind": label(read_column(service, "kind")),
                "guided": read_column(referral, "guided"),
                "status": label(read_column(referral, "status")),
                "outcome": label(read_column(referral, "outcome")),
                "proposed_here": read_column(referral, "meeting_id") == meeting.id,
                "steps": [
                    {
                        "to": label(read_column(step, "to_status")),
                        "basis": _basis(
                            read_column(step, "legal_basis"),
                            consents.get(read_column(step, "consent_id") or 0),
                            zone,
                        ),
                    }
                    for step in own_steps
                ],
            }
        )
    return lines


def _conflicts(item: AgendaItem) -> list[dict[str, str]]:
    rows = db.session.execute(
        sa.select(User)
        .join(ConflictDeclaration, ConflictDeclaration.user_id == User.id)
        .where(ConflictDeclaration.agenda_item_id == item.id)
        .options(joinedload(User.agency))
        .order_by(ConflictDeclaration.declared_at, ConflictDeclaration.id)
    ).scalars()
    return [p for p in (_person(u) for u in rows) if p is not None]


def _case_item(
    number: int,
    item: AgendaItem,
    case: Case,
    meeting: Meeting,
    reports: dict[int, ProgressReport],
    zone: str,
) -> dict[str, Any]:
    report = reports.get(case.id)
    coordinator = case.coordinator
    actions = case_actions(meeting, case.id)
    recommendations = [_recommendation(r) for r in item.recommendations]
    involved = {a.owner_agency_id for a in actions}
    if coordinator is not None:
        involved.add(coordinator.agency_id)
    for r in item.recommendations:  # an agency that objected is named in the decision
        involved |= {p.agency_id for p in r.positions if p.stance is Stance.OBJECT}
    assessed = read_column(item, "assessed_risk")
    # Partners get an extract only of cases shared with them (or that they coordinate).
    readers = set(meeting.panel.core_agency_ids) | set(_shares([case.id]).get(case.id, []))
    if coordinator is not None:
        readers.add(coordinator.agency_id)
    return {
        "number": number,
        "kind": "case",
        "reference": read_column(case, "reference"),
        "title": read_column(item, "title"),
        "reasons": [label(Reason(r)) for r in read_column(item, "reasons")],
        "report": {
            "rag": label(read_column(report, "rag")),
            "summary": read_column(report, "summary"),
        }
        if report is not None and report.submitted_at is not None
        else None,
        "facts": read_column(item, "facts"),
        "assessment": read_column(item, "assessment"),
        "assessed_risk": label(assessed) if assessed else "",
        "outcome": label(read_column(item, "outcome")) if item.outcome else "",
        "recommendations": recommendations,
        "coordinator": _person(coordinator),
        "coordinators": _coordinators(meeting, case),
        "status_changes": _status_changes(meeting, case),
        "referrals": _referrals(meeting, case, zone),
        "conflicts": _conflicts(item),
        "actions": [
            {
                "owner": read_column(a.owner, "name") if a.owner else "",
                "owner_agency": read_column(a.owner_agency, "name"),
                "due_on": long_date(read_column(a, "due_on")),
                "text": read_column(a, "text"),
            }
            for a in actions
        ],
        "next_review_on": long_date(read_column(case, "next_review_on")),
        "agency_ids": sorted(involved & readers),
    }


def case_actions(meeting: Meeting, case_id: int) -> Sequence[Action]:
    return db.session.scalars(
        sa.select(Action)
        .where(Action.meeting_id == meeting.id, Action.case_id == case_id)
        .options(joinedload(Action.owner_agency), joinedload(Action.owner))
        .order_by(Action.due_on, Action.id)
    ).all()


def minutes_content(
    meeting: Meeting, *, document_id: str, number: int, amendment_reason: str = ""
) -> Content:
    """The minutes of a closed meeting, as plain data."""
    panel = meeting.panel
    zone = read_column(panel, "timezone")
    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed_at.is_(None))
        .options(
            joinedload(AgendaItem.case).joinedload(Case.coordinator),
            selectinload(AgendaItem.recommendations).selectinload(Recommendation.positions),
        )
        .order_by(AgendaItem.position)
    ).all()
    reports = {
        r.case_id: r
        for r in db.session.scalars(
            sa.select(ProgressReport).where(ProgressReport.meeting_id == meeting.id)
        )
    }
    lines: list[dict[str, Any]] = []
    for number_on_agenda, item in enumerate(items, start=1):
        if item.kind is AgendaItemKind.CASE and item.case is not None:
            lines.append(_case_item(number_on_agenda, item, item.case, meeting, reports, zone))
        else:
            lines.append(
                {
                    "number": number_on_agenda,
                    "kind": read_column(item, "kind").value,
                    "title": _("Open actions from the last meeting")
                    if item.kind is AgendaItemKind.ACTION_REVIEW
                    else read_column(item, "title"),
                    "facts": read_column(item, "facts"),
                    "assessment": read_column(item, "assessment"),
                    "outcome": label(read_column(item, "outcome")) if item.outcome else "",
                    "agency_ids": [],
                }
            )
    attendance = _attendance(meeting, zone)
    full_agencies = sorted(
        {a["agency"] for a in attendance if a["present"]}
        - {pa.agency.name for pa in panel.agency_tiers if pa.tier is not AgencyTier.CORE}
    )
    partner_agencies = sorted(
        {a["agency"] for a in attendance if a["present"]} - set(full_agencies)
    )
    following = db.session.scalar(
        sa.select(Meeting.starts_at)
        .where(Meeting.panel_id == panel.id, Meeting.starts_at > meeting.starts_at)
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    return {
        "document_id": document_id,
        "version": number,
        "amendment_reason": amendment_reason,
        "panel": {"code": read_column(panel, "code"), "name": read_column(panel, "name")},
        "meeting": {
            "date": local_date(read_column(meeting, "starts_at"), zone),
            "starts": _clock(meeting.starts_at, zone),
            "ends": _clock(meeting.ends_at, zone),
            "place": read_column(meeting, "place"),
            "chair": read_column(meeting.chair, "name") if meeting.chair else "",
            "secretary": read_column(meeting.secretary, "name") if meeting.secretary else "",
        },
        "confidentiality_statement": statement_to_read(
            read_column(panel, "confidentiality_statement")
        ),
        "attendance": attendance,
        "action_review": _action_review(meeting),
        "items": lines,
        "next_meeting": local_date(following, zone) if following else "",
        "carried_over": [
            line.get("reference") or line.get("title", "")
            for line, item in zip(lines, items, strict=True)
            if item.outcome in (ItemOutcome.NOT_REACHED, ItemOutcome.DEFERRED)
        ],
        "distribution": {"full": full_agencies, "extracts": partner_agencies},
        "agencies": {
            str(read_column(pa, "agency_id")): read_column(pa.agency, "name")
            for pa in panel.agency_tiers
        },
        "extract": None,
    }


def extract_content(content: Content, agency_id: int, agency_name: str) -> Content:
    """One agency's extract: the items where it owns an action, coordinates the case, or is named
    in a decision; and its own actions under review. Says how many items were left out."""
    items = [i for i in content["items"] if agency_id in i.get("agency_ids", [])]
    return content | {
        "items": items,
        "action_review": [a for a in content["action_review"] if a["owner_agency_id"] == agency_id],
        "extract": {
            "agency": agency_name,
            "agency_id": agency_id,
            "left_out": len(content["items"]) - len(items),
        },
    }


def extract_agencies(content: Content) -> dict[int, str]:
    """The agencies that get an extract: every agency named in an item or the action review."""
    names = {int(key): name for key, name in content["agencies"].items()}
    ids: set[int] = set()
    for item in content["items"]:
        ids |= set(item.get("agency_ids", []))
    ids |= {a["owner_agency_id"] for a in content["action_review"] if a["owner_agency_id"]}
    return {i: names.get(i, "") for i in sorted(ids)}


def signature_block(
    version: MinutesVersion, *, chair_id: int | None, core_present: set[int], zone: str
) -> dict[str, Any]:
    """Who signed (name, agency, role, when) and whose signature is still awaited: the chair
    and one member of each core agency present. Plain data, for the page and every PDF."""
    signatures = db.session.scalars(
        sa.select(MinutesSignature)
        .where(MinutesSignature.version_id == version.id)
        .order_by(MinutesSignature.signed_at, MinutesSignature.id)
    ).all()
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User)
            .where(User.id.in_([s.user_id for s in signatures] + [chair_id or 0]))
            .options(joinedload(User.agency))
        )
    }
    names: dict[int, str] = dict(db.session.execute(sa.select(Agency.id, Agency.name)).all())
    signed = [
        {
            "role": label(read_column(s, "role")),
            "name": read_column(people[s.user_id], "name"),
            "agency": names.get(read_column(s, "agency_id"), ""),
            "at": local_datetime(read_column(s, "signed_at"), zone),
        }
        for s in signatures
    ]
    chair_signed = any(s.role is SignatureRole.CHAIR for s in signatures)
    covered = {s.agency_id for s in signatures}
    awaited = []
    if not chair_signed:
        chair = people.get(chair_id or 0)
        awaited.append(
            {
                "role": label(SignatureRole.CHAIR),
                "name": read_column(chair, "name") if chair else "",
                "agency": read_column(chair.agency, "name") if chair else "",
            }
        )
    awaited += [
        {"role": label(SignatureRole.CO_SIGNER), "name": "", "agency": names.get(agency_id, "")}
        for agency_id in sorted(core_present - covered, key=lambda a: names.get(a, ""))
    ]
    return {"signed": signed, "awaited": awaited}


def with_signatures(doc: Content, block: dict[str, Any]) -> Content:
    """The document to render, with its signature block."""
    return doc | {"signatures": block}
