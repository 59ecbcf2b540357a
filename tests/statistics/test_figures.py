"""Every figure against the small world of tests/statistics/worlds.py, counted by hand, on the
database the suite runs on (SQLite or PostgreSQL)."""

from datetime import date

import pytest

from conference.statistics.queries import Figures, gather
from conference.statistics.rules import TOTAL, Table, quarter_period, range_period, year_period
from tests.factories import NOW
from tests.statistics.worlds import StatisticsWorld, build_statistics_world


@pytest.fixture
def world() -> StatisticsWorld:
    return build_statistics_world()


@pytest.fixture
def year(world: StatisticsWorld) -> Figures:
    return gather(world.panel, year_period(2026), NOW)


def one_way(table: Table) -> dict[str, int]:
    """The rows that are not zero, and the total."""
    found = {row: table.count(row, "count") for row in table.rows}
    return {row: n for row, n in found.items() if n} | {"total": table.count(TOTAL, TOTAL)}


def two_way(table: Table) -> dict[tuple[str, str], int]:
    """The cells that are not zero."""
    return {
        (row, column): table.count(row, column)
        for row in table.rows
        for column in table.columns
        if table.count(row, column)
    }


def test_referrals_are_counted_by_month_in_the_period_on_this_panel_only(year: Figures) -> None:
    table = year.tables["referrals_by_month"]
    assert table.rows[0] == "2026-01"
    assert len(table.rows) == 12
    assert one_way(table) == {"2026-01": 2, "2026-03": 2, "2026-11": 1, "total": 5}


def test_referrals_by_agency_source_concern_and_age(world: StatisticsWorld, year: Figures) -> None:
    by_agency = year.tables["referrals_by_agency"]
    names = {by_agency.label(row): n for row, n in one_way(by_agency).items() if row != "total"}
    assert names == {"POL agency": 2, "MUN agency": 2, "SOC agency": 1}
    assert one_way(year.tables["referrals_by_source"]) == {
        "police": 1,
        "school": 2,
        "family_friends": 1,
        "self": 1,
        "total": 5,
    }
    assert one_way(year.tables["referrals_by_concern"]) == {
        "far_right": 2,
        "religious": 2,
        "other_violence": 1,
        "total": 5,
    }
    assert one_way(year.tables["referrals_by_age"]) == {
        "minor": 2,
        "adult": 2,
        "unknown": 1,
        "total": 5,
    }


def test_repeat_referrals_and_first_referrals(year: Figures) -> None:
    assert one_way(year.tables["referrals_repeat"]) == {"repeat": 1, "first": 4, "total": 5}


def test_time_to_first_discussion_counts_cases_first_discussed_in_the_period(
    year: Figures,
) -> None:
    to_discussion, _ = year.durations
    # c1: 10 Jan to 3 Feb, c2: 20 Jan to 17 Feb (deferred once), c3: 5 Mar to 14 Apr
    # (escalated is discussed). c0 was first discussed in 2025; c4's item was removed or not
    # reached; c5's sitting is still in progress.
    assert (to_discussion.cases, to_discussion.median, to_discussion.p90) == (3, 28.0, 37.6)


def test_time_from_opening_to_closure_for_cases_closed_in_the_period(year: Figures) -> None:
    _, to_closure = year.durations
    # c0: 16 Dec 2025 to 30 Jun (196 days), c6: 1 Jul 2025 to 1 Mar (243), c8: 1 Feb 2025 to
    # 1 Sep (577). percentile_cont: the 90th lies 0.8 of the way from 243 to 577.
    assert (to_closure.cases, to_closure.median, to_closure.p90) == (3, 243.0, 510.2)


def test_cases_open_at_the_end_of_the_year_by_status_and_risk(year: Figures) -> None:
    assert two_way(year.tables["open_at_end"]) == {
        ("referred", "low"): 2,  # c4, c5
        ("referred", "critical"): 1,  # c3
        ("open", "medium"): 1,  # c2
        ("monitoring", "high"): 1,  # c1
    }


def test_cases_open_at_the_end_of_a_quarter_take_the_status_they_had_then(
    world: StatisticsWorld,
) -> None:
    figures = gather(world.panel, quarter_period(2026, 1), NOW)
    assert two_way(figures.tables["open_at_end"]) == {
        ("referred", "critical"): 1,  # c3
        ("referred", "low"): 1,  # c4, referred on the quarter's last day
        ("referred", "high"): 1,  # c7, declined only in May
        ("open", "high"): 1,  # c1, monitoring only from May
        ("open", "medium"): 3,  # c2, and c0 and c8 (closed in June and September)
    }


def test_how_cases_ended(year: Figures) -> None:
    assert one_way(year.tables["endings"]) == {
        "transferred": 1,  # c0: closed with an accepted service referral
        "no_further_action": 1,  # c6: a proposed referral is no hand-over
        "declined": 1,  # c7
        "closed": 1,  # c8
        "total": 4,
    }


def test_post_exit_reviews_on_time_late_missing_and_pending(year: Figures) -> None:
    assert one_way(year.tables["post_exit_reviews"]) == {
        "on_time": 2,  # c6 (due 1 Sep, 8 Sep); c9 (due 28 Feb, the month's end, 2 Mar)
        "late": 1,  # c10 (due 20 May, 16 Jun)
        "not_done": 1,  # c9's second (due 31 Aug)
        "pending": 1,  # c10's second (due 20 Nov, four days ago)
        "total": 5,
    }


def test_actions_by_owning_agency_and_what_became_of_them(year: Figures) -> None:
    table = year.tables["actions"]
    by_name = {(table.label(row), column): n for (row, column), n in two_way(table).items()}
    assert by_name == {
        ("POL agency", "done_on_time"): 1,
        ("POL agency", "done_late"): 1,
        ("POL agency", "open"): 1,  # due today is not overdue
        ("MUN agency", "not_possible"): 1,
        ("MUN agency", "not_done"): 1,
        ("MUN agency", "cancelled"): 1,
        ("SOC agency", "overdue"): 1,
        ("SOC agency", "open"): 1,
    }
    assert table.count(TOTAL, TOTAL) == 8


def test_progress_reports_on_time_late_and_missing(year: Figures) -> None:
    assert one_way(year.tables["reports"]) == {"on_time": 2, "late": 2, "missing": 1, "total": 5}


def test_rag_over_time_uses_the_panels_months(year: Figures) -> None:
    # The at-risk report was sent at 23:30 UTC on 31 January: 1 February in Amsterdam.
    assert two_way(year.tables["rag_by_month"]) == {
        ("2026-01", "on_track"): 1,
        ("2026-02", "at_risk"): 1,
        ("2026-02", "off_track"): 1,
        ("2026-06", "on_track"): 1,
    }


def test_meetings_held_and_their_items_by_outcome(year: Figures) -> None:
    assert one_way(year.tables["meetings"]) == {"held": 6, "total": 6}
    assert one_way(year.tables["items"]) == {
        "discussed": 8,
        "deferred": 1,
        "escalated": 1,
        "not_reached": 2,  # one recorded so, one left without an outcome
        "total": 12,
    }


def test_attendance_of_members_by_agency(year: Figures) -> None:
    table = year.tables["attendance"]
    by_name = {(table.label(row), column): n for (row, column), n in two_way(table).items()}
    assert by_name == {
        ("POL agency", "present"): 2,
        ("MUN agency", "present"): 1,
        ("MUN agency", "absent"): 1,
        ("SOC agency", "apologies"): 1,
        ("SOC agency", "invited"): 1,
    }


def test_a_period_from_and_to_counts_only_its_days(world: StatisticsWorld) -> None:
    figures = gather(world.panel, range_period(date(2026, 1, 15), date(2026, 3, 5)), NOW)
    assert one_way(figures.tables["referrals_by_month"]) == {
        "2026-01": 1,
        "2026-03": 1,
        "total": 2,
    }
    assert figures.tables["referrals_by_month"].rows == ("2026-01", "2026-02", "2026-03")


def test_an_empty_period_gives_zeros_not_errors(world: StatisticsWorld) -> None:
    figures = gather(world.panel, year_period(2020), NOW)
    assert all(t.count(TOTAL, TOTAL) == 0 for t in figures.tables.values())
    assert all(d.cases == 0 and d.median is None for d in figures.durations)


def test_the_figures_take_the_same_number_of_queries_for_a_small_and_a_bigger_world(
    world: StatisticsWorld, count_queries
) -> None:
    with count_queries() as small:
        gather(world.panel, year_period(2026), NOW)
    for n in range(3):
        build_statistics_world(world.panel, tag=str(n))
    with count_queries() as bigger:
        figures = gather(world.panel, year_period(2026), NOW)
    assert small.count == bigger.count == 9
    assert one_way(figures.tables["reports"])["total"] == 4 * 5
