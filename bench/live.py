"""Benchmark: what the live meeting costs the server while members follow it.

Loads the demo (its Riverton sitting in progress) into a throw-away SQLite database, signs the
police officer in and times the live page's poll: the conditional request answered 304 while
nothing changed (what nearly every poll is), and the full state after a change. Prints
`BENCH live_poll_304 <ms> ms`, `BENCH live_poll_304_queries <n> queries` and
`BENCH live_state_200 <ms> ms` (medians of 200 and 50 requests), and what 30 members polling
every 3 s ask of one worker: `BENCH live_poll_load_30_members <percent> %`.
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
from conference.extensions import db
from conference.meetings.models import Meeting, MeetingStatus
from config import database_url

POLLS, RENDERS = 200, 50


def _median(values: list[float]) -> float:
    """(Not statistics.median: bench/statistics.py hides the standard library's module.)"""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-live-")
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url(f"sqlite:///{folder}/bench.db")
    )
    with app.app_context():
        flask_migrate.upgrade()
        seed(utcnow())
        db.session.commit()
        meeting_id = db.session.scalar(
            sa.select(Meeting.id).where(Meeting.status == MeetingStatus.IN_PROGRESS)
        )
    client = app.test_client()
    client.post("/login", data={"email": "police@example.org", "password": DEMO_PASSWORD})
    url = f"/meetings/{meeting_id}/live/state"
    tag = client.get(url).headers["ETag"]

    statements = []
    with app.app_context():
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        timings = []
        for _ in range(POLLS):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url, headers={"If-None-Match": tag})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 304, response.status_code
        queries = len(statements)
    renders = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        response = client.get(url)
        renders.append(time.perf_counter() - started)
        assert response.status_code == 200
    poll = _median(timings)
    print(f"BENCH live_poll_304 {poll * 1000:.2f} ms")
    print(f"BENCH live_poll_304_queries {queries} queries")
    print(f"BENCH live_state_200 {_median(renders) * 1000:.2f} ms")
    # 30 members, one poll every 3 s each: the share of one worker's time spent answering.
    print(f"BENCH live_poll_load_30_members {poll * 30 / 3 * 100:.1f} %")


if __name__ == "__main__":
    main()
