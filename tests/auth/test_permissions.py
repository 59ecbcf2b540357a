"""The policy module, table-driven: who sees which case, and its restricted section."""

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from conference.auth import permissions
from conference.cases.models import Case
from conference.extensions import db
from tests.worlds import World, build_world

CASES = ("plain", "coordinated", "shared", "revoked", "elsewhere")

# user -> the cases they may see
VISIBLE = {
    "chair": {"plain", "coordinated", "shared", "revoked"},
    "secretary": {"plain", "coordinated", "shared", "revoked"},
    "police": {"plain", "coordinated", "shared", "revoked"},
    "social": {"coordinated"},
    "ngo": {"shared"},
    "other": {"elsewhere"},
    "admin": set(),
    "auditor": set(),
    "former": set(),
}
# user -> the cases whose restricted section (identity, narrative, notes) they may open
RESTRICTED = {
    "chair": {"plain", "coordinated", "shared", "revoked"},
    "secretary": {"plain", "coordinated", "shared", "revoked"},
    "police": {"plain", "coordinated", "shared", "revoked"},
    "social": {"coordinated"},  # as its coordinator, though a partner
    "ngo": set(),
    "other": {"elsewhere"},
    "admin": set(),
    "auditor": set(),
    "former": set(),
}


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_who_sees_which_case(world: World, user_key: str) -> None:
    user = world.users[user_key]
    seen = {key for key in CASES if permissions.can_view_case(user, world.cases[key])}
    assert seen == VISIBLE[user_key]


@pytest.mark.parametrize("user_key", sorted(RESTRICTED))
def test_who_may_open_the_restricted_section(world: World, user_key: str) -> None:
    user = world.users[user_key]
    opened = {key for key in CASES if permissions.can_view_restricted(user, world.cases[key])}
    assert opened == RESTRICTED[user_key]


@pytest.mark.parametrize("user_key", sorted(VISIBLE))
def test_the_scoped_query_agrees_with_the_predicate(world: World, user_key: str) -> None:
    user = world.users[user_key]
    ids = set(db.session.scalars(sa.select(Case.id).where(permissions.case_visibility(user))))
    assert ids == {world.cases[key].id for key in VISIBLE[user_key]}


def test_anonymous_and_inactive_users_are_denied_everything(world: World) -> None:
    anonymous = AnonymousUserMixin()
    chair = world.users["chair"]
    chair.active = False
    for user in (anonymous, chair):
        assert not permissions.can_view_case(user, world.cases["plain"])
        assert not permissions.can_view_restricted(user, world.cases["plain"])
        assert not permissions.can_view_panel(user, world.panel.id)
        assert not permissions.can_read_audit(user)
        assert not permissions.can_manage_users(user)
    assert (
        db.session.scalars(sa.select(Case.id).where(permissions.case_visibility(chair))).all() == []
    )


@pytest.mark.parametrize(
    ("user_key", "audit", "manage"),
    [("auditor", True, False), ("admin", False, True), ("chair", False, False)],
)
def test_global_roles(world: World, user_key: str, audit: bool, manage: bool) -> None:
    user = world.users[user_key]
    assert permissions.can_read_audit(user) is audit
    assert permissions.can_manage_users(user) is manage


@pytest.mark.parametrize(
    ("user_key", "own_panel", "other_panel"),
    [
        ("chair", True, False),
        ("social", True, False),
        ("other", False, True),
        ("admin", False, False),
        ("former", False, False),
    ],
)
def test_panel_membership_decides_who_may_refer_a_case(
    world: World, user_key: str, own_panel: bool, other_panel: bool
) -> None:
    user = world.users[user_key]
    assert permissions.can_refer_case(user, world.panel.id) is own_panel
    assert permissions.can_refer_case(user, world.other_panel.id) is other_panel
