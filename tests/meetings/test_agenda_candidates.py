"""The agenda builder reads only the cases that could have a reason (the candidates, narrowed in
SQL): it must propose exactly what the rules decide when they are given the whole caseload."""

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from conference.actions.models import Action, ActionStatus, ProgressReport, RagStatus
from conference.cases.models import Case, CaseStatus, RiskLevel
from conference.cases.rules import adult_cutoff
from conference.extensions import db
from conference.meetings import queries, rules
from conference.meetings.models import AgendaItem, ItemOutcome, Meeting, MeetingStatus
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base as meeting_base
from tests.factories import (
    NOW,
    ActionFactory,
    AgendaItemFactory,
    CaseFactory,
    MeetingFactory,
    ProgressReportFactory,
    SubjectFactory,
)
from tests.worlds import World, build_world

MEETING_AT = NOW + timedelta(days=7)


def whole_caseload_proposal(meeting: Meeting) -> list[tuple[int | None, list[str]]]:
    """What the rules propose given every case, action, report and item of the panel, read
    plainly with the ORM (the latest report of each case, as the builder has always read)."""
    panel = meeting.panel
    zone = ZoneInfo(panel.timezone)
    on = meeting.starts_at.astimezone(zone).date()
    previous = queries.previous_meeting(meeting)
    previous_on = previous.starts_at.astimezone(zone).date() if previous else None
    cases = db.session.scalars(sa.select(Case).where(Case.panel_id == panel.id)).all()
    case_facts = [
        rules.CaseFacts(
            c.id,
            c.reference,
            c.status,
            c.risk_level,
            c.referred_at.astimezone(zone).date(),
            c.subject is not None and c.subject.date_of_birth > adult_cutoff(on),
            c.next_review_on,
            c.closed_at.astimezone(zone).date() if c.closed_at else None,
        )
        for c in cases
    ]
    ids = [c.id for c in cases]
    actions = [
        rules.ActionFacts(a.case_id, a.due_on, a.status)
        for a in db.session.scalars(sa.select(Action).where(Action.case_id.in_(ids)))
        if cases[ids.index(a.case_id)].status in rules.ACTIVE_STATUSES
    ]
    latest: dict[int, ProgressReport] = {}
    for report in db.session.scalars(
        sa.select(ProgressReport)
        .where(ProgressReport.case_id.in_(ids), ProgressReport.submitted_at < meeting.starts_at)
        .order_by(ProgressReport.submitted_at, ProgressReport.id)
    ):
        latest[report.case_id] = report
    reports = [
        rules.ReportFacts(
            r.case_id,
            r.submitted_at.astimezone(zone).date(),
            r.rag,
            r.closure_proposed,
            r.discussion_requested,
            r.meeting_id == meeting.id,
        )
        for r in latest.values()
        if r.submitted_at is not None
        and cases[ids.index(r.case_id)].status in rules.ACTIVE_STATUSES
    ]
    discussions = []
    for item in db.session.scalars(sa.select(AgendaItem).where(AgendaItem.case_id.in_(ids))):
        sitting = item.meeting
        if sitting.panel_id != panel.id or sitting.starts_at >= meeting.starts_at:
            continue
        day = sitting.starts_at.astimezone(zone).date()
        if item.outcome is ItemOutcome.DISCUSSED or (
            previous is not None
            and sitting.id == previous.id
            and previous.status in (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED)
            and item.removed_at is None
        ):
            discussions.append(rules.Discussion(item.case_id, day, item.outcome))
    proposal = rules.propose_agenda(
        rules.MeetingFacts(on, queries.length_minutes(meeting), previous_on),
        queries.agenda_settings(panel),
        case_facts,
        actions,
        reports,
        discussions,
    )
    return [(p.case_id, [r.value for r in p.reasons]) for p in proposal if p.case_id]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_builder_proposes_what_the_rules_decide_on_the_whole_caseload(seed: int) -> None:
    world: World = build_world()
    rng = random.Random(seed)  # noqa: S311 - repeatable test data
    # Sittings either side of the 91 days after which a case is "not discussed".
    earlier = [
        MeetingFactory(
            panel=world.panel,
            starts_at=MEETING_AT - timedelta(days=days),
            status=MeetingStatus.MINUTES_SIGNED,
        )
        for days in (130, 93, 89)
    ]
    previous = MeetingFactory(
        panel=world.panel,
        starts_at=MEETING_AT - timedelta(days=14),
        status=rng.choice([MeetingStatus.CLOSED, MeetingStatus.IN_PROGRESS]),
    )
    meeting = MeetingFactory(panel=world.panel, starts_at=MEETING_AT)
    for _ in range(60):
        status = rng.choice([*CaseStatus, CaseStatus.OPEN, CaseStatus.MONITORING])
        closed_days = rng.randint(0, 420)
        case = CaseFactory(
            panel=world.panel,
            status=status,
            risk_level=rng.choice(list(RiskLevel)),
            referred_at=MEETING_AT - timedelta(days=rng.choice([1, 10, 13, 14, 15, 60, 100, 500])),
            next_review_on=rng.choice(
                [None, MEETING_AT.date() + timedelta(days=rng.randint(-9, 9))]
            ),
            closed_at=MEETING_AT - timedelta(days=closed_days)
            if status is CaseStatus.CLOSED
            else None,
        )
        if rng.random() < 0.8:
            SubjectFactory(case=case, date_of_birth=date(rng.choice([1990, 2010, 2015]), 6, 1))
        for _ in range(rng.randint(0, 3)):
            ActionFactory(
                case=case,
                due_on=MEETING_AT.date() + timedelta(days=rng.randint(-10, 10)),
                status=rng.choice([*ActionStatus, ActionStatus.DONE, ActionStatus.DONE]),
            )
        for n in range(rng.randint(0, 2)):
            ProgressReportFactory(
                case=case,
                submitted_at=rng.choice([None, MEETING_AT - timedelta(days=rng.randint(-2, 40))]),
                rag=rng.choice([*RagStatus, RagStatus.ON_TRACK, RagStatus.ON_TRACK]),
                discussion_requested=rng.random() < 0.1,
                closure_proposed=rng.random() < 0.1,
                meeting_id=meeting.id if n == 0 and rng.random() < 0.3 else None,
            )
        for sitting in [*earlier, previous]:
            if rng.random() < 0.4:
                AgendaItemFactory(
                    meeting=sitting,
                    case=case,
                    outcome=rng.choice([None, *ItemOutcome]),
                    removed_at=NOW if rng.random() < 0.1 else None,
                )
    db.session.commit()
    expected = whole_caseload_proposal(meeting)
    assert expected  # the world gives the builder something to propose

    agenda_services.build_agenda(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    db.session.expire_all()
    built = [
        (item.case_id, item.reasons)
        for item in meeting_base.active_items(db.session.get(Meeting, meeting.id))
        if item.case_id is not None
    ]
    assert built == expected
