"""What an operator sees of the running service: request ids and JSON logs, Prometheus metrics,
liveness and readiness."""

import logging
from collections.abc import Iterable

from flask import Flask

from conference.observability import health, logs
from conference.observability.logs import SESSIONLESS_ENDPOINTS

__all__ = ["SESSIONLESS_ENDPOINTS", "init_app"]


def init_app(app: Flask, *, log_filters: Iterable[logging.Filter] = ()) -> None:
    """Set up logging (with any further filters, such as redaction), the request id and request
    line on every request, and the health and metrics routes. Call it before any other
    before_request hook is registered, so that every request, even one refused early, has its id."""
    logs.configure_logging(app, filters=log_filters)
    app.before_request(logs.start_request)
    app.after_request(logs.finish_request)
    health.init_app(app)
