"""The case page: who sees what, the audited restricted section, edits, lifecycle, consent."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from conference.audit.models import AuditEvent
from conference.cases.models import (
    Case,
    CaseShare,
    CaseStatus,
    CaseStatusChange,
    ConsentPurpose,
    ConsentRecord,
    ConsentState,
    RiskLevel,
)
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import RecommendationKind, RecommendationOutcome
from tests.factories import (
    AgendaItemFactory,
    GuardianFactory,
    RecommendationFactory,
    ReferralFactory,
    SubjectFactory,
)
from tests.html import input_value, selected
from tests.worlds import World, build_world

NAME = "Zed Markername"
NARRATIVE = "NARRATIVE-MARKER about the concern"


@pytest.fixture
def world() -> World:
    world = build_world()
    for case in world.cases.values():
        SubjectFactory(case=case, full_name=f"{NAME} {case.id}")
        ReferralFactory(case=case, narrative=NARRATIVE)
    return world


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# (user, case) -> (summary page, restricted section)
ACCESS = [
    ("chair", "plain", 200, 200),
    ("police", "plain", 200, 200),
    ("social", "coordinated", 200, 200),  # coordinator, though a partner
    ("social", "plain", 404, 404),
    ("ngo", "shared", 200, 403),  # sees the summary shared with it, never the person
    ("ngo", "plain", 404, 404),
    ("ngo", "revoked", 404, 404),
    ("other", "plain", 404, 404),
    ("admin", "plain", 404, 404),
    ("auditor", "plain", 404, 404),
    ("former", "plain", 404, 404),
]


@pytest.mark.parametrize(("user_key", "case_key", "summary", "restricted"), ACCESS)
def test_access_to_the_case_page_and_its_restricted_section(
    world: World, login, user_key: str, case_key: str, summary: int, restricted: int
) -> None:
    case = world.cases[case_key]
    client = login(world.users[user_key])
    page = client.get(f"/cases/{case.reference}")
    assert page.status_code == summary
    section = client.get(f"/cases/{case.reference}/restricted")
    assert section.status_code == restricted
    assert (NAME in section.get_data(as_text=True)) is (restricted == 200)
    assert len(events("case.restricted_viewed")) == (1 if restricted == 200 else 0)


@pytest.mark.parametrize("path", ["", "/restricted", "/edit", "/subject"])
def test_anonymous_visitors_are_sent_to_sign_in(
    world: World, client: FlaskClient, path: str
) -> None:
    response = client.get(f"/cases/{world.cases['plain'].reference}{path}")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_the_restricted_section_opens_only_on_an_explicit_click_and_is_audited(
    world: World, login
) -> None:
    case = world.cases["plain"]
    client = login(world.users["police"])
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert NAME not in page
    assert NARRATIVE not in page
    assert f'href="/cases/{case.reference}/restricted"' in page
    assert events("case.restricted_viewed") == []
    opened = client.get(f"/cases/{case.reference}/restricted")
    assert NARRATIVE in opened.get_data(as_text=True)
    assert opened.headers["Cache-Control"] == "no-store"
    [event] = events("case.restricted_viewed")
    assert event.actor_id == world.users["police"].id
    assert event.object_id == str(case.id)
    assert event.ip == "127.0.0.1"


def test_a_partner_with_a_share_is_not_offered_the_restricted_section(world: World, login) -> None:
    case = world.cases["shared"]
    page = login(world.users["ngo"]).get(f"/cases/{case.reference}").get_data(as_text=True)
    assert case.reference in page
    assert "/restricted" not in page
    assert "Edit case" not in page


def edit_form(case: Case, **overrides: object) -> dict[str, object]:
    data = {
        "version": case.version_id,
        "concern_category": case.concern_category.value,
        "risk_level": "critical",
        "next_review_on": "2027-01-15",
        "lead_agency_id": "",
    }
    data.update(overrides)
    return data


def test_the_chair_edits_a_case_and_the_change_is_audited(world: World, login) -> None:
    case = world.cases["plain"]
    response = login(world.users["chair"]).post(
        f"/cases/{case.reference}/edit", data=edit_form(case)
    )
    assert response.status_code == 302
    assert case.risk_level is RiskLevel.CRITICAL
    assert case.next_review_on == date(2027, 1, 15)
    [event] = events("case.updated")
    assert set(event.detail["fields"]) == {"risk_level", "next_review_on"}


def test_a_stale_edit_is_reported_and_overwrites_nothing(world: World, login) -> None:
    case = world.cases["plain"]
    stale = edit_form(case, risk_level="low")
    client = login(world.users["chair"])
    assert client.post(f"/cases/{case.reference}/edit", data=edit_form(case)).status_code == 302
    response = client.post(f"/cases/{case.reference}/edit", data=stale)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Someone else changed this case" in page
    assert selected(page, "risk_level") == ["low"]  # what the user typed is kept
    assert case.risk_level is RiskLevel.CRITICAL  # what the other editor saved stays
    assert input_value(page, "version") == str(case.version_id)  # saving again overwrites
    assert (
        client.post(
            f"/cases/{case.reference}/edit", data={**stale, "version": case.version_id}
        ).status_code
        == 302
    )
    assert case.risk_level is RiskLevel.LOW


@pytest.mark.parametrize("user_key", ["police", "ngo", "social"])
def test_members_who_do_not_lead_or_coordinate_cannot_edit(
    world: World, login, user_key: str
) -> None:
    case = world.cases["shared"]
    client = login(world.users[user_key])
    expected = 404 if user_key == "social" else 403
    assert client.get(f"/cases/{case.reference}/edit").status_code == expected
    assert (
        client.post(f"/cases/{case.reference}/edit", data=edit_form(case)).status_code == expected
    )
    assert case.risk_level is RiskLevel.MEDIUM


def test_a_lead_agency_off_the_panel_is_refused(world: World, login) -> None:
    case = world.cases["plain"]
    client = login(world.users["chair"])
    page = client.get(f"/cases/{case.reference}/edit").get_data(as_text=True)
    assert "OMU agency" not in page  # not even offered
    other = world.users["other"].agency_id
    response = client.post(
        f"/cases/{case.reference}/edit", data=edit_form(case, lead_agency_id=other)
    )
    assert response.status_code == 422
    assert case.lead_agency_id is None


def _adopted(case: Case, kind: RecommendationKind, outcome=RecommendationOutcome.ADOPTED):
    item = AgendaItemFactory(case=case)
    return RecommendationFactory(item=item, case_id=case.id, kind=kind, outcome=outcome)


def test_opening_a_referral_rests_on_an_adopted_decision(world: World, login) -> None:
    case = world.cases["plain"]
    case.status = CaseStatus.REFERRED
    client = login(world.users["chair"])
    response = client.post(
        f"/cases/{case.reference}/status",
        data={"status-status": "open", "status-reason": "Agreed.", "status-recommendation_id": ""},
    )
    assert response.status_code == 422
    assert "must rest on a panel decision" in response.get_data(as_text=True)
    assert case.status is CaseStatus.REFERRED

    decision = _adopted(case, RecommendationKind.SERVICE_REFERRAL)
    response = client.post(
        f"/cases/{case.reference}/status",
        data={
            "status-status": "open",
            "status-reason": "Agreed.",
            "status-recommendation_id": decision.id,
        },
    )
    assert response.status_code == 302
    assert case.status is CaseStatus.OPEN
    change = db.session.scalar(
        sa.select(CaseStatusChange).where(CaseStatusChange.case_id == case.id)
    )
    assert (change.from_status, change.to_status) == (CaseStatus.REFERRED, CaseStatus.OPEN)
    assert change.recommendation_id == decision.id
    assert change.changed_by_id == world.users["chair"].id
    assert events("case.status_changed")[0].detail["to"] == "open"
    timeline = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Status: Open" in timeline


def test_an_illegal_step_is_refused_with_a_clear_message(world: World, login) -> None:
    case = world.cases["plain"]
    case.status = CaseStatus.REFERRED
    client = login(world.users["chair"])
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'value="closed"' not in page  # not offered
    response = client.post(
        f"/cases/{case.reference}/status",
        data={"status-status": "closed", "status-reason": "Done."},
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert case.status is CaseStatus.REFERRED


def test_closing_ends_the_coordination(world: World, login) -> None:
    case = world.cases["coordinated"]
    decision = _adopted(case, RecommendationKind.CLOSE_CASE)
    response = login(world.users["chair"]).post(
        f"/cases/{case.reference}/status",
        data={
            "status-status": "closed",
            "status-reason": "No remaining concern.",
            "status-recommendation_id": decision.id,
        },
    )
    assert response.status_code == 302
    assert case.status is CaseStatus.CLOSED
    assert case.coordinator_id is None
    assert case.closed_at is not None


def test_the_coordinator_may_propose_closure_but_not_close(world: World, login) -> None:
    case = world.cases["coordinated"]
    decision = _adopted(case, RecommendationKind.CLOSE_CASE)
    client = login(world.users["social"])
    page = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'value="closure_proposed"' in page
    assert 'value="closed"' not in page
    refused = client.post(
        f"/cases/{case.reference}/status",
        data={
            "status-status": "closed",
            "status-reason": "x",
            "status-recommendation_id": decision.id,
        },
    )
    assert refused.status_code == 422
    assert case.status is CaseStatus.OPEN
    done = client.post(
        f"/cases/{case.reference}/status",
        data={"status-status": "closure_proposed", "status-reason": "Measures completed."},
    )
    assert done.status_code == 302
    assert case.status is CaseStatus.CLOSURE_PROPOSED


def test_the_subject_is_corrected_and_audited_without_values(world: World, login) -> None:
    case = world.cases["plain"]
    client = login(world.users["chair"])
    form = client.get(f"/cases/{case.reference}/subject").get_data(as_text=True)
    assert NAME in form
    born = utcnow().date().replace(year=utcnow().date().year - 15)
    data = {
        "version": case.version_id,
        "full_name": "Zed Corrected",
        "date_of_birth": born.isoformat(),
        "address": "",
        "languages": "Dutch",
    }
    refused = client.post(f"/cases/{case.reference}/subject", data=data)
    assert refused.status_code == 422
    assert "at least one parent or guardian" in refused.get_data(as_text=True)
    assert "Zed Corrected" in refused.get_data(as_text=True)
    assert case.subject.full_name.startswith(NAME)
    data |= {"guardians-0-name": "Pat Parent", "guardians-0-relationship": "father"}
    assert client.post(f"/cases/{case.reference}/subject", data=data).status_code == 302
    assert case.subject.full_name == "Zed Corrected"
    assert case.subject.name_key == "corrected zed"
    [event] = events("subject.updated")
    assert "full_name" in event.detail["fields"]
    assert "Zed" not in str(event.detail)


def test_guardians_are_shown_in_the_subject_form(world: World, login) -> None:
    case = world.cases["plain"]
    GuardianFactory(subject=case.subject, name="Gina Guardian")
    page = login(world.users["chair"]).get(f"/cases/{case.reference}/subject")
    assert 'value="Gina Guardian"' in page.get_data(as_text=True)


def test_notes_are_restricted_and_audited(world: World, login) -> None:
    case = world.cases["shared"]
    client = login(world.users["police"])
    response = client.post(f"/cases/{case.reference}/notes", data={"note-text": "NOTE-MARKER"})
    assert response.status_code == 302
    assert "NOTE-MARKER" in client.get(f"/cases/{case.reference}/restricted").get_data(as_text=True)
    assert "NOTE-MARKER" not in client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert len(events("case.note_added")) == 1
    client.post("/logout")
    ngo = login(world.users["ngo"])
    assert ngo.post(f"/cases/{case.reference}/notes", data={"note-text": "x"}).status_code == 403


def test_an_empty_note_is_refused(world: World, login) -> None:
    case = world.cases["plain"]
    response = login(world.users["police"]).post(
        f"/cases/{case.reference}/notes", data={"note-text": "  "}
    )
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def share_form(agency_id: int, basis: str = "consent") -> dict[str, object]:
    return {"share-agency_id": agency_id, "share-legal_basis": basis}


def consent_form(agency_id: int, state: str) -> dict[str, object]:
    return {
        "consent-purpose": "partner_sharing",
        "consent-partner_agency_id": agency_id,
        "consent-state": state,
        "consent-given_by": "subject",
        "consent-legal_basis": "",
        "consent-guardian_name": "",
        "consent-note": "",
    }


def test_sharing_with_a_partner_needs_consent_and_withdrawal_ends_it(world: World, login) -> None:
    case = world.cases["plain"]
    ngo_agency = world.users["ngo"].agency_id
    client = login(world.users["chair"])
    refused = client.post(f"/cases/{case.reference}/shares", data=share_form(ngo_agency))
    assert refused.status_code == 422
    assert "consent for sharing with them has not been given" in refused.get_data(as_text=True)
    assert not [s for s in case.shares if s.agency_id == ngo_agency]

    assert (
        client.post(
            f"/cases/{case.reference}/consent", data=consent_form(ngo_agency, "given")
        ).status_code
        == 302
    )
    assert (
        client.post(f"/cases/{case.reference}/shares", data=share_form(ngo_agency)).status_code
        == 302
    )
    share = db.session.scalar(sa.select(CaseShare).where(CaseShare.case_id == case.id))
    assert share.consent_id is not None
    assert share.revoked_at is None

    assert (
        client.post(
            f"/cases/{case.reference}/consent", data=consent_form(ngo_agency, "withdrawn")
        ).status_code
        == 302
    )
    assert share.revoked_at is not None
    records = db.session.scalars(
        sa.select(ConsentRecord).where(ConsentRecord.case_id == case.id).order_by(ConsentRecord.id)
    ).all()
    assert [r.state for r in records] == [ConsentState.GIVEN, ConsentState.WITHDRAWN]
    assert [
        e.action
        for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action.in_(["case.shared", "case.share_revoked"]))
            .order_by(AuditEvent.id)
        )
    ] == ["case.shared", "case.share_revoked"]


def test_sharing_on_another_legal_basis_needs_no_consent(world: World, login) -> None:
    case = world.cases["plain"]
    ngo_agency = world.users["ngo"].agency_id
    client = login(world.users["chair"])
    response = client.post(
        f"/cases/{case.reference}/shares", data=share_form(ngo_agency, "vital_interests")
    )
    assert response.status_code == 302
    client.post("/logout")
    assert login(world.users["ngo"]).get(f"/cases/{case.reference}").status_code == 200


def test_a_minor_s_consent_comes_from_a_guardian(world: World, login) -> None:
    case = world.cases["plain"]
    case.subject.date_of_birth = utcnow().date() - timedelta(days=15 * 365)
    client = login(world.users["chair"])
    data = {
        "consent-purpose": "service_referral",
        "consent-partner_agency_id": "",
        "consent-state": "given",
        "consent-given_by": "subject",
        "consent-legal_basis": "",
        "consent-guardian_name": "",
        "consent-note": "",
    }
    response = client.post(f"/cases/{case.reference}/consent", data=data)
    assert response.status_code == 422
    assert "a guardian decides" in response.get_data(as_text=True)
    data |= {"consent-given_by": "guardian", "consent-guardian_name": "Pat Parent"}
    assert client.post(f"/cases/{case.reference}/consent", data=data).status_code == 302
    record = db.session.scalar(sa.select(ConsentRecord).where(ConsentRecord.case_id == case.id))
    assert record.purpose is ConsentPurpose.SERVICE_REFERRAL
    assert record.guardian_name == "Pat Parent"


def test_core_agencies_cannot_be_sent_shares(world: World, login) -> None:
    case = world.cases["plain"]
    police = world.users["police"].agency_id
    response = login(world.users["chair"]).post(
        f"/cases/{case.reference}/shares", data=share_form(police, "public_task")
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_opening_the_subject_form_is_audited_like_the_restricted_section(
    world: World, login
) -> None:
    case = world.cases["plain"]
    login(world.users["chair"]).get(f"/cases/{case.reference}/subject")
    [event] = events("case.restricted_viewed")
    assert event.object_id == str(case.id)


def test_a_stale_subject_edit_is_reported_and_overwrites_nothing(world: World, login) -> None:
    case = world.cases["plain"]
    client = login(world.users["chair"])
    form = {
        "version": case.version_id,
        "full_name": "First Editor",
        "date_of_birth": "",
        "address": "",
        "languages": "",
    }
    assert client.post(f"/cases/{case.reference}/subject", data=form).status_code == 302
    response = client.post(
        f"/cases/{case.reference}/subject", data={**form, "full_name": "Second Editor"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "changed by someone else" in page
    assert 'value="Second Editor"' in page
    assert case.subject.full_name == "First Editor"
    again = {**form, "full_name": "Second Editor", "version": input_value(page, "version")}
    assert client.post(f"/cases/{case.reference}/subject", data=again).status_code == 302
    assert case.subject.full_name == "Second Editor"
