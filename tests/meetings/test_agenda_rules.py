"""The agenda builder and the other meeting rules, on plain values with a fixed date."""

from datetime import date, timedelta

import pytest

from conference.actions.models import ActionStatus, RagStatus
from conference.cases.models import CaseStatus, RiskLevel
from conference.meetings.models import AgendaItemKind, AttendanceStatus, ItemOutcome
from conference.meetings.rules import (
    ActionFacts,
    AgendaSettings,
    CaseFacts,
    Discussion,
    MeetingFacts,
    Reason,
    ReportFacts,
    add_months,
    cadence_dates,
    mark_carry_over,
    propose_agenda,
    quorum,
)

MEETING_ON = date(2026, 12, 8)
PREVIOUS_ON = date(2026, 11, 24)
MEETING = MeetingFacts(on=MEETING_ON, length_minutes=120, previous_on=PREVIOUS_ON)
SETTINGS = AgendaSettings()


def case(
    reference: str = "RVT-2026-0001",
    *,
    status: CaseStatus = CaseStatus.OPEN,
    risk: RiskLevel = RiskLevel.MEDIUM,
    referred_on: date = date(2026, 9, 1),
    case_id: int = 1,
    **fields: object,
) -> CaseFacts:
    return CaseFacts(
        case_id=case_id,
        reference=reference,
        status=status,
        risk=risk,
        referred_on=referred_on,
        **fields,  # type: ignore[arg-type]
    )


def discussed(on: date = date(2026, 11, 10), case_id: int = 1) -> Discussion:
    return Discussion(case_id=case_id, meeting_on=on, outcome=ItemOutcome.DISCUSSED)


def case_items(**kwargs: object) -> list:
    items = propose_agenda(MEETING, kwargs.pop("settings", SETTINGS), **kwargs)  # type: ignore[arg-type]
    return [i for i in items if i.kind is AgendaItemKind.CASE]


def reasons_for(case_facts: CaseFacts, **kwargs: object) -> list[Reason]:
    discussions = kwargs.pop("discussions", [discussed()])
    items = case_items(cases=[case_facts], discussions=discussions, **kwargs)
    return items[0].reasons if items else []


# --- Every trigger, each alone ------------------------------------------------------------------

TRIGGERS = [
    pytest.param(
        case(referred_on=PREVIOUS_ON + timedelta(days=1), status=CaseStatus.REFERRED),
        {"discussions": []},
        [Reason.NEW_REFERRAL],
        id="referred since the last meeting",
    ),
    pytest.param(
        case(referred_on=date(2026, 10, 1), status=CaseStatus.REFERRED),
        {"discussions": []},
        [Reason.NEW_REFERRAL],
        id="referred earlier and never discussed",
    ),
    pytest.param(
        case(next_review_on=MEETING_ON),
        {},
        [Reason.REVIEW_DUE],
        id="review due on the meeting day",
    ),
    pytest.param(
        case(next_review_on=MEETING_ON + timedelta(days=1)),
        {},
        [],
        id="review due the day after: not yet",
    ),
    pytest.param(
        case(),
        {"actions": [ActionFacts(1, MEETING_ON - timedelta(days=1), ActionStatus.OPEN)]},
        [Reason.OVERDUE_ACTION],
        id="action overdue by the meeting",
    ),
    pytest.param(
        case(),
        {"actions": [ActionFacts(1, MEETING_ON, ActionStatus.OPEN)]},
        [],
        id="action due on the meeting day: not overdue",
    ),
    pytest.param(
        case(),
        {"actions": [ActionFacts(1, date(2026, 11, 1), ActionStatus.DONE)]},
        [],
        id="late but done: not overdue",
    ),
    pytest.param(
        case(),
        {"reports": [ReportFacts(1, date(2026, 11, 1), RagStatus.OFF_TRACK)]},
        [Reason.OFF_TRACK],
        id="latest report off track, even from before the last meeting",
    ),
    pytest.param(
        case(),
        {
            "reports": [
                ReportFacts(1, date(2026, 11, 1), RagStatus.OFF_TRACK),
                ReportFacts(1, date(2026, 12, 1), RagStatus.ON_TRACK),
            ]
        },
        [],
        id="an older off-track report does not count",
    ),
    pytest.param(
        case(),
        {
            "reports": [
                ReportFacts(1, date(2026, 12, 1), RagStatus.AT_RISK, discussion_requested=True)
            ]
        },
        [Reason.DISCUSSION_REQUESTED],
        id="coordinator asks for discussion",
    ),
    pytest.param(
        case(),
        {
            "reports": [
                ReportFacts(1, date(2026, 11, 20), RagStatus.AT_RISK, discussion_requested=True)
            ]
        },
        [],
        id="a request made before the last meeting was dealt with there",
    ),
    pytest.param(
        case(),
        {
            "reports": [
                ReportFacts(
                    1,
                    date(2026, 11, 24),
                    RagStatus.ON_TRACK,
                    discussion_requested=True,
                    for_this_meeting=True,
                )
            ]
        },
        [Reason.DISCUSSION_REQUESTED],
        id="a request in the report for this meeting, written on the day of the last sitting",
    ),
    pytest.param(
        case(),
        {"reports": [ReportFacts(1, date(2026, 12, 1), RagStatus.ON_TRACK, closure_proposed=True)]},
        [Reason.CLOSURE_PROPOSED],
        id="coordinator proposes closure in a report",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSURE_PROPOSED),
        {},
        [Reason.CLOSURE_PROPOSED],
        id="case in closure-proposed state",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(MEETING_ON - timedelta(days=92))]},
        [Reason.NOT_DISCUSSED],
        id="not discussed for longer than the maximum interval",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(MEETING_ON - timedelta(days=91))]},
        [],
        id="discussed exactly the maximum interval ago",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(), Discussion(1, PREVIOUS_ON, ItemOutcome.DEFERRED)]},
        [Reason.DEFERRED],
        id="deferred at the previous meeting",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(), Discussion(1, PREVIOUS_ON, ItemOutcome.ESCALATED)]},
        [Reason.ESCALATED],
        id="escalated at the previous meeting",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(), Discussion(1, PREVIOUS_ON, ItemOutcome.NOT_REACHED)]},
        [Reason.NOT_REACHED],
        id="not reached at the previous meeting",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(), Discussion(1, PREVIOUS_ON, None)]},
        [Reason.NOT_REACHED],
        id="left without an outcome at the previous meeting",
    ),
    pytest.param(
        case(),
        {"discussions": [discussed(), Discussion(1, date(2026, 11, 10), ItemOutcome.DEFERRED)]},
        [],
        id="deferred at an older meeting and discussed since",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSED, closed_on=date(2026, 6, 1)),
        {},
        [Reason.POST_EXIT_FIRST],
        id="closed six months ago: first post-exit review",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSED, closed_on=date(2025, 12, 5)),
        {},
        [Reason.POST_EXIT_SECOND],
        id="closed twelve months ago: second post-exit review",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSED, closed_on=date(2026, 5, 20)),
        {},
        [],
        id="first post-exit review fell due before the last meeting: done there",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSED, closed_on=date(2026, 6, 9)),
        {},
        [],
        id="first post-exit review not yet due",
    ),
    pytest.param(
        case(status=CaseStatus.DECLINED, next_review_on=date(2026, 1, 1)),
        {},
        [],
        id="declined cases never come back",
    ),
    pytest.param(
        case(status=CaseStatus.CLOSED, closed_on=date(2026, 11, 1), next_review_on=MEETING_ON),
        {},
        [],
        id="a closed case is not reviewed as if it were open",
    ),
]


@pytest.mark.parametrize(("facts", "inputs", "expected"), TRIGGERS)
def test_each_trigger_puts_a_case_on_the_agenda_for_its_reason(
    facts: CaseFacts, inputs: dict, expected: list[Reason]
) -> None:
    assert reasons_for(facts, **inputs) == expected


def test_a_case_with_many_reasons_appears_once_with_every_reason() -> None:
    items = case_items(
        cases=[case(next_review_on=MEETING_ON - timedelta(days=3))],
        actions=[
            ActionFacts(1, date(2026, 11, 1), ActionStatus.OPEN),
            ActionFacts(1, date(2026, 11, 2), ActionStatus.IN_PROGRESS),
        ],
        reports=[ReportFacts(1, date(2026, 12, 1), RagStatus.OFF_TRACK, discussion_requested=True)],
        discussions=[discussed(), Discussion(1, PREVIOUS_ON, ItemOutcome.DEFERRED)],
    )
    assert len(items) == 1
    assert items[0].reasons == [
        Reason.OVERDUE_ACTION,
        Reason.OFF_TRACK,
        Reason.DISCUSSION_REQUESTED,
        Reason.DEFERRED,
        Reason.REVIEW_DUE,
    ]


def test_the_standing_first_item_reviews_last_meetings_actions() -> None:
    items = propose_agenda(MEETING, SETTINGS, cases=[])
    assert [i.kind for i in items] == [AgendaItemKind.ACTION_REVIEW]
    assert items[0].minutes == SETTINGS.minutes_action_review


def test_a_first_meeting_treats_every_active_case_as_new() -> None:
    first = MeetingFacts(on=MEETING_ON, length_minutes=120, previous_on=None)
    recent = date(2026, 11, 1)
    cases = [case(referred_on=recent), case("RVT-2026-0002", case_id=2, referred_on=recent)]
    items = propose_agenda(first, SETTINGS, cases=cases)
    assert [i.reasons for i in items[1:]] == [[Reason.NEW_REFERRAL], [Reason.NEW_REFERRAL]]


# --- Order of business -------------------------------------------------------------------------


def _ordered(settings: AgendaSettings = SETTINGS, **kwargs: object) -> list[str]:
    return [i.reference for i in case_items(settings=settings, **kwargs)]


def test_risk_comes_first_then_new_and_escalated_then_reviews_then_closures() -> None:
    review = {"next_review_on": MEETING_ON}
    cases = [
        case("A-closure", case_id=1, status=CaseStatus.CLOSURE_PROPOSED),
        case("B-review", case_id=2, **review),  # type: ignore[arg-type]
        case("C-new", case_id=3, status=CaseStatus.REFERRED, referred_on=date(2026, 12, 1)),
        case("D-critical-review", case_id=4, risk=RiskLevel.CRITICAL, **review),  # type: ignore[arg-type]
        case("E-post-exit", case_id=5, status=CaseStatus.CLOSED, closed_on=date(2026, 6, 1)),
        case("F-high-closure", case_id=6, risk=RiskLevel.HIGH, status=CaseStatus.CLOSURE_PROPOSED),
    ]
    discussions = [discussed(case_id=n) for n in range(1, 7)]
    assert _ordered(cases=cases, discussions=discussions) == [
        "D-critical-review",
        "F-high-closure",
        "C-new",
        "B-review",
        "A-closure",
        "E-post-exit",
    ]


def test_ties_go_to_the_case_that_has_waited_longest() -> None:
    cases = [case(f"W{n}", case_id=n, next_review_on=MEETING_ON) for n in (1, 2, 3)]
    discussions = [
        discussed(date(2026, 11, 10), case_id=1),
        discussed(date(2026, 9, 15), case_id=2),
        discussed(date(2026, 10, 20), case_id=3),
    ]
    assert _ordered(cases=cases, discussions=discussions) == ["W2", "W3", "W1"]


def test_the_minors_first_setting_puts_minors_cases_first() -> None:
    cases = [
        case("Adult-critical", case_id=1, risk=RiskLevel.CRITICAL, next_review_on=MEETING_ON),
        case("Minor-low", case_id=2, risk=RiskLevel.LOW, is_minor=True, next_review_on=MEETING_ON),
    ]
    discussions = [discussed(case_id=1), discussed(case_id=2)]
    assert _ordered(cases=cases, discussions=discussions) == ["Adult-critical", "Minor-low"]
    minors_first = AgendaSettings(minors_first=True)
    assert _ordered(minors_first, cases=cases, discussions=discussions) == [
        "Minor-low",
        "Adult-critical",
    ]


# --- Time and carry-over -----------------------------------------------------------------------


def test_time_slots_come_from_the_panel_settings() -> None:
    settings = AgendaSettings(minutes_new_referral=20, minutes_review=12, minutes_closure=4)
    cases = [
        case("new", case_id=1, status=CaseStatus.REFERRED, referred_on=date(2026, 12, 1)),
        case("review", case_id=2, next_review_on=MEETING_ON),
        case("closure", case_id=3, status=CaseStatus.CLOSURE_PROPOSED),
        case(
            "review-and-closure",
            case_id=4,
            status=CaseStatus.CLOSURE_PROPOSED,
            next_review_on=MEETING_ON,
        ),
    ]
    items = case_items(
        settings=settings, cases=cases, discussions=[discussed(case_id=n) for n in (2, 3, 4)]
    )
    assert {i.reference: i.minutes for i in items} == {
        "new": 20,
        "review": 12,
        "closure": 4,
        "review-and-closure": 12,
    }


def test_items_past_the_end_are_marked_as_likely_to_carry_over_never_dropped() -> None:
    cases = [
        case(f"R{n}", case_id=n, risk=risk, next_review_on=MEETING_ON)
        for n, risk in enumerate(
            [RiskLevel.LOW, RiskLevel.CRITICAL, RiskLevel.MEDIUM, RiskLevel.HIGH], start=1
        )
    ]
    short = MeetingFacts(on=MEETING_ON, length_minutes=35, previous_on=PREVIOUS_ON)
    items = propose_agenda(
        short, SETTINGS, cases=cases, discussions=[discussed(case_id=n) for n in range(1, 5)]
    )
    # Standing item 10 + four reviews of 10: the two lowest risks no longer fit in 35 minutes.
    assert [(i.reference, i.likely_carry_over) for i in items] == [
        ("", False),
        ("R2", False),
        ("R4", False),
        ("R3", True),
        ("R1", True),
    ]


@pytest.mark.parametrize(
    ("minutes", "length", "expected"),
    [
        ([10, 10, 10], 30, [False, False, False]),
        ([10, 10, 11], 30, [False, False, True]),
        ([40, 5], 30, [True, True]),
        ([], 30, []),
    ],
)
def test_mark_carry_over(minutes: list[int], length: int, expected: list[bool]) -> None:
    assert mark_carry_over(minutes, length) == expected


# --- Quorum and cadence ------------------------------------------------------------------------

MUN, POL, PRO, NGO = 1, 2, 3, 4


@pytest.mark.parametrize(
    ("attendance", "met", "missing"),
    [
        (
            [
                (MUN, AttendanceStatus.PRESENT),
                (POL, AttendanceStatus.PRESENT),
                (PRO, AttendanceStatus.PRESENT),
            ],
            True,
            set(),
        ),
        (
            [
                (MUN, AttendanceStatus.PRESENT),
                (POL, AttendanceStatus.PRESENT),
                (PRO, AttendanceStatus.APOLOGIES),
            ],
            False,
            {PRO},
        ),
        (
            [
                (MUN, AttendanceStatus.PRESENT),
                (MUN, AttendanceStatus.PRESENT),
                (NGO, AttendanceStatus.PRESENT),
            ],
            False,
            {POL, PRO},
        ),
        (
            [
                (MUN, AttendanceStatus.INVITED),
                (POL, AttendanceStatus.PRESENT),
                (PRO, AttendanceStatus.PRESENT),
            ],
            False,
            {MUN},
        ),
        (
            [
                (MUN, AttendanceStatus.ABSENT),
                (MUN, AttendanceStatus.PRESENT),
                (POL, AttendanceStatus.PRESENT),
                (PRO, AttendanceStatus.PRESENT),
            ],
            True,
            set(),
        ),
    ],
)
def test_quorum_needs_someone_present_from_every_core_agency(
    attendance: list, met: bool, missing: set[int]
) -> None:
    result = quorum({MUN, POL, PRO}, attendance)
    assert result.met is met
    assert result.missing_agency_ids == missing


def test_cadence_dates_fall_on_the_weekday_every_n_weeks() -> None:
    # 25 Nov 2026 is a Wednesday; the panel sits every second Tuesday.
    assert cadence_dates(date(2026, 11, 25), weekday=1, every_weeks=2, count=3) == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
    ]
    assert cadence_dates(date(2026, 12, 1), weekday=1, every_weeks=1, count=1) == [
        date(2026, 12, 1)
    ]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 6, 15), 6, date(2026, 12, 15)),
        (date(2025, 12, 5), 12, date(2026, 12, 5)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
