"""The statements that fold lookups into joins and one-pass aggregates (durations, sittings and
reports, post-exit reviews) against a plain-Python count of the same rules, on small random
worlds with the awkward cases: repeat referrals, reopened cases, removed and unreached items,
sittings not held, other panels' sittings, coordinators who came and went, reports missing or
late, closures whose reviews fall due at a month's end."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from conference import models as m
from conference.cases.models import CaseStatus
from conference.extensions import db
from conference.meetings.models import AgendaItemKind, ItemOutcome, MeetingStatus
from conference.meetings.rules import add_months
from conference.statistics.queries import DISCUSSED, HELD, Figures, gather, scope_for
from conference.statistics.rules import Period, Table, add_days, quarter_period, year_period
from tests.factories import (
    NOW,
    AgendaItemFactory,
    CaseFactory,
    CaseStatusChangeFactory,
    CoordinatorAssignmentFactory,
    MeetingFactory,
    PanelFactory,
    ProgressReportFactory,
    ReferralFactory,
    UserFactory,
)

FIRST = datetime(2024, 10, 1, tzinfo=UTC)


def _moment(rng: random.Random, first: datetime = FIRST, last: datetime = NOW) -> datetime:
    seconds = int((last - first).total_seconds())
    return first + timedelta(seconds=rng.randrange(seconds))


def _day(value: datetime) -> date:
    """The UTC calendar day of a timestamp (the statements count whole UTC days)."""
    return (value if value.tzinfo is None else value.astimezone(UTC)).date()


def build_random_world(rng: random.Random) -> m.Panel:
    panel = PanelFactory()
    other = PanelFactory()
    author = UserFactory()
    meetings: list[m.Meeting] = []
    for on in (panel, panel, panel, other):
        day = FIRST + timedelta(days=rng.randrange(20))
        while day < NOW + timedelta(days=20):
            meetings.append(
                MeetingFactory(
                    panel=on,
                    starts_at=day.replace(hour=rng.choice((0, 9, 23)), minute=rng.randrange(60)),
                    status=rng.choice(list(MeetingStatus)),
                )
            )
            day += timedelta(days=rng.randint(20, 90))
    for _ in range(40):
        case = CaseFactory(panel=rng.choice((panel, panel, panel, other)))
        for _ in range(rng.choice((1, 1, 2))):
            ReferralFactory(case=case, received_on=_moment(rng).date(), referred_by_id=author.id)
        for _ in range(rng.choice((0, 1, 1, 2))):  # reopened cases open twice
            CaseStatusChangeFactory(
                case_id=case.id, to_status=CaseStatus.OPEN, changed_at=_moment(rng)
            )
        if rng.random() < 0.6:
            case.status = CaseStatus.CLOSED
            case.closed_at = _moment(rng, datetime(2025, 1, 1, tzinfo=UTC))
        for _ in range(rng.choice((0, 1, 2))):
            started = _moment(rng)
            ended = started + timedelta(days=rng.randint(1, 200)) if rng.random() < 0.5 else None
            CoordinatorAssignmentFactory(case_id=case.id, started_at=started, ended_at=ended)
        own = [meeting for meeting in meetings if meeting.panel_id == case.panel_id]
        for meeting in rng.sample(own, rng.randint(0, 8)):
            AgendaItemFactory(
                meeting=meeting,
                case=case,
                kind=AgendaItemKind.CASE,
                outcome=rng.choice([*ItemOutcome, None]),
                removed_at=meeting.starts_at if rng.random() < 0.1 else None,
            )
            if rng.random() < 0.7:
                submitted = meeting.starts_at - timedelta(days=rng.randint(-2, 8), hours=3)
                ProgressReportFactory(
                    case=case,
                    meeting_id=meeting.id,
                    author=author,
                    submitted_at=submitted if rng.random() < 0.85 else None,
                )
    db.session.commit()
    return panel


def _percentile(values: list[int], fraction: float) -> float | None:
    """percentile_cont: the value at position (n-1)p, between the two around it."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (position - low) * (ordered[high] - ordered[low]), 1)


def expected_figures(panel: m.Panel, period: Period) -> dict[str, object]:
    """The same rules, counted row by row in Python."""
    scope = scope_for(panel, period, NOW)
    session = db.session
    items = session.query(m.AgendaItem).all()
    cases = session.query(m.Case).filter_by(panel_id=panel.id).all()

    def held(meeting: m.Meeting) -> bool:
        return meeting.status in HELD

    def discussed(item: m.AgendaItem) -> bool:
        return item.removed_at is None and item.outcome in DISCUSSED

    to_discussion, to_closure = [], []
    for case in cases:
        firsts = [
            item.meeting.starts_at
            for item in items
            if item.case_id == case.id
            and item.kind == AgendaItemKind.CASE
            and discussed(item)
            and item.meeting.panel_id == panel.id
            and held(item.meeting)
        ]
        if firsts and scope.start_at <= min(firsts) < scope.end_at:
            for referral in case.referrals:
                to_discussion.append((_day(min(firsts)) - referral.received_on).days)
        if (
            case.status == CaseStatus.CLOSED
            and case.closed_at is not None
            and scope.start_at <= case.closed_at < scope.end_at
        ):
            opened = [
                s.changed_at
                for s in session.query(m.CaseStatusChange).filter_by(case_id=case.id)
                if s.to_status == CaseStatus.OPEN
            ]
            if opened:
                to_closure.append((_day(case.closed_at) - _day(min(opened))).days)

    sitting_items = [
        item
        for item in items
        if item.meeting.panel_id == panel.id
        and held(item.meeting)
        and scope.start_at <= item.meeting.starts_at < scope.end_at
        and item.kind == AgendaItemKind.CASE
        and item.removed_at is None
    ]
    outcomes = Counter((item.outcome or ItemOutcome.NOT_REACHED).value for item in sitting_items)
    reports: Counter[str] = Counter()
    for item in sitting_items:
        starts = item.meeting.starts_at
        coordinated = any(
            a.started_at <= starts and (a.ended_at is None or a.ended_at > starts)
            for a in session.query(m.CoordinatorAssignment).filter_by(case_id=item.case_id)
        )
        if not coordinated:
            continue
        report = (
            session.query(m.ProgressReport)
            .filter_by(case_id=item.case_id, meeting_id=item.meeting_id)
            .one_or_none()
        )
        if report is None or report.submitted_at is None:
            reports["missing"] += 1
        elif (_day(starts) - _day(report.submitted_at)).days >= scope.report_due_days:
            reports["on_time"] += 1
        else:
            reports["late"] += 1

    until = min(period.end, add_days(scope.today, 1))
    reviews: Counter[str] = Counter()
    for case in cases:
        if case.status != CaseStatus.CLOSED or case.closed_at is None:
            continue
        for months in scope.post_exit_months:
            due = add_months(_day(case.closed_at), months)
            if not period.start <= due < until:
                continue
            reviewed = [
                _day(item.meeting.starts_at)
                for item in items
                if item.case_id == case.id
                and discussed(item)
                and held(item.meeting)
                and _day(item.meeting.starts_at) >= due
            ]
            grace = scope.review_grace_days
            if not reviewed:
                reviews["pending" if (scope.today - due).days <= grace else "not_done"] += 1
            else:
                reviews["on_time" if (min(reviewed) - due).days <= grace else "late"] += 1

    meetings_held = sum(
        1
        for meeting in session.query(m.Meeting).filter_by(panel_id=panel.id)
        if held(meeting) and scope.start_at <= meeting.starts_at < scope.end_at
    )
    return {
        "referral_to_first_discussion": (
            len(to_discussion),
            _percentile(to_discussion, 0.5),
            _percentile(to_discussion, 0.9),
        ),
        "opening_to_closure": (
            len(to_closure),
            _percentile(to_closure, 0.5),
            _percentile(to_closure, 0.9),
        ),
        "items": dict(outcomes),
        "reports": dict(reports),
        "post_exit_reviews": dict(reviews),
        "meetings": {"held": meetings_held} if meetings_held else {},
    }


def counted(table: Table) -> dict[str, int]:
    return {row: table.count(row, "count") for row in table.rows if table.count(row, "count")}


def found_figures(figures: Figures) -> dict[str, object]:
    found: dict[str, object] = {d.key: (d.cases, d.median, d.p90) for d in figures.durations}
    for key in ("items", "reports", "post_exit_reviews", "meetings"):
        found[key] = counted(figures.tables[key])
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_statements_agree_with_a_count_by_hand_on_a_random_world(seed: int) -> None:
    panel = build_random_world(random.Random(seed))  # noqa: S311 - repeatable test data
    for period in (year_period(2025), year_period(2026), quarter_period(2026, 2)):
        expected = expected_figures(panel, period)
        found = found_figures(gather(panel, period, NOW))
        assert found == expected, period
