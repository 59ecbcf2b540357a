"""Referral intake: a new case, its validation, duplicates, repeat referrals, references."""

import logging
import threading
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.audit.models import AuditEvent
from conference.cases.models import Case, CaseStatus, Referral, Subject
from conference.cases.rules import name_key
from conference.cases.services import allocate_reference
from conference.db import utcnow
from conference.extensions import db
from conference.panels.models import Panel
from tests.factories import CaseFactory, ReferralFactory, SubjectFactory
from tests.worlds import World, build_world

MARKER = "Zed Markername"


@pytest.fixture
def world() -> World:
    return build_world()


def today() -> date:
    return utcnow().date()


def intake(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "panel_id": world.panel.id,
        "source": "school",
        "received_on": (today() - timedelta(days=2)).isoformat(),
        "concern_category": "far_right",
        "risk_level": "high",
        "crime_suspected": "y",
        "narrative": "NARRATIVE-MARKER: drew plans of the school.",
        "full_name": MARKER,
        "date_of_birth": "1990-04-02",
        "address": "ADDRESS-MARKER 1",
        "languages": "English",
        "guardians-0-name": "",
        "guardians-0-relationship": "",
        "guardians-0-contact": "",
    }
    data.update(overrides)
    return data


def case_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def test_a_referral_creates_a_case_with_a_pseudonymous_reference(world: World, login) -> None:
    client = login(world.users["police"])
    response = client.post("/cases/new", data=intake(world))
    case = db.session.scalars(
        sa.select(Case).where(Case.panel_id == world.panel.id).order_by(Case.id.desc())
    ).first()
    existing = [
        c
        for c in world.cases.values()
        if c.panel_id == world.panel.id and c.ref_year == today().year
    ]
    assert case.reference == f"RVT-{today().year}-{len(existing) + 1:04d}"
    assert response.location == f"/cases/{case.reference}"
    assert case.status is CaseStatus.REFERRED
    assert case.crime_suspected is True
    assert case.subject.full_name == MARKER
    assert case.subject.name_key == "markername zed"
    assert case.referral.referring_agency_id == world.users["police"].agency_id
    page = client.get(response.location).get_data(as_text=True)
    assert case.reference in page
    assert MARKER not in page
    assert "NARRATIVE-MARKER" not in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.referred"))
    assert event.object_id == str(case.id)
    assert MARKER not in str(event.detail)


def test_references_count_up_per_panel(world: World, login) -> None:
    client = login(world.users["chair"])
    for name in ("First Person", "Second Person"):
        client.post("/cases/new", data=intake(world, full_name=name, date_of_birth=""))
    references = db.session.scalars(
        sa.select(Case.reference)
        .where(Case.panel_id == world.panel.id, Case.ref_year == today().year)
        .order_by(Case.id)
    ).all()
    numbers = [int(r.rsplit("-", 1)[1]) for r in references]
    assert numbers == list(range(1, len(references) + 1))
    assert all(r.startswith(f"RVT-{today().year}-") for r in references)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"full_name": ""}, "This field is required."),
        ({"narrative": ""}, "This field is required."),
        ({"received_on": "not a date"}, "Not a valid date value."),
        ({"received_on": "2999-01-01"}, "cannot be in the future"),
        ({"date_of_birth": "2999-01-01"}, "cannot be in the future"),
        ({"date_of_birth": "__MINOR__"}, "enter at least one parent or guardian"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_stores_nothing(
    world: World, login, overrides: dict[str, str], message: str
) -> None:
    if overrides.get("date_of_birth") == "__MINOR__":
        overrides = {"date_of_birth": today().replace(year=today().year - 15).isoformat()}
    before = case_count()
    response = login(world.users["chair"]).post("/cases/new", data=intake(world, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "NARRATIVE-MARKER" in page or overrides.get("narrative") == ""
    assert "ADDRESS-MARKER 1" in page
    assert case_count() == before
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "case.referred")
        )
        == 0
    )


def test_a_minor_with_a_guardian_is_accepted(world: World, login) -> None:
    born = today().replace(year=today().year - 15)
    response = login(world.users["chair"]).post(
        "/cases/new",
        data=intake(
            world,
            date_of_birth=born.isoformat(),
            **{"guardians-0-name": "Pat Parent", "guardians-0-relationship": "mother"},
        ),
    )
    assert response.status_code == 302
    subject = db.session.scalar(sa.select(Subject).where(Subject.full_name == MARKER))
    assert [(g.name, g.relationship_to_subject) for g in subject.guardians] == [
        ("Pat Parent", "mother")
    ]


def _earlier_case(world: World, *, born: date, received: date, name: str = MARKER) -> Case:
    case = CaseFactory(panel=world.panel, status=CaseStatus.CLOSED)
    SubjectFactory(case=case, full_name=name, name_key=name_key(name), date_of_birth=born)
    ReferralFactory(case=case, received_on=received)
    return case


def test_a_likely_duplicate_is_shown_and_needs_a_reason(world: World, login) -> None:
    earlier = _earlier_case(world, born=date(1990, 4, 2), received=today() - timedelta(days=600))
    client = login(world.users["chair"])
    before = case_count()
    response = client.post("/cases/new", data=intake(world, full_name="markername, ZED"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="/cases/{earlier.reference}"' in page
    assert "likely the same person" in page
    assert case_count() == before

    response = client.post(
        "/cases/new",
        data=intake(
            world, full_name="markername, ZED", duplicate_reason="New concern, different context."
        ),
    )
    assert response.status_code == 302
    referral = db.session.scalar(sa.select(Referral).order_by(Referral.id.desc()))
    assert referral.previous_case_id == earlier.id
    assert referral.duplicate_override_reason == "New concern, different context."
    assert referral.case.is_repeat_referral is False  # the earlier one was 600 days ago


def test_a_possible_duplicate_is_told_apart_from_a_likely_one(world: World, login) -> None:
    _earlier_case(world, born=date(1991, 4, 2), received=today() - timedelta(days=600))
    page = login(world.users["chair"]).post("/cases/new", data=intake(world)).get_data(as_text=True)
    assert "possibly the same person" in page
    assert "likely the same person" not in page


def test_a_match_the_referrer_may_not_see_is_not_disclosed_but_flagged(
    world: World, login, client
) -> None:
    earlier = _earlier_case(world, born=date(1990, 4, 2), received=today() - timedelta(days=90))
    response = login(world.users["ngo"]).post("/cases/new", data=intake(world))
    assert response.status_code == 302
    assert earlier.reference not in client.get(response.location).get_data(as_text=True)
    new_case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    assert new_case.referral.previous_case_id == earlier.id
    assert new_case.is_repeat_referral is True
    client.post("/logout")
    page = (
        login(world.users["chair"])
        .get(f"/cases/{new_case.reference}/restricted")
        .get_data(as_text=True)
    )
    assert earlier.reference in page
    assert "could not see that case" in page


def test_a_referral_within_twelve_months_is_flagged_on_the_page_and_list(
    world: World, login
) -> None:
    _earlier_case(world, born=date(1990, 4, 2), received=today() - timedelta(days=200))
    client = login(world.users["chair"])
    response = client.post("/cases/new", data=intake(world, duplicate_reason="Escalation."))
    case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    assert case.is_repeat_referral is True
    assert "Repeat referral" in client.get(response.location).get_data(as_text=True)
    listing = client.get("/cases/").get_data(as_text=True)
    row = listing[listing.index(case.reference) :][:400]
    assert "Repeat referral" in row


def test_only_panel_members_may_refer(world: World, login) -> None:
    client = login(world.users["admin"])
    assert client.get("/cases/new").status_code == 403
    assert client.post("/cases/new", data=intake(world)).status_code == 403


def test_a_member_cannot_refer_to_a_panel_they_do_not_sit_on(world: World, login) -> None:
    response = login(world.users["other"]).post(
        "/cases/new", data=intake(world, panel_id=world.panel.id)
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert not db.session.scalars(
        sa.select(Case).where(Case.panel_id == world.panel.id, Case.status == CaseStatus.REFERRED)
    ).all()


def test_no_personal_data_reaches_the_application_log(
    world: World, login, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = login(world.users["chair"])
    client.post("/cases/new", data=intake(world, date_of_birth="2999-01-01"))
    client.post("/cases/new", data=intake(world))
    case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    client.get(f"/cases/{case.reference}/restricted")
    for marker in (MARKER, "NARRATIVE-MARKER", "ADDRESS-MARKER"):
        assert marker not in caplog.text


def test_concurrent_intakes_get_distinct_consecutive_references(app: Flask) -> None:
    panel_id = Panel(code="CON", name="Concurrency", created_at=utcnow())
    db.session.add(panel_id)
    db.session.commit()
    panel_pk = panel_id.id
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[str] = []
    errors: list[BaseException] = []

    def refer() -> None:
        try:
            with app.app_context():
                panel = db.session.get(Panel, panel_pk)
                barrier.wait(timeout=10)
                reference, _ = allocate_reference(panel, 2026)
                db.session.commit()
                results.append(reference)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=refer) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [f"CON-2026-{n:04d}" for n in range(1, workers + 1)]


def test_a_repeat_referral_is_added_to_the_closed_earlier_case_which_comes_back_to_the_panel(
    world: World, login
) -> None:
    earlier = _earlier_case(world, born=date(1990, 4, 2), received=today() - timedelta(days=90))
    earlier.status = CaseStatus.CLOSED
    earlier.closed_at = utcnow() - timedelta(days=30)
    db.session.commit()
    client = login(world.users["chair"])
    page = client.post("/cases/new", data=intake(world)).get_data(as_text=True)
    assert f'name="attach_to" value="{earlier.reference}"' in page
    cases_before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))

    response = client.post(
        "/cases/new",
        data=intake(world, narrative="Seen again near the school.")
        | {"attach_to": earlier.reference},
    )

    assert response.headers["Location"] == f"/cases/{earlier.reference}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == cases_before
    case = db.session.get(Case, earlier.id)
    assert case.status is CaseStatus.REFERRED  # back before the panel, which decides
    assert case.closed_at is None
    assert case.is_repeat_referral is True
    assert [r.narrative for r in case.referrals][-1] == "Seen again near the school."
    restricted = client.get(f"/cases/{earlier.reference}/restricted").get_data(as_text=True)
    assert "Referred again" in restricted
    assert "Seen again near the school." in restricted


def test_a_referral_cannot_be_added_to_a_case_that_is_not_the_persons(world: World, login) -> None:
    _earlier_case(world, born=date(1990, 4, 2), received=today() - timedelta(days=90))
    other = world.cases["plain"]
    response = login(world.users["chair"]).post(
        "/cases/new", data=intake(world) | {"attach_to": other.reference}
    )
    assert response.status_code == 422
    assert "not one this person may already have" in response.get_data(as_text=True)
    assert len(db.session.get(Case, other.id).referrals) == 0
