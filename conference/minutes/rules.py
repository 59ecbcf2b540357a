"""Minutes decisions on plain values: who signs, when they are complete, who reads what."""

import enum
from collections.abc import Iterable
from datetime import date, timedelta

from conference.minutes.models import MinutesStatus

LOCKED_STATUSES = frozenset({MinutesStatus.SIGNED, MinutesStatus.ARCHIVED})
CIRCULATION_WORKING_DAYS = 3


class Access(enum.StrEnum):
    FULL = "full"
    EXTRACT = "extract"  # only their own agency's extract


def fully_signed(
    chair_signed: bool, cosigned_agency_ids: Iterable[int], core_present_ids: Iterable[int]
) -> bool:
    """Signed by the chair and co-signed by each core agency that was present."""
    return chair_signed and set(core_present_ids) <= set(cosigned_agency_ids)


def add_working_days(day: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `day`."""
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def circulation_overdue(meeting_on: date, circulated: bool, today: date) -> bool:
    """The draft should go to those present within three working days of the meeting."""
    return not circulated and today > add_working_days(meeting_on, CIRCULATION_WORKING_DAYS)
