"""A referral to a service followed to its outcome between meetings: the coordinator records the
service's answer, the start and the end of support; a silent service comes back to them and to
the panel; the case, the report, the minutes and the pack show where each referral stands."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.cases.models import CaseStatus, LegalBasis, RiskLevel
from conference.directory import services
from conference.directory.models import (
    ReferralOutcome,
    ServiceReferral,
    ServiceReferralStatus,
    ServiceReferralStep,
)
from conference.directory.rules import is_unanswered
from conference.errors import InvalidTransitionError
from conference.extensions import db
from conference.labels import label
from conference.meetings.models import ItemOutcome, MeetingStatus
from conference.meetings.rules import (
    AgendaSettings,
    CaseFacts,
    MeetingFacts,
    Reason,
    ReferralFacts,
    propose_agenda,
)
from conference.meetings.services import agenda as agenda_services
from conference.minutes import services as minutes_services
from tests.factories import (
    NOW,
    TODAY,
    AgendaItemFactory,
    MeetingFactory,
    ServiceFactory,
    ServiceReferralFactory,
)
from tests.worlds import World, build_world

S = ServiceReferralStatus


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def referral(world: World) -> ServiceReferral:
    """A referral of the case the social partner coordinates, proposed by the chair."""
    service = ServiceFactory(panel_id=world.panel.id, name="Exit Riverton")
    found = services.propose_referral(
        world.cases["coordinated"],
        service,
        recommendation=None,
        guided=True,
        actor=world.users["chair"],
        now=NOW - timedelta(days=30),
    )
    db.session.commit()
    return found


def _step(client, referral: ServiceReferral, **data: str):  # type: ignore[no-untyped-def]
    version = db.session.get(ServiceReferral, referral.id).version_id
    fields = {"referral-version": str(version)} | {f"referral-{k}": v for k, v in data.items()}
    return client.post(f"/services/referrals/{referral.id}", data=fields)


def test_the_coordinator_follows_a_referral_to_its_end(
    world: World, referral: ServiceReferral, login
) -> None:
    client = login(world.users["social"])  # the coordinator, from a partner agency
    day = TODAY - timedelta(days=20)
    steps = [
        {"status": "referred", "happened_on": day.isoformat(), "legal_basis": "public_task"},
        {"status": "accepted", "happened_on": (day + timedelta(days=3)).isoformat()},
        {"status": "support_started", "happened_on": (day + timedelta(days=7)).isoformat()},
        {"status": "ended", "outcome": "moved", "outcome_note": "Moved to another town."},
    ]
    for data in steps:
        response = _step(client, referral, **data)
        assert response.status_code == 302, response.get_data(as_text=True)

    db.session.expire_all()
    done = db.session.get(ServiceReferral, referral.id)
    assert done.status is S.ENDED
    assert (done.referred_on, done.answered_on, done.support_started_on) == (
        day,
        day + timedelta(days=3),
        day + timedelta(days=7),
    )
    assert done.ended_on is not None
    assert done.outcome is ReferralOutcome.MOVED
    assert done.outcome_note == "Moved to another town."
    assert done.legal_basis is LegalBasis.PUBLIC_TASK
    recorded = db.session.scalars(
        sa.select(ServiceReferralStep.to_status)
        .where(ServiceReferralStep.referral_id == referral.id)
        .order_by(ServiceReferralStep.id)
    ).all()
    assert recorded == [S.PROPOSED, S.REFERRED, S.ACCEPTED, S.SUPPORT_STARTED, S.ENDED]
    page = client.get(f"/services/referrals/{referral.id}").get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "service_referral")
    ).all()
    # Each step, and the page showing the restricted note on the ending, are audited.
    assert {"referral.ended", "referral.support_started", "referral.viewed"} <= set(actions)
    assert "Moved to another town." in page
    assert "This referral has come to its end." in page
    case_page = client.get(f"/cases/{world.cases['coordinated'].reference}").get_data(as_text=True)
    assert "Referral to Exit Riverton: support started" in case_page  # the timeline
    assert "moved away" in case_page  # the referrals section: ended, and how


def test_a_step_the_referral_cannot_take_is_refused_with_a_reason(
    world: World, referral: ServiceReferral, login
) -> None:
    with pytest.raises(InvalidTransitionError) as refused:
        services.advance_referral(
            referral,
            S.ENDED,
            legal_basis=None,
            version=referral.version_id,
            outcome=ReferralOutcome.COMPLETED,
            actor=world.users["social"],
            now=NOW,
        )
    assert refused.value.message == (
        "A referral that is proposed cannot become ended. "
        "From here it can become: consent sought, declined, referred."
    )
    db.session.rollback()
    client = login(world.users["social"])
    response = client.post(
        f"/services/referrals/{referral.id}/step",
        data={f"ref{referral.id}-status": "ended", f"ref{referral.id}-version": "1"},
        follow_redirects=True,
    )
    assert "A referral that is proposed cannot become ended." in response.get_data(as_text=True)


def test_an_end_without_its_outcome_is_refused_and_the_form_kept(
    world: World, referral: ServiceReferral, login
) -> None:
    client = login(world.users["social"])
    _step(client, referral, status="referred", legal_basis="public_task")
    _step(client, referral, status="accepted")
    response = _step(client, referral, status="ended", outcome_note="Typed note")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say how the support ended." in page
    assert "Typed note" in page
    future = _step(client, referral, status="support_started", happened_on="2099-01-01")
    assert "The day cannot be in the future." in future.get_data(as_text=True)
    assert db.session.get(ServiceReferral, referral.id).status is S.ACCEPTED


@pytest.mark.parametrize(("key", "status"), [("police", 200), ("ngo", 404), ("other", 404)])
def test_core_members_and_the_coordinator_follow_referrals_and_no_one_else(
    world: World, referral: ServiceReferral, login, key: str, status: int
) -> None:
    assert login(world.users[key]).get(f"/services/referrals/{referral.id}").status_code == status


def test_a_partner_who_sees_the_case_may_not_open_its_referral(world: World, login) -> None:
    service = ServiceFactory(panel_id=world.panel.id)
    shared = ServiceReferralFactory(case=world.cases["shared"], service=service)
    db.session.commit()
    assert login(world.users["ngo"]).get(f"/services/referrals/{shared.id}").status_code == 403


# --- A silent service ---------------------------------------------------------------------------


def test_a_referral_is_unanswered_once_the_panels_days_have_passed() -> None:
    today = date(2026, 12, 8)
    assert is_unanswered(S.REFERRED, today - timedelta(days=14), 14, today)
    assert not is_unanswered(S.REFERRED, today - timedelta(days=13), 14, today)
    assert not is_unanswered(S.ACCEPTED, today - timedelta(days=40), 14, today)
    assert not is_unanswered(S.REFERRED, None, 14, today)


def test_an_unanswered_referral_is_a_reason_on_the_agenda() -> None:
    on = date(2026, 12, 8)
    meeting = MeetingFacts(on=on, length_minutes=120, previous_on=on - timedelta(days=14))
    cases = [
        CaseFacts(
            n,
            f"RVT-2026-000{n}",
            CaseStatus.OPEN,
            RiskLevel.MEDIUM,
            on - timedelta(days=60),
            False,
            on + timedelta(days=30),
        )
        for n in (1, 2)
    ]
    items = propose_agenda(
        meeting,
        AgendaSettings(referral_answer_days=10),
        cases,
        referrals=[
            ReferralFacts(1, S.REFERRED, on - timedelta(days=10)),  # ten days: chased
            ReferralFacts(2, S.REFERRED, on - timedelta(days=9)),  # not yet
        ],
    )
    reasons = {i.case_id: i.reasons for i in items if i.case_id}
    assert reasons == {1: [Reason.REFERRAL_UNANSWERED]}


def _referred(world: World, key: str, days_ago: int) -> ServiceReferral:
    return ServiceReferralFactory(
        case=world.cases[key],
        service=ServiceFactory(panel_id=world.panel.id, name=f"Service for {key}"),
        status=S.REFERRED,
        referred_on=TODAY - timedelta(days=days_ago),
    )


def test_a_silent_service_comes_up_in_my_work_and_on_the_next_agenda(world: World, login) -> None:
    world.panel.referral_answer_days = 14
    _referred(world, "coordinated", 20)  # coordinated by the social partner: chased
    _referred(world, "plain", 3)  # a few days: not yet
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=1))
    last = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=14), status=MeetingStatus.CLOSED
    )
    for position, case in enumerate(world.cases.values(), start=1):
        case.next_review_on = TODAY + timedelta(days=60)
        AgendaItemFactory(meeting=last, case=case, position=position, outcome=ItemOutcome.DISCUSSED)
    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()

    reasons = {i.case.reference: i.reasons for i in meeting.items if i.case is not None}
    assert reasons.get(world.cases["coordinated"].reference) == [Reason.REFERRAL_UNANSWERED.value]
    assert world.cases["plain"].reference not in reasons
    agenda = login(world.users["chair"]).get(f"/meetings/{meeting.id}/agenda")
    assert str(label(Reason.REFERRAL_UNANSWERED)) in agenda.get_data(as_text=True)

    work = login(world.users["social"]).get("/my-work").get_data(as_text=True)
    assert "Referrals a service has not answered" in work
    assert "Service for coordinated" in work
    assert "Service for plain" not in work


def test_the_minutes_show_where_each_referral_stands(world: World, referral) -> None:  # type: ignore[no-untyped-def]
    services.advance_referral(
        referral,
        S.REFERRED,
        legal_basis=LegalBasis.PUBLIC_TASK,
        version=referral.version_id,
        actor=world.users["social"],
        now=NOW - timedelta(days=3),
    )
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW - timedelta(hours=3),
        chair=world.users["chair"],
        secretary=world.users["secretary"],
        status=MeetingStatus.CLOSED,
    )
    AgendaItemFactory(meeting=meeting, case=world.cases["coordinated"], position=1)
    version = minutes_services.draft_minutes(meeting, actor=world.users["secretary"], now=NOW)
    [item] = version.content["items"]
    [line] = item["referrals"]
    assert (line["service"], line["status"], line["guided"]) == ("Exit Riverton", "Referred", True)
