"""Case decisions on plain values: references, minors, which states count as active."""

from datetime import date

from conference.cases.models import CaseStatus

ACTIVE_STATUSES = frozenset(
    {CaseStatus.REFERRED, CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED}
)
ADULT_AGE = 18


def format_reference(panel_code: str, year: int, number: int) -> str:
    """The pseudonymous reference, e.g. RVT-2026-0042."""
    return f"{panel_code}-{year}-{number:04d}"


def age_on(date_of_birth: date, today: date) -> int:
    """Full years of age on `today`."""
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def is_minor(date_of_birth: date | None, today: date) -> bool:
    """Whether the person is under 18 on `today`; unknown date of birth counts as adult."""
    return date_of_birth is not None and age_on(date_of_birth, today) < ADULT_AGE
