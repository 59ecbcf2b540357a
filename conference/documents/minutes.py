"""The minutes' need-to-know projection: plain, JSON-ready data made from a closed meeting.

What this module returns is stored on the minutes version as it is and rendered from there, so a
signed version re-renders identically whatever happens to the record later. Every column value
is read through `read_column`, which refuses restricted columns; strings are formatted here, once.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from conference.actions.models import Action, ActionUpdate, ProgressReport
from conference.actions.rules import OPEN_STATUSES
from conference.cases.models import Case
from conference.documents.projection import read_column
from conference.extensions import db
from conference.formatting import local_date, long_date, to_zone
from conference.labels import label
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    Meeting,
    Recommendation,
    Stance,
)
from conference.meetings.queries import previous_meeting
from conference.meetings.rules import Reason
from conference.panels.models import AgencyTier

Content = dict[str, Any]


def _clock(value: datetime | None, zone: str) -> str:
    return to_zone(value, zone).strftime("%H:%M") if value else ""


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
    return [
        {
            "reference": read_column(a.case, "reference"),
            "text": read_column(a, "text"),
            "owner_agency": read_column(a.owner_agency, "name"),
            "owner_agency_id": read_column(a, "owner_agency_id"),
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
            }
            for p in positions
        ],
    }


def _case_item(
    number: int, item: AgendaItem, case: Case, meeting: Meeting, reports: dict[int, ProgressReport]
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
        "coordinator": {
            "name": read_column(coordinator, "name"),
            "agency": read_column(coordinator.agency, "name"),
        }
        if coordinator is not None
        else None,
        "actions": [
            {
                "owner_agency": read_column(a.owner_agency, "name"),
                "due_on": long_date(read_column(a, "due_on")),
                "text": read_column(a, "text"),
            }
            for a in actions
        ],
        "next_review_on": long_date(read_column(case, "next_review_on")),
        "agency_ids": sorted(involved),
    }


def case_actions(meeting: Meeting, case_id: int) -> Sequence[Action]:
    return db.session.scalars(
        sa.select(Action)
        .where(Action.meeting_id == meeting.id, Action.case_id == case_id)
        .options(joinedload(Action.owner_agency))
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
            lines.append(_case_item(number_on_agenda, item, item.case, meeting, reports))
        else:
            lines.append(
                {
                    "number": number_on_agenda,
                    "kind": read_column(item, "kind").value,
                    "title": read_column(item, "title"),
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
        "confidentiality_statement": read_column(panel, "confidentiality_statement"),
        "attendance": attendance,
        "action_review": _action_review(meeting),
        "items": lines,
        "next_meeting": local_date(following, zone) if following else "",
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
    ids |= {a["owner_agency_id"] for a in content["action_review"]}
    return {i: names.get(i, "") for i in sorted(ids)}
