"""Action decisions on plain values."""

from datetime import date

from conference.actions.models import ActionStatus

OPEN_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})


def is_overdue(status: ActionStatus, due_on: date, today: date) -> bool:
    """An action is overdue when it is still open after its due date. Never stored."""
    return status in OPEN_STATUSES and due_on < today
