"""Dates are bounded where they are decided: dates of birth 1900 to today, referrals in the last
ten years, review dates within ten years, meetings and series within ten years ahead, due dates
within five years. A date outside its window is a refusal on its field, never an overflow."""

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest

from conference.actions import rules as action_rules
from conference.actions.models import ActionStatus
from conference.cases import rules as case_rules
from conference.errors import DomainError
from conference.meetings import rules as meeting_rules
from conference.meetings.services import scheduling as meeting_services
from tests.factories import NOW, TODAY
from tests.worlds import build_world


@pytest.mark.parametrize(
    ("check", "day", "field"),
    [
        (case_rules.check_date_of_birth, date(1, 1, 1), "date_of_birth"),
        (case_rules.check_date_of_birth, date(1899, 12, 31), "date_of_birth"),
        (case_rules.check_date_of_birth, TODAY + timedelta(days=1), "date_of_birth"),
        (case_rules.check_received_on, TODAY - timedelta(days=3700), "received_on"),
        (case_rules.check_received_on, date(9999, 12, 31), "received_on"),
        (case_rules.check_review_date, date(9999, 12, 31), "next_review_on"),
        (case_rules.check_review_date, date(1, 1, 1), "next_review_on"),
        (meeting_rules.check_meeting_day, date(9999, 12, 31), "day"),
        (meeting_rules.check_meeting_day, TODAY + timedelta(days=3700), "day"),
        (meeting_rules.check_meeting_day, date(1, 1, 1), "day"),
        (action_rules.check_due_date, date(9999, 12, 31), "due_on"),
        (action_rules.check_due_date, TODAY - timedelta(days=1), "due_on"),
    ],
)
def test_a_date_outside_its_window_is_refused_on_its_field(
    check: Callable[..., None], day: date, field: str
) -> None:
    with pytest.raises(DomainError) as refusal:
        check(day, TODAY)
    assert refusal.value.field == field


@pytest.mark.parametrize(
    ("check", "day"),
    [
        (case_rules.check_date_of_birth, date(1900, 1, 1)),
        (case_rules.check_date_of_birth, TODAY),
        (case_rules.check_date_of_birth, None),
        (case_rules.check_received_on, TODAY - timedelta(days=3600)),
        (case_rules.check_review_date, TODAY - timedelta(days=30)),
        (case_rules.check_review_date, TODAY + timedelta(days=3600)),
        (meeting_rules.check_meeting_day, TODAY),
        (meeting_rules.check_meeting_day, TODAY + timedelta(days=3600)),
        (action_rules.check_due_date, TODAY + timedelta(days=1800)),
    ],
)
def test_a_date_inside_its_window_is_accepted(check: Callable[..., None], day: date | None) -> None:
    check(day, TODAY)


def test_a_meeting_on_the_last_evening_of_9999_is_refused_not_an_overflow() -> None:
    world = build_world()
    details = meeting_services.MeetingDetails(
        day=date(9999, 12, 31), starts=time(23, 30), ends=time(23, 45)
    )
    with pytest.raises(DomainError, match="ten years ahead"):
        meeting_services.schedule_meeting(world.panel, details, actor=world.users["chair"], now=NOW)


def test_a_series_starting_in_9999_is_refused_not_an_overflow() -> None:
    world = build_world()
    with pytest.raises(DomainError, match="ten years ahead") as refusal:
        meeting_services.schedule_series(
            world.panel, date(9999, 12, 31), 3, actor=world.users["chair"], now=NOW
        )
    assert refusal.value.field == "first_on"


def test_a_review_that_keeps_an_action_open_needs_a_due_date_within_five_years() -> None:
    with pytest.raises(DomainError, match="within five years"):
        action_rules.check_review(ActionStatus.OPEN, date(9999, 12, 31), TODAY)
    with pytest.raises(DomainError, match="within five years"):
        action_rules.check_new_action("Visit", date(9999, 12, 31), TODAY)
    with pytest.raises(DomainError, match="within five years"):
        action_rules.check_update(
            ActionStatus.OPEN, ActionStatus.IN_PROGRESS, "", date(9999, 12, 31), TODAY
        )
    action_rules.check_review(ActionStatus.DONE, None, TODAY)  # done needs no new date
