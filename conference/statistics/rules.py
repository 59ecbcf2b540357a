"""Statistics decisions on aggregated values: periods, small-number suppression, shares.

Nothing here reads the database or the clock: the queries module counts in SQL, these functions
decide what of the counts may leave the panel.

Suppression works on *lines*: a set of cells and the total they add up to (a row or a column of
a table, with its margin). A count from 1 to the threshold less one is hidden as small (primary
suppression). Then, line by line until nothing changes, a line that hides something must hide
at least two of its entries, and when its total is shown the hidden cells together must reach
the threshold; otherwise one more cell is hidden (secondary suppression): a non-zero cell before
a zero one, the one that leaves fewest other lines to repair, then the smallest; the total only
when nothing else is left. So no hidden count can be worked out from a total, and the hidden
cells of a line are never a small number together either.
"""

import calendar
import enum
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext

from conference.meetings.rules import add_months

MAX_PERIOD_YEARS = 5
QUARTERS = (1, 2, 3, 4)


class Mark(enum.StrEnum):
    """Why a count does not leave the panel."""

    SMALL = "small"  # from 1 to the threshold less one: shown as "<5"
    HIDDEN = "hidden"  # hidden too, so that a small count cannot be worked out: shown as "x"


class Margin(enum.Enum):
    """The row or column of totals."""

    TOTAL = "total"


TOTAL = Margin.TOTAL
HIDDEN_TEXT = "x"


def small_text(threshold: int) -> str:
    """How a small count reads outside the panel, e.g. "<5"."""
    return f"<{threshold}"


def exported(count: int, mark: Mark | None, threshold: int) -> str:
    """A count as it may leave the panel."""
    if mark is Mark.SMALL:
        return small_text(threshold)
    if mark is Mark.HIDDEN:
        return HIDDEN_TEXT
    return str(count)


# --- Periods ----------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period that cannot be reported on."""


@dataclass(frozen=True)
class Period:
    """The days reported on: from `start` up to, not including, `end`."""

    start: date
    end: date
    label: str

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    def months(self) -> list[tuple[str, date]]:
        """Each calendar month the period touches: its label (YYYY-MM) and its first day in
        the period."""
        months = []
        day = self.start
        while day < self.end:
            months.append((f"{day.year:04d}-{day.month:02d}", day))
            day = _next_month(day)
        return months


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def year_period(year: int) -> Period:
    """A calendar year."""
    return Period(date(year, 1, 1), date(year + 1, 1, 1), f"{year}")


def quarter_period(year: int, quarter: int) -> Period:
    """A calendar quarter, e.g. 2025-Q2."""
    if quarter not in QUARTERS:
        raise PeriodError(_("A quarter is 1, 2, 3 or 4."))
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(start, end, f"{year}-Q{quarter}")


def range_period(first: date, last: date) -> Period:
    """The days from `first` to `last`, both included."""
    if last < first:
        raise PeriodError(_("The period ends before it starts."))
    end = date.fromordinal(last.toordinal() + 1)
    if (end - first).days > MAX_PERIOD_YEARS * 366:
        raise PeriodError(
            ngettext(
                "A period is at most %(num)d year long.",
                "A period is at most %(num)d years long.",
                MAX_PERIOD_YEARS,
            )
        )
    return Period(first, end, f"{first.isoformat()}/{last.isoformat()}")


def closing_days_due(first: date, end: date, months: int) -> tuple[date, date]:
    """The days [from, to) on which a case closes if its review `months` later falls due from
    `first` up to, not including, `end` (a month's end can pull a due day back, so it is
    searched for, a few days at most)."""

    def earliest(target: date) -> date:
        day = add_days(add_months(target, -months), -4)
        while add_months(day, months) < target:
            day = add_days(day, 1)
        return day

    return earliest(first), earliest(end)


def add_days(day: date, days: int) -> date:
    """`day` moved by a number of days."""
    return date.fromordinal(day.toordinal() + days)


def month_end(day: date) -> date:
    """The last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# --- Suppression ------------------------------------------------------------------------------


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Line(Generic[K]):
    """Cells that add up to a total: one row or one column of a table, with its margin."""

    cells: tuple[K, ...]
    total: K


def primary_marks(counts: Mapping[K, int], threshold: int) -> dict[K, Mark]:
    """Every count from 1 to the threshold less one is small."""
    return {key: Mark.SMALL for key, count in counts.items() if 0 < count < threshold}


def _line_is_safe(
    line: Line[K], counts: Mapping[K, int], marks: Mapping[K, Mark], threshold: int
) -> bool:
    hidden_cells = [key for key in line.cells if key in marks]
    total_hidden = line.total in marks
    hidden = len(hidden_cells) + total_hidden
    if hidden == 0:
        return True
    if hidden < 2:
        return False
    if total_hidden:
        return True
    return sum(counts.get(key, 0) for key in hidden_cells) >= threshold


def _next_to_hide(
    line: Line[K],
    counts: Mapping[K, int],
    marks: Mapping[K, Mark],
    lines_of: Mapping[K, Sequence[Line[K]]],
    threshold: int,
) -> K | None:
    """The cell to hide next in an unsafe line: a non-zero one before a zero one, one that
    leaves the fewest other lines unsafe (a cell whose row already hides another), then the
    smallest. The total only when every cell is hidden already."""
    shown = [key for key in line.cells if key not in marks]
    if not shown:
        return None if line.total in marks else line.total

    def cost(key: K) -> tuple[bool, int, int]:
        trial = {**marks, key: Mark.HIDDEN}
        unsafe = sum(
            not _line_is_safe(other, counts, trial, threshold)
            for other in lines_of.get(key, ())
            if other is not line
        )
        return counts.get(key, 0) == 0, unsafe, counts.get(key, 0)

    return min(shown, key=cost)


def suppress(counts: Mapping[K, int], lines: Sequence[Line[K]], threshold: int) -> dict[K, Mark]:
    """Which counts do not leave the panel, and why: small ones, and the ones hidden so that
    no small one can be worked out from the totals of the lines they sit in."""
    lines_of: dict[K, list[Line[K]]] = {}
    for line in lines:
        for entry in (*line.cells, line.total):
            lines_of.setdefault(entry, []).append(line)
    marks = primary_marks(counts, threshold)
    changed = True
    while changed:
        changed = False
        for line in lines:
            while not _line_is_safe(line, counts, marks, threshold):
                hide = _next_to_hide(line, counts, marks, lines_of, threshold)
                if hide is None:
                    break
                marks[hide] = Mark.HIDDEN
                changed = True
    return marks


# --- Tables -----------------------------------------------------------------------------------

Cell = tuple[str | Margin, str | Margin]
ONE_COLUMN = "count"


@dataclass(frozen=True)
class Table:
    """Counts by row (and by column), with totals. A one-way table has the single column
    `count`; its total is the sum of its rows. A two-way table has row totals, column totals
    and a grand total."""

    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...] = (ONE_COLUMN,)
    counts: Mapping[Cell, int] = field(default_factory=dict)
    row_labels: Mapping[str, str] = field(default_factory=dict)
    column_labels: Mapping[str, str] = field(default_factory=dict)
    by_month: bool = False  # rows are months (YYYY-MM)

    @property
    def two_way(self) -> bool:
        return self.columns != (ONE_COLUMN,)

    def count(self, row: str | Margin, column: str | Margin) -> int:
        """A cell, a row or column total, or the grand total."""
        rows: Sequence[str | Margin] = self.rows if isinstance(row, Margin) else (row,)
        columns: Sequence[str | Margin] = self.columns if isinstance(column, Margin) else (column,)
        return sum(self.counts.get((r, c), 0) for r in rows for c in columns)

    def cells(self) -> dict[Cell, int]:
        """Every count of the table, totals included."""
        rows: list[str | Margin] = [*self.rows, TOTAL]
        columns: list[str | Margin] = [*self.columns, TOTAL] if self.two_way else [*self.columns]
        return {(r, c): self.count(r, c) for r in rows for c in columns}

    def lines(self) -> list[Line[Cell]]:
        """The rows and columns, each with the total it adds up to."""
        rows: list[str | Margin] = [*self.rows, TOTAL]
        columns: list[str | Margin] = [*self.columns, TOTAL] if self.two_way else [*self.columns]
        # Every column, and (two-way) the column of row totals.
        lines: list[Line[Cell]] = [
            Line(tuple((r, c) for r in rows[:-1]), (TOTAL, c)) for c in columns
        ]
        if self.two_way:  # every row, and the row of column totals
            lines += [Line(tuple((r, c) for c in columns[:-1]), (r, TOTAL)) for r in rows]
        return lines

    def label(self, row: str | Margin) -> str:
        """The label of a row."""
        return "" if isinstance(row, Margin) else self.row_labels.get(row, row)

    def column_label(self, column: str | Margin) -> str:
        """The label of a column."""
        if isinstance(column, Margin):
            return ""
        return self.column_labels.get(column, column)


def suppress_table(table: Table, threshold: int) -> dict[Cell, Mark]:
    """The marks of a table's counts, totals included."""
    return suppress(table.cells(), table.lines(), threshold)


@dataclass(frozen=True)
class Distribution:
    """How long something took, in days: over how many cases, the median and 90th percentile."""

    key: str
    cases: int
    median: float | None
    p90: float | None


def distribution_hidden(distribution: Distribution, threshold: int) -> bool:
    """Percentiles of fewer cases than the threshold would tell about single people."""
    return distribution.cases < threshold


def share(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, or None when there is no whole."""
    return None if whole == 0 else 100.0 * part / whole


def spreadsheet_safe(text: str) -> str:
    """A CSV field that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def month_labels(months: Iterable[tuple[str, date]]) -> tuple[str, ...]:
    """The labels of the months, in order."""
    return tuple(label for label, _ in months)
