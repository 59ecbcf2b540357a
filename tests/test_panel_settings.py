"""The panel's settings: the chair changes them, bad values are refused and kept, all audited."""

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.panels.models import Panel
from tests.html import input_value
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def settings_form(panel: Panel, **changes: str) -> dict[str, str]:
    form = {
        "cadence_weekday": "1",
        "cadence_every_weeks": "2",
        "cadence_start": "10:00",
        "cadence_end": "12:00",
        "default_place": "Town Hall",
        "max_discussion_interval_days": "91",
        "post_exit_review_first_months": "6",
        "post_exit_review_second_months": "12",
        "report_due_days": "3",
        "referral_answer_days": "14",
        "minutes_new_referral": "15",
        "minutes_review": "10",
        "minutes_closure": "5",
        "suppression_threshold": "5",
        "confidentiality_statement": "What is said here stays here.",
    }
    return form | changes


def test_the_chair_changes_the_statement_and_the_agenda_settings(world: World, login) -> None:
    client = login(world.users["chair"])
    response = client.post(
        "/panels/RVT/settings",
        data=settings_form(
            world.panel, minors_first="y", minutes_review="12", referral_answer_days="21"
        ),
    )
    assert response.status_code == 302
    panel = db.session.get(Panel, world.panel.id)
    assert panel.referral_answer_days == 21
    assert panel.minors_first is True
    assert panel.minutes_review == 12
    assert panel.confidentiality_statement == "What is said here stays here."
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "panel.settings_changed")
    )
    assert "minutes_review" in event.detail["changed"]


def test_bad_settings_are_refused_and_what_was_typed_kept(world: World, login) -> None:
    client = login(world.users["secretary"])
    response = client.post(
        "/panels/RVT/settings",
        data=settings_form(world.panel, post_exit_review_second_months="3", default_place="Typed"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The second post-exit review comes after the first." in page
    assert input_value(page, "default_place") == "Typed"
    assert db.session.get(Panel, world.panel.id).post_exit_review_second_months != 3


@pytest.mark.parametrize(
    ("user_key", "status"), [("police", 403), ("ngo", 403), ("other", 404), ("admin", 404)]
)
def test_only_the_chair_and_secretary_see_the_settings(
    world: World, login, user_key: str, status: int
) -> None:
    assert login(world.users[user_key]).get("/panels/RVT/settings").status_code == status
