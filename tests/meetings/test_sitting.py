"""A sitting from opening to closing, through the services, on a real database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.actions.models import ActionStatus, ActionUpdate
from conference.actions.services import add_action, review_action
from conference.auth.models import AgencyKind
from conference.cases.models import (
    ConsentPurpose,
    ConsentState,
    CoordinatorAssignment,
    LegalBasis,
    RiskLevel,
)
from conference.cases.services import assign_coordinator
from conference.directory.models import ServiceReferralStatus
from conference.directory.services import advance_referral, propose_referral
from conference.errors import ConflictError, DomainError, InvalidTransitionError
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    RecommendationKind,
    RecommendationOutcome,
    Stance,
)
from conference.meetings.rules import Reason
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base as meeting_base
from conference.meetings.services import sitting as sitting_services
from conference.notify.models import Notification, NotificationKind
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    CaseShareFactory,
    ConsentRecordFactory,
    MeetingFactory,
    ServiceFactory,
)
from tests.worlds import World, build_world

MEMBERS = ("chair", "secretary", "police", "social", "ngo")


@pytest.fixture
def world() -> World:
    world = build_world()
    db.session.get(
        type(world.users["police"].agency), world.users["police"].agency_id
    ).kind = AgencyKind.POLICE
    return world


@pytest.fixture
def meeting(world: World) -> Meeting:
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=2),
        chair=world.users["chair"],
    )
    for key in MEMBERS:
        AttendanceFactory(meeting=meeting, user=world.users[key])
    sitting_services.open_meeting(meeting, actor=world.users["chair"], now=NOW)
    return meeting


def attendance(meeting: Meeting, user) -> Attendance:  # type: ignore[no-untyped-def]
    return next(a for a in meeting.attendance if a.user_id == user.id)


def present(world: World, meeting: Meeting, key: str, **times) -> None:  # type: ignore[no-untyped-def]
    sitting_services.record_presence(
        meeting,
        attendance(meeting, world.users[key]),
        sitting_services.PresenceData(
            status=AttendanceStatus.PRESENT, role=AttendeeRole.MEMBER, acknowledged=True, **times
        ),
        actor=world.users["chair"],
        now=NOW,
    )


@pytest.fixture
def item(world: World, meeting: Meeting) -> AgendaItem:
    return AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)


def recommend(world: World, item: AgendaItem, hide: bool = False):  # type: ignore[no-untyped-def]
    return sitting_services.add_recommendation(
        item,
        kind=RecommendationKind.SERVICE_REFERRAL,
        text="Refer to the exit programme.",
        hide_positions=hide,
        actor=world.users["chair"],
        now=NOW,
    )


def position(world: World, recommendation, key: str, stance=Stance.AGREE, reason="", at=NOW):  # type: ignore[no-untyped-def]
    return sitting_services.record_position(
        recommendation,
        world.users[key],
        stance=stance,
        reason=reason,
        actor=world.users["chair"],
        now=at,
    )


def test_without_every_core_agency_there_is_no_decision(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    # Two municipality people and the police; the prosecutor is not on the list at all.
    for key in ("chair", "secretary", "police"):
        present(world, meeting, key)
    recommendation = recommend(world, item)
    position(world, recommendation, "chair")
    position(world, recommendation, "police")

    outcome = sitting_services.decide_recommendation(
        recommendation, actor=world.users["chair"], now=NOW
    )

    assert outcome is RecommendationOutcome.NO_QUORUM  # PRO is a core agency and is absent
    assert recommendation.decided_at == NOW


def _quorate_world(world: World, meeting: Meeting) -> None:
    prosecutor = world.users["secretary"]
    prosecutor.agency_id = next(
        pa.agency_id for pa in world.panel.agency_tiers if pa.agency.code == "PRO"
    )
    attendance(meeting, prosecutor).agency_id = prosecutor.agency_id
    for key in ("chair", "secretary", "police"):
        present(world, meeting, key)


def test_one_objection_blocks_and_needs_a_reason(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    _quorate_world(world, meeting)
    recommendation = recommend(world, item)
    position(world, recommendation, "chair")
    position(world, recommendation, "secretary", Stance.ABSTAIN)
    with pytest.raises(DomainError, match="An objection needs a reason"):
        position(world, recommendation, "police", Stance.OBJECT)
    with pytest.raises(DomainError, match="Still waiting for the position of: POL agency"):
        sitting_services.decide_recommendation(recommendation, actor=world.users["chair"], now=NOW)
    position(world, recommendation, "police", Stance.OBJECT, "Not proportionate.")

    assert sitting_services.decide_recommendation(
        recommendation, actor=world.users["chair"], now=NOW
    ) is (RecommendationOutcome.NOT_ADOPTED)
    with pytest.raises(InvalidTransitionError):
        position(world, recommendation, "police", Stance.AGREE)


def test_quorum_follows_late_arrivals_and_early_departures(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    _quorate_world(world, meeting)
    present(world, meeting, "police", arrived_at=NOW + timedelta(minutes=40))
    recommendation = recommend(world, item)
    position(world, recommendation, "chair")
    position(world, recommendation, "secretary")
    with pytest.raises(DomainError, match="Only someone present"):
        position(world, recommendation, "police", at=NOW + timedelta(minutes=10))
    position(world, recommendation, "police", at=NOW + timedelta(minutes=45))
    outcome = sitting_services.decide_recommendation(
        recommendation, actor=world.users["chair"], now=NOW + timedelta(minutes=50)
    )
    assert outcome is RecommendationOutcome.ADOPTED

    present(world, meeting, "police", left_at=NOW + timedelta(minutes=60))
    later = recommend(world, item)
    position(world, later, "chair", at=NOW + timedelta(minutes=70))
    position(world, later, "secretary", at=NOW + timedelta(minutes=70))
    assert (
        sitting_services.decide_recommendation(
            later, actor=world.users["chair"], now=NOW + timedelta(minutes=70)
        )
        is RecommendationOutcome.NO_QUORUM
    )


def test_a_declared_conflict_keeps_that_person_from_speaking_for_the_agency(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    _quorate_world(world, meeting)
    sitting_services.declare_conflict(
        item, world.users["police"], actor=world.users["chair"], now=NOW
    )
    recommendation = recommend(world, item)
    with pytest.raises(DomainError, match="conflict of interest"):
        position(world, recommendation, "police")


def test_observers_and_unacknowledged_attendees(world: World, meeting: Meeting) -> None:
    entry = attendance(meeting, world.users["ngo"])
    with pytest.raises(DomainError, match="confidentiality statement"):
        sitting_services.record_presence(
            meeting,
            entry,
            sitting_services.PresenceData(
                status=AttendanceStatus.PRESENT, role=AttendeeRole.OBSERVER
            ),
            actor=world.users["chair"],
            now=NOW,
        )
    sitting_services.record_presence(
        meeting,
        entry,
        sitting_services.PresenceData(
            status=AttendanceStatus.PRESENT, role=AttendeeRole.OBSERVER, acknowledged=True
        ),
        actor=world.users["chair"],
        now=NOW,
    )
    assert entry.confidentiality_acknowledged_at == NOW
    assert world.users["ngo"].id not in {p.user_id for p in sitting_services.presence_of(meeting)}


def test_a_stale_item_save_is_refused_and_a_risk_change_needs_a_reason(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    chair = world.users["chair"]
    record = sitting_services.ItemRecord(
        facts="Two missed appointments.",
        assessed_risk=RiskLevel.HIGH,
        assessment="",
        outcome=ItemOutcome.DISCUSSED,
    )
    with pytest.raises(DomainError, match="Say why the risk level changes"):
        sitting_services.save_item(item, record, version=item.version_id, actor=chair, now=NOW)
    record = sitting_services.ItemRecord(
        facts="Two missed appointments.",
        assessed_risk=RiskLevel.HIGH,
        assessment="New threats online.",
        outcome=ItemOutcome.DISCUSSED,
    )
    seen = item.version_id
    sitting_services.save_item(item, record, version=seen, actor=chair, now=NOW)
    db.session.commit()
    assert world.cases["plain"].risk_level is RiskLevel.HIGH
    # The same text sent again against the old version (the background save and the button)
    # is no conflict; different text is.
    sitting_services.save_item(item, record, version=seen, actor=chair, now=NOW)
    other = sitting_services.ItemRecord(
        facts="Three missed appointments.",
        assessed_risk=RiskLevel.HIGH,
        assessment="New threats online.",
        outcome=ItemOutcome.DISCUSSED,
    )
    with pytest.raises(ConflictError, match="Someone else saved this item"):
        sitting_services.save_item(
            item, other, version=seen, actor=world.users["secretary"], now=NOW
        )


def test_closing_marks_what_was_not_reached_and_locks_the_record(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    chair = world.users["chair"]
    assert sitting_services.close_meeting(meeting, actor=chair, now=NOW + timedelta(hours=2)) == 1
    assert item.outcome is ItemOutcome.NOT_REACHED
    assert meeting.status is MeetingStatus.CLOSED
    record = sitting_services.ItemRecord(
        facts="late", assessed_risk=None, assessment="", outcome=None
    )
    with pytest.raises(InvalidTransitionError, match="minutes amendment"):
        sitting_services.save_item(item, record, version=item.version_id, actor=chair, now=NOW)
    with pytest.raises(InvalidTransitionError):
        recommend(world, item)
    db.session.commit()

    # The next meeting proposes the item again, because it was not reached.
    following = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=14))
    agenda_services.build_agenda(following, actor=chair, now=NOW + timedelta(days=1))
    reasons = {i.case_id: i.reasons for i in meeting_base.active_items(following) if i.case_id}
    assert Reason.NOT_REACHED.value in reasons[world.cases["plain"].id]


def test_the_coordinator_comes_from_the_police_when_a_crime_is_suspected(
    world: World, meeting: Meeting
) -> None:
    case = world.cases["plain"]
    case.crime_suspected = True
    chair = world.users["chair"]
    with pytest.raises(DomainError, match="comes from the police"):
        assign_coordinator(
            case,
            world.users["social"],
            reason="Knows him",
            meeting=meeting,
            actor=chair,
            now=NOW,
        )
    assign_coordinator(
        case,
        world.users["police"],
        reason="Investigation open",
        meeting=meeting,
        actor=chair,
        now=NOW,
    )
    assign_coordinator(
        case,
        world.users["social"],
        reason="Family work leads now",
        override_reason="Police agree: investigation closed without charge.",
        meeting=meeting,
        actor=chair,
        now=NOW + timedelta(minutes=5),
    )

    history = db.session.scalars(
        sa.select(CoordinatorAssignment)
        .where(CoordinatorAssignment.case_id == case.id)
        .order_by(CoordinatorAssignment.started_at)
    ).all()
    assert [(h.user_id, h.ended_at) for h in history] == [
        (world.users["police"].id, NOW + timedelta(minutes=5)),
        (world.users["social"].id, None),
    ]
    assert case.coordinator_id == world.users["social"].id
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.COORDINATOR_ASSIGNED)
    ).all()
    assert {n.user_id for n in notes} == {world.users["police"].id, world.users["social"].id}
    with pytest.raises(DomainError, match="Only the chair or the secretary"):
        assign_coordinator(
            case,
            world.users["police"],
            reason="x",
            meeting=None,
            actor=world.users["police"],
            now=NOW,
        )


def test_actions_follow_adopted_recommendations_and_are_reviewed(
    world: World, meeting: Meeting, item: AgendaItem
) -> None:
    chair = world.users["chair"]
    recommendation = recommend(world, item)
    with pytest.raises(DomainError, match="adopted recommendation"):
        add_action(
            recommendation,
            text="Visit",
            owner=world.users["social"],
            due_on=NOW.date(),
            meeting=meeting,
            actor=chair,
            now=NOW,
        )
    recommendation.outcome = RecommendationOutcome.ADOPTED
    with pytest.raises(DomainError, match="current member"):
        add_action(
            recommendation,
            text="Visit",
            owner=world.users["other"],
            due_on=NOW.date(),
            meeting=meeting,
            actor=chair,
            now=NOW,
        )
    CaseShareFactory(case=item.case, agency=world.users["social"].agency)  # a partner's action
    action = add_action(
        recommendation,
        text="Home visit with youth work",
        owner=world.users["social"],
        due_on=NOW.date() + timedelta(days=10),
        meeting=meeting,
        actor=chair,
        now=NOW,
    )
    assert action.owner_agency_id == world.users["social"].agency_id

    older = ActionFactory(
        case=world.cases["plain"],
        owner=world.users["police"],
        due_on=NOW.date() - timedelta(days=3),
    )
    with pytest.raises(DomainError, match="new due date"):
        review_action(
            older,
            ActionStatus.OPEN,
            new_due_on=None,
            note="",
            meeting=meeting,
            actor=chair,
            now=NOW,
        )
    review_action(
        older,
        ActionStatus.OPEN,
        new_due_on=NOW.date() + timedelta(days=14),
        note="Waiting list",
        meeting=meeting,
        actor=chair,
        now=NOW,
    )
    assert older.status is ActionStatus.OPEN
    assert older.due_on == NOW.date() + timedelta(days=14)
    review_action(
        older,
        ActionStatus.NOT_POSSIBLE,
        new_due_on=None,
        note="Moved away",
        meeting=meeting,
        actor=chair,
        now=NOW,
    )
    assert older.status is ActionStatus.NOT_POSSIBLE
    updates = db.session.scalars(
        sa.select(ActionUpdate).where(ActionUpdate.action_id == older.id)
    ).all()
    assert [u.to_status for u in updates] == [ActionStatus.OPEN, ActionStatus.NOT_POSSIBLE]


def test_a_referral_to_a_service_needs_consent_or_a_legal_basis(
    world: World, meeting: Meeting
) -> None:
    case = world.cases["plain"]
    chair = world.users["chair"]
    service = ServiceFactory(panel_id=world.panel.id)
    referral = propose_referral(
        case, service, recommendation=None, guided=True, actor=chair, now=NOW
    )
    with pytest.raises(DomainError, match="has not consented"):
        advance_referral(
            referral,
            ServiceReferralStatus.REFERRED,
            legal_basis=None,
            version=referral.version_id,
            actor=chair,
            now=NOW,
        )
    ConsentRecordFactory(
        case_id=case.id,
        purpose=ConsentPurpose.SERVICE_REFERRAL,
        state=ConsentState.GIVEN,
        service_id=service.id,
    )
    advance_referral(
        referral,
        ServiceReferralStatus.REFERRED,
        legal_basis=None,
        version=referral.version_id,
        actor=chair,
        now=NOW,
    )
    assert referral.status is ServiceReferralStatus.REFERRED
    assert referral.legal_basis is LegalBasis.CONSENT
    with pytest.raises(ConflictError):
        advance_referral(
            referral,
            ServiceReferralStatus.ACCEPTED,
            legal_basis=None,
            version=referral.version_id - 1,
            actor=chair,
            now=NOW,
        )
    with pytest.raises(DomainError, match="Only the chair, the secretary or the coordinator"):
        propose_referral(
            case, service, recommendation=None, guided=False, actor=world.users["ngo"], now=NOW
        )
