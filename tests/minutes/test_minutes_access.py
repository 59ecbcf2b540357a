"""Reading minutes follows current entitlement: a full member who was entitled at the meeting and
still is reads them whole; partners and later members their agency's extract; a member whose
membership has ended, nothing (the data-protection officer's subject export remains)."""

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from conference.auth import permissions
from conference.extensions import db
from conference.meetings.models import Meeting
from conference.panels.models import Membership, PanelRole
from tests.factories import MembershipFactory
from tests.minutes import test_minutes as minutes_tests
from tests.minutes.test_minutes import AFTER, signed_minutes
from tests.worlds import World

# The minutes tests' world and closed meeting, shared.
world = minutes_tests.world
meeting = minutes_tests.meeting


def end_membership(membership: Membership) -> None:
    membership.until = AFTER.date()
    db.session.commit()


def minutes_routes(version_id: int, agency_id: int) -> list[str]:
    return [
        f"/minutes/{version_id}",
        f"/minutes/{version_id}.pdf",
        f"/minutes/{version_id}/print",
        f"/minutes/{version_id}/extracts/{agency_id}.pdf",
    ]


def test_a_member_whose_membership_ended_reads_no_minutes_and_no_extract(
    world: World,
    meeting: Meeting,
    login: Callable[..., FlaskClient],
) -> None:
    version = signed_minutes(world, meeting)
    police = world.users["police"]
    assert permissions.minutes_access(police, meeting) == "full"  # while a member
    end_membership(police.memberships[0])
    client = login(police)
    for url in minutes_routes(version.id, police.agency_id):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 404


def test_a_partner_whose_membership_ended_loses_the_extract_too(
    world: World,
    meeting: Meeting,
    login: Callable[..., FlaskClient],
) -> None:
    version = signed_minutes(world, meeting)
    social = world.users["social"]
    client = login(social)
    assert client.get(f"/minutes/{version.id}").status_code == 200
    end_membership(social.memberships[0])
    for url in minutes_routes(version.id, social.agency_id):
        assert client.get(url).status_code == 404, url


def test_a_full_member_then_who_is_a_partner_now_reads_only_the_extract(
    world: World,
    meeting: Meeting,
    login: Callable[..., FlaskClient],
) -> None:
    version = signed_minutes(world, meeting)
    police = world.users["police"]
    end_membership(police.memberships[0])
    MembershipFactory(panel=world.panel, user=police, role=PanelRole.PARTNER, since=AFTER.date())
    db.session.commit()
    assert permissions.minutes_access(police, meeting) == "extract"
    page = login(police).get(f"/minutes/{version.id}").get_data(as_text=True)
    assert "Extract for" in page


@pytest.mark.parametrize(
    ("key", "access"),
    [("chair", "full"), ("police", "full"), ("social", "extract"), ("former", None)],
)
def test_access_to_minutes_by_membership_now_and_then(
    world: World,
    meeting: Meeting,
    key: str,
    access: str | None,
) -> None:
    assert permissions.minutes_access(world.users[key], meeting) == access
