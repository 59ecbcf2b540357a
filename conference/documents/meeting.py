"""The documents of a meeting, as files: what the download routes and `flask documents` share."""

from collections.abc import Callable
from datetime import datetime

from conference.actions import queries as action_queries
from conference.cases.models import Case
from conference.documents.calendar import meeting_invite
from conference.documents.pdf import render_pdf
from conference.documents.projection import AgendaDocument, agenda_document, meeting_header
from conference.formatting import to_zone
from conference.languages import written_in
from conference.meetings import queries
from conference.meetings.models import Meeting


def document_name(meeting: Meeting, kind: str, extension: str) -> str:
    """A file name with the panel code and date only: never anything about a person."""
    day = to_zone(meeting.starts_at, meeting.panel.timezone).date()
    return f"{meeting.panel.code}-{day.isoformat()}-{kind}.{extension}"


def agenda_for(
    meeting: Meeting, *, may_see: Callable[[Case], bool], now: datetime
) -> AgendaDocument:
    """The agenda's projection for a reader who may see the cases `may_see` accepts."""
    return agenda_document(
        meeting,
        queries.agenda_items(meeting),
        queries.open_actions_from(queries.previous_meeting(meeting)),
        queries.agenda_changes(meeting),
        reports_submitted=action_queries.reports_submitted_on(meeting),
        report_due_on=action_queries.report_due(meeting),
        may_see=may_see,
        today=to_zone(now, meeting.panel.timezone).date(),
    )


def agenda_pdf(
    meeting: Meeting,
    *,
    may_see: Callable[[Case], bool],
    now: datetime,
    locale: str | None = None,
) -> bytes:
    """The agenda as a PDF, in the panel's language unless another is asked for."""
    with written_in(locale or meeting.panel.locale):
        return render_pdf(
            "documents/agenda.html", document=agenda_for(meeting, may_see=may_see, now=now)
        )


def invite_ics(
    meeting: Meeting, *, link: str, domain: str, now: datetime, locale: str | None = None
) -> bytes:
    """The calendar invitation, in the panel's language unless another is asked for."""
    with written_in(locale or meeting.panel.locale):
        return meeting_invite(meeting_header(meeting), link=link, domain=domain, now=now)


def everyone(case: Case) -> bool:
    """The panel's full view, for the secretary's printed set."""
    return True
