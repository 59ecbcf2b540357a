"""Meeting decisions on plain values: the agenda builder, carry-over, quorum and the cadence.

Nothing here reads the database or the clock. The queries module gathers the facts, the services
module writes what these functions decide.
"""

import calendar
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from conference.actions.models import ActionStatus, RagStatus
from conference.actions.rules import is_overdue
from conference.cases.models import CaseStatus, RiskLevel
from conference.directory.models import ServiceReferralStatus
from conference.directory.rules import is_unanswered
from conference.errors import DomainError
from conference.meetings.models import (
    AgendaItemKind,
    AttendanceStatus,
    InvitationReply,
    ItemOutcome,
    MeetingStatus,
    RecommendationOutcome,
    Stance,
)

# Cases the panel is still working on; closed cases come back only for a post-exit review.
ACTIVE_STATUSES = frozenset(
    {CaseStatus.REFERRED, CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED}
)
RISK_RANK = {RiskLevel.CRITICAL: 0, RiskLevel.HIGH: 1, RiskLevel.MEDIUM: 2, RiskLevel.LOW: 3}


class Reason(enum.StrEnum):
    """Why a case is on the agenda. A case carries every reason that applies."""

    NEW_REFERRAL = "new_referral"
    OVERDUE_ACTION = "overdue_action"
    OFF_TRACK = "off_track"
    DISCUSSION_REQUESTED = "discussion_requested"
    DEFERRED = "deferred"
    ESCALATED = "escalated"
    NOT_REACHED = "not_reached"
    REVIEW_DUE = "review_due"
    NOT_DISCUSSED = "not_discussed"
    CLOSURE_PROPOSED = "closure_proposed"
    POST_EXIT_FIRST = "post_exit_first"
    POST_EXIT_SECOND = "post_exit_second"
    ADDED = "added"  # put on the agenda by the chair or secretary
    REFERRAL_UNANSWERED = "referral_unanswered"  # a service has not answered a referral


class Group(enum.IntEnum):
    """The order of business after risk: escalations before reviews before closures."""

    NEW_OR_ESCALATED = 0
    REVIEW = 1
    CLOSURE = 2


GROUP_OF = {
    Reason.NEW_REFERRAL: Group.NEW_OR_ESCALATED,
    Reason.OVERDUE_ACTION: Group.NEW_OR_ESCALATED,
    Reason.OFF_TRACK: Group.NEW_OR_ESCALATED,
    Reason.DISCUSSION_REQUESTED: Group.NEW_OR_ESCALATED,
    # An item that was put off once must not be put off for ever: it goes with the escalations.
    Reason.DEFERRED: Group.NEW_OR_ESCALATED,
    Reason.ESCALATED: Group.NEW_OR_ESCALATED,
    Reason.NOT_REACHED: Group.NEW_OR_ESCALATED,
    Reason.ADDED: Group.NEW_OR_ESCALATED,
    Reason.REFERRAL_UNANSWERED: Group.REVIEW,
    Reason.REVIEW_DUE: Group.REVIEW,
    Reason.NOT_DISCUSSED: Group.REVIEW,
    Reason.CLOSURE_PROPOSED: Group.CLOSURE,
    Reason.POST_EXIT_FIRST: Group.CLOSURE,
    Reason.POST_EXIT_SECOND: Group.CLOSURE,
}


# What an item left open at the previous sitting comes back as (no outcome: not reached).
CARRIED_REASON = {
    ItemOutcome.DEFERRED: Reason.DEFERRED,
    ItemOutcome.ESCALATED: Reason.ESCALATED,
    ItemOutcome.NOT_REACHED: Reason.NOT_REACHED,
}


@dataclass(frozen=True)
class AgendaSettings:
    """The panel settings the builder uses."""

    max_discussion_interval_days: int = 91
    post_exit_first_months: int = 6
    post_exit_second_months: int = 12
    minors_first: bool = False
    minutes_new_referral: int = 15
    minutes_review: int = 10
    minutes_closure: int = 5
    minutes_action_review: int = 10
    referral_answer_days: int = 14


@dataclass(frozen=True)
class MeetingFacts:
    on: date
    length_minutes: int
    previous_on: date | None = None  # the panel's last sitting before this one


# The facts are named tuples: the builder reads tens of thousands of them, and tuples are cheap.


class CaseFacts(NamedTuple):
    case_id: int
    reference: str
    status: CaseStatus
    risk: RiskLevel
    referred_on: date
    is_minor: bool = False
    next_review_on: date | None = None
    closed_on: date | None = None


class ActionFacts(NamedTuple):
    case_id: int
    due_on: date
    status: ActionStatus


class ReportFacts(NamedTuple):
    """A submitted progress report."""

    case_id: int
    submitted_on: date
    rag: RagStatus
    closure_proposed: bool = False
    discussion_requested: bool = False
    for_this_meeting: bool = False  # written for the meeting whose agenda is being built


class ReferralFacts(NamedTuple):
    """A referral to a service waiting on the service's answer since `referred_on`."""

    case_id: int
    status: ServiceReferralStatus
    referred_on: date | None


class Discussion(NamedTuple):
    """A case's item at an earlier meeting and what became of it (None: never recorded)."""

    case_id: int
    meeting_on: date
    outcome: ItemOutcome | None


@dataclass
class ProposedItem:
    kind: AgendaItemKind
    minutes: int
    case_id: int | None = None
    reference: str = ""
    reasons: list[Reason] = field(default_factory=list)
    risk: RiskLevel | None = None
    is_minor: bool = False
    waited_days: int = 0
    likely_carry_over: bool = False

    @property
    def group(self) -> Group:
        return min(GROUP_OF[r] for r in self.reasons) if self.reasons else Group.REVIEW


SCHEDULING_HORIZON_MONTHS = 120  # sittings are planned up to ten years ahead


def check_meeting_day(day: date, today: date, field: str = "day") -> None:
    """A sitting is planned from today up to ten years ahead: anything else is a slip of the
    keyboard (the exact start is checked against the clock when it is scheduled)."""
    if day < today - timedelta(days=1):  # a day's leeway: `today` is UTC, the day the panel's
        raise DomainError(str(_l("A meeting cannot be scheduled in the past.")), field=field)
    if day > add_months(today, SCHEDULING_HORIZON_MONTHS):
        raise DomainError(str(_l("A meeting is planned at most ten years ahead.")), field=field)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Signals(NamedTuple):
    """What the actions, reports and earlier discussions say about one case."""

    overdue: bool = False
    latest_rag: RagStatus | None = None
    discussion_requested: bool = False
    closure_requested: bool = False
    carried: tuple[Reason, ...] = ()  # deferred or not reached at the previous meeting
    last_discussed: date | None = None
    referral_unanswered: bool = False


def _reasons_for(
    case: CaseFacts, meeting: MeetingFacts, settings: AgendaSettings, signals: _Signals
) -> list[Reason]:
    if case.status is CaseStatus.CLOSED:
        return _post_exit_reasons(case, meeting, settings)
    if case.status not in ACTIVE_STATUSES:
        return []
    previous, last_discussed = meeting.previous_on, signals.last_discussed
    reasons = []
    since_previous = previous is None or case.referred_on > previous
    never_discussed = last_discussed is None or last_discussed < case.referred_on
    if since_previous or (case.status is CaseStatus.REFERRED and never_discussed):
        reasons.append(Reason.NEW_REFERRAL)
    if signals.overdue:
        reasons.append(Reason.OVERDUE_ACTION)
    if signals.latest_rag is RagStatus.OFF_TRACK:
        reasons.append(Reason.OFF_TRACK)
    if signals.discussion_requested:
        reasons.append(Reason.DISCUSSION_REQUESTED)
    reasons.extend(signals.carried)
    if signals.referral_unanswered:
        reasons.append(Reason.REFERRAL_UNANSWERED)
    if case.next_review_on is not None and case.next_review_on <= meeting.on:
        reasons.append(Reason.REVIEW_DUE)
    waited_since = last_discussed or case.referred_on
    if (meeting.on - waited_since).days > settings.max_discussion_interval_days:
        reasons.append(Reason.NOT_DISCUSSED)
    if case.status is CaseStatus.CLOSURE_PROPOSED or signals.closure_requested:
        reasons.append(Reason.CLOSURE_PROPOSED)
    return reasons


def _signals(
    meeting: MeetingFacts,
    settings: AgendaSettings,
    actions: Iterable[ActionFacts],
    reports: Iterable[ReportFacts],
    discussions: Iterable[Discussion],
    referrals: Iterable[ReferralFacts],
) -> dict[int, _Signals]:
    """Each case's signals, gathered in one pass over each input. A service's silence counts as
    it will stand on the day the panel sits (the `today` of the check is the meeting's day)."""
    previous = meeting.previous_on
    unanswered = {
        r.case_id
        for r in referrals
        if is_unanswered(r.status, r.referred_on, settings.referral_answer_days, meeting.on)
    }
    overdue = {a.case_id for a in actions if is_overdue(a.status, a.due_on, meeting.on)}
    latest: dict[int, ReportFacts] = {}
    requested, closure = set(), set()
    for report in reports:
        if (
            report.case_id not in latest
            or report.submitted_on > latest[report.case_id].submitted_on
        ):
            latest[report.case_id] = report
        # A request in the report written for this meeting, or made since the last sitting (a
        # report submitted on the day of the last sitting, for this one, still counts).
        if report.for_this_meeting or previous is None or report.submitted_on > previous:
            if report.discussion_requested:
                requested.add(report.case_id)
            if report.closure_proposed:
                closure.add(report.case_id)
    last: dict[int, date] = {}
    carried: dict[int, list[Reason]] = defaultdict(list)
    for d in discussions:
        if d.outcome is ItemOutcome.DISCUSSED:
            if d.case_id not in last or d.meeting_on > last[d.case_id]:
                last[d.case_id] = d.meeting_on
        elif d.meeting_on == previous:
            reason = CARRIED_REASON[d.outcome] if d.outcome else Reason.NOT_REACHED
            carried[d.case_id].append(reason)
    return {
        case_id: _Signals(
            overdue=case_id in overdue,
            latest_rag=latest[case_id].rag if case_id in latest else None,
            discussion_requested=case_id in requested,
            closure_requested=case_id in closure,
            carried=tuple(dict.fromkeys(carried.get(case_id, ()))),
            last_discussed=last.get(case_id),
            referral_unanswered=case_id in unanswered,
        )
        for case_id in overdue
        | latest.keys()
        | requested
        | closure
        | last.keys()
        | carried.keys()
        | unanswered
    }


def _post_exit_reasons(
    case: CaseFacts, meeting: MeetingFacts, settings: AgendaSettings
) -> list[Reason]:
    """A closed case comes back when a post-exit review fell due since the last sitting."""
    if case.closed_on is None:
        return []
    window_start = meeting.previous_on or meeting.on - timedelta(
        days=settings.max_discussion_interval_days
    )
    reasons = []
    for months, reason in (
        (settings.post_exit_first_months, Reason.POST_EXIT_FIRST),
        (settings.post_exit_second_months, Reason.POST_EXIT_SECOND),
    ):
        if window_start < add_months(case.closed_on, months) <= meeting.on:
            reasons.append(reason)
    return reasons


def minutes_for(reasons: Iterable[Reason], settings: AgendaSettings) -> int:
    """The time slot a case item gets from the panel settings."""
    reasons = set(reasons)
    if Reason.NEW_REFERRAL in reasons:
        return settings.minutes_new_referral
    if all(GROUP_OF[r] is Group.CLOSURE for r in reasons):
        return settings.minutes_closure
    return settings.minutes_review


def mark_carry_over(minutes_in_order: Sequence[int], length_minutes: int) -> list[bool]:
    """Which items, in order of business, would run past the end of the meeting."""
    marks, elapsed = [], 0
    for minutes in minutes_in_order:
        elapsed += minutes
        marks.append(elapsed > length_minutes)
    return marks


def overrun_minutes(minutes_in_order: Sequence[int], length_minutes: int) -> int:
    """How many minutes the items take beyond the meeting's length (0 when they fit)."""
    return max(sum(minutes_in_order) - length_minutes, 0)


def _priority(item: ProposedItem, minors_first: bool) -> tuple[int, int, int, int, str]:
    return (
        0 if (item.is_minor or not minors_first) else 1,
        RISK_RANK[item.risk] if item.risk else len(RISK_RANK),
        item.group,
        -item.waited_days,
        item.reference,
    )


def propose_agenda(
    meeting: MeetingFacts,
    settings: AgendaSettings,
    cases: Iterable[CaseFacts],
    actions: Iterable[ActionFacts] = (),
    reports: Iterable[ReportFacts] = (),
    discussions: Iterable[Discussion] = (),
    referrals: Iterable[ReferralFacts] = (),
) -> list[ProposedItem]:
    """The proposed agenda: the standing action review, then every case that needs the panel,
    once each with all its reasons, in order of business, with time slots and carry-over marks."""
    signals = _signals(meeting, settings, actions, reports, discussions, referrals)
    quiet = _Signals()
    proposed = []
    for case in cases:
        case_signals = signals.get(case.case_id, quiet)
        reasons = _reasons_for(case, meeting, settings, case_signals)
        if not reasons:
            continue
        waited_since = max(case_signals.last_discussed or case.referred_on, case.referred_on)
        proposed.append(
            ProposedItem(
                kind=AgendaItemKind.CASE,
                case_id=case.case_id,
                reference=case.reference,
                reasons=reasons,
                minutes=minutes_for(reasons, settings),
                risk=case.risk,
                is_minor=case.is_minor,
                waited_days=(meeting.on - waited_since).days,
            )
        )
    proposed.sort(key=lambda item: _priority(item, settings.minors_first))
    standing = ProposedItem(
        kind=AgendaItemKind.ACTION_REVIEW, minutes=settings.minutes_action_review
    )
    items = [standing, *proposed]
    for item, late in zip(
        items, mark_carry_over([i.minutes for i in items], meeting.length_minutes), strict=True
    ):
        item.likely_carry_over = late
    return items


# --- Attendance and quorum ---------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    met: bool
    missing_agency_ids: frozenset[int]


def quorum(
    core_agency_ids: Iterable[int], attendance: Iterable[tuple[int, AttendanceStatus]]
) -> Quorum:
    """A panel is quorate when every core agency has someone present: a consensus needs them all."""
    present = {agency_id for agency_id, status in attendance if status is AttendanceStatus.PRESENT}
    return quorum_of(core_agency_ids, present)


def quorum_of(core_agency_ids: Iterable[int], present_agency_ids: Iterable[int]) -> Quorum:
    """The quorum given the agencies in the room."""
    missing = frozenset(set(core_agency_ids) - set(present_agency_ids))
    return Quorum(met=not missing, missing_agency_ids=missing)


# --- Scheduling -------------------------------------------------------------------------------


def cadence_dates(
    first_on_or_after: date, weekday: int, every_weeks: int, count: int
) -> list[date]:
    """`count` sitting days on the panel's weekday, every `every_weeks` weeks."""
    first = first_on_or_after + timedelta(days=(weekday - first_on_or_after.weekday()) % 7)
    return [first + timedelta(weeks=every_weeks * n) for n in range(count)]


# --- Running the meeting ----------------------------------------------------------------------


class Presence(NamedTuple):
    """One attendee as the attendance list records them."""

    user_id: int
    agency_id: int
    status: AttendanceStatus
    arrived_at: datetime | None = None  # None: there from the start
    left_at: datetime | None = None  # None: stayed to the end


def in_room(presence: Presence, at: datetime) -> bool:
    """Whether the person is in the room at `at`: late arrivals and early departures count."""
    return (
        presence.status is AttendanceStatus.PRESENT
        and (presence.arrived_at is None or presence.arrived_at <= at)
        and (presence.left_at is None or presence.left_at > at)
    )


def present_agencies(attendance: Iterable[Presence], at: datetime) -> set[int]:
    """The agencies with someone in the room at `at`."""
    return {p.agency_id for p in attendance if in_room(p, at)}


def decide(
    core_agency_ids: Iterable[int],
    present_agency_ids: Iterable[int],
    positions: Mapping[int, Stance],
) -> RecommendationOutcome:
    """The consensus rule.

    Without every core agency present there is no decision. With them, a recommendation is adopted
    when every agency present has given its position and none objects; an abstention does not
    block. While positions are missing and nobody objects, it is still pending.
    """
    present = set(present_agency_ids)
    if not set(core_agency_ids) <= present:
        return RecommendationOutcome.NO_QUORUM
    if any(stance is Stance.OBJECT for agency, stance in positions.items() if agency in present):
        return RecommendationOutcome.NOT_ADOPTED
    if present - positions.keys():
        return RecommendationOutcome.PENDING
    return RecommendationOutcome.ADOPTED


def check_position(stance: Stance, reason: str) -> None:
    """An objection must say why: the minutes record it and the panel must be able to answer it.
    So must a reservation: the agency agrees, and the minutes keep on what condition."""
    if stance is Stance.OBJECT and not reason.strip():
        raise DomainError(str(_l("An objection needs a reason.")), field="reason")
    if stance is Stance.AGREE_WITH_RESERVATION and not reason.strip():
        raise DomainError(str(_l("Say what the reservation is.")), field="reason")


# --- Replies to invitations -------------------------------------------------------------------


class Reply(NamedTuple):
    """One invitee's answer as the attendance list keeps it (reply None: not answered)."""

    agency_id: int
    reply: InvitationReply | None
    deputy_id: int | None = None


@dataclass(frozen=True)
class Forecast:
    """What the replies say about the quorum before the sitting."""

    expected_agency_ids: frozenset[int]  # someone (or a deputy) is coming
    unanswered_agency_ids: frozenset[int]  # core agencies nobody of which has answered
    apologies_agency_ids: frozenset[int]  # core agencies that answered, and nobody comes

    @property
    def quorate(self) -> bool:
        return not (self.unanswered_agency_ids or self.apologies_agency_ids)


def forecast(core_agency_ids: Iterable[int], replies: Iterable[Reply]) -> Forecast:
    """The quorum the replies promise: each core agency is coming, has not answered, or has
    sent its apologies. A deputy counts for the agency that sends them."""
    coming, answered = set(), set()
    for r in replies:
        if r.reply is not None:
            answered.add(r.agency_id)
        if r.reply is InvitationReply.ATTENDING or (
            r.reply is InvitationReply.DEPUTY and r.deputy_id is not None
        ):
            coming.add(r.agency_id)
    core = set(core_agency_ids)
    return Forecast(
        expected_agency_ids=frozenset(coming),
        unanswered_agency_ids=frozenset(core - answered - coming),
        apologies_agency_ids=frozenset((core & answered) - coming),
    )


def expected_status(status: AttendanceStatus, reply: InvitationReply | None) -> AttendanceStatus:
    """Where the chair's attendance starts for someone not yet recorded: from their reply
    (someone who sends a deputy is not coming themselves)."""
    if status is not AttendanceStatus.INVITED or reply is None:
        return status
    if reply is InvitationReply.ATTENDING:
        return AttendanceStatus.PRESENT
    return AttendanceStatus.APOLOGIES


FINAL_STATUSES = frozenset({MeetingStatus.CLOSED, MeetingStatus.MINUTES_SIGNED})


def record_is_final(status: MeetingStatus) -> bool:
    """A closed meeting's record is final: it changes only through a minutes amendment."""
    return status in FINAL_STATUSES


def opens_early(meeting_day: date, today: date) -> bool:
    """Opening a sitting before its day is almost always a slip of the finger."""
    return today < meeting_day
