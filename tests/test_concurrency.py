"""Posts at the same moment: never a 500, never a duplicate, the loser told in words.

Each thread signs in on its own client and session, then all post together (a barrier). On
PostgreSQL the rows lock as in production; SQLite serialises the writes.
"""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.actions.models import ProgressReport
from conference.cases.models import Case
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import AgendaItem, Meeting, MeetingStatus
from tests.factories import (
    TEST_PASSWORD,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
)
from tests.worlds import World, build_world

THREADS = 4


@pytest.fixture
def world() -> World:
    world = build_world()
    db.session.commit()
    return world


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def at_once(app: Flask, users: list[Any], post: Callable[[FlaskClient, int], Any]) -> list[Any]:
    """Each user signs in on a client of their own, then all post at the same moment."""
    barrier = threading.Barrier(len(users))
    responses: list[Any] = [None] * len(users)
    failures: list[BaseException] = []
    emails = [user.email for user in users]  # read here: the threads have sessions of their own

    def run(index: int, email: str) -> None:
        try:
            with app.app_context():
                client = _signed_in(app, email)
                barrier.wait(timeout=30)
                responses[index] = post(client, index)
                db.session.remove()
        except BaseException as error:  # the test fails with it below
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(emails)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    db.session.expire_all()
    return responses


def _codes(responses: list[Any]) -> list[int]:
    return sorted(r.status_code for r in responses)


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_one_intake_sent_four_times_at_once_makes_one_case(app: Flask, world: World) -> None:
    data = {
        "once": "a" * 32,
        "panel_id": world.panel.id,
        "source": "school",
        "received_on": (utcnow() - timedelta(days=1)).date().isoformat(),
        "concern_category": "far_right",
        "risk_level": "high",
        "narrative": "Drew plans of the school.",
        "full_name": "Casey Example",
        "date_of_birth": "1990-04-02",
    }
    before = count(Case)
    responses = at_once(
        app, [world.users["police"]] * THREADS, lambda c, _i: c.post("/cases/new", data=data)
    )
    assert _codes(responses) == [302] * THREADS  # one made it, the others are sent to it
    assert count(Case) == before + 1
    assert len({r.headers["Location"] for r in responses}) == 1


def test_a_double_click_on_create_meeting_makes_one_meeting(app: Flask, world: World) -> None:
    day = (utcnow() + timedelta(days=20)).date().isoformat()

    def create(client: FlaskClient, index: int) -> Any:
        # Two identical clicks (one token) and two other chairs' forms for the same time.
        token = "b" * 32 if index < 2 else f"{index:032x}"
        return client.post(
            "/meetings/new",
            data={
                "once": token,
                "panel_id": world.panel.id,
                "day": day,
                "starts": "10:00",
                "ends": "12:00",
            },
        )

    responses = at_once(app, [world.users["chair"], world.users["chair"]] * 2, create)
    assert all(r.status_code < 500 for r in responses)
    assert count(Meeting, Meeting.panel_id == world.panel.id) == 1
    refused = [r.get_data(as_text=True) for r in responses if r.status_code == 422]
    assert refused, "the other forms for the same time are refused"
    for page in refused:
        assert (
            "already has a meeting at that time" in page or "saved this at the same moment" in page
        )


def test_a_series_sent_four_times_at_once_makes_each_meeting_once(app: Flask, world: World) -> None:
    first = (utcnow() + timedelta(days=30)).date().isoformat()

    def series(client: FlaskClient, index: int) -> Any:
        return client.post(
            "/meetings/series",
            data={
                "once": f"{index:032x}",
                "panel_id": world.panel.id,
                "first_on": first,
                "count": 3,
            },
        )

    responses = at_once(app, [world.users["chair"]] * THREADS, series)
    assert all(r.status_code < 500 for r in responses)
    starts = db.session.scalars(
        sa.select(Meeting.starts_at).where(Meeting.panel_id == world.panel.id)
    ).all()
    assert len(starts) == 3
    assert len(set(starts)) == 3


def test_four_reports_at_once_for_one_case_and_meeting_make_one_report(
    app: Flask, world: World
) -> None:
    meeting = MeetingFactory(panel=world.panel, starts_at=utcnow() + timedelta(days=10))
    case = world.cases["coordinated"]
    db.session.commit()

    def report(client: FlaskClient, index: int) -> Any:
        return client.post(
            f"/cases/{case.reference}/reports/{meeting.id}",
            data={"once": f"{index + 100:032x}", "rag": "on_track", "summary": f"Report {index}."},
        )

    users = [world.users["social"], world.users["chair"], world.users["secretary"]] * 2
    responses = at_once(app, users[:THREADS], report)
    assert all(r.status_code < 500 for r in responses)
    assert count(ProgressReport, ProgressReport.case_id == case.id) == 1
    conflicts = [r for r in responses if r.status_code == 422]
    for response in conflicts:
        assert "saved this report while you were writing" in response.get_data(as_text=True)


def test_two_people_saving_one_item_at_once_get_a_conflict_not_a_500(
    app: Flask, world: World
) -> None:
    now = utcnow()
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        status=MeetingStatus.IN_PROGRESS,
        chair=world.users["chair"],
    )
    AttendanceFactory(meeting=meeting, user=world.users["chair"])
    item = AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    db.session.commit()
    version = item.version_id

    def save(client: FlaskClient, index: int) -> Any:
        return client.post(
            f"/meetings/{meeting.id}/items/{item.id}/record",
            data={"item-facts": f"Version from person {index}", "item-version": str(version)},
        )

    responses = at_once(app, [world.users["chair"], world.users["secretary"]] * 2, save)
    assert all(r.status_code < 500 for r in responses)
    saved = [r for r in responses if r.status_code == 302]
    assert len(saved) == 1
    for refused in (r for r in responses if r.status_code != 302):
        assert "Someone else saved" in refused.get_data(as_text=True)
    assert db.session.get(AgendaItem, item.id).facts.startswith("Version from person")
