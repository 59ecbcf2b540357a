"""The statistics as plain data: suppressed for what leaves the panel, marked for the chair.

`statistics_view` is what the page shows (exact counts, each with the text it would have outside
the panel); `report_document` keeps only those texts, for the PDF; `csv_rows` the same, one row
per figure. None of them holds an ORM object.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from conference.formatting import number, percent
from conference.statistics import labels
from conference.statistics.queries import Figures
from conference.statistics.rules import (
    HIDDEN_TEXT,
    TOTAL,
    Distribution,
    Margin,
    Mark,
    Table,
    distribution_hidden,
    exported,
    share,
    suppress_table,
)

NOT_KNOWN = "\u2013"  # an en dash: no cases, so no duration
# The page in sections: each with its tables in order; the first table of a section with a
# chart kind gets a chart above it.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "referrals",
        (
            "referrals_by_month",
            "referrals_by_agency",
            "referrals_by_source",
            "referrals_by_concern",
            "referrals_by_age",
            "referrals_repeat",
        ),
    ),
    ("timeliness", ("open_at_end",)),
    ("endings", ("endings", "post_exit_reviews")),
    ("actions", ("actions", "reports", "rag_by_month")),
    ("meetings", ("meetings", "items", "attendance")),
)
CHARTED = frozenset(
    {
        "referrals_by_month",
        "referrals_by_agency",
        "referrals_by_concern",
        "open_at_end",
        "endings",
        "actions",
        "rag_by_month",
        "attendance",
    }
)


@dataclass(frozen=True)
class ShownCell:
    """A count as the chair sees it, and as it would leave the panel."""

    count: int
    mark: Mark | None
    text: str


@dataclass(frozen=True)
class ShownRow:
    label: str
    cells: tuple[ShownCell, ...]
    total: bool = False


@dataclass(frozen=True)
class ShownTable:
    key: str
    title: str
    columns: tuple[str, ...]  # the labels of the count columns
    column_keys: tuple[str, ...]
    rows: tuple[ShownRow, ...]
    two_way: bool
    by_month: bool
    charted: bool

    @property
    def hides_anything(self) -> bool:
        return any(cell.mark for row in self.rows for cell in row.cells)


@dataclass(frozen=True)
class ShownDuration:
    key: str
    title: str
    cases: ShownCell
    median: float | None
    p90: float | None
    hidden: bool  # too few cases for the percentiles to leave the panel

    def text(self, value: float | None) -> str:
        """A percentile as it would leave the panel."""
        if self.hidden:
            return HIDDEN_TEXT
        return NOT_KNOWN if value is None else number(value)


@dataclass(frozen=True)
class ShownSection:
    key: str
    title: str
    tables: tuple[ShownTable, ...]


@dataclass(frozen=True)
class StatisticsView:
    """Everything the statistics page shows."""

    panel_name: str
    panel_code: str
    period_label: str
    start: date
    last_day: date
    today: date
    threshold: int
    report_due_days: int
    review_grace_days: int
    sections: tuple[ShownSection, ...]
    durations: tuple[ShownDuration, ...]
    repeat_share: float | None  # exact
    repeat_share_text: str  # as it leaves the panel

    def table(self, key: str) -> ShownTable:
        """One table by its key."""
        return next(t for s in self.sections for t in s.tables if t.key == key)


def _cell(
    table: Table, marks: dict, row: str | Margin, column: str | Margin, threshold: int
) -> ShownCell:
    count = table.count(row, column)
    mark = marks.get((row, column))
    return ShownCell(count, mark, exported(count, mark, threshold))


def shown_table(table: Table, threshold: int) -> ShownTable:
    """A table with each count marked as it would leave the panel."""
    marks = suppress_table(table, threshold)
    columns: list[str | Margin] = [*table.columns, TOTAL] if table.two_way else [*table.columns]
    rows = [
        ShownRow(
            table.label(row),
            tuple(_cell(table, marks, row, column, threshold) for column in columns),
        )
        for row in table.rows
    ]
    rows.append(
        ShownRow(
            _("Total"),
            tuple(_cell(table, marks, TOTAL, column, threshold) for column in columns),
            total=True,
        )
    )
    if table.two_way:
        column_labels = (*(table.column_label(c) for c in table.columns), _("Total"))
        column_keys = (*table.columns, "total")
    else:
        column_labels, column_keys = (_("Count"),), ("count",)
    return ShownTable(
        key=table.key,
        title=str(labels.TITLES[table.key]),
        columns=column_labels,
        column_keys=column_keys,
        rows=tuple(rows),
        two_way=table.two_way,
        by_month=table.by_month,
        charted=table.key in CHARTED,
    )


def shown_duration(distribution: Distribution, threshold: int) -> ShownDuration:
    """A duration's percentiles, hidden outside the panel when they rest on few cases."""
    cases = distribution.cases
    mark = Mark.SMALL if 0 < cases < threshold else None
    return ShownDuration(
        key=distribution.key,
        title=str(labels.DURATIONS[distribution.key]),
        cases=ShownCell(cases, mark, exported(cases, mark, threshold)),
        median=distribution.median,
        p90=distribution.p90,
        hidden=distribution_hidden(distribution, threshold) and cases > 0,
    )


def statistics_view(
    figures: Figures,
    *,
    panel_name: str,
    panel_code: str,
    threshold: int,
) -> StatisticsView:
    """The page's plain data: every table suppressed and marked, in sections."""
    sections = tuple(
        ShownSection(
            key,
            str(labels.SECTIONS[key]),
            tuple(shown_table(figures.tables[t], threshold) for t in tables),
        )
        for key, tables in SECTIONS
    )
    repeat = next(t for s in sections for t in s.tables if t.key == "referrals_repeat")
    repeated, total = repeat.rows[0].cells[0], repeat.rows[-1].cells[0]
    exact_share = share(repeated.count, total.count)
    if exact_share is None:
        share_text = NOT_KNOWN
    elif repeated.mark or total.mark:
        share_text = HIDDEN_TEXT
    else:
        share_text = percent(round(exact_share))
    return StatisticsView(
        panel_name=panel_name,
        panel_code=panel_code,
        period_label=figures.period.label,
        start=figures.period.start,
        last_day=figures.period.last_day,
        today=figures.today,
        threshold=threshold,
        report_due_days=figures.report_due_days,
        review_grace_days=figures.review_grace_days,
        sections=sections,
        durations=tuple(shown_duration(d, threshold) for d in figures.durations),
        repeat_share=exact_share,
        repeat_share_text=share_text,
    )


# --- What leaves the panel --------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTable:
    """A table as it leaves the panel: texts only."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    chart: str = ""  # the chart's SVG markup, drawn from these texts


@dataclass(frozen=True)
class ReportDuration:
    title: str
    cases: str
    median: str
    p90: str


@dataclass(frozen=True)
class ReportSection:
    key: str
    title: str
    tables: tuple[ReportTable, ...]


@dataclass(frozen=True)
class ReportDocument:
    """The annual report's plain data: only what may leave the panel."""

    panel_name: str
    panel_code: str
    period_label: str
    start: date
    last_day: date
    made_on: date
    threshold: int
    report_due_days: int
    review_grace_days: int
    sections: tuple[ReportSection, ...]
    durations: tuple[ReportDuration, ...]
    repeat_share: str


def report_document(view: StatisticsView, charts: dict[str, str]) -> ReportDocument:
    """The report from the page's data, keeping the suppressed texts and nothing exact."""
    return ReportDocument(
        panel_name=view.panel_name,
        panel_code=view.panel_code,
        period_label=view.period_label,
        start=view.start,
        last_day=view.last_day,
        made_on=view.today,
        threshold=view.threshold,
        report_due_days=view.report_due_days,
        review_grace_days=view.review_grace_days,
        sections=tuple(
            ReportSection(
                section.key,
                section.title,
                tuple(
                    ReportTable(
                        table.title,
                        table.columns,
                        tuple(
                            (row.label, tuple(cell.text for cell in row.cells))
                            for row in table.rows
                        ),
                        charts.get(table.key, ""),
                    )
                    for table in section.tables
                ),
            )
            for section in view.sections
        ),
        durations=tuple(
            ReportDuration(d.title, d.cases.text, d.text(d.median), d.text(d.p90))
            for d in view.durations
        ),
        repeat_share=view.repeat_share_text,
    )


CSV_HEADER = ("measure", "period", "group", "count")


def csv_rows(view: StatisticsView) -> Iterator[tuple[str, str, str, str]]:
    """One row per figure, as it leaves the panel: (measure, period, group, count).

    A table by month puts the month in `period`; a two-way table names its column in the
    measure (`actions.done_late`) and its row in `group`; totals are the group (or, by month,
    the period) `total`.
    """
    period, every, total = view.period_label, _("all"), _("total")
    for section in view.sections:
        for table in section.tables:
            for row in table.rows:
                for key, cell in zip(table.column_keys, row.cells, strict=True):
                    measure = f"{table.key}.{key}" if table.two_way else table.key
                    if table.by_month:
                        yield measure, period if row.total else row.label, every, cell.text
                    else:
                        yield measure, period, total if row.total else row.label, cell.text
    for d in view.durations:
        yield f"{d.key}.cases", period, every, d.cases.text
        yield f"{d.key}.median_days", period, every, d.text(d.median)
        yield f"{d.key}.p90_days", period, every, d.text(d.p90)
