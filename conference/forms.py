"""Form helpers shared by every area: enum choices, optional selects, trimmed text."""

import enum
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from conference.db import utcnow
from conference.errors import DomainError
from conference.labels import label


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value=value, label=text) for value, text in pairs]


def no_choice(text: Any) -> SelectChoice:
    """The empty first option of an optional select."""
    return SelectChoice(value="", label=text)


def enum_choices(enum_type: type[enum.Enum]) -> list[SelectChoice]:
    """Options for a select of an enumeration, labels translated at render."""
    return options((member.value, _LazyLabel(member)) for member in enum_type)


class _LazyLabel:
    """Resolves the label when the form renders, in the request's locale."""

    def __init__(self, member: enum.Enum) -> None:
        self.member = member

    def __str__(self) -> str:
        return label(self.member)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def optional_int(value: Any) -> int | None:
    """Coerce a select value to int, with '' meaning none chosen."""
    if value in (None, "", "None"):
        return None
    return int(value)


def strip(value: Any) -> Any:
    """Trim surrounding space from typed text."""
    return value.strip() if isinstance(value, str) else value


def enum_or_none(enum_type: type[enum.Enum]) -> Callable[[Any], Any]:
    """Coerce a select value to the enumeration, with '' meaning none chosen."""

    def coerce(value: Any) -> Any:
        if value in (None, "", "None"):
            return None
        return enum_type(value)

    return coerce


class DateRule:
    """A validator running a rule about a date (`rule(day, today)`, raising DomainError) as the
    form is validated: a slip such as year 1 or 9999 is refused beside its field before anything
    computes with it. The services apply the same rule."""

    def __init__(self, rule: Callable[[date, date], None]) -> None:
        self.rule = rule

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is None:
            return
        try:
            self.rule(field.data, utcnow().date())
        except DomainError as error:
            raise ValidationError(error.message) from error
