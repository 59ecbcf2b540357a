"""The routes for machines: liveness, readiness and the metrics scrape. No sign-in, no session,
no audit, and nothing said beyond a word or two (no versions, no error text)."""

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from conference.extensions import db
from conference.observability import metrics

bp = Blueprint("ops", __name__)

HEADS = "conference.migration_heads"
METRICS_NETWORKS = "conference.metrics_networks"


def migration_heads(directory: str | Path) -> frozenset[str]:
    """The head revisions of the migration scripts in `directory`."""
    config = Config()
    config.set_main_option("script_location", str(directory))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def init_app(app: Flask) -> None:
    """Register the routes; the schema's head and the allowed networks are worked out once."""
    app.extensions[HEADS] = migration_heads(app.extensions["migrate"].directory)
    app.extensions[METRICS_NETWORKS] = metrics.parse_networks(app.config["METRICS_ALLOW"])
    app.register_blueprint(bp)


def _plain(text: str, status: int = 200) -> Response:
    response = Response(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return _plain("ok")


@bp.get("/readyz")
def readyz() -> Response:
    """The database answers and its schema is the one this code expects."""
    try:
        with db.engine.connect() as connection:
            revisions = set(
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            )
    except sa.exc.SQLAlchemyError:
        return _plain("not ready: database", 503)
    if revisions != current_app.extensions[HEADS]:
        return _plain("not ready: schema", 503)
    return _plain("ready")


@bp.get("/metrics", endpoint="metrics")
def scrape() -> Response:
    """Prometheus's scrape, for the addresses in METRICS_ALLOW; a 404 for everyone else."""
    if not metrics.address_allowed(request.remote_addr, current_app.extensions[METRICS_NETWORKS]):
        return _plain("Not Found", 404)
    response = Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
