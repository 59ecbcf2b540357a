"""Small-number suppression, periods and shares: pure rules on aggregated values."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conference.statistics.rules import (
    HIDDEN_TEXT,
    TOTAL,
    Line,
    Mark,
    PeriodError,
    Table,
    exported,
    primary_marks,
    quarter_period,
    range_period,
    share,
    spreadsheet_safe,
    suppress,
    suppress_table,
    year_period,
)

SMALL, HIDDEN = Mark.SMALL, Mark.HIDDEN


def one_way(*counts: int) -> Table:
    rows = tuple(f"r{n}" for n in range(len(counts)))
    return Table("t", rows, counts={(r, "count"): c for r, c in zip(rows, counts, strict=True)})


def marks_of(table: Table, threshold: int = 5) -> dict[str, Mark]:
    """The marks of a one-way table by row, the total as 'total'."""
    return {
        ("total" if row is TOTAL else row): mark
        for (row, _), mark in suppress_table(table, threshold).items()
    }


# --- Primary suppression ----------------------------------------------------------------------


def test_counts_from_one_to_four_are_small_and_zero_and_five_are_shown() -> None:
    counts = {"a": 0, "b": 1, "c": 4, "d": 5, "e": 120}
    assert primary_marks(counts, 5) == {"b": SMALL, "c": SMALL}


def test_the_threshold_is_the_panels_own() -> None:
    assert primary_marks({"a": 9, "b": 10}, 10) == {"a": SMALL}


def test_small_counts_read_as_below_the_threshold_and_hidden_ones_as_x() -> None:
    assert exported(3, SMALL, 5) == "<5"
    assert exported(3, SMALL, 10) == "<10"
    assert exported(42, HIDDEN, 5) == HIDDEN_TEXT == "x"
    assert exported(42, None, 5) == "42"
    assert exported(0, None, 5) == "0"


# --- Secondary suppression in one line --------------------------------------------------------


def test_a_single_small_count_takes_the_smallest_other_count_with_it() -> None:
    # Total 23 is shown: 3 alone could be worked out as 23 - 12 - 0 - 8.
    assert marks_of(one_way(12, 3, 0, 8)) == {"r1": SMALL, "r3": HIDDEN}


def test_two_small_counts_that_add_up_to_the_threshold_need_no_third() -> None:
    assert marks_of(one_way(10, 3, 2)) == {"r1": SMALL, "r2": SMALL}


def test_small_counts_that_add_up_to_a_small_number_take_another_with_them() -> None:
    # 1 and 1 hidden with the total shown would give 2 between them: each is 1.
    assert marks_of(one_way(1, 1, 10, 30)) == {"r0": SMALL, "r1": SMALL, "r2": HIDDEN}


def test_a_zero_is_not_hidden_while_a_count_can_be() -> None:
    marks = marks_of(one_way(0, 2, 0, 9, 7))
    assert marks == {"r1": SMALL, "r4": HIDDEN}


def test_a_small_total_is_small_and_its_cells_with_it() -> None:
    assert marks_of(one_way(3, 0, 0)) == {"r0": SMALL, "total": SMALL}
    assert marks_of(one_way(1, 2, 0)) == {"r0": SMALL, "r1": SMALL, "total": SMALL}


def test_nothing_is_hidden_when_nothing_is_small() -> None:
    assert marks_of(one_way(6, 0, 12, 5)) == {}
    assert marks_of(one_way(0, 0)) == {}


def test_a_hidden_cell_alone_in_a_line_with_only_zeros_hides_a_zero() -> None:
    # a is hidden for the sake of x in the first line; in the second line a stands with a zero
    # only, and the total 7 would give it away.
    counts = {"a": 7, "x": 3, "t1": 10, "z": 0, "t2": 7}
    lines = [Line(("a", "x"), "t1"), Line(("a", "z"), "t2")]
    assert suppress(counts, lines, 5) == {"x": SMALL, "a": HIDDEN, "z": HIDDEN}


# --- Two-way tables ---------------------------------------------------------------------------


def two_way(rows: dict[str, tuple[int, ...]], columns: tuple[str, ...] = ("X", "Y")) -> Table:
    return Table(
        "t",
        tuple(rows),
        columns,
        {(r, c): n for r, values in rows.items() for c, n in zip(columns, values, strict=True)},
    )


def test_secondary_suppression_hides_a_rectangle_not_the_whole_table() -> None:
    table = two_way({"A": (3, 10), "B": (8, 9), "C": (6, 12)})
    marks = suppress_table(table, 5)
    # Row A hides 3 and 10; column X takes 6 from row C, column Y then takes 12 from row C,
    # which leaves row C safe: four cells, no total.
    assert marks == {("A", "X"): SMALL, ("A", "Y"): HIDDEN, ("C", "X"): HIDDEN, ("C", "Y"): HIDDEN}
    assert table.count("A", TOTAL) == 13
    assert table.count(TOTAL, TOTAL) == 48


def test_a_small_row_total_is_protected_in_the_column_of_totals() -> None:
    table = two_way({"A": (1, 2), "B": (20, 30), "C": (10, 15)})
    marks = suppress_table(table, 5)
    assert marks[("A", "X")] is SMALL
    assert marks[("A", "Y")] is SMALL
    assert marks[("A", TOTAL)] is SMALL
    # The column of row totals would give 3 away (48 + 25 + 3 = 76): another total goes.
    hidden_totals = [r for r in ("B", "C") if (r, TOTAL) in marks]
    assert len(hidden_totals) == 1
    assert_every_line_is_safe(table, marks, 5)


def test_the_grand_total_and_column_totals_stay_when_they_give_nothing_away() -> None:
    table = two_way({"A": (3, 10), "B": (8, 9), "C": (6, 12)})
    marks = suppress_table(table, 5)
    assert all((TOTAL, c) not in marks for c in ("X", "Y", TOTAL)), "totals of large columns stay"


def assert_every_line_is_safe(table: Table, marks: dict, threshold: int) -> None:
    cells = table.cells()
    for line in table.lines():
        hidden = [k for k in line.cells if k in marks]
        total_hidden = line.total in marks
        if not hidden and not total_hidden:
            continue
        assert len(hidden) + total_hidden >= 2, f"one hidden entry alone in {line}"
        if not total_hidden:
            assert sum(cells[k] for k in hidden) >= threshold, f"small hidden sum in {line}"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=30), min_size=3, max_size=3),
        min_size=1,
        max_size=6,
    ),
    st.integers(min_value=2, max_value=10),
)
def test_no_small_count_leaves_and_no_hidden_one_can_be_worked_out(
    rows: list[list[int]], threshold: int
) -> None:
    table = two_way({f"r{n}": tuple(v) for n, v in enumerate(rows)}, ("X", "Y", "Z"))
    marks = suppress_table(table, threshold)
    for key, count in table.cells().items():
        if 0 < count < threshold:
            assert marks.get(key) is SMALL
        else:
            assert marks.get(key) is not SMALL
    assert_every_line_is_safe(table, marks, threshold)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=12),
    st.integers(min_value=2, max_value=10),
)
def test_one_way_tables_are_safe_whatever_their_counts(counts: list[int], threshold: int) -> None:
    table = one_way(*counts)
    marks = suppress_table(table, threshold)
    assert_every_line_is_safe(table, marks, threshold)
    assert (TOTAL, "count") not in marks or table.count(TOTAL, TOTAL) < threshold


# --- Periods ----------------------------------------------------------------------------------


def test_a_year_runs_from_january_to_january() -> None:
    period = year_period(2025)
    assert (period.start, period.end, period.label) == (date(2025, 1, 1), date(2026, 1, 1), "2025")
    assert len(period.months()) == 12
    assert period.last_day == date(2025, 12, 31)


def test_quarters_cover_three_months_each() -> None:
    assert quarter_period(2025, 2).start == date(2025, 4, 1)
    assert quarter_period(2025, 2).end == date(2025, 7, 1)
    assert quarter_period(2025, 4).end == date(2026, 1, 1)
    assert [m for m, _ in quarter_period(2025, 4).months()] == ["2025-10", "2025-11", "2025-12"]
    with pytest.raises(PeriodError):
        quarter_period(2025, 5)


def test_a_range_includes_its_last_day_and_touches_partial_months() -> None:
    period = range_period(date(2025, 1, 20), date(2025, 3, 3))
    assert period.end == date(2025, 3, 4)
    assert period.months() == [
        ("2025-01", date(2025, 1, 20)),
        ("2025-02", date(2025, 2, 1)),
        ("2025-03", date(2025, 3, 1)),
    ]
    assert period.label == "2025-01-20/2025-03-03"


def test_a_range_backwards_or_longer_than_five_years_is_refused() -> None:
    with pytest.raises(PeriodError, match="ends before it starts"):
        range_period(date(2025, 3, 1), date(2025, 2, 1))
    with pytest.raises(PeriodError, match="at most 5 years"):
        range_period(date(2015, 1, 1), date(2025, 1, 1))
    assert range_period(date(2020, 1, 1), date(2024, 12, 31)).start == date(2020, 1, 1)


# --- Shares and CSV fields --------------------------------------------------------------------


def test_a_share_is_a_percentage_and_none_of_nothing() -> None:
    assert share(1, 4) == 25.0
    assert share(0, 0) is None


def test_a_csv_field_never_starts_a_formula() -> None:
    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("@SUM") == "'@SUM"
    assert spreadsheet_safe("Riverton Police") == "Riverton Police"
