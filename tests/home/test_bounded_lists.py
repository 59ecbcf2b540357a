"""Home and My work stay the same size for the busiest coordinator: each list shows a page of
rows, overdue actions first, with the total and the way to the rest."""

import re
from datetime import timedelta

from conference.db import utcnow
from conference.extensions import db
from tests.factories import ActionFactory, CaseFactory
from tests.worlds import World, build_world


def give_work(world: World, up_to: int) -> None:
    """The police officer coordinates `up_to` cases, each with an open action of theirs, the
    first half overdue (their actions due in the past, earliest first)."""
    police = world.users["police"]
    today = utcnow().date()
    have = len([c for c in world.cases.values() if c.coordinator_id == police.id])
    for n in range(have, up_to):
        case = CaseFactory(panel=world.panel, coordinator=police, lead_agency=police.agency)
        world.cases[f"busy{n}"] = case
        due = (
            today + timedelta(days=n - up_to // 2)
            if n < up_to // 2
            else today + timedelta(days=30 + n)
        )
        ActionFactory(
            case=case, owner=police, owner_agency=police.agency, text=f"Task {n:03d}", due_on=due
        )
    db.session.commit()


def tasks(page: str) -> list[str]:
    return re.findall(r"Task \d{3}", page)


def test_home_shows_the_first_rows_of_each_list_with_the_totals(login, app) -> None:
    world = build_world()
    give_work(world, 60)
    size = app.config["WORK_LIST_SIZE"]
    page = login(world.users["police"]).get("/").get_data(as_text=True)
    assert tasks(page) == [f"Task {n:03d}" for n in range(size)]  # the most overdue first
    references = [c.reference for k, c in world.cases.items() if k.startswith("busy")]
    assert sum(reference in page for reference in references) == size
    assert f"The first {size} of 60 cases: see them all in My work" in page
    # 60 of ours and the world's one action of the police officer.
    assert f"The first {size} of 61 actions, overdue first" in page
    assert "30 are overdue." in page


def test_my_work_pages_through_the_actions_and_the_cases(login, app) -> None:
    world = build_world()
    give_work(world, 60)
    size = app.config["WORK_LIST_SIZE"]
    client = login(world.users["police"])
    first = client.get("/my-work").get_data(as_text=True)
    second = client.get("/my-work?page=2").get_data(as_text=True)
    third = client.get("/my-work?page=3").get_data(as_text=True)
    assert tasks(first) == [f"Task {n:03d}" for n in range(size)]  # all overdue
    # The world's own action of the police officer takes one row on a later page.
    assert len(tasks(second)) + len(tasks(third)) == 60 - size
    assert tasks(first) + tasks(second) + tasks(third) == [f"Task {n:03d}" for n in range(60)]
    assert "61 open actions, earliest due first: 1 to 25 on this page." in first
    references = [c.reference for k, c in world.cases.items() if k.startswith("busy")]
    cases_first = client.get("/my-work").get_data(as_text=True).split('id="cases-heading"')[1]
    cases_last = (
        client.get("/my-work?cases_page=3").get_data(as_text=True).split('id="cases-heading"')[1]
    )
    on_first = {r for r in references if r in cases_first}
    on_last = {r for r in references if r in cases_last}
    assert len(on_first) == size
    assert len(on_last) == 60 - 2 * size
    assert not on_first & on_last


def test_home_and_my_work_take_as_many_queries_at_60_cases_as_at_30(login, count_queries) -> None:
    world = build_world()
    client = login(world.users["police"])

    def count() -> tuple[int, int]:
        with count_queries() as home:
            assert client.get("/").status_code == 200
        with count_queries() as work:
            assert client.get("/my-work").status_code == 200
        return home.count, work.count

    give_work(world, 30)
    at_30 = count()
    give_work(world, 60)
    assert count() == at_30
