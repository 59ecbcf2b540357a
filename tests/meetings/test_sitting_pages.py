"""The chair's view over HTTP: opening, presence, an item saved on its own, decisions, the lock."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Recommendation,
    RecommendationOutcome,
)
from tests.factories import AgendaItemFactory, AttendanceFactory, MeetingFactory
from tests.html import input_value, selected
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def meeting(world: World) -> Meeting:
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=utcnow() - timedelta(minutes=5),
        ends_at=utcnow() + timedelta(hours=2),
        chair=world.users["chair"],
    )
    for key in ("chair", "secretary", "police", "social"):
        AttendanceFactory(meeting=meeting, user=world.users[key])
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    AgendaItemFactory(meeting=meeting, case=world.cases["coordinated"], position=2)
    return meeting


def items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def mark_present(client, meeting: Meeting) -> None:  # type: ignore[no-untyped-def]
    for entry in db.session.scalars(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
    ):
        response = client.post(
            f"/meetings/{meeting.id}/presence/{entry.id}",
            data={
                f"p{entry.id}-status": "present",
                f"p{entry.id}-role": "member",
                f"p{entry.id}-acknowledged": "y",
            },
        )
        assert response.status_code == 302


def test_the_chair_opens_the_meeting_and_records_presence(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    assert client.post(f"/meetings/{meeting.id}/open").headers["Location"].endswith("/opening")
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.IN_PROGRESS

    entry = db.session.scalars(
        sa.select(Attendance).where(Attendance.user_id == world.users["police"].id)
    ).one()
    refused = client.post(
        f"/meetings/{meeting.id}/presence/{entry.id}",
        data={
            f"p{entry.id}-status": "present",
            f"p{entry.id}-role": "member",
            f"p{entry.id}-arrived": "10:30",
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Everyone present accepts the confidentiality statement first." in page
    assert 'value="10:30"' in page  # what was typed is kept
    assert db.session.get(Attendance, entry.id).status.value == "invited"

    mark_present(client, meeting)
    assert db.session.get(Attendance, entry.id).confidentiality_acknowledged_at is not None


def test_an_item_saves_on_its_own_and_a_stale_save_is_reported(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    client.post(f"/meetings/{meeting.id}/open")
    first = items(meeting)[0]
    url = f"/meetings/{meeting.id}/items/{first.id}/record"
    form = {
        "item-facts": "Missed two appointments.",
        "item-assessed_risk": "",
        "item-assessment": "",
        "item-outcome": "discussed",
        "item-version": str(first.version_id),
    }
    assert client.post(url, data=form).status_code == 302

    stale = client.post(url, data=form | {"item-facts": "My other text."})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert "Someone else saved this item" in page
    assert input_value(page, "item-facts") == "My other text."
    saved = db.session.get(AgendaItem, first.id)
    assert saved.facts == "Missed two appointments."
    assert saved.outcome is ItemOutcome.DISCUSSED


def test_a_recommendation_through_positions_to_a_decision(
    world: World, meeting: Meeting, login
) -> None:
    # Make the secretary the prosecutor's representative so every core agency can be present.
    pro = next(pa.agency_id for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["secretary"].agency_id = pro
    db.session.scalars(
        sa.select(Attendance).where(Attendance.user_id == world.users["secretary"].id)
    ).one().agency_id = pro
    client = login(world.users["chair"])
    client.post(f"/meetings/{meeting.id}/open")
    mark_present(client, meeting)
    item = items(meeting)[0]
    base = f"/meetings/{meeting.id}/items/{item.id}"
    client.post(
        f"{base}/recommendations",
        data={
            "rec-kind": "support_measure",
            "rec-text": "Offer a mentor.",
            "rec-hide_positions": "y",
        },
    )
    recommendation = db.session.scalars(sa.select(Recommendation)).one()
    for key in ("chair", "secretary", "police", "social"):
        response = client.post(
            f"{base}/recommendations/{recommendation.id}/positions",
            data={
                f"pos{recommendation.id}-speaker_id": str(world.users[key].id),
                f"pos{recommendation.id}-stance": "agree",
                f"pos{recommendation.id}-reason": "",
            },
        )
        assert response.status_code == 302, key
        if key == "police":
            page = client.get(base).get_data(as_text=True)
            assert "3 positions given; hidden until all are in." in page
    client.post(f"{base}/recommendations/{recommendation.id}/decide")
    assert (
        db.session.get(Recommendation, recommendation.id).outcome is RecommendationOutcome.ADOPTED
    )

    # An objection without a reason comes back on its own recommendation, as typed.
    client.post(
        f"{base}/recommendations", data={"rec-kind": "consult_experts", "rec-text": "Ask them."}
    )
    second = db.session.scalars(
        sa.select(Recommendation).where(Recommendation.id != recommendation.id)
    ).one()
    prefix = f"pos{second.id}"
    objection = client.post(
        f"{base}/recommendations/{second.id}/positions",
        data={
            f"{prefix}-speaker_id": str(world.users["police"].id),
            f"{prefix}-stance": "object",
            f"{prefix}-reason": "",
        },
    )
    page = objection.get_data(as_text=True)
    assert objection.status_code == 422
    assert "An objection needs a reason." in page
    assert selected(page, f"{prefix}-stance") == ["object"]

    due = (utcnow().date() + timedelta(days=14)).isoformat()
    response = client.post(
        f"{base}/actions",
        data={
            "act-recommendation_id": str(recommendation.id),
            "act-text": "Find a mentor",
            "act-owner_id": str(world.users["police"].id),
            "act-due_on": due,
        },
    )
    assert response.status_code == 302
    assert "Find a mentor" in client.get(base).get_data(as_text=True)


def test_closing_locks_the_record(world: World, meeting: Meeting, login) -> None:
    client = login(world.users["chair"])
    client.post(f"/meetings/{meeting.id}/open", data={"confirmed": "1"})
    asked = client.post(f"/meetings/{meeting.id}/close").get_data(as_text=True)
    assert "Close the meeting?" in asked
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.IN_PROGRESS
    client.post(f"/meetings/{meeting.id}/close", data={"confirmed": "1"})
    first = items(meeting)[0]
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.CLOSED
    assert first.outcome is ItemOutcome.NOT_REACHED
    response = client.post(
        f"/meetings/{meeting.id}/items/{first.id}/record",
        data={"item-facts": "late", "item-version": str(first.version_id)},
    )
    assert response.status_code == 409
    assert "minutes amendment" in response.get_data(as_text=True)
    assert db.session.get(AgendaItem, first.id).facts == ""


@pytest.mark.parametrize(("user_key", "status"), [("police", 403), ("ngo", 403), ("other", 404)])
def test_only_the_chair_and_secretary_run_the_meeting(
    world: World, meeting: Meeting, login, user_key: str, status: int
) -> None:
    client = login(world.users[user_key])
    assert client.post(f"/meetings/{meeting.id}/open").status_code == status
    assert client.get(f"/meetings/{meeting.id}/items/{items(meeting)[0].id}").status_code == status
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.PLANNED


def test_the_secretary_keeps_the_directory_and_the_chair_refers_with_consent(
    world: World, meeting: Meeting, login
) -> None:
    from conference.cases.models import ConsentPurpose, ConsentState
    from conference.directory.models import Service, ServiceReferral, ServiceReferralStatus
    from tests.factories import ConsentRecordFactory

    secretary = login(world.users["secretary"])
    bad = secretary.post(
        "/services/new",
        data={
            "panel_id": world.panel.id,
            "name": "Way Out",
            "provider": "City",
            "kind": "exit_programme",
            "min_age": "20",
            "max_age": "12",
        },
    )
    assert bad.status_code == 422
    assert "The age range ends before it starts." in bad.get_data(as_text=True)
    assert input_value(bad.get_data(as_text=True), "name") == "Way Out"
    assert db.session.scalars(sa.select(Service)).all() == []
    ok = secretary.post(
        "/services/new",
        data={
            "panel_id": world.panel.id,
            "name": "Way Out",
            "provider": "City",
            "kind": "exit_programme",
            "min_age": "12",
            "max_age": "25",
            "active": "y",
        },
    )
    assert ok.status_code == 302
    service = db.session.scalars(sa.select(Service)).one()
    assert login(world.users["police"]).get("/services/new").status_code == 403

    client = login(world.users["chair"])
    client.post(f"/meetings/{meeting.id}/open")
    item = items(meeting)[0]
    base = f"/meetings/{meeting.id}/items/{item.id}"
    assert (
        client.post(
            f"{base}/referrals",
            data={
                "refer-service_id": str(service.id),
                "refer-recommendation_id": "",
                "refer-guided": "y",
            },
        ).status_code
        == 302
    )
    referral = db.session.scalars(sa.select(ServiceReferral)).one()
    assert referral.guided

    step = f"/services/referrals/{referral.id}/step"
    refused = client.post(
        step,
        data={
            f"ref{referral.id}-status": "referred",
            f"ref{referral.id}-legal_basis": "",
            f"ref{referral.id}-version": str(referral.version_id),
            "next": base,
        },
        follow_redirects=True,
    )
    assert "has not consented" in refused.get_data(as_text=True)
    assert db.session.get(ServiceReferral, referral.id).status is ServiceReferralStatus.PROPOSED

    ConsentRecordFactory(
        case_id=item.case_id, purpose=ConsentPurpose.SERVICE_REFERRAL, state=ConsentState.GIVEN
    )
    done = client.post(
        step,
        data={
            f"ref{referral.id}-status": "referred",
            f"ref{referral.id}-legal_basis": "",
            f"ref{referral.id}-version": str(referral.version_id),
            "next": base,
        },
    )
    assert done.headers["Location"] == base
    assert db.session.get(ServiceReferral, referral.id).status is ServiceReferralStatus.REFERRED
    away = client.post(
        step,
        data={
            f"ref{referral.id}-status": "accepted",
            f"ref{referral.id}-version": str(
                db.session.get(ServiceReferral, referral.id).version_id
            ),
            "next": "https://evil.example/",
        },
    )
    assert away.headers["Location"] == f"/cases/{item.case.reference}"


def test_the_background_save_returns_the_next_version_or_the_conflict(
    world: World, meeting: Meeting, login
) -> None:
    client = login(world.users["chair"])
    client.post(f"/meetings/{meeting.id}/open")
    first = items(meeting)[0]
    url = f"/meetings/{meeting.id}/items/{first.id}/record"
    headers = {"Accept": "application/json"}
    loaded = first.version_id
    form = {"item-facts": "Typed so far", "item-version": str(loaded)}

    saved = client.post(url, data=form, headers=headers)
    assert saved.status_code == 200
    assert saved.json["version"] == loaded + 1
    again = client.post(
        url,
        data=form | {"item-version": str(saved.json["version"]), "item-facts": "Typed more"},
        headers=headers,
    )
    assert again.status_code == 200
    stale = client.post(url, data=form | {"item-facts": "From another tab"}, headers=headers)
    assert stale.status_code == 409
    assert "Someone else saved this item" in stale.json["error"]
    assert db.session.get(AgendaItem, first.id).facts == "Typed more"
