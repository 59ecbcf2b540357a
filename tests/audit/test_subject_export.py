"""The data-protection officer's export of everything held on one person."""

import io
import json
from datetime import date

import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from conference.audit.models import AuditEvent
from conference.extensions import db
from tests.cases.test_retention import person_case
from tests.factories import CaseFactory, PanelFactory, ReferralFactory, SubjectFactory, UserFactory

EXPORT = "/audit/subjects"


def test_the_officer_finds_every_case_of_the_person_and_exports_all_of_it(
    client: FlaskClient, login
) -> None:
    officer = UserFactory(is_auditor=True, name="Olga Officer")
    panel, elsewhere = PanelFactory(), PanelFactory()
    first = person_case(panel, "FIRST")
    db.session.execute(
        sa.text(
            "UPDATE subject SET full_name = 'Sam Person', name_key = 'person sam', "
            "date_of_birth = '2008-03-04' WHERE case_id = :id"
        ),
        {"id": first.id},
    )
    again = CaseFactory(panel=elsewhere)
    SubjectFactory(
        case=again, full_name="Sam Person", name_key="person sam", date_of_birth=date(2008, 3, 4)
    )
    namesake = CaseFactory(panel=panel)
    SubjectFactory(
        case=namesake, full_name="Sam Person", name_key="person sam", date_of_birth=date(1990, 1, 1)
    )
    repeat = CaseFactory(panel=panel)  # no person recorded, but a repeat referral of `first`
    ReferralFactory(case=repeat, previous_case_id=first.id)
    db.session.commit()
    browser = login(officer)

    found = browser.post(EXPORT, data={"reference": first.reference})
    page = found.get_data(as_text=True)
    assert "3 cases found" in page
    for case in (first, again, repeat):
        assert case.reference in page
    assert namesake.reference not in page

    response = browser.post(EXPORT, data={"reference": first.reference, "format": "json"})
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert first.reference not in response.headers["Content-Disposition"]
    export = json.loads(response.data)
    assert [c["reference"] for c in export["cases"]] == [
        first.reference,
        again.reference,
        repeat.reference,
    ]
    records = export["cases"][0]["records"]
    assert records["subject"][0]["full_name"] == "Sam Person"
    assert records["guardian"][0]["name"] == "FIRST-name"
    assert records["case_note"][0]["text"] == "FIRST-text"
    assert records["referral"][0]["narrative"] == "FIRST-narrative"
    assert records["recommendation"][0]["text"] == "Recommendation FIRST"

    pdf = browser.post(
        EXPORT, data={"full_name": "sam  PERSON", "date_of_birth": "2008-03-04", "format": "pdf"}
    )
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Sam Person" in text
    assert "FIRST-narrative" in text
    assert again.reference in text

    exported = db.session.execute(
        sa.select(AuditEvent.object_id, AuditEvent.detail).where(
            AuditEvent.action == "subject.exported"
        )
    ).all()
    assert len(exported) == 6  # three cases, twice
    assert {d["format"] for _, d in exported} == {"json", "pdf"}


def test_an_unknown_person_or_an_empty_request_is_said_plainly(client: FlaskClient, login) -> None:
    browser = login(UserFactory(is_auditor=True))
    nobody = browser.post(EXPORT, data={"full_name": "No Such Person", "format": "json"})
    assert "No case is held on this person." in nobody.get_data(as_text=True)
    assert nobody.mimetype == "text/html"
    empty = browser.post(EXPORT, data={})
    assert "Give a case reference, or the person" in empty.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "subject.exported")
        )
        == 0
    )


def test_only_auditors_may_export(client: FlaskClient, login) -> None:
    case = person_case(PanelFactory(), "X")
    browser = login(UserFactory(is_administrator=True))
    assert (
        browser.post(EXPORT, data={"reference": case.reference, "format": "json"}).status_code
        == 403
    )


def searches() -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == "subject.searched")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_a_search_records_who_searched_and_which_cases_were_shown_never_what_was_typed(
    client: FlaskClient, login
) -> None:
    officer = UserFactory(is_auditor=True)
    case = CaseFactory(panel=PanelFactory())
    SubjectFactory(
        case=case,
        full_name="Quentin Typed",
        name_key="quentin typed",
        date_of_birth=date(1987, 6, 5),
    )
    browser = login(officer)

    by_name = browser.post(
        EXPORT, data={"full_name": "Quentin Typed", "date_of_birth": "1987-06-05"}
    )
    assert case.reference in by_name.get_data(as_text=True)
    browser.post(EXPORT, data={"full_name": "Nobody Known", "date_of_birth": "1950-01-02"})
    browser.post(EXPORT, data={"reference": case.reference})

    found, nothing, by_reference = searches()
    assert (found.actor_id, found.ip) == (officer.id, "127.0.0.1")
    assert found.detail == {"by": "name_and_date_of_birth", "shown": [case.reference]}
    assert nothing.detail == {"by": "name_and_date_of_birth", "shown": []}
    assert by_reference.detail == {"by": "reference", "shown": [case.reference]}
    assert all(event.seq is not None for event in (found, nothing, by_reference))  # sealed
    stored = json.dumps(
        [
            [e.action, e.object_type, e.object_id, e.ip, e.detail]
            for e in db.session.scalars(sa.select(AuditEvent))
        ]
    ).lower()
    for typed in ("quentin", "typed", "nobody", "1987", "1950"):
        assert typed not in stored


def test_a_refused_search_records_nothing(client: FlaskClient, login) -> None:
    browser = login(UserFactory(is_auditor=True))
    browser.post(EXPORT, data={})
    assert searches() == []
