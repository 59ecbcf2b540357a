"""The need-to-know projection (DESIGN §4): plain data for every generated document.

Document templates receive only the frozen dataclasses built here, never ORM objects, so they
cannot reach a restricted field through a relationship. Every column value is read through
`read_column`, which refuses a column classified as restricted.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from conference.actions.models import Action
from conference.actions.rules import is_overdue, report_state
from conference.cases.models import Case
from conference.db import Classification, classification_of
from conference.formatting import to_zone
from conference.labels import label
from conference.meetings.models import AgendaChange, AgendaItem, AgendaItemKind, Meeting
from conference.meetings.rules import Reason
from conference.panels.models import statement_to_read


class RestrictedFieldError(RuntimeError):
    """A document tried to read a restricted column: a bug, never a user error."""


def read_column(instance: Any, attribute: str) -> Any:
    """The value of a need-to-know or internal column; a restricted one raises."""
    column = sa.inspect(type(instance)).columns[attribute]
    if classification_of(column) == Classification.RESTRICTED.value:
        raise RestrictedFieldError(f"{type(instance).__name__}.{attribute} is restricted")
    return getattr(instance, attribute)


@dataclass(frozen=True)
class MeetingHeader:
    meeting_id: int
    panel_code: str
    panel_name: str
    starts_at: datetime  # local to the panel
    ends_at: datetime
    timezone: str
    place: str
    video_link: str
    chair: str
    secretary: str
    published_at: datetime | None
    confidentiality_statement: str


@dataclass(frozen=True)
class AgendaLine:
    number: int
    kind: AgendaItemKind
    title: str
    reference: str  # empty for general items and for cases withheld from this reader
    withheld: bool
    risk: str
    reasons: tuple[str, ...]
    coordinator_agency: str
    report: str  # the progress report's state: submitted, late, missing, not yet due
    starts_at: datetime
    minutes: int
    likely_carry_over: bool


@dataclass(frozen=True)
class OpenActionLine:
    reference: str
    text: str
    owner_agency: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class ChangeLine:
    at: datetime
    kind: str
    item: str
    detail: str


@dataclass(frozen=True)
class AgendaDocument:
    meeting: MeetingHeader
    lines: tuple[AgendaLine, ...]
    open_actions: tuple[OpenActionLine, ...]
    withheld_actions: int
    changes: tuple[ChangeLine, ...]
    total_minutes: int
    length_minutes: int
    published: bool


def meeting_header(meeting: Meeting) -> MeetingHeader:
    panel = meeting.panel
    zone = read_column(panel, "timezone")
    published_at = read_column(meeting, "agenda_published_at")
    return MeetingHeader(
        meeting_id=read_column(meeting, "id"),
        panel_code=read_column(panel, "code"),
        panel_name=read_column(panel, "name"),
        starts_at=to_zone(read_column(meeting, "starts_at"), zone),
        ends_at=to_zone(read_column(meeting, "ends_at"), zone),
        timezone=zone,
        place=read_column(meeting, "place"),
        video_link=read_column(meeting, "video_link"),
        chair=read_column(meeting.chair, "name") if meeting.chair else "",
        secretary=read_column(meeting.secretary, "name") if meeting.secretary else "",
        published_at=to_zone(published_at, zone) if published_at else None,
        confidentiality_statement=statement_to_read(
            read_column(panel, "confidentiality_statement")
        ),
    )


def _item_label(item: AgendaItem, may_see: Callable[[Case], bool]) -> str:
    if item.case is not None:
        return read_column(item.case, "reference") if may_see(item.case) else ""
    return read_column(item, "title")


def agenda_document(
    meeting: Meeting,
    items: Sequence[AgendaItem],
    open_actions: Sequence[Action],
    changes: Sequence[AgendaChange],
    *,
    reports_submitted: Mapping[int, date],
    report_due_on: date,
    may_see: Callable[[Case], bool],
    today: date,
) -> AgendaDocument:
    """The agenda as one reader may receive it: cases they may not see are withheld."""
    header = meeting_header(meeting)
    lines = []
    clock = header.starts_at
    active = [i for i in items if read_column(i, "removed_at") is None]
    for number, item in enumerate(active, start=1):
        case = item.case
        visible = case is None or may_see(case)
        coordinator = case.coordinator if case is not None and visible else None
        minutes = read_column(item, "minutes_allocated")
        lines.append(
            AgendaLine(
                number=number,
                kind=read_column(item, "kind"),
                title=read_column(item, "title") if visible else "",
                reference=read_column(case, "reference") if case is not None and visible else "",
                withheld=not visible,
                risk=label(read_column(case, "risk_level")) if case is not None and visible else "",
                reasons=tuple(label(Reason(r)) for r in read_column(item, "reasons"))
                if visible
                else (),
                coordinator_agency=read_column(coordinator.agency, "name") if coordinator else "",
                report=label(report_state(report_due_on, reports_submitted.get(case.id), today))
                if case is not None and visible
                else "",
                starts_at=clock,
                minutes=minutes,
                likely_carry_over=read_column(item, "likely_carry_over"),
            )
        )
        clock += timedelta(minutes=minutes)
    visible_actions = [a for a in open_actions if may_see(a.case)]
    return AgendaDocument(
        meeting=header,
        lines=tuple(lines),
        open_actions=tuple(
            OpenActionLine(
                reference=read_column(a.case, "reference"),
                text=read_column(a, "text"),
                owner_agency=read_column(a.owner_agency, "name"),
                due_on=read_column(a, "due_on"),
                overdue=is_overdue(read_column(a, "status"), read_column(a, "due_on"), today),
            )
            for a in visible_actions
        ),
        withheld_actions=len(open_actions) - len(visible_actions),
        changes=tuple(
            ChangeLine(
                at=to_zone(read_column(c, "at"), header.timezone),
                kind=label(read_column(c, "kind")),
                item=_item_label(c.item, may_see) or "—",
                detail=read_column(c, "detail") if _item_label(c.item, may_see) else "",
            )
            for c in changes
        ),
        total_minutes=sum(line.minutes for line in lines),
        length_minutes=int((header.ends_at - header.starts_at).total_seconds() // 60),
        published=header.published_at is not None,
    )


# --- The meeting pack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PackReport:
    rag: str
    summary: str
    submitted_on: date


@dataclass(frozen=True)
class PackAction:
    text: str
    owner_agency: str
    due_on: date
    status: str
    overdue: bool


@dataclass(frozen=True)
class PackDecision:
    meeting_on: date | None
    kind: str
    text: str
    outcome: str


@dataclass(frozen=True)
class PackReferral:
    service: str
    kind: str
    status: str
    guided: bool
    since: date | None  # the day of its latest step
    outcome: str  # how the support ended, once it has


@dataclass(frozen=True)
class PackCase:
    number: int
    reference: str
    title: str
    reasons: tuple[str, ...]
    status: str
    risk: str
    concern: str
    coordinator: str
    coordinator_agency: str
    lead_agency: str
    referred_on: date
    repeat_referral: bool
    report: PackReport | None
    actions: tuple[PackAction, ...]
    decision: PackDecision | None
    next_review_on: date | None
    referrals: tuple[PackReferral, ...]


@dataclass(frozen=True)
class PackDocument:
    """The meeting pack: the agenda as a cover, then one part per case the reader may see."""

    agenda: AgendaDocument
    cases: tuple[PackCase, ...]
    reader_agency: str  # the partner agency the pack was made for; "" for the full panel


@dataclass(frozen=True)
class PackFacts:
    """What the pack needs beyond the agenda, gathered per case id by the caller."""

    reports: Mapping[int, Any]  # ProgressReport, the latest submitted
    actions: Mapping[int, Sequence[Action]]  # the open ones
    decisions: Mapping[int, Any]  # Recommendation, the latest decided, with its meeting
    referrals: Mapping[int, Sequence[Any]]  # ServiceReferral, with their service
    referral_since: Mapping[int, datetime]  # referral id -> its latest step


def _pack_case(
    number: int, item: AgendaItem, case: Case, facts: PackFacts, zone: str, today: date
) -> PackCase:
    coordinator = case.coordinator
    report = facts.reports.get(case.id)
    decision = facts.decisions.get(case.id)
    decided_meeting = decision.item.meeting if decision is not None else None
    return PackCase(
        number=number,
        reference=read_column(case, "reference"),
        title=read_column(item, "title"),
        reasons=tuple(label(Reason(r)) for r in read_column(item, "reasons")),
        status=label(read_column(case, "status")),
        risk=label(read_column(case, "risk_level")),
        concern=label(read_column(case, "concern_category")),
        coordinator=read_column(coordinator, "name") if coordinator else "",
        coordinator_agency=read_column(coordinator.agency, "name") if coordinator else "",
        lead_agency=read_column(case.lead_agency, "name") if case.lead_agency else "",
        referred_on=to_zone(read_column(case, "referred_at"), zone).date(),
        repeat_referral=read_column(case, "is_repeat_referral"),
        report=PackReport(
            rag=label(read_column(report, "rag")),
            summary=read_column(report, "summary"),
            submitted_on=to_zone(read_column(report, "submitted_at"), zone).date(),
        )
        if report is not None
        else None,
        actions=tuple(
            PackAction(
                text=read_column(a, "text"),
                owner_agency=read_column(a.owner_agency, "name"),
                due_on=read_column(a, "due_on"),
                status=label(read_column(a, "status")),
                overdue=is_overdue(read_column(a, "status"), read_column(a, "due_on"), today),
            )
            for a in facts.actions.get(case.id, ())
        ),
        decision=PackDecision(
            meeting_on=to_zone(read_column(decided_meeting, "starts_at"), zone).date()
            if decided_meeting is not None
            else None,
            kind=label(read_column(decision, "kind")),
            text=read_column(decision, "text"),
            outcome=label(read_column(decision, "outcome")),
        )
        if decision is not None
        else None,
        next_review_on=read_column(case, "next_review_on"),
        referrals=tuple(_pack_referral(r, facts, zone) for r in facts.referrals.get(case.id, ())),
    )


def _pack_referral(referral: Any, facts: PackFacts, zone: str) -> PackReferral:
    since = facts.referral_since.get(read_column(referral, "id"))
    outcome = read_column(referral, "outcome")
    return PackReferral(
        service=read_column(referral.service, "name"),
        kind=label(read_column(referral.service, "kind")),
        status=label(read_column(referral, "status")),
        guided=read_column(referral, "guided"),
        since=to_zone(since, zone).date() if since is not None else None,
        outcome=label(outcome) if outcome else "",
    )


def pack_document(
    agenda: AgendaDocument,
    items: Sequence[AgendaItem],
    facts: PackFacts,
    *,
    may_see: Callable[[Case], bool],
    reader_agency: str = "",
    today: date,
) -> PackDocument:
    """The pack as one reader may receive it: the agenda, then each case item they may see with
    its summary, reasons, latest report, open actions, last decision, referrals and next review."""
    zone = agenda.meeting.timezone
    active = [i for i in items if read_column(i, "removed_at") is None]
    cases = tuple(
        _pack_case(number, item, item.case, facts, zone, today)
        for number, item in enumerate(active, start=1)
        if item.case is not None and may_see(item.case)
    )
    return PackDocument(agenda=agenda, cases=cases, reader_agency=reader_agency)
