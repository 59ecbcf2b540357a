"""Benchmark: audit events recorded by 8 threads at once (issue: auditing at the speed of reading).

Each thread stands for a web worker serving audited requests: in its own app context and
session it records one event, spends a few milliseconds on the rest of the request (reading the
case, rendering the page: `REQUEST_MS`, spent waiting as a request mostly does), then commits.
Prints `BENCH audit_events_per_s_8_threads <n> events/s`, and the same without the rest of the
request (`..._bare`), after checking that every event took its own place in the chain; a run in
which a thread failed (SQLite's single writer can time out: "database is locked") says so in a
comment line instead.

SQLite in a temporary file by default. To run it on PostgreSQL, point BENCH_DATABASE_URL at a
database of its own whose name contains "bench" (it drops every table there), e.g.
`createdb -h 127.0.0.1 -U postgres bench_audit &&
BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_audit .venv/bin/python bench/audit.py`.
"""

import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference.audit.models import AuditEvent
from conference.audit.services import record_event
from conference.extensions import db
from config import database_url

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
THREADS = 8
EVENTS_PER_THREAD = 100
REQUEST_MS = 5


def _reset_schema() -> None:
    existing = sa.MetaData()
    existing.reflect(db.engine)
    existing.drop_all(db.engine)
    flask_migrate.upgrade()


def _worker(app: Flask, thread: int, request_seconds: float, errors: list[BaseException]) -> None:
    try:
        with app.app_context():
            for n in range(EVENTS_PER_THREAD):
                record_event(
                    "case.restricted_viewed",
                    actor=None,
                    now=NOW,
                    object_type="case",
                    object_id=thread * EVENTS_PER_THREAD + n,
                    detail={"section": "subject"},
                )
                time.sleep(request_seconds)  # the rest of the request, before its commit
                db.session.commit()
            db.session.remove()
    except BaseException as error:  # reported by the main thread
        errors.append(error)


def events_per_second(app: Flask, request_ms: float) -> float | None:
    """Events per second recorded by THREADS threads at once, each event its own commit; None
    (and why, printed) when a thread failed."""
    with app.app_context():
        db.session.execute(sa.delete(AuditEvent))
        db.session.commit()
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_worker, args=(app, t, request_ms / 1000, errors))
        for t in range(THREADS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:  # e.g. SQLite's single writer: "database is locked" after its busy timeout
        reason = str(errors[0]).splitlines()[0]
        print(f"# {len(errors)} of {THREADS} threads failed ({request_ms} ms): {reason}")
        return None
    with app.app_context():
        seqs = db.session.scalars(sa.select(AuditEvent.seq).where(AuditEvent.seq.is_not(None)))
        placed = len(set(seqs))
        db.session.remove()
    total = THREADS * EVENTS_PER_THREAD
    if placed != total:
        sys.exit(f"only {placed} of {total} events took a place in the chain")
    return total / elapsed


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and "bench" not in (sa.make_url(url).database or "").lower():
        sys.exit("BENCH_DATABASE_URL must name a database of its own: 'bench' in its name")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=database_url(url or f"sqlite:///{Path(tmp) / 'bench.db'}"),
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2},
            EXPORTS_DIR=tmp,
        )
        with app.app_context():
            _reset_schema()
        print(f"# {THREADS} threads x {EVENTS_PER_THREAD} events, {REQUEST_MS} ms of request each")
        for name, request_ms in (("", REQUEST_MS), ("_bare", 0)):
            rate = events_per_second(app, request_ms)
            if rate is not None:
                print(f"BENCH audit_events_per_s_8_threads{name} {rate:.0f} events/s")
        with app.app_context():
            if url:
                _reset_schema()
            db.engine.dispose()


if __name__ == "__main__":
    main()
