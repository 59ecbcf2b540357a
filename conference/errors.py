"""Domain errors raised by services, mapped to HTTP status codes in one handler."""


class DomainError(Exception):
    """A refusal the user can understand; the message is shown to them."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the message belongs to, if any


class NotFoundError(DomainError):
    """The record does not exist, or the user may not know that it does."""

    status_code = 404


class ForbiddenError(DomainError):
    """The user may know the record exists but may not do this to it."""

    status_code = 403


class ConflictError(DomainError):
    """Someone else changed the record since the user loaded it."""

    status_code = 409


class InvalidTransitionError(DomainError):
    """The record's state does not allow this change."""

    status_code = 409


def check_version(record: object, expected: int | None, message: str) -> None:
    """Refuse a change made against a stale copy: someone else saved the record meanwhile."""
    if getattr(record, "version_id") != expected:  # noqa: B009 - every locked model has one
        raise ConflictError(message)
