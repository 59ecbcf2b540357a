"""Action decisions on plain values."""

from datetime import date, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference.actions.models import ActionStatus
from conference.errors import DomainError, InvalidTransitionError

OPEN_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})
# An action is due within five years; a later date is a typing slip (9999).
DUE_HORIZON = timedelta(days=5 * 365)


def is_overdue(status: ActionStatus, due_on: date, today: date) -> bool:
    """An action is overdue when it is still open after its due date. Never stored."""
    return status in OPEN_STATUSES and due_on < today


REVIEW_OUTCOMES = frozenset(
    {ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.NOT_POSSIBLE, ActionStatus.NOT_DONE}
)


def check_review(outcome: ActionStatus, new_due_on: date | None, today: date) -> None:
    """At the standing first item each open action is done, still open with a new due date, not
    possible because circumstances changed, or not done; the panel reads the last two apart."""
    if outcome not in REVIEW_OUTCOMES:
        raise DomainError(_("Mark the action done, still open, not possible or not done."))
    if outcome is ActionStatus.OPEN and (new_due_on is None or new_due_on < today):
        raise DomainError(_("An action that stays open needs a new due date."), field="new_due_on")
    if outcome is ActionStatus.OPEN:
        check_due_date(new_due_on, today, "new_due_on")


def check_due_date(due_on: date | None, today: date, field: str = "due_on") -> None:
    """A due date, when given, lies between today and five years ahead."""
    if due_on is None:
        return
    if due_on < today:
        raise DomainError(str(_l("Give a due date from today on.")), field=field)
    if due_on > today + DUE_HORIZON:
        raise DomainError(str(_l("Give a due date within five years.")), field=field)


def check_new_action(text: str, due_on: date | None, today: date) -> None:
    """A new action says what is to be done and by when."""
    if not text.strip():
        raise DomainError(_("Say what is to be done."), field="text")
    if due_on is None:
        raise DomainError(str(_l("Give a due date from today on.")), field="due_on")
    check_due_date(due_on, today)


CLOSING_STATUSES = frozenset(
    {ActionStatus.DONE, ActionStatus.NOT_POSSIBLE, ActionStatus.NOT_DONE, ActionStatus.CANCELLED}
)
# What an owner or coordinator may set between meetings; "not done" is the panel's verdict.
UPDATE_STATUSES = (
    ActionStatus.OPEN,
    ActionStatus.IN_PROGRESS,
    ActionStatus.DONE,
    ActionStatus.NOT_POSSIBLE,
    ActionStatus.CANCELLED,
)


def check_update(
    current: ActionStatus, target: ActionStatus, note: str, new_due_on: date | None, today: date
) -> None:
    """An update between meetings: only to an open action; closing it says what came of it."""
    if current not in OPEN_STATUSES:
        raise InvalidTransitionError(
            _("This action is closed; the panel can reopen it as a new one.")
        )
    if target not in UPDATE_STATUSES:
        raise DomainError(_("Choose a status from the list."), field="status")
    if target in CLOSING_STATUSES and not note.strip():
        raise DomainError(_("Say what came of the action before closing it."), field="note")
    if new_due_on is not None and new_due_on < today:
        raise DomainError(_("A new due date cannot be in the past."), field="new_due_on")
    check_due_date(new_due_on, today, "new_due_on")


class ReportState(StrEnum):
    NOT_DUE = "not_due"
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"
    MISSING = "missing"  # due and not submitted


def report_due_on(meeting_on: date, due_days_before: int) -> date:
    """The day a progress report is due: the panel's number of days before the meeting."""
    return meeting_on - timedelta(days=due_days_before)


def report_state(due_on: date, submitted_on: date | None, today: date) -> ReportState:
    if submitted_on is not None:
        return ReportState.SUBMITTED if submitted_on <= due_on else ReportState.SUBMITTED_LATE
    return ReportState.MISSING if today > due_on else ReportState.NOT_DUE
