"""Date arithmetic that SQLite and PostgreSQL spell differently, as SQL constructs.

Days are UTC calendar days: a duration in whole days is the same on both databases.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class day_of(FunctionElement[Any]):  # noqa: N801 - reads as the SQL function it stands for
    """The UTC calendar day of a timestamp."""

    type = sa.Date()
    inherit_cache = True


@compiles(day_of)
def _day_of(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


class days_between(FunctionElement[Any]):  # noqa: N801
    """Whole days from the first date to the second (negative when the second is earlier)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({second}) - ({first}))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({second}) - julianday({first}) AS INTEGER)"


class add_months(FunctionElement[Any]):  # noqa: N801
    """The same day a whole number of months later, or the month's last day when it has fewer
    days (as `conference.meetings.rules.add_months`)."""

    type = sa.Date()
    inherit_cache = True

    def __init__(self, day: Any, months: int) -> None:
        # The number is written into the SQL, so it is part of the statement's cache key.
        super().__init__(day, sa.literal_column(str(int(months))))


def _day_and_months(element: add_months, compiler: SQLCompiler, **kw: Any) -> tuple[str, int]:
    day, months = element.clauses
    return compiler.process(day, **kw), int(months.name)


@compiles(add_months)
def _add_months(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    day, months = _day_and_months(element, compiler, **kw)
    return f"CAST(({day}) + INTERVAL '{months} months' AS DATE)"


@compiles(add_months, "sqlite")
def _add_months_sqlite(element: add_months, compiler: SQLCompiler, **kw: Any) -> str:
    day, months = _day_and_months(element, compiler, **kw)
    # SQLite rolls 31 August + 6 months over into March; the month's last day caps it.
    same_day = (
        f"date({day}, 'start of month', '+{months} months', "
        f"'+' || (CAST(strftime('%d', {day}) AS INTEGER) - 1) || ' days')"
    )
    last_day = f"date({day}, 'start of month', '+{months + 1} months', '-1 day')"
    return f"min({same_day}, {last_day})"
