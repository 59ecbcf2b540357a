"""Every figure of a panel's statistics, counted in SQL with GROUP BY.

One statement per group of figures, nine in all whatever the size of the register; Python only
arranges the aggregated rows into tables. The statements read need-to-know and internal columns
only, never a restricted one (tests/statistics checks every statement listed in `statements`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from conference.actions.models import Action, ActionStatus, ProgressReport, RagStatus
from conference.auth.models import Agency
from conference.cases.models import (
    AgeBand,
    Case,
    CaseStatus,
    CaseStatusChange,
    ConcernCategory,
    CoordinatorAssignment,
    Referral,
    ReferralSource,
    RiskLevel,
)
from conference.directory.models import ServiceReferral, ServiceReferralStatus
from conference.extensions import db
from conference.labels import label
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Recommendation,
    RecommendationKind,
)
from conference.panels.models import Panel
from conference.statistics import labels
from conference.statistics.rules import (
    Cell,
    Distribution,
    Period,
    Table,
    add_days,
    closing_days_due,
)
from conference.statistics.sql import add_months, day_of, days_between

HELD = (MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED)
DISCUSSED = (ItemOutcome.DISCUSSED, ItemOutcome.ESCALATED)
ACTIVE = (CaseStatus.REFERRED, CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED)
OPEN_ACTION = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
# The item outcomes a sitting records; an item left without one was not reached.
ITEM_OUTCOMES = (
    ItemOutcome.DISCUSSED,
    ItemOutcome.NOT_REACHED,
    ItemOutcome.DEFERRED,
    ItemOutcome.ESCALATED,
)


def _text(column: Any) -> Any:
    """An enumeration column read as its plain stored value."""
    return sa.type_coerce(column, sa.String)


@dataclass(frozen=True)
class Scope:
    """What the statements are about: one panel, one period, as of one day."""

    panel_id: int
    period: Period
    start_at: datetime  # the period's first midnight in the panel's time zone, in UTC
    end_at: datetime
    today: date  # in the panel's time zone
    months: tuple[tuple[str, date, datetime], ...]  # label, first day, first instant
    report_due_days: int
    post_exit_months: tuple[int, int]
    review_grace_days: int  # a post-exit review is on time at the next regular sitting
    dialect: str
    now: datetime
    timezone: str

    def instant(self, day: date) -> datetime:
        """The first instant of a day in the panel's time zone, in UTC."""
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)


def scope_for(panel: Panel, period: Period, now: datetime) -> Scope:
    """The scope of a panel's statistics for a period, as of `now`."""
    zone = ZoneInfo(panel.timezone)

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    return Scope(
        panel_id=panel.id,
        period=period,
        start_at=instant(period.start),
        end_at=instant(period.end),
        today=now.astimezone(zone).date(),
        months=tuple((name, first, instant(first)) for name, first in period.months()),
        report_due_days=panel.report_due_days,
        post_exit_months=(
            panel.post_exit_review_first_months,
            panel.post_exit_review_second_months,
        ),
        review_grace_days=7 * panel.cadence_every_weeks,
        dialect=db.session.get_bind().dialect.name,
        now=now,
        timezone=panel.timezone,
    )


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _month_of(column: Any, scope: Scope, instants: bool) -> Any:
    """The label of the period's month a date (or, with `instants`, a timestamp) falls in."""
    bounds = [(name, at if instants else first) for name, first, at in scope.months]
    whens = [(column < bounds[n + 1][1], bounds[n][0]) for n in range(len(bounds) - 1)]
    return sa.case(*whens, else_=bounds[-1][0]) if whens else sa.literal(bounds[-1][0])


# --- The statements ---------------------------------------------------------------------------


def referrals_statement(scope: Scope) -> sa.Select[Any]:
    """Referrals received in the period, counted by month, agency, source, concern, age band
    and repeat, in one pass: rows (measure, group, label, count)."""
    received = (
        sa.select(
            Referral.received_on,
            Referral.referring_agency_id,
            _text(Referral.source).label("source"),
            _text(Case.concern_category).label("concern"),
            _text(Case.age_band).label("age_band"),
            Case.is_repeat_referral,
        )
        .join(Case, Case.id == Referral.case_id)
        .where(
            Case.panel_id == scope.panel_id,
            Referral.received_on >= scope.period.start,
            Referral.received_on < scope.period.end,
        )
        .cte("received")
    )
    r = received.c
    no_label = sa.null().cast(sa.String)

    def by(measure: str, group: Any, name: Any = no_label) -> sa.Select[Any]:
        return sa.select(
            sa.literal(measure).label("measure"),
            sa.cast(group, sa.String).label("grp"),
            name.label("label"),
            sa.func.count().label("n"),
        ).group_by(group)

    repeat = sa.case((r.is_repeat_referral, "repeat"), else_="first")
    return sa.union_all(  # type: ignore[return-value]
        by("month", _month_of(r.received_on, scope, instants=False)).select_from(received),
        by("agency", Agency.id, sa.func.max(Agency.name)).select_from(
            received.join(Agency, Agency.id == r.referring_agency_id)
        ),
        by("source", r.source).select_from(received),
        by("concern", r.concern).select_from(received),
        by("age_band", r.age_band).select_from(received),
        by("repeat", repeat).select_from(received),
    )


def _discussed(item: Any, meeting: Any, scope: Scope) -> list[Any]:
    return [
        meeting.id == item.meeting_id,
        meeting.panel_id == scope.panel_id,
        meeting.status.in_(HELD),
        item.kind == AgendaItemKind.CASE,
        item.removed_at.is_(None),
        item.outcome.in_(DISCUSSED),
    ]


def _durations(scope: Scope) -> Any:
    """(measure, days): referral to first discussion for cases first discussed in the period,
    opening to closure for cases closed in the period."""
    # A case's first discussion ever falls in the period: one pass over the discussions until
    # the period's end, no second look for earlier ones.
    first_at = sa.func.min(Meeting.starts_at)
    first_discussed = (
        sa.select(AgendaItem.case_id, first_at.label("first_at"))
        .select_from(AgendaItem)
        .join(Meeting, sa.and_(*_discussed(AgendaItem, Meeting, scope)))
        .where(Meeting.starts_at < scope.end_at)
        .group_by(AgendaItem.case_id)
        .having(first_at >= scope.start_at)
        .subquery("first_discussed")
    )
    to_discussion = sa.select(
        sa.literal("referral_to_first_discussion").label("measure"),
        days_between(Referral.received_on, day_of(first_discussed.c.first_at)).label("days"),
    ).join_from(first_discussed, Referral, Referral.case_id == first_discussed.c.case_id)
    # A closed case without an opening step has no duration: the join leaves it out.
    opened_at = sa.func.min(CaseStatusChange.changed_at)
    to_closure = (
        sa.select(
            sa.literal("opening_to_closure").label("measure"),
            days_between(day_of(opened_at), day_of(Case.closed_at)).label("days"),
        )
        .join(
            CaseStatusChange,
            sa.and_(
                CaseStatusChange.case_id == Case.id,
                CaseStatusChange.to_status == CaseStatus.OPEN,
            ),
        )
        .where(
            Case.panel_id == scope.panel_id,
            Case.status == CaseStatus.CLOSED,
            Case.closed_at >= scope.start_at,
            Case.closed_at < scope.end_at,
        )
        .group_by(Case.id, Case.closed_at)
    )
    return sa.union_all(to_discussion, to_closure).subquery("durations")


def durations_statement(scope: Scope) -> sa.Select[Any]:
    """How many cases, the median and the 90th percentile of each duration: rows (measure,
    cases, median, p90). PostgreSQL has percentile_cont; on SQLite the same interpolation is
    made from the durations' ranks (ROW_NUMBER), without reading the rows into Python."""
    every = _durations(scope)
    durations = (
        sa.select(every.c.measure, every.c.days).where(every.c.days.is_not(None)).subquery("known")
    )
    if scope.dialect == "postgresql":
        return sa.select(
            durations.c.measure,
            sa.func.count().label("cases"),
            sa.func.percentile_cont(0.5).within_group(durations.c.days).label("median"),
            sa.func.percentile_cont(0.9).within_group(durations.c.days).label("p90"),
        ).group_by(durations.c.measure)
    # The durations are whole days: count each day once, then rank the few distinct days by
    # how many durations reach them (a running sum), rather than ranking every duration.
    per_day = (
        sa.select(durations.c.measure, durations.c.days, sa.func.count().label("times"))
        .group_by(durations.c.measure, durations.c.days)
        .subquery("per_day")
    )
    ranked = sa.select(
        per_day.c.measure,
        per_day.c.days,
        sa.func.sum(per_day.c.times)
        .over(partition_by=per_day.c.measure, order_by=per_day.c.days)
        .label("upto"),
        sa.func.sum(per_day.c.times).over(partition_by=per_day.c.measure).label("n"),
    ).subquery("ranked")
    return sa.select(
        ranked.c.measure,
        sa.func.max(ranked.c.n).label("cases"),
        _percentile_from_ranks(ranked, 1, 2).label("median"),
        _percentile_from_ranks(ranked, 9, 10).label("p90"),
    ).group_by(ranked.c.measure)


def _percentile_from_ranks(ranked: Any, numerator: int, denominator: int) -> Any:
    """percentile_cont(numerator/denominator) over the distinct days with how many durations
    reach each (`upto`), in integer arithmetic: the value at position (n-1)p, between the two
    ranks around it (the value at a rank is the first day the running count reaches it)."""
    position = (ranked.c.n - 1) * numerator  # the position times the denominator
    below = position // denominator + 1  # the rank at or below
    fraction = (position % denominator) * 1.0 / denominator
    low = sa.func.min(sa.case((ranked.c.upto >= below, ranked.c.days)))
    high = sa.func.min(sa.case((ranked.c.upto >= below + 1, ranked.c.days)))
    return low + sa.func.max(fraction) * (sa.func.coalesce(high, low) - low)


def open_at_end_statement(scope: Scope) -> sa.Select[Any]:
    """Cases still open when the period ended, by the status they had then and their risk:
    rows (status, risk, count). For a period that has not ended the status is today's; for
    an earlier one it is the last step of the case's lifecycle before the period ended."""
    if scope.end_at > scope.now:
        return (
            sa.select(_text(Case.status), _text(Case.risk_level), sa.func.count())
            .where(Case.panel_id == scope.panel_id, Case.status.in_(ACTIVE))
            .group_by(Case.status, Case.risk_level)
        )
    status_then = (
        sa.select(_text(CaseStatusChange.to_status))
        .where(CaseStatusChange.case_id == Case.id, CaseStatusChange.changed_at < scope.end_at)
        .order_by(CaseStatusChange.changed_at.desc(), CaseStatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    then = (
        sa.select(status_then.label("status"), Case.risk_level)
        .where(
            Case.panel_id == scope.panel_id,
            Case.referred_at < scope.end_at,
            # Closed before the end and not since: closed then too, no need to look.
            sa.not_(sa.and_(Case.status == CaseStatus.CLOSED, Case.closed_at < scope.end_at)),
        )
        .subquery("then")
    )
    return (
        sa.select(then.c.status, _text(then.c.risk_level), sa.func.count())
        .where(then.c.status.in_([s.value for s in ACTIVE]))
        .group_by(then.c.status, then.c.risk_level)
    )


def endings_statement(scope: Scope) -> sa.Select[Any]:
    """Cases closed or declined in the period, by how they ended: rows (ending, count)."""
    handed_over = (
        sa.select(ServiceReferral.id)
        .where(
            ServiceReferral.case_id == CaseStatusChange.case_id,
            ServiceReferral.status.in_(
                (
                    ServiceReferralStatus.ACCEPTED,
                    ServiceReferralStatus.SUPPORT_STARTED,
                    ServiceReferralStatus.ENDED,
                )
            ),
        )
        .exists()
    )
    ending = sa.case(
        (CaseStatusChange.to_status == CaseStatus.DECLINED, "declined"),
        (handed_over, "transferred"),
        (Recommendation.kind == RecommendationKind.NO_FURTHER_ACTION, "no_further_action"),
        else_="closed",
    )
    return (
        sa.select(ending.label("ending"), sa.func.count())
        .join(Case, Case.id == CaseStatusChange.case_id)
        .outerjoin(Recommendation, Recommendation.id == CaseStatusChange.recommendation_id)
        .where(
            Case.panel_id == scope.panel_id,
            CaseStatusChange.to_status.in_((CaseStatus.CLOSED, CaseStatus.DECLINED)),
            CaseStatusChange.changed_at >= scope.start_at,
            CaseStatusChange.changed_at < scope.end_at,
        )
        .group_by(ending)
    )


def post_exit_statement(scope: Scope) -> sa.Select[Any]:
    """Post-exit reviews that fell due in the period (up to today), by whether the panel
    discussed the case at the next regular sitting: rows (state, count)."""

    # Only the cases whose review fell due in the period, up to today: their closing days
    # are worked out first, so the date arithmetic runs once per review, in a materialised CTE.
    until = min(scope.period.end, add_days(scope.today, 1))

    def due_after(months: int) -> sa.Select[Any]:
        first, end = closing_days_due(scope.period.start, until, months)
        return sa.select(
            Case.id.label("case_id"),
            sa.literal(months).label("months"),
            add_months(day_of(Case.closed_at), months).label("due_on"),
        ).where(
            Case.panel_id == scope.panel_id,
            Case.status == CaseStatus.CLOSED,
            Case.closed_at >= _utc_midnight(first),
            Case.closed_at < _utc_midnight(end),
        )

    due = (
        sa.union_all(*(due_after(months) for months in scope.post_exit_months))
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    # The first sitting from the due day that discussed the case: the discussions since the
    # period began (no earlier sitting can be a review), joined with the reviews by case.
    discussions = (
        sa.select(AgendaItem.case_id, day_of(Meeting.starts_at).label("sat_on"))
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            Meeting.panel_id == scope.panel_id,
            Meeting.status.in_(HELD),
            Meeting.starts_at >= _utc_midnight(scope.period.start),
            AgendaItem.outcome.in_(DISCUSSED),
            AgendaItem.removed_at.is_(None),
        )
        .subquery("discussions")
    )
    reviews = (
        sa.select(due.c.due_on, sa.func.min(discussions.c.sat_on).label("reviewed_on"))
        .select_from(due)
        .outerjoin(
            discussions,
            sa.and_(discussions.c.case_id == due.c.case_id, discussions.c.sat_on >= due.c.due_on),
        )
        .group_by(due.c.case_id, due.c.months, due.c.due_on)
        .subquery("reviews")
    )
    grace = scope.review_grace_days
    state = sa.case(
        (
            reviews.c.reviewed_on.is_(None),
            sa.case(
                (days_between(reviews.c.due_on, sa.literal(scope.today)) <= grace, "pending"),
                else_="not_done",
            ),
        ),
        (days_between(reviews.c.due_on, reviews.c.reviewed_on) <= grace, "on_time"),
        else_="late",
    )
    return sa.select(state.label("state"), sa.func.count()).group_by(state)


def actions_statement(scope: Scope) -> sa.Select[Any]:
    """Actions agreed in the period, by owning agency and what became of them: rows (agency
    id, agency name, state, count)."""
    done_on = day_of(Action.completed_at)
    state = sa.case(
        (
            Action.status == ActionStatus.DONE,
            sa.case(
                (sa.or_(Action.completed_at.is_(None), done_on <= Action.due_on), "done_on_time"),
                else_="done_late",
            ),
        ),
        (Action.status == ActionStatus.NOT_POSSIBLE, "not_possible"),
        (Action.status == ActionStatus.NOT_DONE, "not_done"),
        (Action.status == ActionStatus.CANCELLED, "cancelled"),
        (Action.due_on < scope.today, "overdue"),
        else_="open",
    )
    # Counted first, named after: the agencies joined into the count made SQLite scan every
    # case once per agency.
    counts = (
        sa.select(Action.owner_agency_id, state.label("state"), sa.func.count().label("n"))
        .join(Case, Case.id == Action.case_id)
        .where(
            Case.panel_id == scope.panel_id,
            Action.created_at >= scope.start_at,
            Action.created_at < scope.end_at,
        )
        .group_by(Action.owner_agency_id, state)
        .subquery("counts")
    )
    return sa.select(Agency.id, Agency.name, counts.c.state, counts.c.n).join_from(
        counts, Agency, Agency.id == counts.c.owner_agency_id
    )


def _held_in_period(scope: Scope) -> list[Any]:
    return [
        Meeting.panel_id == scope.panel_id,
        Meeting.status.in_(HELD),
        Meeting.starts_at >= scope.start_at,
        Meeting.starts_at < scope.end_at,
    ]


def rag_statement(scope: Scope) -> sa.Select[Any]:
    """Progress reports submitted in the period by month and RAG status: rows (month, rag,
    count)."""
    month = _month_of(ProgressReport.submitted_at, scope, instants=True)
    return (
        sa.select(month.label("month"), _text(ProgressReport.rag).label("rag"), sa.func.count())
        .join(Case, Case.id == ProgressReport.case_id)
        .where(
            Case.panel_id == scope.panel_id,
            ProgressReport.submitted_at >= scope.start_at,
            ProgressReport.submitted_at < scope.end_at,
        )
        .group_by(month, ProgressReport.rag)
    )


def sittings_statement(scope: Scope) -> sa.Select[Any]:
    """The meetings held in the period, their case items by outcome, and the progress reports
    due for those items (cases that had a coordinator when the meeting began) by whether they
    came in by the due day, from one pass over the items: rows (measure, group, count)."""
    items = (
        sa.select(
            AgendaItem.case_id,
            AgendaItem.outcome,
            Meeting.id.label("meeting_id"),
            Meeting.starts_at,
        )
        .select_from(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            *_held_in_period(scope),
            AgendaItem.kind == AgendaItemKind.CASE,
            AgendaItem.removed_at.is_(None),
        )
        .cte("items")
        .prefix_with("MATERIALIZED")
    )
    held = sa.select(
        sa.literal("meetings").label("measure"),
        sa.literal("held").label("grp"),
        sa.func.count().label("n"),
    ).where(*_held_in_period(scope))
    outcome = sa.func.coalesce(_text(items.c.outcome), ItemOutcome.NOT_REACHED.value)
    by_outcome = sa.select(sa.literal("items"), outcome, sa.func.count()).group_by(outcome)
    coordinated = (
        sa.select(CoordinatorAssignment.id)
        .where(
            CoordinatorAssignment.case_id == items.c.case_id,
            CoordinatorAssignment.started_at <= items.c.starts_at,
            sa.or_(
                CoordinatorAssignment.ended_at.is_(None),
                CoordinatorAssignment.ended_at > items.c.starts_at,
            ),
        )
        .exists()
    )
    # One report per case and meeting (a unique constraint): a join finds it, no lookup per item.
    expected = (
        sa.select(items.c.starts_at, ProgressReport.submitted_at)
        .select_from(items)
        .outerjoin(
            ProgressReport,
            sa.and_(
                ProgressReport.case_id == items.c.case_id,
                ProgressReport.meeting_id == items.c.meeting_id,
            ),
        )
        .where(coordinated)
        .cte("expected")
        .prefix_with("MATERIALIZED")
    )
    early_enough = (
        days_between(day_of(expected.c.submitted_at), day_of(expected.c.starts_at))
        >= scope.report_due_days
    )
    state = sa.case(
        (expected.c.submitted_at.is_(None), "missing"),
        (early_enough, "on_time"),
        else_="late",
    )
    reports = sa.select(sa.literal("reports"), state, sa.func.count()).group_by(state)
    return sa.union_all(held, by_outcome, reports)  # type: ignore[return-value]


def attendance_statement(scope: Scope) -> sa.Select[Any]:
    """Members' attendance at the meetings held in the period, by agency: rows (agency id,
    agency name, status, count)."""
    return (
        sa.select(
            Agency.id,
            sa.func.max(Agency.name),
            _text(Attendance.status).label("status"),
            sa.func.count(),
        )
        .select_from(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Agency, Agency.id == Attendance.agency_id)
        .where(*_held_in_period(scope), Attendance.role == AttendeeRole.MEMBER)
        .group_by(Agency.id, Attendance.status)
    )


STATEMENTS: tuple[Callable[[Scope], Any], ...] = (
    referrals_statement,
    durations_statement,
    open_at_end_statement,
    endings_statement,
    post_exit_statement,
    actions_statement,
    rag_statement,
    sittings_statement,
    attendance_statement,
)


def statements(scope: Scope) -> list[Any]:
    """Every statement the statistics run, for the scope."""
    return [build(scope) for build in STATEMENTS]


# --- The figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Every figure of a panel's statistics for a period, as exact counts."""

    period: Period
    today: date
    tables: Mapping[str, Table]
    durations: tuple[Distribution, ...]
    report_due_days: int
    review_grace_days: int


def _enum_labels(values: Any) -> dict[str, str]:
    return {v.value: label(v) for v in values}


def _lazy(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(text) for key, text in mapping.items()}


def _one_way(
    key: str, counts: Mapping[str, int], row_labels: Mapping[str, str], **kwargs: Any
) -> Table:
    rows = tuple(row_labels)
    cells: dict[Cell, int] = {(row, "count"): counts.get(row, 0) for row in rows}
    return Table(key, rows, counts=cells, row_labels=row_labels, **kwargs)


def _by_name(names: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))


def gather(panel: Panel, period: Period, now: datetime) -> Figures:
    """Count every figure of the panel's statistics for the period, as of `now`."""
    scope = scope_for(panel, period, now)
    execute = db.session.execute
    months = {name: name for name, _, _ in scope.months}
    tables: dict[str, Table] = {}

    groups: dict[str, dict[str, int]] = {}
    agencies: dict[str, str] = {}
    for measure, group, name, count in execute(referrals_statement(scope)):
        groups.setdefault(measure, {})[group] = count
        if measure == "agency":
            agencies[group] = name
    tables["referrals_by_month"] = _one_way(
        "referrals_by_month", groups.get("month", {}), months, by_month=True
    )
    tables["referrals_by_agency"] = _one_way(
        "referrals_by_agency", groups.get("agency", {}), _by_name(agencies)
    )
    tables["referrals_by_source"] = _one_way(
        "referrals_by_source", groups.get("source", {}), _enum_labels(ReferralSource)
    )
    tables["referrals_by_concern"] = _one_way(
        "referrals_by_concern", groups.get("concern", {}), _enum_labels(ConcernCategory)
    )
    band_labels = _lazy(labels.AGE_BANDS)
    tables["referrals_by_age"] = _one_way(
        "referrals_by_age",
        groups.get("age_band", {}),
        {band.value: band_labels[band.value] for band in AgeBand},
    )
    tables["referrals_repeat"] = _one_way(
        "referrals_repeat", groups.get("repeat", {}), _lazy(labels.REPEAT)
    )

    found = {
        measure: Distribution(measure, int(cases), _days(median), _days(p90))
        for measure, cases, median, p90 in execute(durations_statement(scope))
    }
    durations = tuple(found.get(key, Distribution(key, 0, None, None)) for key in labels.DURATIONS)

    open_counts = {(s, r): n for s, r, n in execute(open_at_end_statement(scope))}
    tables["open_at_end"] = Table(
        "open_at_end",
        tuple(s.value for s in ACTIVE),
        tuple(r.value for r in RiskLevel),
        _cells(open_counts),
        row_labels=_enum_labels(ACTIVE),
        column_labels=_enum_labels(RiskLevel),
    )
    tables["endings"] = _one_way(
        "endings",
        {key: n for key, n in execute(endings_statement(scope))},
        _lazy(labels.ENDINGS),
    )
    tables["post_exit_reviews"] = _one_way(
        "post_exit_reviews",
        {key: n for key, n in execute(post_exit_statement(scope))},
        _lazy(labels.POST_EXIT),
    )

    action_counts, owners = {}, {}
    for agency_id, name, state, count in execute(actions_statement(scope)):
        action_counts[(str(agency_id), state)] = count
        owners[str(agency_id)] = name
    owners = _by_name(owners)
    tables["actions"] = Table(
        "actions",
        tuple(owners),
        tuple(labels.ACTION_STATES),
        _cells(action_counts),
        row_labels=owners,
        column_labels=_lazy(labels.ACTION_STATES),
    )
    rag_counts = {(m, r): n for m, r, n in execute(rag_statement(scope))}
    tables["rag_by_month"] = Table(
        "rag_by_month",
        tuple(months),
        tuple(r.value for r in RagStatus),
        _cells(rag_counts),
        row_labels=months,
        column_labels=_enum_labels(RagStatus),
        by_month=True,
    )

    sittings: dict[str, dict[str, int]] = {}
    for measure, group, count in execute(sittings_statement(scope)):
        sittings.setdefault(measure, {})[group] = count
    tables["reports"] = _one_way(
        "reports", sittings.get("reports", {}), _lazy(labels.REPORT_STATES)
    )
    tables["meetings"] = _one_way("meetings", sittings.get("meetings", {}), _lazy(labels.MEETINGS))
    tables["items"] = _one_way("items", sittings.get("items", {}), _enum_labels(ITEM_OUTCOMES))

    presence, present_agencies = {}, {}
    for agency_id, name, status, count in execute(attendance_statement(scope)):
        presence[(str(agency_id), status)] = count
        present_agencies[str(agency_id)] = name
    present_agencies = _by_name(present_agencies)
    tables["attendance"] = Table(
        "attendance",
        tuple(present_agencies),
        tuple(s.value for s in _ATTENDANCE_COLUMNS),
        _cells(presence),
        row_labels=present_agencies,
        column_labels=_lazy(labels.ATTENDANCE),
    )
    return Figures(
        period=period,
        today=scope.today,
        tables=tables,
        durations=durations,
        report_due_days=scope.report_due_days,
        review_grace_days=scope.review_grace_days,
    )


_ATTENDANCE_COLUMNS = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.APOLOGIES,
    AttendanceStatus.ABSENT,
    AttendanceStatus.INVITED,
)


def _cells(counts: Mapping[tuple[str, str], int]) -> dict[Cell, int]:
    return {(row, column): count for (row, column), count in counts.items()}


def _days(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
