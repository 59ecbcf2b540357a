"""The suppression threshold is the panel's setting: the chair changes it, nonsense is refused."""

import pytest
import sqlalchemy as sa

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.panels.models import Panel
from tests.test_panel_settings import settings_form
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def test_the_chair_sets_the_threshold_and_it_is_audited(world: World, login) -> None:
    response = login(world.users["chair"]).post(
        "/panels/RVT/settings", data=settings_form(world.panel, suppression_threshold="10")
    )
    assert response.status_code == 302
    assert db.session.get(Panel, world.panel.id).suppression_threshold == 10
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "panel.settings_changed")
    )
    assert "suppression_threshold" in event.detail["changed"]


@pytest.mark.parametrize("value", ["2", "0", "51", "five"])
def test_a_threshold_that_would_let_tiny_counts_out_is_refused(
    world: World, login, value: str
) -> None:
    response = login(world.users["chair"]).post(
        "/panels/RVT/settings", data=settings_form(world.panel, suppression_threshold=value)
    )
    assert response.status_code == 422
    assert db.session.get(Panel, world.panel.id).suppression_threshold == 5
