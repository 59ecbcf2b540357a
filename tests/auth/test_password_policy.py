"""The password policy, wherever a password is set: at least 12 characters, and not easy to
guess by zxcvbn's estimate (common passwords, simple patterns, the person's own name)."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from conference.auth.models import User
from conference.auth.passwords import Weakness, weakness
from conference.extensions import db
from tests.factories import TEST_PASSWORD, AgencyFactory, UserFactory
from tests.html import error_beside

WEAK = ["password1234", "Password1234!", "qwertyuiop12", "aaaaaaaaaaaaaaaa", "123456789012"]
STRONG = ["correct horse battery", "a long enough secret", "tulip-harbour-47-violin"]


@pytest.mark.parametrize("password", WEAK)
def test_common_passwords_and_simple_patterns_are_too_easy_to_guess(password: str) -> None:
    assert weakness(password) is Weakness.GUESSABLE


@pytest.mark.parametrize("password", STRONG)
def test_a_few_unrelated_words_will_do(password: str) -> None:
    assert weakness(password) is None


def test_a_password_made_of_ones_own_name_is_too_easy_to_guess() -> None:
    assert weakness("brannigan2026", ["Mo Brannigan", "mo.brannigan@example.org"]) is (
        Weakness.GUESSABLE
    )
    assert weakness("brannigan2026") is None  # the same word, for someone else


def test_length_is_checked_first() -> None:
    assert weakness("Xq7#pL2!") is Weakness.TOO_SHORT
    assert weakness("word " * 60) is Weakness.TOO_LONG


def change_password(client: FlaskClient, new: str) -> TestResponse:
    return client.post(
        "/account/password", data={"current": TEST_PASSWORD, "new": new, "confirm": new}
    )


@pytest.mark.parametrize(
    ("new", "reason"),
    [("password1234", "too easy to guess"), ("short one", "at least 12 characters")],
)
def test_the_account_page_refuses_a_weak_password_beside_the_field(
    login: Callable[..., FlaskClient], new: str, reason: str
) -> None:
    user = UserFactory()
    old_hash = user.password_hash
    response = change_password(login(user), new)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in (error_beside(page, "new") or "")
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_the_account_page_accepts_a_strong_password(login: Callable[..., FlaskClient]) -> None:
    response = change_password(login(UserFactory()), "tulip-harbour-47-violin")
    assert response.status_code == 302


def test_users_create_refuses_a_weak_password(app: Flask) -> None:
    AgencyFactory(code="POL")
    db.session.commit()
    result = CliRunner().invoke(
        app.cli,
        [
            "users",
            "create",
            "--email",
            "weak@example.org",
            "--name",
            "Wes Weak",
            "--agency",
            "POL",
            "--password",
            "password1234",
        ],
    )
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "weak@example.org")) is None


def test_users_create_refuses_a_name_or_address_longer_than_the_account_keeps(
    app: Flask,
) -> None:
    AgencyFactory(code="POL")
    db.session.commit()
    for option, value in (("--email", "\u0130" * 200 + "@example.org"), ("--name", "N" * 121)):
        args = {"--email": "long@example.org", "--name": "Lou Long", option: value}
        result = CliRunner().invoke(
            app.cli,
            [
                "users",
                "create",
                *[part for pair in args.items() for part in pair],
                "--agency",
                "POL",
                "--password",
                "tulip-harbour-47-violin",
            ],
        )
        assert result.exit_code != 0, option
        assert "at most" in result.output
