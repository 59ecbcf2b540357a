"""Action decisions on plain values."""

from datetime import date

from conference.actions.models import ActionStatus
from conference.errors import DomainError

OPEN_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})


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
        raise DomainError("Mark the action done, still open, not possible or not done.")
    if outcome is ActionStatus.OPEN and (new_due_on is None or new_due_on < today):
        raise DomainError("An action that stays open needs a new due date.", field="new_due_on")


def check_new_action(text: str, due_on: date | None, today: date) -> None:
    if not text.strip():
        raise DomainError("Say what is to be done.", field="text")
    if due_on is None or due_on < today:
        raise DomainError("Give a due date from today on.", field="due_on")
