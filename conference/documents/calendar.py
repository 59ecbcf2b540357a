"""Calendar invitations (RFC 5545): the time, the place and a link. Never any case data."""

from datetime import UTC, datetime

from flask_babel import gettext as _
from icalendar import Calendar, Event

from conference.documents.projection import MeetingHeader


def meeting_invite(meeting: MeetingHeader, *, link: str, domain: str, now: datetime) -> bytes:
    """An iCalendar file with one event for the sitting; its UID is stable so updates replace it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Case Conference//Meeting invitation//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.meeting_id}@{domain}")
    event.add("dtstamp", now)
    # In UTC: every client converts it, and the file needs no time-zone definitions.
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", f"{meeting.panel_name} ({meeting.panel_code})")
    if meeting.place:
        event.add("location", meeting.place)
    description = [_("Agenda and papers: %(link)s", link=link)]
    if meeting.video_link:
        description.append(_("Video link: %(link)s", link=meeting.video_link))
    event.add("description", "\n".join(description))
    event.add("url", link)
    calendar.add_component(event)
    return calendar.to_ical()
