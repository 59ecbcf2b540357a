"""The case list and case page show only what the user may see."""

from datetime import timedelta

import pytest

from conference.cases.models import CaseStatus, ConcernCategory, RiskLevel
from conference.db import utcnow
from tests.factories import CaseFactory, SubjectFactory
from tests.html import selected
from tests.worlds import build_world

LISTED = {
    "chair": {"plain", "coordinated", "shared", "revoked"},
    "police": {"plain", "coordinated", "shared", "revoked"},
    "social": {"coordinated"},
    "ngo": {"shared"},
    "other": {"elsewhere"},
    "admin": set(),
    "auditor": set(),
}


@pytest.mark.parametrize("user_key", sorted(LISTED))
def test_the_case_list_holds_exactly_the_cases_the_user_may_see(login, user_key: str) -> None:
    world = build_world()
    page = login(world.users[user_key]).get("/cases/").get_data(as_text=True)
    listed = {key for key, case in world.cases.items() if case.reference in page}
    assert listed == LISTED[user_key]


@pytest.mark.parametrize(
    ("user_key", "case_key", "status"),
    [
        ("chair", "plain", 200),
        ("ngo", "shared", 200),
        ("ngo", "plain", 404),
        ("ngo", "revoked", 404),
        ("social", "shared", 404),
        ("other", "plain", 404),
        ("admin", "plain", 404),
        ("auditor", "plain", 404),
    ],
)
def test_case_pages_of_cases_the_user_may_not_know_are_not_found(
    login, user_key: str, case_key: str, status: int
) -> None:
    world = build_world()
    case = world.cases[case_key]
    response = login(world.users[user_key]).get(f"/cases/{case.reference}")
    assert response.status_code == status
    assert (case.reference in response.get_data(as_text=True)) is (status == 200)


def test_the_case_page_shows_the_summary_and_not_the_subject(login) -> None:
    world = build_world()
    case = world.cases["coordinated"]
    SubjectFactory(case=case, full_name="Zed Markername")
    page = login(world.users["police"]).get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Sol Social" in page  # the coordinator
    assert "Zed Markername" not in page


def test_the_case_list_is_paginated(login, app) -> None:
    world = build_world()
    per_page = app.config["CASES_PER_PAGE"]
    extra = [CaseFactory(panel=world.panel) for _ in range(per_page)]
    client = login(world.users["chair"])
    first = client.get("/cases/").get_data(as_text=True)
    second = client.get("/cases/?page=2").get_data(as_text=True)
    everything = [*world.cases.values(), *extra]
    visible = [c for c in everything if c.panel_id == world.panel.id]
    on_first = [c for c in visible if c.reference in first]
    on_second = [c for c in visible if c.reference in second]
    assert len(on_first) == per_page
    assert len(on_first) + len(on_second) == len(visible)
    assert f"{len(visible)} cases" in first


def test_the_case_list_query_count_does_not_grow_with_the_cases(login, count_queries) -> None:
    world = build_world()
    # One case with a lead agency: the page reads the agencies of its rows in a query of its own.
    police = world.users["police"]
    CaseFactory(panel=world.panel, coordinator=police, lead_agency=police.agency)
    client = login(world.users["chair"])
    with count_queries() as few:
        client.get("/cases/")
    for n in range(19):
        coordinator = world.users["police" if n % 2 else "secretary"]
        CaseFactory(panel=world.panel, coordinator=coordinator, lead_agency=coordinator.agency)
    with count_queries() as many:
        page = client.get("/cases/").get_data(as_text=True)
    assert page.count("<tr>") == 1 + 24  # header and a full page of cases
    assert many.count == few.count


FILTERS = [
    ("q=rvt-2026-000", {"plain", "coordinated", "shared", "revoked"}),
    ("status=monitoring", {"revoked"}),
    ("risk=critical", {"shared"}),
    ("category=far_left", {"coordinated"}),
    ("coordinator=__social__", {"coordinated"}),
    ("review_due=y", {"plain"}),
    ("status=monitoring&risk=critical", set()),
    ("status=nonsense", {"plain", "coordinated", "shared", "revoked"}),  # ignored, not a 500
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_the_case_list_filters(login, query: str, expected: set[str]) -> None:
    world = build_world()
    cases = world.cases
    cases["revoked"].status = CaseStatus.MONITORING
    cases["shared"].risk_level = RiskLevel.CRITICAL
    cases["coordinated"].concern_category = ConcernCategory.FAR_LEFT
    cases["plain"].next_review_on = utcnow().date() - timedelta(days=1)
    cases["shared"].next_review_on = utcnow().date() + timedelta(days=10)
    query = query.replace("__social__", str(world.users["social"].id))
    response = login(world.users["chair"]).get(f"/cases/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    listed = {key for key, case in cases.items() if case.reference in page}
    assert listed == expected


def test_filters_are_kept_across_pages(login, app) -> None:
    world = build_world()
    for _ in range(app.config["CASES_PER_PAGE"] + 1):
        CaseFactory(panel=world.panel, risk_level=RiskLevel.HIGH)
    page = login(world.users["chair"]).get("/cases/?risk=high").get_data(as_text=True)
    assert "/cases/?page=2&amp;risk=high" in page or "/cases/?risk=high&amp;page=2" in page
    assert selected(page, "risk") == ["high"]
