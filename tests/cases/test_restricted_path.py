"""Restricted data reaches a page only through the one audited path: every page and every refused
form of a case, as every role, shows a restricted value exactly when it records the view."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.cases.models import Case
from conference.extensions import db
from tests.auth.test_matrix import ROLES, Objects, browser_of, build
from tests.factories import (
    CaseNoteFactory,
    ConsentRecordFactory,
    GuardianFactory,
    ReferralFactory,
    SubjectFactory,
)

MARKERS = {
    "full_name": "Rilke Restrictedname",
    "address": "RSTRADDRESS 12",
    "languages": "RSTRLANGUAGE",
    "guardian": "RSTRGUARDIAN Parent",
    "contact": "RSTRCONTACT 0612",
    "narrative": "RSTRNARRATIVE seen at the station",
    "duplicate": "RSTRDUPLICATE reason",
    "note": "RSTRNOTE from the school",
    "consent_guardian": "RSTRCONSENTGUARDIAN",
    "consent_note": "RSTRCONSENTNOTE",
}
BORN = date(1951, 8, 23)


def seed_restricted(o: Objects) -> None:
    """Markers in every restricted field of the case the routes act on."""
    case = db.session.scalar(sa.select(Case).where(Case.reference == o.reference))
    subject = SubjectFactory(
        case=case,
        full_name=MARKERS["full_name"],
        date_of_birth=BORN,
        address=MARKERS["address"],
        languages=MARKERS["languages"],
    )
    GuardianFactory(subject=subject, name=MARKERS["guardian"], contact=MARKERS["contact"])
    earlier = ReferralFactory().case
    ReferralFactory(
        case=case,
        narrative=MARKERS["narrative"],
        previous_case_id=earlier.id,
        duplicate_override_reason=MARKERS["duplicate"],
    )
    CaseNoteFactory(case_id=case.id, text=MARKERS["note"])
    ConsentRecordFactory(
        case_id=case.id,
        guardian_name=MARKERS["consent_guardian"],
        note=MARKERS["consent_note"],
    )
    db.session.commit()


def requests(o: Objects, version: int) -> list[tuple[str, str, dict[str, str]]]:
    """Every page of the case, and every form of its page sent back refused."""
    case = f"/cases/{o.reference}"
    person = {
        "version": str(version),
        "full_name": "",  # refused: the name is required
        "date_of_birth": BORN.isoformat(),
        "address": MARKERS["address"],
        "languages": MARKERS["languages"],
        "guardians-0-name": MARKERS["guardian"],
        "guardians-0-relationship": "parent",
        "guardians-0-contact": MARKERS["contact"],
    }
    return [
        ("GET", case, {}),
        ("GET", f"{case}/restricted", {}),
        ("GET", f"{case}/edit", {}),
        ("GET", f"{case}/subject", {}),
        ("GET", f"{case}/reports/{o.meeting}", {}),
        ("GET", f"/cases/?q={o.reference}", {}),
        ("GET", f"/actions/{o.action}", {}),
        ("GET", f"/meetings/{o.meeting}", {}),
        ("GET", f"/meetings/{o.meeting}/agenda", {}),
        ("GET", f"/meetings/{o.meeting}/items/{o.item}", {}),
        ("GET", "/", {}),
        ("GET", "/my-work", {}),
        ("POST", f"{case}/notes", {"note-text": ""}),
        (
            "POST",
            f"{case}/consent",
            {"consent-purpose": "partner_sharing", "consent-state": "given"},
        ),
        ("POST", f"{case}/shares", {"share-agency_id": "", "share-legal_basis": "consent"}),
        ("POST", f"{case}/status", {"status-status": "nonsense", "status-reason": ""}),
        ("POST", f"{case}/edit", {"version": str(version), "risk_level": "nonsense"}),
        ("POST", f"{case}/subject", person),
    ]


def views_by(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "case.restricted_viewed", AuditEvent.actor_id == user_id)
    )


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_response_shows_restricted_data_exactly_when_it_records_the_view(
    app: Flask, role: str
) -> None:
    objects, users = build()
    seed_restricted(objects)
    version = db.session.scalar(
        sa.select(Case.version_id).where(Case.reference == objects.reference)
    )
    user = users[role]
    client = browser_of(app, user)
    wrong: list[str] = []
    shown_anywhere = False
    for method, url, data in requests(objects, version):
        before = views_by(user.id)
        response = client.open(url, method=method, data=data)
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        page = response.get_data(as_text=True)
        shown = [name for name, marker in MARKERS.items() if marker in page]
        if "A crime is suspected" in page:  # the restricted flag, shown one way or the other
            shown.append("crime_suspected")
        recorded = views_by(user.id) - before
        shown_anywhere |= bool(shown)
        if recorded != (1 if shown else 0):
            wrong.append(
                f"{method} {url} ({response.status_code}): shows {shown}, {recorded} views"
            )
    assert not wrong, "\n".join(wrong)
    may_see = role in ("chair", "secretary", "member", "coordinator")
    assert shown_anywhere is may_see
