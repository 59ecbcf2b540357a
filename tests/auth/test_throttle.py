"""Sign-in throttling per account name and per address: a growing lockout, failures audited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from conference.audit.models import AuditEvent
from conference.auth.models import SignInThrottle
from conference.auth.rules import lockout_for
from conference.extensions import db
from tests.conftest import second_app
from tests.factories import TEST_PASSWORD, UserFactory

LOCKED = "Too many failed sign-ins"
FAILED = "Sign-in failed"
HOUR = timedelta(hours=1)


def attempt(
    client: FlaskClient, email: str, password: str, address: str = "198.51.100.7"
) -> tuple[int, str]:
    response = client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


def failure_reasons() -> list[str]:
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "auth.login_failed")
        .order_by(AuditEvent.id)
    )
    return [event.detail["reason"] for event in events]


def open_all_locks() -> None:
    """As if the lockout had run out."""
    db.session.execute(sa.update(SignInThrottle).values(locked_until=None))
    db.session.commit()


@pytest.mark.parametrize(
    ("failures", "lockout"),
    [
        (4, None),
        (5, timedelta(minutes=1)),
        (6, timedelta(minutes=2)),
        (8, timedelta(minutes=8)),
        (11, timedelta(minutes=60)),
        (40, timedelta(minutes=60)),
    ],
)
def test_the_lockout_starts_at_the_fifth_failure_and_doubles_up_to_an_hour(
    failures: int, lockout: timedelta | None
) -> None:
    assert lockout_for(failures, lock_after=5, cap=HOUR) == lockout


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client: FlaskClient) -> None:
    user = UserFactory(email="pat@example.org")
    for _ in range(4):
        assert attempt(client, user.email, "wrong guess")[0] == 401
    status, page = attempt(client, user.email, "wrong guess")
    assert status == 429
    assert LOCKED in page
    status, page = attempt(client, user.email, TEST_PASSWORD)
    assert status == 429
    assert LOCKED in page
    assert client.get("/").status_code == 302
    assert failure_reasons() == ["credentials"] * 5 + ["locked"]


def test_an_unknown_account_locks_the_same_way_so_nothing_tells_who_exists(
    client: FlaskClient,
) -> None:
    UserFactory(email="pat@example.org")
    known = [attempt(client, "pat@example.org", "wrong guess") for _ in range(6)]
    unknown = [attempt(client, "nobody@example.org", "wrong guess") for _ in range(6)]
    assert [status for status, _ in known] == [status for status, _ in unknown]
    assert [status for status, _ in known] == [401] * 4 + [429] * 2
    assert all(LOCKED in page for _, page in unknown[4:])


def test_the_lock_runs_out_grows_with_the_next_failure_and_a_success_clears_it(
    client: FlaskClient,
) -> None:
    user = UserFactory(email="pat@example.org")
    for _ in range(5):
        attempt(client, user.email, "wrong guess")
    open_all_locks()
    attempt(client, user.email, "wrong again")
    row = db.session.scalar(sa.select(SignInThrottle).where(SignInThrottle.key.like("account:%")))
    assert row.failures == 6
    assert row.locked_until - row.last_failure_at == timedelta(minutes=2)
    open_all_locks()
    assert attempt(client, user.email, TEST_PASSWORD)[0] == 302
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(SignInThrottle).where(SignInThrottle.key.like("account:%")))
        is None
    )


def test_one_address_trying_many_accounts_is_stopped_and_others_are_not(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory(email="pat@example.org")
    for n in range(app.config["SIGN_IN_LOCK_AFTER_PER_ADDRESS"]):
        attempt(client, f"guess{n}@example.org", "wrong guess", address="203.0.113.66")
    status, page = attempt(client, user.email, TEST_PASSWORD, address="203.0.113.66")
    assert status == 429
    assert LOCKED in page
    assert attempt(app.test_client(), user.email, TEST_PASSWORD, address="203.0.113.5")[0] == 302


def test_the_stored_keys_hold_neither_the_address_nor_the_e_mail(client: FlaskClient) -> None:
    attempt(client, "pat@example.org", "wrong guess", address="203.0.113.66")
    keys = " ".join(db.session.scalars(sa.select(SignInThrottle.key)))
    assert "pat@example.org" not in keys
    assert "203.0.113.66" not in keys


def _failure_addresses() -> list[str | None]:
    return list(
        db.session.scalars(sa.select(AuditEvent.ip).where(AuditEvent.action == "auth.login_failed"))
    )


def test_the_address_comes_from_the_proxy_only_when_one_is_trusted(app: Flask) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.99"}
    app.test_client().post(
        "/login", data={"email": "a@example.org", "password": "wrong guess"}, headers=forwarded
    )
    assert _failure_addresses() == ["127.0.0.1"]  # the header is ignored: anyone can send it
    with second_app(app, TRUSTED_PROXIES=1) as behind_proxy:
        behind_proxy.test_client().post(
            "/login", data={"email": "a@example.org", "password": "wrong guess"}, headers=forwarded
        )
    assert _failure_addresses()[-1] == "203.0.113.99"
