"""Dates and times on screen, in the panel's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask_babel import format_date, format_datetime, get_locale


def to_zone(value: datetime, timezone: str) -> datetime:
    """The aware datetime in the given IANA time zone."""
    return value.astimezone(ZoneInfo(timezone))


def local_to_utc(day: date, clock: time, timezone: str) -> datetime:
    """The UTC instant of a wall-clock time on a day in the given time zone."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_datetime(value: datetime | None, timezone: str) -> str:
    """A date and time as the panel reads it, e.g. '8 Dec 2026, 10:00'."""
    if value is None:
        return ""
    local = to_zone(value, timezone).replace(tzinfo=None)
    return format_datetime(local, "d MMM yyyy, HH:mm", rebase=False)


def local_date(value: datetime | None, timezone: str) -> str:
    """The date of an instant in the panel's time zone."""
    if value is None:
        return ""
    return format_date(to_zone(value, timezone).date(), "d MMM yyyy")


def local_time(value: datetime, timezone: str, *, seconds: bool = False) -> str:
    """The time of day of an instant in the panel's time zone, e.g. '10:42'."""
    local = to_zone(value, timezone).replace(tzinfo=None)
    return format_datetime(local, "HH:mm:ss" if seconds else "HH:mm", rebase=False)


def long_date(value: date | None) -> str:
    """A calendar date, e.g. '8 Dec 2026'."""
    return "" if value is None else format_date(value, "d MMM yyyy")


def weekday_name(weekday: int) -> str:
    """The name of a weekday (0 = Monday) in the reader's language."""
    return str(get_day_names("wide", locale=get_locale())[weekday])


class LazyDate:
    """A date written out when it is read, in the language of that moment: a notification's
    text is made once for its recipient, in their language."""

    def __init__(self, value: date | datetime, timezone: str | None = None) -> None:
        self.value, self.timezone = value, timezone

    def __str__(self) -> str:
        if isinstance(self.value, datetime):
            return local_date(self.value, self.timezone or "UTC")
        return long_date(self.value)
