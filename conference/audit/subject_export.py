"""Everything held on one person, for the data-protection officer answering a subject access
request: every case of theirs on any panel, every row about those cases (restricted fields
included: this is the one document meant to show them, to the officer only), the minutes items
about them, and who opened what (the audit trail).

The panels' documents go through `documents.projection`, which refuses restricted columns; this
export deliberately does not, and is therefore only reachable by auditors and always audited.
"""

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.audit.services import record_event
from conference.auth.models import User
from conference.cases.models import Case, Referral, Subject
from conference.cases.records import case_rows
from conference.cases.rules import name_key
from conference.documents.pdf import render_pdf
from conference.extensions import db
from conference.minutes.models import MinutesVersion


@dataclass(frozen=True)
class Request:
    """How the officer names the person: a case reference, or a name and a date of birth."""

    reference: str = ""
    full_name: str = ""
    date_of_birth: date | None = None


def find_cases(request: Request) -> list[Case]:
    """The person's cases: by reference (and then every case with the same person), or by name
    and date of birth; repeat referrals are followed both ways."""
    key, born = name_key(request.full_name), request.date_of_birth
    if request.reference:
        case = db.session.scalar(sa.select(Case).where(Case.reference == request.reference.strip()))
        if case is None:
            return []
        subject = case.subject
        if subject is None or not subject.name_key:
            return [case]
        key, born = subject.name_key, subject.date_of_birth
    if not key:
        return []
    ids = set(
        db.session.scalars(
            sa.select(Subject.case_id).where(
                Subject.name_key == key, Subject.date_of_birth.is_not_distinct_from(born)
            )
        )
    )
    found = _with_repeat_referrals(ids)
    return list(db.session.scalars(sa.select(Case).where(Case.id.in_(found)).order_by(Case.id)))


def search(request: Request, *, officer: User, now: datetime, ip: str | None) -> list[Case]:
    """The person's cases, as the officer is shown them; the search is audited with who
    searched and which references were shown, never the name or date of birth typed."""
    cases = find_cases(request)
    record_event(
        "subject.searched",
        actor=officer,
        now=now,
        ip=ip,
        detail={
            "by": "reference" if request.reference else "name_and_date_of_birth",
            "shown": [case.reference for case in cases],
        },
    )
    return cases


def _with_repeat_referrals(found: set[int]) -> set[int]:
    while True:
        linked = db.session.execute(
            sa.select(Referral.case_id, Referral.previous_case_id).where(
                sa.or_(Referral.case_id.in_(found), Referral.previous_case_id.in_(found))
            )
        ).all()
        more = {i for pair in linked for i in pair if i is not None} - found
        if not more:
            return found
        found |= more


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def build(cases: list[Case], *, officer: User, now: datetime) -> dict[str, Any]:
    """The export as plain data (it is written as JSON and printed as PDF)."""
    references = {case.reference for case in cases}
    minutes_items = []
    for version in db.session.scalars(sa.select(MinutesVersion).order_by(MinutesVersion.id)):
        for item in version.content.get("items", []):
            if item.get("reference") in references:
                minutes_items.append(
                    {"minutes": version.document_id, "version": version.number, "item": item}
                )
    access = db.session.execute(
        sa.select(AuditEvent.at, AuditEvent.action, User.name, AuditEvent.object_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == "case",
            AuditEvent.object_id.in_([str(case.id) for case in cases]),
        )
        .order_by(AuditEvent.seq)
    ).all()
    return {
        "generated_at": now.isoformat(),
        "generated_by": officer.name,
        "cases": [
            {
                "reference": case.reference,
                "panel": case.panel.name,
                "records": {
                    table: [{k: _plain(v) for k, v in row.items()} for row in rows]
                    for table, rows in case_rows(case.id).items()
                },
            }
            for case in cases
        ],
        "minutes_items": minutes_items,
        "access": [
            {"at": at.isoformat(), "action": action, "by": name, "case_id": object_id}
            for at, action, name, object_id in access
        ],
    }


def export(
    cases: list[Case], kind: str, *, officer: User, now: datetime, ip: str | None
) -> tuple[bytes, str]:
    """The export as a JSON or PDF file (bytes, media type); recorded per case in the audit."""
    content = build(cases, officer=officer, now=now)
    for case in cases:
        record_event(
            "subject.exported",
            actor=officer,
            now=now,
            ip=ip,
            object_type="case",
            object_id=case.id,
            panel_id=case.panel_id,
            detail={"format": kind},
        )
    if kind == "json":
        body = json.dumps(content, indent=2, ensure_ascii=False, sort_keys=True)
        return body.encode(), "application/json"
    return render_pdf("documents/subject_export.html", export=content), "application/pdf"
