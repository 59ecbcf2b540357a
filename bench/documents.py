"""Benchmark: the agenda PDF from the cache of rendered documents, and rendered for the first time.

Loads the demo into a throw-away SQLite database, signs the police officer in and downloads the
agenda of the demo meeting with the most items through the real route (permission check, the
reader's projection and HTML, the cache lookup, the audit record). Prints (medians):
`BENCH agenda_pdf_uncached_ms <ms> ms` (the cache emptied before each of 5 downloads, the render
done in the request: what the first reader used to wait for on a web worker),
`BENCH agenda_pdf_cached_ms <ms> ms` (30 downloads of the cached copy) and
`BENCH agenda_pdf_being_prepared_ms <ms> ms` (what an uncached request costs the web worker now
that the render runs in a process of its own: the "being prepared" page).
"""

import sys
import tempfile
import time
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference.db import utcnow
from conference.demo import DEMO_PASSWORD, seed
from conference.documents.models import RenderedDocument
from conference.extensions import db
from conference.meetings.models import AgendaItem
from config import database_url

UNCACHED, CACHED, PREPARED = 5, 30, 10


def median(values: list[float]) -> float:
    # bench/statistics.py shadows the standard module for the scripts beside it
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-documents-")
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url(f"sqlite:///{folder}/bench.db")
    )
    app.config["DOCUMENT_RENDERER"] = "inline"
    with app.app_context():
        flask_migrate.upgrade()
        seed(utcnow())
        db.session.commit()
        meeting_id = db.session.scalar(
            sa.select(AgendaItem.meeting_id)
            .group_by(AgendaItem.meeting_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
        items = db.session.scalar(
            sa.select(sa.func.count()).where(AgendaItem.meeting_id == meeting_id)
        )

    def empty_cache() -> None:
        with app.app_context():
            db.session.execute(sa.delete(RenderedDocument))
            db.session.commit()

    client = app.test_client()
    client.post("/login", data={"email": "police@example.org", "password": DEMO_PASSWORD})
    url = f"/meetings/{meeting_id}/agenda.pdf"

    def timed(expected: int) -> float:
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        assert response.status_code == expected, response.status_code
        return took

    uncached = []
    for _ in range(UNCACHED):
        empty_cache()
        uncached.append(timed(200))
    cached = [timed(200) for _ in range(CACHED)]
    app.config["DOCUMENT_RENDERER"] = "deferred"
    prepared = []
    for _ in range(PREPARED):
        empty_cache()
        prepared.append(timed(202))
    print(f"# agenda of {items} items", file=sys.stderr)
    print(f"BENCH agenda_pdf_uncached_ms {median(uncached) * 1000:.1f} ms")
    print(f"BENCH agenda_pdf_cached_ms {median(cached) * 1000:.1f} ms")
    print(f"BENCH agenda_pdf_being_prepared_ms {median(prepared) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
