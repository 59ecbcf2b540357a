"""The need-to-know projection (DESIGN §4): plain data for every generated document.

Document templates receive only the frozen dataclasses built here, never ORM objects, so they
cannot reach a restricted field through a relationship. Every column value is read through
`_read`, which refuses a column classified as restricted.
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


class RestrictedFieldError(RuntimeError):
    """A document tried to read a restricted column: a bug, never a user error."""


def _read(instance: Any, attribute: str) -> Any:
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
    zone = _read(panel, "timezone")
    published_at = _read(meeting, "agenda_published_at")
    return MeetingHeader(
        meeting_id=_read(meeting, "id"),
        panel_code=_read(panel, "code"),
        panel_name=_read(panel, "name"),
        starts_at=to_zone(_read(meeting, "starts_at"), zone),
        ends_at=to_zone(_read(meeting, "ends_at"), zone),
        timezone=zone,
        place=_read(meeting, "place"),
        video_link=_read(meeting, "video_link"),
        chair=_read(meeting.chair, "name") if meeting.chair else "",
        secretary=_read(meeting.secretary, "name") if meeting.secretary else "",
        published_at=to_zone(published_at, zone) if published_at else None,
        confidentiality_statement=_read(panel, "confidentiality_statement"),
    )


def _item_label(item: AgendaItem, may_see: Callable[[Case], bool]) -> str:
    if item.case is not None:
        return _read(item.case, "reference") if may_see(item.case) else ""
    return _read(item, "title")


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
    active = [i for i in items if _read(i, "removed_at") is None]
    for number, item in enumerate(active, start=1):
        case = item.case
        visible = case is None or may_see(case)
        coordinator = case.coordinator if case is not None and visible else None
        minutes = _read(item, "minutes_allocated")
        lines.append(
            AgendaLine(
                number=number,
                kind=_read(item, "kind"),
                title=_read(item, "title") if visible else "",
                reference=_read(case, "reference") if case is not None and visible else "",
                withheld=not visible,
                risk=label(_read(case, "risk_level")) if case is not None and visible else "",
                reasons=tuple(label(Reason(r)) for r in _read(item, "reasons")) if visible else (),
                coordinator_agency=_read(coordinator.agency, "name") if coordinator else "",
                report=label(report_state(report_due_on, reports_submitted.get(case.id), today))
                if case is not None and visible
                else "",
                starts_at=clock,
                minutes=minutes,
                likely_carry_over=_read(item, "likely_carry_over"),
            )
        )
        clock += timedelta(minutes=minutes)
    visible_actions = [a for a in open_actions if may_see(a.case)]
    return AgendaDocument(
        meeting=header,
        lines=tuple(lines),
        open_actions=tuple(
            OpenActionLine(
                reference=_read(a.case, "reference"),
                text=_read(a, "text"),
                owner_agency=_read(a.owner_agency, "name"),
                due_on=_read(a, "due_on"),
                overdue=is_overdue(_read(a, "status"), _read(a, "due_on"), today),
            )
            for a in visible_actions
        ),
        withheld_actions=len(open_actions) - len(visible_actions),
        changes=tuple(
            ChangeLine(
                at=to_zone(_read(c, "at"), header.timezone),
                kind=label(_read(c, "kind")),
                item=_item_label(c.item, may_see) or "—",
                detail=_read(c, "detail") if _item_label(c.item, may_see) else "",
            )
            for c in changes
        ),
        total_minutes=sum(line.minutes for line in lines),
        length_minutes=int((header.ends_at - header.starts_at).total_seconds() // 60),
        published=header.published_at is not None,
    )
