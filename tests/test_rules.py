"""Pure rules: references, minors, overdue actions, the safe `next` target."""

from datetime import date

import pytest

from conference.actions.models import ActionStatus
from conference.actions.rules import is_overdue
from conference.auth.rules import normalise_email, safe_next_path
from conference.cases.rules import age_on, format_reference, is_minor

TODAY = date(2026, 11, 24)


def test_reference_is_zero_padded() -> None:
    assert format_reference("RVT", 2026, 42) == "RVT-2026-0042"


@pytest.mark.parametrize(
    ("born", "age", "minor"),
    [
        (date(2008, 11, 24), 18, False),  # eighteenth birthday today
        (date(2008, 11, 25), 17, True),  # tomorrow
        (date(2012, 2, 29), 14, True),
        (date(1990, 1, 1), 36, False),
    ],
)
def test_age_and_minority_on_a_given_day(born: date, age: int, minor: bool) -> None:
    assert age_on(born, TODAY) == age
    assert is_minor(born, TODAY) is minor


def test_unknown_date_of_birth_is_not_a_minor() -> None:
    assert is_minor(None, TODAY) is False


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        (ActionStatus.OPEN, date(2026, 11, 23), True),
        (ActionStatus.IN_PROGRESS, date(2026, 11, 1), True),
        (ActionStatus.OPEN, TODAY, False),  # due today is not yet overdue
        (ActionStatus.DONE, date(2026, 11, 1), False),
        (ActionStatus.CANCELLED, date(2026, 11, 1), False),
        (ActionStatus.NOT_POSSIBLE, date(2026, 11, 1), False),
    ],
)
def test_overdue_is_derived_from_status_and_due_date(
    status: ActionStatus, due: date, overdue: bool
) -> None:
    assert is_overdue(status, due, TODAY) is overdue


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/", "/cases/"),
        ("/cases/RVT-2026-0001?tab=timeline", "/cases/RVT-2026-0001?tab=timeline"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("javascript:alert(1)", None),
        ("cases", None),
        ("/\t/evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_only_paths_on_this_site_are_followed_after_sign_in(
    target: str | None, expected: str | None
) -> None:
    assert safe_next_path(target) == expected


def test_email_addresses_compare_without_case_or_spaces() -> None:
    assert normalise_email("  Chair@Example.ORG ") == "chair@example.org"
