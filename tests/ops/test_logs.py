"""Logs: one JSON object per line with the request's id, route, status, duration and user id;
never a reference, a name, an e-mail address or what was typed."""

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from pythonjsonlogger.json import JsonFormatter

from conference.observability import logs
from tests.conftest import make_app
from tests.worlds import add_restricted_records, build_world

Lines = Callable[[], list[dict]]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """What the production handler writes while the test runs, one parsed object per line."""
    stream = io.StringIO()
    handler = logs.make_handler("json", stream=stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def request_lines(lines: list[dict], endpoint: str) -> list[dict]:
    return [line for line in lines if line.get("endpoint") == endpoint]


def test_each_request_writes_one_line_with_id_route_status_duration_and_user(
    client, login, log_lines: Lines
) -> None:
    world = build_world()
    chair = world.users["chair"]
    reference = world.cases["plain"].reference
    login(chair)

    response = client.get(f"/cases/{reference}", headers={"X-Request-ID": "lb-7f3a9c21e0"})

    assert response.headers["X-Request-ID"] == "lb-7f3a9c21e0"
    [line] = request_lines(log_lines(), "cases.show")
    assert line["request_id"] == "lb-7f3a9c21e0"
    assert line["route"] == "/cases/<reference>"
    assert (line["method"], line["status"], line["user_id"]) == ("GET", 200, chair.id)
    assert line["level"] == "INFO"
    assert line["logger"] == "conference.request"
    assert line["time"].startswith("20")
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    assert reference not in line["message"]


def test_a_request_about_a_case_logs_no_reference_name_address_or_typed_text(
    client, login, log_lines: Lines
) -> None:
    world = build_world()
    add_restricted_records(world)
    chair = world.users["chair"]
    case = world.cases["plain"]
    login(chair)

    client.get(f"/cases/{case.reference}")
    client.get(f"/cases/{case.reference}/restricted")
    client.post(f"/cases/{case.reference}/notes", data={"note-text": "Typed-Marker-Text"})
    client.get(f"/cases/{case.reference}?q=Query-Marker")
    client.get(f"/cases/{case.reference}/no-such-page")

    written = "\n".join(json.dumps(line) for line in log_lines())
    assert len(request_lines(log_lines(), "cases.show")) == 2
    for secret in (
        case.reference,
        case.subject.full_name,
        case.referral.narrative,
        chair.name,
        chair.email,
        "Typed-Marker-Text",
        "Query-Marker",
    ):
        assert secret not in written


def test_an_unlikely_request_id_is_replaced_by_one_of_ours(client, log_lines: Lines) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "evil id\twith spaces"})
    ours = response.headers["X-Request-ID"]
    assert "evil" not in ours
    assert len(ours) == 32
    assert int(ours, 16) >= 0

    another = client.get("/healthz").headers["X-Request-ID"]
    assert another != ours


def test_an_error_page_shows_the_request_id_a_user_can_quote(client, login) -> None:
    login(build_world().users["chair"])
    response = client.get("/cases/RVT-1999-0001")
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_an_unhandled_error_is_logged_by_endpoint_and_its_page_shows_the_id(
    log_lines: Lines,
) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom/<reference>")
    def boom(reference: str) -> str:
        raise RuntimeError("something broke")

    # Reached without signing in, so that nothing but the error itself is at work.
    app.before_request_funcs[None] = [
        f for f in app.before_request_funcs[None] if f.__name__ != "require_login"
    ]
    response = app.test_client().get("/boom/RVT-2026-0042")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    lines = log_lines()
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == request_id
    assert "boom" in error["message"]
    assert "RVT-2026-0042" not in json.dumps(lines)
    [line] = request_lines(lines, "boom")
    assert (line["status"], line["route"]) == (500, "/boom/<reference>")


def test_production_logs_json_and_takes_further_filters(monkeypatch) -> None:
    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = "[redacted]", ()
            return True

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # a bare process, as under gunicorn
    app = Flask("probe")
    app.config.update(LOG_LEVEL="INFO", LOG_FORMAT="json")
    logs.configure_logging(app, filters=[Redact()])
    logs.configure_logging(app, filters=[Redact()])  # a second app replaces, never adds

    [handler] = root.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("conference.probe").info("a name: %s", "Zara Markerperson")
    record = json.loads(stream.getvalue())
    assert record["message"] == "[redacted]"
    assert record["request_id"] is None  # outside a request


def test_the_configurations_choose_json_for_production_and_text_for_development() -> None:
    from config import DevelopmentConfig, ProductionConfig

    assert ProductionConfig.LOG_FORMAT == "json"
    assert DevelopmentConfig.LOG_FORMAT == "text"
    assert isinstance(logs.make_formatter("json"), JsonFormatter)
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        logs.make_formatter("xml")
