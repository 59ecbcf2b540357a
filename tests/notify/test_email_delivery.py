"""E-mail delivery never blocks: each message is sent on its own; a refused recipient fails
that message alone, a temporary failure is tried again later, and the administrator sees what was
not delivered. Against a real SMTP server on loopback."""

import socket
from datetime import datetime, timedelta

import pytest
from flask import Flask

from conference.auth.models import User
from conference.extensions import db
from conference.notify import rules
from conference.notify.models import Notification, NotificationKind
from conference.notify.services import deliver_email
from tests.auth.test_matrix import browser_of
from tests.conftest import MailServer, second_app
from tests.factories import NOW, NotificationFactory, UserFactory

REFUSED = "550 5.1.1 <gone@example.org>: Recipient address rejected: no such mailbox"
BUSY = "451 4.3.0 Mailbox temporarily unavailable"


@pytest.fixture
def people() -> list[User]:
    people = [
        UserFactory(email="first@example.org", name="Fay First"),
        UserFactory(email="gone@example.org", name="Gus Gone"),
        UserFactory(email="third@example.org", name="Tia Third"),
    ]
    for minutes, person in enumerate(people):
        NotificationFactory(
            user_id=person.id,
            kind=NotificationKind.ACTION_OVERDUE,
            title="Action overdue on RVT-2026-0042",
            link="/actions/1",
            created_at=NOW + timedelta(minutes=minutes),
        )
    db.session.commit()
    return people


def deliver(app: Flask, server: MailServer | None, at: datetime) -> int:
    """One run of the delivery job, sending through the loopback server (or a closed port)."""
    port = server.port if server is not None else closed_port()
    with (
        second_app(app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port) as mailer,
        mailer.app_context(),
    ):
        sent = deliver_email(at)
        db.session.remove()
    return sent


def closed_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def of(person: User) -> Notification:
    db.session.expire_all()
    return db.session.query(Notification).filter_by(user_id=person.id).one()


def recipients(server: MailServer) -> list[str]:
    return [address for envelope in server.messages for address in envelope.rcpt_tos]


def test_a_refused_recipient_fails_alone_and_the_rest_are_sent(
    app: Flask, people: list[User], mail_server: MailServer
) -> None:
    mail_server.refuse["gone@example.org"] = REFUSED
    assert deliver(app, mail_server, NOW) == 2
    assert recipients(mail_server) == ["first@example.org", "third@example.org"]
    refused = of(people[1])
    assert refused.emailed_at is None
    assert refused.email_failed_at == NOW
    assert refused.email_attempts == 1
    assert refused.email_error.startswith("550 5.1.1")
    # Given up: never tried again, and never in the way of later messages.
    later = NotificationFactory(user_id=people[2].id, title="Agenda published", created_at=NOW)
    db.session.commit()
    assert deliver(app, mail_server, NOW + timedelta(days=1)) == 1
    assert recipients(mail_server)[-1] == "third@example.org"
    assert of(people[1]).email_attempts == 1
    assert db.session.get(Notification, later.id).emailed_at is not None


def test_a_temporary_failure_is_tried_again_later_each_time_later_then_given_up(
    app: Flask, people: list[User], mail_server: MailServer
) -> None:
    mail_server.refuse["gone@example.org"] = BUSY
    now, waits = NOW, []
    assert deliver(app, mail_server, now) == 2
    for attempt in range(1, rules.MAX_ATTEMPTS):
        waiting = of(people[1])
        assert waiting.email_attempts == attempt
        assert waiting.email_failed_at is None
        assert deliver(app, mail_server, now) == 0  # not due yet: nothing sent twice
        assert of(people[1]).email_attempts == attempt
        waits.append(waiting.email_retry_at - now)
        now = waiting.email_retry_at
        assert deliver(app, mail_server, now) == 0
    assert waits == sorted(waits)
    assert waits[0] < waits[-1] <= rules.LONGEST_RETRY
    given_up = of(people[1])
    assert given_up.email_attempts == rules.MAX_ATTEMPTS
    assert given_up.email_failed_at == now
    assert given_up.email_error.startswith("451")


def test_a_temporary_failure_that_clears_is_delivered_on_the_next_try(
    app: Flask, people: list[User], mail_server: MailServer
) -> None:
    mail_server.refuse["gone@example.org"] = BUSY
    deliver(app, mail_server, NOW)
    retry_at = of(people[1]).email_retry_at
    del mail_server.refuse["gone@example.org"]
    assert deliver(app, mail_server, retry_at) == 1
    assert recipients(mail_server)[-1] == "gone@example.org"
    assert of(people[1]).emailed_at == retry_at


def test_an_unreachable_server_stops_the_run_and_counts_one_try(
    app: Flask, people: list[User]
) -> None:
    assert deliver(app, None, NOW) == 0
    assert [of(p).email_attempts for p in people] == [1, 0, 0]
    assert of(people[0]).email_failed_at is None
    assert of(people[0]).email_retry_at == rules.retry_at(1, NOW)


def test_the_administrator_sees_what_was_not_delivered_and_to_whom(
    app: Flask, people: list[User], mail_server: MailServer
) -> None:
    mail_server.refuse["gone@example.org"] = REFUSED
    deliver(app, mail_server, NOW)
    admin = UserFactory(is_administrator=True)
    db.session.commit()
    page = browser_of(app, admin).get("/accounts/").get_data(as_text=True)
    section = page[page.index('id="undelivered"') :]
    assert "gone@example.org" in section
    assert "550 5.1.1" in section
    assert "Action overdue" in section
    assert "first@example.org" not in section
    assert "RVT-2026-0042" not in page  # what the message was about is not for the administrator


def test_retries_wait_longer_each_time_up_to_a_limit() -> None:
    waits = [rules.retry_at(n, NOW) - NOW for n in range(1, 12)]
    assert waits[0] == rules.FIRST_RETRY
    assert waits == sorted(waits)
    assert waits[-1] == rules.LONGEST_RETRY
    assert rules.gives_up(1, 550)
    assert not rules.gives_up(1, 451)
    assert not rules.gives_up(1, None)
    assert rules.gives_up(rules.MAX_ATTEMPTS, 451)
