"""The statistics page: who reads it, the period asked for, exact numbers with their marks."""

import base64
import html as markup
import re

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.panels.models import AgencyTier, Panel, PanelRole
from tests.factories import AgencyFactory, PanelAgencyFactory, UserFactory, member
from tests.statistics.worlds import StatisticsWorld, build_statistics_world


@pytest.fixture
def world() -> StatisticsWorld:
    return build_statistics_world()


def text_of(fragment: str) -> str:
    """What a person reads in a piece of HTML: no tags, spaces squeezed."""
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_rows(page: str, table_id: str) -> dict[str, list[str]]:
    """The rows of a table on the page by their heading, each cell's text squeezed."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.DOTALL)
    assert table, f"no table {table_id}"
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.DOTALL):
        heading = re.search(r"<th scope=\"row\">(.*?)</th>", row, re.DOTALL)
        if heading:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            rows[text_of(heading.group(1))] = [text_of(c) for c in cells]
    return rows


def test_the_chair_reads_exact_numbers_marked_where_they_would_be_hidden(
    world: StatisticsWorld, login
) -> None:
    page = login(world.users["chair"]).get("/panels/STA/statistics?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 Jan 2026" in html
    assert "31 Dec 2026" in html
    months = table_rows(html, "referrals_by_month")
    assert months["2026-01"] == ["2 <5"]  # exact, and how it leaves the panel
    assert months["2026-02"] == ["0"]
    assert months["Total"] == ["5"]
    actions = table_rows(html, "actions")
    # POL: done on time, done late, open (due today); every one small, the row total 3 too.
    assert actions["POL agency"][0] == "1 <5"
    assert actions["Total"][-1] == "8"
    durations = table_rows(html, "durations")
    assert durations["From referral to the first discussion"] == ["3 <5", "28 x", "37.6 x"]
    assert "Share of repeat referrals:" in html
    assert "20%" in html


def test_charts_are_images_of_their_own_with_no_script(world: StatisticsWorld, login) -> None:
    html = login(world.users["chair"]).get("/panels/STA/statistics?year=2026").get_data(True)
    sources = re.findall(r'<img[^>]*src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(sources) >= 6
    assert "<svg" not in html  # never inline in the page: its styles would meet the CSP
    assert "<script" not in html.split("</footer>")[0].split("<main")[1]
    svg = base64.b64decode(sources[0]).decode()
    assert svg.lstrip().startswith("<?xml")
    assert "<script" not in svg
    assert "&lt;5" in svg  # small counts are labelled, not drawn


def test_a_quarter_and_a_range_of_days_can_be_asked_for(world: StatisticsWorld, login) -> None:
    client = login(world.users["chair"])
    quarter = client.get("/panels/STA/statistics?year=2026&quarter=1").get_data(True)
    assert list(table_rows(quarter, "referrals_by_month")) == [
        "2026-01",
        "2026-02",
        "2026-03",
        "Total",
    ]
    days = client.get("/panels/STA/statistics?date_from=2026-01-15&date_to=2026-03-05").get_data(
        True
    )
    assert table_rows(days, "referrals_by_month")["Total"] == ["2 <5"]
    assert "15 Jan 2026" in days


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-03-01", "Give both the first and the last day of the period."),
        ("date_from=2026-03-01&date_to=2026-01-01", "The period ends before it starts."),
        ("date_from=2010-01-01&date_to=2026-01-01", "A period is at most 5 years long."),
        ("year=twenty", "Not a valid integer value."),
        ("year=2026&quarter=7", "Not a valid choice."),
        ("date_from=31-02-2026&date_to=2026-03-01", "Not a valid date value."),
    ],
)
def test_a_period_that_cannot_be_reported_on_is_refused_with_the_reason(
    world: StatisticsWorld, login, query: str, message: str
) -> None:
    client = login(world.users["chair"])
    for path in ("/panels/STA/statistics", "/panels/STA/statistics.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert message in text_of(response.get_data(as_text=True))


def test_this_year_is_shown_when_no_period_is_asked_for(world: StatisticsWorld, login) -> None:
    html = login(world.users["chair"]).get("/panels/STA/statistics").get_data(True)
    assert "Referrals per month" in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("chair", 200), ("mun", 200), ("pol", 200), ("soc", 404), ("auditor", 200), ("admin", 404)],
)
def test_the_chair_secretary_core_members_and_auditors_read_the_statistics(
    world: StatisticsWorld, login, who: str, status: int
) -> None:
    users = dict(world.users)
    users["auditor"] = UserFactory(is_auditor=True)
    users["admin"] = UserFactory(is_administrator=True)
    client = login(users[who])
    assert client.get("/panels/STA/statistics?year=2026").status_code == status
    assert client.get("/panels/STA/statistics.csv?year=2026").status_code == status


def test_members_of_another_panel_and_partners_are_told_it_does_not_exist(
    world: StatisticsWorld, login
) -> None:
    elsewhere = member(world.other_panel, PanelRole.CHAIR, AgencyFactory())
    client = login(elsewhere)
    assert client.get("/panels/STA/statistics").status_code == 404
    assert client.get("/panels/NOPE/statistics").status_code == 404
    assert client.get("/panels/OTS/statistics").status_code == 200


def test_a_member_of_a_partner_agency_is_no_core_member(world: StatisticsWorld, login) -> None:
    partner_agency = AgencyFactory()
    PanelAgencyFactory(panel=world.panel, agency=partner_agency, tier=AgencyTier.PARTNER)
    adviser = member(world.panel, PanelRole.MEMBER, partner_agency)
    assert login(adviser).get("/panels/STA/statistics").status_code == 404


def test_the_navigation_offers_statistics_to_those_who_may_read_them(
    world: StatisticsWorld, login
) -> None:
    chair = login(world.users["chair"]).get("/").get_data(as_text=True)
    assert 'href="/statistics"' in chair
    partner = login(world.users["soc"]).get("/").get_data(as_text=True)
    assert 'href="/statistics"' not in partner
    # One panel: straight to its page; an auditor chooses among every panel.
    assert (
        login(world.users["chair"])
        .get("/statistics")
        .headers["Location"]
        .endswith("/panels/STA/statistics")
    )
    auditor = login(UserFactory(is_auditor=True)).get("/statistics").get_data(as_text=True)
    assert "Statsville" in auditor
    assert "Otherville" in auditor


def test_the_settings_page_links_to_the_statistics(world: StatisticsWorld, login) -> None:
    html = login(world.users["chair"]).get("/panels/STA/settings").get_data(as_text=True)
    assert 'href="/panels/STA/statistics"' in html
    panel = db.session.scalar(sa.select(Panel).where(Panel.code == "STA"))
    assert panel.suppression_threshold == 5
