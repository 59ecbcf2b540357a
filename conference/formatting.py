"""Dates and times on screen, in the panel's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale


def to_zone(value: datetime, timezone: str) -> datetime:
    """The aware datetime in the given IANA time zone."""
    return value.astimezone(ZoneInfo(timezone))


def local_to_utc(day: date, clock: time, timezone: str) -> datetime:
    """The UTC instant of a wall-clock time on a day in the given time zone."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


# How each language writes a date, a time and the two together (Babel patterns); Swedish as
# it is written in Finland. Other languages: English's.
_PATTERNS = {
    "en": ("d MMM yyyy", "HH:mm", "{date}, {time}"),
    "fi": ("d.M.yyyy", "H.mm", "{date} 'klo' {time}"),
    "sv": ("d.M.yyyy", "HH.mm", "{date} 'kl.' {time}"),
    "nl": ("dd-MM-yyyy", "HH:mm", "{date} {time}"),
}


def _patterns() -> tuple[str, str, str]:
    locale = get_locale()
    return _PATTERNS.get(locale.language if locale else "en", _PATTERNS["en"])


def _wall_clock(value: datetime, timezone: str) -> datetime:
    return to_zone(value, timezone).replace(tzinfo=None)


def local_datetime(value: datetime | None, timezone: str) -> str:
    """A date and time as the panel reads it, in the reader's language: '8 Dec 2026, 10:00',
    '8.12.2026 klo 10.00', '08-12-2026 10:00'."""
    if value is None:
        return ""
    day, clock, both = _patterns()
    pattern = both.format(date=day, time=clock)
    return format_datetime(_wall_clock(value, timezone), pattern, rebase=False)


def local_date(value: datetime | None, timezone: str) -> str:
    """The date of an instant in the panel's time zone."""
    if value is None:
        return ""
    return format_date(to_zone(value, timezone).date(), _patterns()[0])


def local_time(value: datetime | None, timezone: str, *, seconds: bool = False) -> str:
    """The time of day of an instant in the panel's time zone, e.g. '10:42' ('10.42')."""
    if value is None:
        return ""
    clock = _patterns()[1]
    if seconds:
        clock += clock[-3] + "ss"  # the language's separator, then the seconds
    return format_datetime(_wall_clock(value, timezone), clock, rebase=False)


def clock_time(value: time | None) -> str:
    """A time of day as such (a panel's usual start), in the reader's language."""
    if value is None:
        return ""
    return format_datetime(datetime.combine(date(2000, 1, 1), value), _patterns()[1], rebase=False)


def long_date(value: date | None) -> str:
    """A calendar date, e.g. '8 Dec 2026' ('8.12.2026')."""
    return "" if value is None else format_date(value, _patterns()[0])


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


def number(value: float) -> str:
    """A number as the reader writes it: '21,8' in Finnish, '21.8' in English."""
    return str(format_decimal(value, format="#,##0.#"))


def percent(value: float) -> str:
    """A share given in per cent (0 to 100), as the reader writes it: '15 %', '15%'."""
    return str(format_percent(value / 100, format=None))
