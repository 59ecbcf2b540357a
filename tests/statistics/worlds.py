"""A small panel whose every figure for 2026 was counted by hand (the expected values sit in
tests/statistics/test_figures.py). NOW is 24 November 2026; the panel is in Amsterdam."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from conference import models as m
from conference.actions.models import ActionStatus, RagStatus
from conference.cases.models import AgeBand, CaseStatus, ConcernCategory, ReferralSource, RiskLevel
from conference.directory.models import ServiceReferralStatus
from conference.meetings.models import (
    AgendaItemKind,
    AttendanceStatus,
    AttendeeRole,
    ItemOutcome,
    MeetingStatus,
    RecommendationKind,
)
from conference.panels.models import AgencyTier, PanelRole
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    AgendaItemFactory,
    AttendanceFactory,
    CaseFactory,
    CaseStatusChangeFactory,
    CoordinatorAssignmentFactory,
    MeetingFactory,
    PanelAgencyFactory,
    PanelFactory,
    ProgressReportFactory,
    RecommendationFactory,
    ReferralFactory,
    ServiceReferralFactory,
    member,
)

D = ItemOutcome.DISCUSSED
DEF = ItemOutcome.DEFERRED
ESC = ItemOutcome.ESCALATED
NR = ItemOutcome.NOT_REACHED


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class StatisticsWorld:
    panel: m.Panel
    other_panel: m.Panel
    users: dict[str, m.User]
    cases: dict[str, m.Case]


def build_statistics_world(panel: m.Panel | None = None, tag: str = "") -> StatisticsWorld:
    """The world on a new panel STA; given a panel and a tag, the same again on that panel
    (with agencies of its own), so that every figure doubles."""
    panel = panel or PanelFactory(code="STA", name="Statsville")
    other = PanelFactory(code=f"OTS{tag}", name="Otherville")
    agencies = {
        code: AgencyFactory(code=f"{code}{tag}", name=f"{code} agency")
        for code in ("POL", "MUN", "SOC")
    }
    for code, tier in (
        ("POL", AgencyTier.CORE),
        ("MUN", AgencyTier.CORE),
        ("SOC", AgencyTier.PARTNER),
    ):
        PanelAgencyFactory(panel=panel, agency=agencies[code], tier=tier)
    users = {
        "chair": member(panel, PanelRole.CHAIR, agencies["MUN"]),
        "mun": member(panel, PanelRole.MEMBER, agencies["MUN"]),
        "pol": member(panel, PanelRole.MEMBER, agencies["POL"]),
        "soc": member(panel, PanelRole.PARTNER, agencies["SOC"]),
    }

    def case(
        key: str,
        received: date | None,
        *,
        agency: str = "POL",
        source: ReferralSource = ReferralSource.SCHOOL,
        concern: ConcernCategory = ConcernCategory.UNCLEAR,
        band: AgeBand = AgeBand.ADULT,
        repeat: bool = False,
        risk: RiskLevel = RiskLevel.MEDIUM,
        status: CaseStatus = CaseStatus.REFERRED,
        closed_at: datetime | None = None,
        on: m.Panel = panel,
    ) -> m.Case:
        referred_at = (
            at(received.year, received.month, received.day, 10) if received else at(2024, 1, 1)
        )
        made = CaseFactory(
            panel=on,
            ref_year=referred_at.year,
            concern_category=concern,
            age_band=band,
            is_repeat_referral=repeat,
            risk_level=risk,
            status=status,
            referred_at=referred_at,
            closed_at=closed_at,
        )
        if received is not None:
            ReferralFactory(
                case=made,
                received_on=received,
                source=source,
                referring_agency_id=agencies[agency].id,
                referred_by_id=users["chair"].id,
            )
            CaseStatusChangeFactory(
                case_id=made.id,
                from_status=None,
                to_status=CaseStatus.REFERRED,
                changed_at=referred_at,
            )
        return made

    def step(
        made: m.Case, to: CaseStatus, when: datetime, recommendation: m.Recommendation | None = None
    ) -> None:
        CaseStatusChangeFactory(
            case_id=made.id,
            from_status=None,
            to_status=to,
            changed_at=when,
            recommendation_id=recommendation.id if recommendation else None,
        )

    c = {
        # Referred in 2026.
        "c1": case(
            "c1",
            date(2026, 1, 10),
            source=ReferralSource.POLICE,
            concern=ConcernCategory.FAR_RIGHT,
            band=AgeBand.MINOR,
            risk=RiskLevel.HIGH,
            status=CaseStatus.MONITORING,
        ),
        "c2": case(
            "c2", date(2026, 1, 20), concern=ConcernCategory.FAR_RIGHT, status=CaseStatus.OPEN
        ),
        "c3": case(
            "c3",
            date(2026, 3, 5),
            agency="MUN",
            concern=ConcernCategory.RELIGIOUS,
            repeat=True,
            risk=RiskLevel.CRITICAL,
        ),
        "c4": case(
            "c4",
            date(2026, 3, 31),
            agency="MUN",
            source=ReferralSource.FAMILY_FRIENDS,
            concern=ConcernCategory.RELIGIOUS,
            band=AgeBand.UNKNOWN,
            risk=RiskLevel.LOW,
        ),
        "c5": case(
            "c5",
            date(2026, 11, 1),
            agency="SOC",
            source=ReferralSource.SELF,
            concern=ConcernCategory.OTHER_VIOLENCE,
            band=AgeBand.MINOR,
            risk=RiskLevel.LOW,
        ),
        # Referred before 2026.
        "c0": case(
            "c0", date(2025, 12, 1), status=CaseStatus.CLOSED, closed_at=at(2026, 6, 30, 12)
        ),
        "c6": case(
            "c6",
            date(2025, 6, 1),
            risk=RiskLevel.LOW,
            status=CaseStatus.CLOSED,
            closed_at=at(2026, 3, 1, 12),
        ),
        "c7": case("c7", date(2025, 12, 20), risk=RiskLevel.HIGH, status=CaseStatus.DECLINED),
        "c8": case("c8", date(2025, 1, 10), status=CaseStatus.CLOSED, closed_at=at(2026, 9, 1, 12)),
        # Closed in 2025: only their post-exit reviews fall in 2026.
        "c9": case("c9", None, status=CaseStatus.CLOSED, closed_at=at(2025, 8, 31, 12)),
        "c10": case("c10", None, status=CaseStatus.CLOSED, closed_at=at(2025, 11, 20, 12)),
        # Another panel's case, received in 2026: never counted.
        "elsewhere": case("x", date(2026, 2, 1), on=other, status=CaseStatus.OPEN),
    }

    # A world built again on the same panel sits a few minutes later: one sitting at a time.
    later = timedelta(minutes=int(tag) + 1 if tag.isdigit() else 0)

    def meeting(when: datetime, status: MeetingStatus, on: m.Panel = panel) -> m.Meeting:
        return MeetingFactory(panel=on, starts_at=when + later, status=status)

    def item(
        sitting: m.Meeting, key: str, outcome: ItemOutcome | None, **extra: object
    ) -> m.AgendaItem:
        return AgendaItemFactory(meeting=sitting, case=c[key], outcome=outcome, **extra)

    m00 = meeting(at(2025, 7, 1), MeetingStatus.MINUTES_SIGNED)
    item(m00, "c6", D)
    item(m00, "c8", D)
    m0 = meeting(at(2025, 12, 16), MeetingStatus.MINUTES_SIGNED)
    for key in ("c0", "c9", "c10"):
        item(m0, key, D)
    m1 = meeting(at(2026, 2, 3), MeetingStatus.MINUTES_SIGNED)
    item(m1, "c1", D)
    item(m1, "c2", DEF)
    item(m1, "c0", D)
    AgendaItemFactory(meeting=m1, kind=AgendaItemKind.ACTION_REVIEW, case=None, outcome=D)
    m2 = meeting(at(2026, 2, 17), MeetingStatus.CLOSED)
    item(m2, "c2", D)
    item(m2, "c1", D)
    item(m2, "c9", D)  # before its review fell due: not the review
    m6 = meeting(at(2026, 3, 2), MeetingStatus.CLOSED)
    item(m6, "c9", D)  # the first review fell due on 28 February (31 August + 6 months)
    m3 = meeting(at(2026, 4, 14, 8), MeetingStatus.CLOSED)
    item(m3, "c3", ESC)
    item(m3, "c4", NR)
    item(m3, "c4", D, removed_at=at(2026, 4, 13))
    AgendaItemFactory(meeting=m3, kind=AgendaItemKind.GENERAL, case=None, outcome=D)
    m7 = meeting(at(2026, 6, 16, 8), MeetingStatus.CLOSED)
    item(m7, "c10", D)  # its first review fell due on 20 May: late
    item(m7, "c1", None)  # nothing recorded: not reached
    m5 = meeting(at(2026, 9, 8, 8), MeetingStatus.CLOSED)
    item(m5, "c6", D)  # its first review fell due on 1 September: on time
    m8 = meeting(at(2026, 10, 20, 8), MeetingStatus.IN_PROGRESS)
    item(m8, "c5", D)
    m4 = meeting(at(2026, 12, 1, 9), MeetingStatus.PLANNED)
    item(m4, "c5", None)
    elsewhere = meeting(at(2026, 5, 5), MeetingStatus.CLOSED, on=other)
    AgendaItemFactory(meeting=elsewhere, case=c["elsewhere"], outcome=D)

    # The lifecycle.
    step(c["c1"], CaseStatus.OPEN, at(2026, 2, 3, 12))
    step(c["c1"], CaseStatus.MONITORING, at(2026, 5, 1))
    step(c["c2"], CaseStatus.OPEN, at(2026, 2, 17, 12))
    step(c["c0"], CaseStatus.OPEN, at(2025, 12, 16, 10))
    # The decisions the closures rest on (on items long gone from the counts).
    close_c0 = RecommendationFactory(
        item=item(m00, "c0", None, removed_at=m00.starts_at), kind=RecommendationKind.CLOSE_CASE
    )
    step(c["c0"], CaseStatus.CLOSED, at(2026, 6, 30, 12), close_c0)
    ServiceReferralFactory(case=c["c0"], status=ServiceReferralStatus.ACCEPTED)
    step(c["c6"], CaseStatus.OPEN, at(2025, 7, 1, 12))
    no_further = RecommendationFactory(
        item=item(m00, "c6", None, removed_at=m00.starts_at),
        kind=RecommendationKind.NO_FURTHER_ACTION,
    )
    step(c["c6"], CaseStatus.CLOSED, at(2026, 3, 1, 12), no_further)
    ServiceReferralFactory(case=c["c6"], status=ServiceReferralStatus.PROPOSED)
    step(c["c7"], CaseStatus.DECLINED, at(2026, 5, 5))
    step(c["c8"], CaseStatus.OPEN, at(2025, 2, 1, 12))
    step(c["c8"], CaseStatus.CLOSED, at(2026, 9, 1, 12))

    # Coordinators, progress reports and RAG.
    soc = users["soc"]
    CoordinatorAssignmentFactory(case_id=c["c1"].id, user=soc, started_at=at(2026, 2, 1))
    CoordinatorAssignmentFactory(case_id=c["c2"].id, user=soc, started_at=at(2026, 2, 10))
    CoordinatorAssignmentFactory(
        case_id=c["c0"].id, user=soc, started_at=at(2025, 12, 1), ended_at=at(2026, 6, 30, 12)
    )

    def report(key: str, sitting: m.Meeting, submitted: datetime | None, rag: RagStatus) -> None:
        ProgressReportFactory(
            case=c[key], meeting_id=sitting.id, author=soc, rag=rag, submitted_at=submitted
        )

    report("c1", m1, at(2026, 1, 30, 15), RagStatus.ON_TRACK)  # 4 days before: on time
    report("c0", m1, at(2026, 1, 31, 23, 30), RagStatus.AT_RISK)  # on time; 1 Feb in Amsterdam
    report("c2", m2, at(2026, 2, 15), RagStatus.OFF_TRACK)  # 2 days before: late
    report("c1", m2, None, RagStatus.ON_TRACK)  # a draft: missing
    report("c1", m7, at(2026, 6, 20), RagStatus.ON_TRACK)  # after the meeting: late
    report("c0", m0, at(2025, 12, 30), RagStatus.ON_TRACK)  # 2025

    # Attendance: members only, observers are not counted.
    AttendanceFactory(meeting=m1, user=users["pol"], status=AttendanceStatus.PRESENT)
    AttendanceFactory(meeting=m1, user=users["mun"], status=AttendanceStatus.PRESENT)
    AttendanceFactory(meeting=m1, user=users["soc"], status=AttendanceStatus.APOLOGIES)
    AttendanceFactory(
        meeting=m1, user=users["chair"], status=AttendanceStatus.PRESENT, role=AttendeeRole.OBSERVER
    )
    AttendanceFactory(meeting=m2, user=users["pol"], status=AttendanceStatus.PRESENT)
    AttendanceFactory(meeting=m2, user=users["mun"], status=AttendanceStatus.ABSENT)
    AttendanceFactory(meeting=m2, user=users["soc"], status=AttendanceStatus.INVITED)
    AttendanceFactory(meeting=m4, user=users["pol"], status=AttendanceStatus.INVITED)

    # Actions agreed in 2026.
    def action(
        key: str,
        owner: str,
        due: date,
        status: ActionStatus,
        created: datetime,
        done: datetime | None = None,
    ) -> None:
        ActionFactory(
            case=c[key],
            owner=users[owner],
            due_on=due,
            status=status,
            created_at=created,
            completed_at=done,
        )

    action("c1", "pol", date(2026, 2, 20), ActionStatus.DONE, at(2026, 2, 3), at(2026, 2, 20, 15))
    action("c1", "pol", date(2026, 2, 20), ActionStatus.DONE, at(2026, 2, 3), at(2026, 2, 21, 8))
    action("c2", "mun", date(2026, 3, 1), ActionStatus.NOT_POSSIBLE, at(2026, 2, 17))
    action("c2", "mun", date(2026, 3, 1), ActionStatus.NOT_DONE, at(2026, 2, 17))
    action("c3", "mun", date(2026, 5, 1), ActionStatus.CANCELLED, at(2026, 4, 14))
    action("c3", "soc", date(2026, 11, 1), ActionStatus.OPEN, at(2026, 4, 14))  # overdue now
    action("c5", "soc", date(2026, 12, 15), ActionStatus.IN_PROGRESS, at(2026, 11, 2))
    action("c1", "pol", date(2026, 11, 24), ActionStatus.OPEN, at(2026, 6, 16))  # due today
    action(
        "c0", "pol", date(2026, 1, 10), ActionStatus.DONE, at(2025, 12, 20), at(2026, 1, 5)
    )  # 2025
    return StatisticsWorld(panel=panel, other_panel=other, users=users, cases=c)
