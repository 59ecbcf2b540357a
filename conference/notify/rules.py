"""Delivery decisions on plain values: when a failed e-mail is tried again, and when given up."""

from datetime import datetime, timedelta

MAX_ATTEMPTS = 8  # over about four hours with the back-off below
FIRST_RETRY = timedelta(minutes=2)
LONGEST_RETRY = timedelta(hours=2)


def is_permanent(smtp_code: int | None) -> bool:
    """A 5xx answer refuses the message for good (unknown mailbox, refused recipient); a 4xx
    answer or no answer at all (the server unreachable) may pass later."""
    return smtp_code is not None and 500 <= smtp_code <= 599


def gives_up(attempts: int, smtp_code: int | None) -> bool:
    """Whether a failed message is marked failed now rather than tried again."""
    return is_permanent(smtp_code) or attempts >= MAX_ATTEMPTS


def retry_at(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` temporary failures: doubling, up to the longest wait."""
    return now + min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
