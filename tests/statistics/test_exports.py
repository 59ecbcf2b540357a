"""What leaves the panel: the CSV and the annual report, suppressed and audited."""

import csv
import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.statistics import services
from conference.statistics.rules import year_period
from tests.factories import NOW, TODAY, AgencyFactory, CaseFactory, ReferralFactory
from tests.statistics.worlds import StatisticsWorld, build_statistics_world


@pytest.fixture
def world() -> StatisticsWorld:
    return build_statistics_world()


def parse(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def no_small_count(rows: list[dict[str, str]], threshold: int = 5) -> list[dict[str, str]]:
    """The rows whose count is a number from 1 to the threshold less one."""
    return [
        row
        for row in rows
        if not row["measure"].endswith(("median_days", "p90_days"))
        and row["count"].isdigit()
        and 0 < int(row["count"]) < threshold
    ]


def test_the_csv_has_one_row_per_figure_and_no_small_count(world: StatisticsWorld, login) -> None:
    response = login(world.users["chair"]).get("/panels/STA/statistics.csv?year=2026")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8").splitlines()[0] == "measure,period,group,count"
    rows = parse(response.data)
    assert no_small_count(rows) == []
    found = {(r["measure"], r["period"], r["group"]): r["count"] for r in rows}
    assert found[("referrals_by_month", "2026-01", "all")] == "<5"
    assert found[("referrals_by_month", "2026-02", "all")] == "0"
    assert found[("referrals_by_month", "2026", "all")] == "5"
    assert found[("referrals_by_agency", "2026", "POL agency")] == "<5"
    assert found[("referrals_by_agency", "2026", "total")] == "5"
    assert found[("actions.done_on_time", "2026", "POL agency")] == "<5"
    assert found[("actions.total", "2026", "total")] == "8"
    assert found[("rag_by_month.on_track", "2026-01", "all")] == "<5"
    # Deferred 1, escalated 1, not reached 2 add up to 4: the 8 discussed must go too.
    assert found[("items", "2026", "Discussed")] == "x"
    assert found[("items", "2026", "total")] == "12"
    assert found[("referral_to_first_discussion.cases", "2026", "all")] == "<5"
    assert found[("referral_to_first_discussion.median_days", "2026", "all")] == "x"
    assert set(r["period"] for r in rows) <= {"2026"} | {f"2026-{m:02d}" for m in range(1, 13)}


def test_secondary_suppression_reaches_the_csv(world: StatisticsWorld, login) -> None:
    # Ten more referrals from the police in January: 12 of them, 2 from MUN in March, 1 SOC.
    for _ in range(10):
        ReferralFactory(
            case=CaseFactory(panel=world.panel, age_band="adult"),
            received_on=TODAY.replace(month=1, day=12),
            referring_agency_id=world.users["pol"].agency_id,
        )
    rows = parse(login(world.users["chair"]).get("/panels/STA/statistics.csv?year=2026").data)
    found = {(r["measure"], r["group"]): r["count"] for r in rows if r["period"] == "2026"}
    # MUN 2 and SOC 1 are small, and together 3: POL's 12 goes too, or 15 - 12 gives them
    # away.
    assert found[("referrals_by_agency", "MUN agency")] == "<5"
    assert found[("referrals_by_agency", "SOC agency")] == "<5"
    assert found[("referrals_by_agency", "POL agency")] == "x"
    assert found[("referrals_by_agency", "total")] == "15"
    # By month: January 12, March 2, November 1: the same.
    months = {
        p: r["count"] for r in rows if r["measure"] == "referrals_by_month" for p in [r["period"]]
    }
    assert (months["2026-01"], months["2026-03"], months["2026-11"]) == ("x", "<5", "<5")
    by_age = {g: found[("referrals_by_age", g)] for g in ("Adults", "Age not known", "total")}
    # Adults 12, unknown 1, minors 2: the small ones add up to 3, so adults are hidden as x.
    assert by_age == {"Adults": "x", "Age not known": "<5", "total": "15"}
    assert no_small_count(rows) == []


def test_the_threshold_is_the_panels_setting(world: StatisticsWorld, login) -> None:
    world.panel.suppression_threshold = 3
    rows = parse(login(world.users["chair"]).get("/panels/STA/statistics.csv?year=2026").data)
    found = {(r["measure"], r["period"], r["group"]): r["count"] for r in rows}
    assert found[("referrals_by_month", "2026-01", "all")] == "<3"
    assert found[("referrals_by_month", "2026-11", "all")] == "<3"
    assert found[("referral_to_first_discussion.cases", "2026", "all")] == "3"
    assert found[("referral_to_first_discussion.median_days", "2026", "all")] == "28"
    assert found[("referral_to_first_discussion.p90_days", "2026", "all")] == "37.6"
    assert no_small_count(rows, threshold=3) == []


def test_the_csv_is_utf8_and_never_starts_a_formula(world: StatisticsWorld, login) -> None:
    agency = AgencyFactory(name='=HYPERLINK("http://x") Ærø Politi')
    for _ in range(6):
        ReferralFactory(
            case=CaseFactory(panel=world.panel),
            received_on=TODAY.replace(month=2, day=2),
            referring_agency_id=agency.id,
        )
    rows = parse(login(world.users["chair"]).get("/panels/STA/statistics.csv?year=2026").data)
    groups = {r["group"] for r in rows if r["measure"] == "referrals_by_agency"}
    assert '\'=HYPERLINK("http://x") Ærø Politi' in groups


def test_the_csv_export_is_audited_with_its_period_and_threshold(
    world: StatisticsWorld, login
) -> None:
    login(world.users["pol"]).get("/panels/STA/statistics.csv?year=2026&quarter=2")
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "statistics.csv_exported")
    )
    assert event.actor_id == world.users["pol"].id
    assert event.panel_id == world.panel.id
    assert event.detail == {"period": "2026-Q2", "threshold": 5}


def test_the_annual_report_holds_charts_tables_and_the_method_and_no_small_count(
    world: StatisticsWorld, login
) -> None:
    response = login(world.users["chair"]).get("/panels/STA/statistics.pdf?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Annual report 2026: Statsville (STA)" in text
    assert "From 1 Jan 2026 to 31 Dec 2026" in text
    assert "Referrals per month" in text
    assert "How the figures are made" in text
    assert "every count from 1 to 4 shows as" in " ".join(text.split())
    # Table lines: small counts read <5, hidden ones x, large ones as they are.
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "POL agency <5" in lines
    assert "Discussed x" in lines
    assert "Total 12" in lines
    assert "From referral to the first discussion <5 x x" in lines
    for line in lines:
        if line.startswith(("POL agency", "MUN agency", "SOC agency", "2026-0", "2026-1")):
            numbers = [int(n) for n in re.findall(r"(?<![<\d-])\b\d+\b", line)]
            assert not [n for n in numbers if 0 < n < 5 and n not in (2026,)], line
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "statistics.report_exported")
    )
    assert event.detail == {"period": "2026", "threshold": 5}


def test_the_report_draws_the_charts_from_the_suppressed_counts(
    world: StatisticsWorld,
) -> None:
    body = services.export_report(world.panel, 2026, actor=world.users["chair"], now=NOW)
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 3
    text = pdf_text(body)
    assert text.count("<5") > 20  # in the tables and as the charts' bar labels


def test_an_export_refused_to_someone_else_leaves_no_audit_event(
    world: StatisticsWorld, login
) -> None:
    response = login(world.users["soc"]).get("/panels/STA/statistics.pdf?year=2026")
    assert response.status_code == 404
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.like("statistics.%"))
        )
        == 0
    )
    with pytest.raises(Exception, match="may not read"):
        services.export_csv(world.panel, year_period(2026), actor=world.users["soc"], now=NOW)


def test_a_year_that_is_not_a_year_is_refused(world: StatisticsWorld, login) -> None:
    response = login(world.users["chair"]).get("/panels/STA/statistics.pdf?year=1066")
    assert response.status_code == 400
    assert "Number must be between 2000 and 2100." in response.get_data(as_text=True)
