"""Retention: cases that ended longer ago than the panel's period lose their personal data."""

from datetime import date, timedelta

import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.cases import records
from conference.cases.jobs import retention
from conference.cases.models import Case, CaseStatus
from conference.cases.rules import retention_ends
from conference.db import Classification
from conference.extensions import db
from conference.panels.models import AgencyTier, PanelRole
from conference.scheduler import JOBS
from tests.factories import (
    NOW,
    ActionFactory,
    AgencyFactory,
    AgendaItemFactory,
    CaseFactory,
    CaseNoteFactory,
    CaseStatusChangeFactory,
    ConsentRecordFactory,
    GuardianFactory,
    PanelAgencyFactory,
    PanelFactory,
    RecommendationFactory,
    ReferralFactory,
    ServiceReferralFactory,
    SubjectFactory,
    member,
)

YEARS_5 = 60


def person_case(panel, marker: str, **fields) -> Case:
    """A case with a record in every table that holds restricted data, each field marked."""
    case = CaseFactory(panel=panel, **fields)
    subject = SubjectFactory(case=case)
    GuardianFactory(subject=subject)
    ReferralFactory(case=case)
    CaseNoteFactory(case_id=case.id)
    ConsentRecordFactory(case_id=case.id)
    ServiceReferralFactory(case=case)
    item = AgendaItemFactory(case=case, meeting__panel=panel)
    RecommendationFactory(item=item, text=f"Recommendation {marker}")
    ActionFactory(case=case, text=f"Action {marker}")
    db.session.flush()
    for name, rows in records.case_rows(case.id).items():
        table = db.metadata.tables[name]
        texts = [
            c.name
            for c in table.columns
            if c.info.get("classification") == Classification.RESTRICTED
            and isinstance(c.type, sa.String)
        ]
        if texts and rows:
            db.session.execute(
                sa.update(table)
                .where(table.c.id.in_([r["id"] for r in rows]))
                .values({column: f"{marker}-{column}" for column in texts})
            )
    db.session.commit()
    return case


def restricted_values(case: Case) -> list[object]:
    values = []
    for name, rows in records.case_rows(case.id).items():
        table = db.metadata.tables[name]
        for column in table.columns:
            if column.info.get("classification") == Classification.RESTRICTED:
                values += [row[column.name] for row in rows]
    return values


def holds(case: Case, marker: str) -> bool:
    return any(isinstance(v, str) and marker in v for v in restricted_values(case))


def test_the_period_runs_from_the_day_the_case_ended() -> None:
    assert retention_ends(date(2021, 11, 24), YEARS_5) == date(2026, 11, 24)
    assert retention_ends(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_ended_cases_past_the_period_are_anonymised_and_the_rest_left_alone() -> None:
    panel = PanelFactory(retention_months=YEARS_5)
    due = person_case(
        panel, "DUE", status=CaseStatus.CLOSED, closed_at=NOW - timedelta(days=5 * 365 + 2)
    )
    recent = person_case(
        panel, "RECENT", status=CaseStatus.CLOSED, closed_at=NOW - timedelta(days=4 * 365)
    )
    active = person_case(panel, "ACTIVE", status=CaseStatus.OPEN)
    declined = person_case(panel, "DECLINED", status=CaseStatus.DECLINED)
    CaseStatusChangeFactory(
        case_id=declined.id,
        to_status=CaseStatus.DECLINED,
        changed_at=NOW - timedelta(days=5 * 365 + 2),
    )
    reference = due.reference
    db.session.commit()
    assert holds(due, "DUE")

    assert retention(NOW) == 2
    db.session.commit()

    assert not holds(due, "DUE")
    assert not holds(declined, "DECLINED")
    assert holds(recent, "RECENT")
    assert holds(active, "ACTIVE")
    case = db.session.get(Case, due.id)
    assert case.reference == reference
    assert case.anonymised_at == NOW
    assert case.crime_suspected is False
    assert case.subject.full_name == ""
    assert case.subject.date_of_birth is None
    assert case.subject.guardians[0].name == ""
    kept = records.case_rows(due.id)
    assert kept["recommendation"][0]["text"] == "Recommendation DUE"
    assert kept["action"][0]["text"] == "Action DUE"
    assert len(kept["case_note"]) == 1  # the count stays, the text goes
    events = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "case.anonymised")
    ).all()
    assert sorted(events) == sorted([str(due.id), str(declined.id)])


def test_the_job_is_scheduled_and_does_its_work_once() -> None:
    assert "retention" in JOBS
    panel = PanelFactory(retention_months=12)
    person_case(panel, "OLD", status=CaseStatus.CLOSED, closed_at=NOW - timedelta(days=400))
    assert retention(NOW) == 1
    db.session.commit()
    assert retention(NOW) == 0


def test_the_case_page_says_the_case_was_anonymised(client, login) -> None:

    panel = PanelFactory(retention_months=12)
    agency = AgencyFactory()
    PanelAgencyFactory(panel=panel, agency=agency, tier=AgencyTier.CORE)
    chair = member(panel, PanelRole.CHAIR, agency)
    case = person_case(panel, "OLD", status=CaseStatus.CLOSED, closed_at=NOW - timedelta(days=400))
    retention(NOW)
    db.session.commit()
    page = login(chair).get(f"/cases/{case.reference}/restricted").get_data(as_text=True)
    assert "Anonymised on" in page
    assert "OLD-" not in page
