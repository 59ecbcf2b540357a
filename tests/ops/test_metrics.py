"""Prometheus metrics at /metrics: only for METRICS_ALLOW, labels without personal data, and the
series move when requests, jobs, mail, sign-ins and documents happen."""

import socket
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from conference.documents.pdf import html_to_pdf
from conference.extensions import db
from conference.scheduler import run_job
from tests.conftest import second_app
from tests.factories import NOW, NotificationFactory
from tests.worlds import add_restricted_records, build_world

Samples = dict[tuple[str, frozenset], float]


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_endpoint_and_status_with_their_time(client) -> None:
    before = scrape(client)
    client.get("/login")
    client.get("/login")
    client.get("/no/such/page")
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    login = {"endpoint": "auth.login", "method": "GET"}
    assert moved("conference_http_requests_total", **login, status="200") == 2
    assert moved("conference_http_request_duration_seconds_count", **login) == 2
    assert moved("conference_http_request_duration_seconds_bucket", **login, le="+Inf") == 2
    assert moved("conference_http_request_duration_seconds_sum", **login) > 0
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "302"}
    assert moved("conference_http_requests_total", **unmatched) == 1


def test_labels_carry_endpoints_never_references_or_names(client, login) -> None:
    world = build_world()
    add_restricted_records(world)
    case = world.cases["plain"]
    login(world.users["chair"])
    client.get(f"/cases/{case.reference}")
    client.get(f"/cases/{case.reference}/restricted")

    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="cases.restricted"' in text
    for secret in (case.reference, case.subject.full_name, world.users["chair"].email):
        assert secret not in text


def test_metrics_are_a_404_for_addresses_outside_metrics_allow(app: Flask) -> None:
    outsider = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert outsider.status_code == 404
    assert b"conference_" not in outsider.data

    with second_app(app, METRICS_ALLOW="10.20.0.0/16, 192.0.2.5") as other:
        client = other.test_client()
        assert client.get("/metrics").status_code == 404  # loopback is no longer listed
        for address in ("10.20.3.4", "192.0.2.5", "::ffff:10.20.0.1"):
            response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
            assert response.status_code == 200, address
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.21.0.1"}).status_code == 404


def test_a_malformed_metrics_allow_stops_the_app_at_start(app: Flask) -> None:
    with (
        pytest.raises(RuntimeError, match="METRICS_ALLOW"),
        second_app(app, METRICS_ALLOW="10.0.0.300"),
    ):
        pass


def test_failed_sign_ins_are_counted(client) -> None:
    user = build_world().users["police"]
    before = value(scrape(client), "conference_sign_in_failures_total")
    for _ in range(2):
        response = client.post("/login", data={"email": user.email, "password": "wrong one"})
        assert response.status_code == 401
    assert value(scrape(client), "conference_sign_in_failures_total") - before == 2


def test_job_runs_failures_and_mail_are_counted(app: Flask, client, smtp_server) -> None:
    messages, port = smtp_server
    user = build_world().users["police"]
    NotificationFactory(user_id=user.id, title="Action due: RVT-2026-0001")
    NotificationFactory(user_id=user.id, title="Action due: RVT-2026-0002")
    db.session.commit()
    before = scrape(client)
    assert value(before, "conference_mail_waiting") == 2

    with socket.socket() as closed:  # a port where no mail server listens
        closed.bind(("127.0.0.1", 0))
        nowhere = closed.getsockname()[1]
    with (
        second_app(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=nowhere) as broken,
        broken.app_context(),
    ):
        assert run_job("email-delivery", NOW) == 0  # the server is away: tried once, kept
        db.session.remove()
    later = NOW + timedelta(minutes=3)  # past the wait before the next try
    with second_app(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=port) as mailer, mailer.app_context():
        assert run_job("email-delivery", later) == 2
        db.session.remove()
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert len(messages) == 2
    assert moved("conference_job_runs_total", job="email-delivery") == 2
    assert moved("conference_job_failures_total", job="email-delivery") == 0
    assert moved("conference_job_duration_seconds_count", job="email-delivery") == 2
    assert moved("conference_mail_failed_total") == 1
    assert moved("conference_mail_sent_total") == 2
    assert value(after, "conference_mail_waiting") == 0


def test_documents_rendered_are_counted_and_timed(app: Flask, client) -> None:
    before = scrape(client)
    pdf = html_to_pdf("<h1>Agenda</h1>")
    assert pdf.startswith(b"%PDF")
    after = scrape(client)
    assert (
        value(after, "conference_documents_rendered_total")
        - value(before, "conference_documents_rendered_total")
        == 1
    )
    assert (
        value(after, "conference_document_render_seconds_count")
        - value(before, "conference_document_render_seconds_count")
        == 1
    )
    assert value(after, "conference_document_render_seconds_sum") > value(
        before, "conference_document_render_seconds_sum"
    )
