"""Statistics never read a restricted column; the age band is a need-to-know fact of intake."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.sql import visitors

from conference.cases import rules
from conference.cases.models import AgeBand, ConcernCategory, ReferralSource, RiskLevel
from conference.cases.services import Intake, PersonData, refer_case, update_subject
from conference.db import Classification, classification_of
from conference.extensions import db
from conference.statistics import queries
from conference.statistics.rules import Period, quarter_period, year_period
from tests.factories import NOW
from tests.statistics.worlds import build_statistics_world
from tests.worlds import build_world

RESTRICTED = {
    f"{table.name}.{column.name}"
    for table in db.metadata.sorted_tables
    for column in table.columns
    if classification_of(column) == Classification.RESTRICTED.value
}


def columns_read(statement: sa.ClauseElement) -> set[str]:
    """Every table column a statement reads, by table.column."""
    return {
        f"{element.table.name}.{element.name}"
        for element in visitors.iterate(statement)
        if isinstance(element, sa.Column) and element.table is not None
    }


@pytest.mark.parametrize("period", [year_period(2026), quarter_period(2025, 4)])
def test_no_statistics_statement_reads_a_restricted_column(period: Period) -> None:
    world = build_statistics_world()
    scope = queries.scope_for(world.panel, period, NOW)
    read = set().union(*(columns_read(s) for s in queries.statements(scope)))
    assert "case_file.age_band" in read
    assert "referral.received_on" in read
    assert read & RESTRICTED == set()
    assert {"subject", "guardian", "case_note"}.isdisjoint(c.split(".")[0] for c in read)
    sql = " ".join(
        str(s.compile(dialect=db.session.get_bind().dialect)) for s in queries.statements(scope)
    )
    for column in RESTRICTED:
        table, name = column.split(".")
        assert f"{table}.{name}" not in sql


def test_the_restricted_columns_are_known_to_the_check() -> None:
    assert {"subject.date_of_birth", "referral.narrative", "case_file.crime_suspected"} <= (
        RESTRICTED
    )


def person(birth: date | None, name: str = "Fictional Person") -> PersonData:
    return PersonData(full_name=name, date_of_birth=birth)


def intake(birth: date | None, received_on: date, name: str = "Fictional Person") -> Intake:
    return Intake(
        source=ReferralSource.SCHOOL,
        received_on=received_on,
        concern_category=ConcernCategory.UNCLEAR,
        risk_level=RiskLevel.LOW,
        crime_suspected=False,
        narrative="A fictional concern.",
        person=person(birth, name),
    )


def test_intake_keeps_the_age_band_on_the_day_the_concern_was_received() -> None:
    world = build_world()
    chair = world.users["chair"]
    # 18 on 10 November 2026, the concern received on 9 November: a minor then.
    minor = refer_case(
        intake(date(2008, 11, 10), date(2026, 11, 9)), panel=world.panel, actor=chair, now=NOW
    )
    adult = refer_case(
        intake(date(1990, 1, 1), date(2026, 11, 9), "Other Person"),
        panel=world.panel,
        actor=chair,
        now=NOW,
    )
    unknown = refer_case(
        intake(None, date(2026, 11, 9), "Third Person"), panel=world.panel, actor=chair, now=NOW
    )
    assert (minor.age_band, adult.age_band, unknown.age_band) == (
        AgeBand.MINOR,
        AgeBand.ADULT,
        AgeBand.UNKNOWN,
    )


def test_a_corrected_date_of_birth_corrects_the_age_band() -> None:
    world = build_world()
    chair = world.users["chair"]
    case = refer_case(intake(None, date(2026, 11, 9)), panel=world.panel, actor=chair, now=NOW)
    assert case.age_band is AgeBand.UNKNOWN
    corrected = PersonData(full_name="Fictional Person", date_of_birth=date(1999, 3, 4))
    update_subject(case, corrected, expected_version=case.version_id, actor=chair, now=NOW)
    assert case.age_band is AgeBand.ADULT


@pytest.mark.parametrize(
    ("birth", "received", "band"),
    [
        (None, date(2026, 1, 1), AgeBand.UNKNOWN),
        (date(2008, 1, 1), date(2026, 1, 1), AgeBand.ADULT),  # 18 that day
        (date(2008, 1, 2), date(2026, 1, 1), AgeBand.MINOR),
        (date(2008, 2, 29), date(2026, 2, 28), AgeBand.MINOR),  # born on a leap day
        (date(2008, 2, 29), date(2026, 3, 1), AgeBand.ADULT),
    ],
)
def test_the_age_band_rule(birth: date | None, received: date, band: AgeBand) -> None:
    assert rules.age_band(birth, received) is band
