"""Logs an operator can use: one JSON object per line, each request with its id, route, status,
duration and the user's id. Never a path (paths carry case references), a name, an e-mail address
or form content: the request line is built from the route's rule and the endpoint only."""

import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user
from pythonjsonlogger.json import JsonFormatter

from conference.observability import metrics

# An incoming X-Request-ID (from the proxy or the load balancer) is kept only when it looks like
# an id; anything else is replaced, so a client cannot put text of its choosing into the logs.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
REQUEST_ID_HEADER = "X-Request-ID"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Endpoints that never load the signed-in user or touch the session (probes and scrapes).
SESSIONLESS_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})
# Probes arrive every few seconds: their request lines are written at DEBUG.
QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})

request_log = logging.getLogger("conference.request")


class RequestContextFilter(logging.Filter):
    """Adds the current request's id (or None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT: "json" (one object per line) or "text" (for people)."""
    if log_format == "json":
        return JsonFormatter(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}.")


def make_handler(
    log_format: str, *, stream: TextIO | None = None, filters: Iterable[logging.Filter] = ()
) -> logging.Handler:
    """A stream handler (stderr by default) in the given format, with the request id filter and
    any further filters (such as the redaction filter) applied before anything is written."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestContextFilter())
    for extra in filters:
        handler.addFilter(extra)
    handler._conference = True  # type: ignore[attr-defined]  # ours, replaced on a new app
    return handler


def configure_logging(app: Flask, filters: Iterable[logging.Filter] = ()) -> None:
    """Send every logger's records through one handler of ours on the root logger, unless
    something else (a test runner, a host's logging config) has already set the root up."""
    logging.getLogger("conference").setLevel(app.config["LOG_LEVEL"])
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_conference", False)]
    if len(ours) < len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    root.addHandler(make_handler(app.config["LOG_FORMAT"], filters=filters))
    # The development server logs every path (with the references in it); our request line
    # says the same without them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def start_request() -> None:
    """Give the request its id and start its clock."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    """Return the id to the client, write the request line and count the request."""
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint
    rule = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(endpoint, request.method, response.status_code, seconds)
    fields: dict[str, Any] = {
        "request_id": request_id,
        "route": rule,
        "endpoint": endpoint,
        "method": request.method,
        "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": _user_id(endpoint),
    }
    level = logging.DEBUG if endpoint in QUIET_ENDPOINTS else logging.INFO
    request_log.log(
        level,
        "%s %s %s %.1f ms",
        request.method,
        rule or "(no route)",
        response.status_code,
        fields["duration_ms"],
        extra=fields,
    )
    return response


def _user_id(endpoint: str | None) -> int | None:
    """The signed-in user's id, without loading anyone on the endpoints that must not."""
    if endpoint in SESSIONLESS_ENDPOINTS or not current_user.is_authenticated:
        return None
    return int(current_user.get_id())
