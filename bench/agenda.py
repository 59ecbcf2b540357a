"""Benchmark: building a meeting's agenda from a large caseload (issue: 300 ms for 10,000 cases).

Builds a throw-away database with one panel holding N open cases, 5 actions per case, progress
reports and a history of past meetings, then times `build_agenda` (read the facts, decide, write
the items) and rolls it back. Prints `BENCH <name> <value> <unit>` lines.

SQLite in a temporary file by default. To run it on PostgreSQL, point BENCH_DATABASE_URL at a
database of its own whose name contains "bench" (it drops every table there), e.g.
`createdb bench && BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench make bench`.
"""

import gc
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference import models as m
from conference.actions.models import ActionStatus, RagStatus
from conference.cases.models import CaseStatus, ConcernCategory, RiskLevel
from conference.extensions import db
from conference.meetings.models import AgendaItemKind, ItemOutcome, MeetingStatus
from conference.meetings.services.agenda import build_agenda
from conference.panels.models import AgencyTier, PanelRole
from config import database_url

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ACTIONS_PER_CASE = 5
RUNS = 7
SIZES = (("1k", 1_000), ("10k", 10_000), ("100k", 100_000))


def _reset_schema() -> None:
    existing = sa.MetaData()
    existing.reflect(db.engine)
    existing.drop_all(db.engine)
    flask_migrate.upgrade()


def seed(code: str, cases: int, rng: random.Random) -> m.Meeting:
    """A panel with `cases` open cases and everything the builder reads about them."""
    agencies = [m.Agency(code=f"{code}{n}", name=f"Agency {n}", kind="police") for n in range(3)]
    panel = m.Panel(code=code, name=f"Bench {code}", created_at=NOW)
    db.session.add_all([*agencies, panel])
    db.session.flush()
    for agency in agencies:
        db.session.add(m.PanelAgency(panel_id=panel.id, agency_id=agency.id, tier=AgencyTier.CORE))
    chair = m.User(
        email=f"chair-{code}@example.org",
        name="Bench Chair",
        agency_id=agencies[0].id,
        password_hash="not-a-real-hash",  # noqa: S106 - nobody signs in to the benchmark
        created_at=NOW,
    )
    db.session.add(chair)
    db.session.flush()
    db.session.add(
        m.Membership(
            panel_id=panel.id, user_id=chair.id, role=PanelRole.CHAIR, since=date(2025, 1, 1)
        )
    )
    base_id = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(m.Case.id), 0))) + 1
    statuses = [
        CaseStatus.OPEN,
        CaseStatus.MONITORING,
        CaseStatus.REFERRED,
        CaseStatus.CLOSURE_PROPOSED,
    ]
    case_rows = [
        {
            "id": base_id + n,
            "panel_id": panel.id,
            "reference": f"{code}-2026-{n + 1:05d}",
            "ref_year": 2026,
            "ref_number": n + 1,
            "status": rng.choices(statuses, weights=[60, 37, 1, 2])[0],
            "concern_category": ConcernCategory.UNCLEAR,
            "risk_level": rng.choice(list(RiskLevel)),
            "next_review_on": NOW.date() + timedelta(days=rng.randint(-3, 300)),
            "referred_at": NOW - timedelta(days=rng.randint(90, 700)),
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(cases)
    ]
    db.session.execute(sa.insert(m.Case), case_rows)
    db.session.execute(
        sa.insert(m.Subject),
        [
            {
                "case_id": row["id"],
                "full_name": "Bench Person",
                "name_key": "bench person",
                "date_of_birth": date(1990 + rng.randint(0, 20), 1, 1),
            }
            for row in case_rows
        ],
    )
    db.session.execute(
        sa.insert(m.Action),
        [
            {
                "case_id": row["id"],
                "text": "Bench action",
                "owner_agency_id": agencies[0].id,
                "due_on": NOW.date() + timedelta(days=rng.randint(-60, 90)),
                "status": rng.choices(
                    [ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.IN_PROGRESS],
                    weights=[97, 2, 1],
                )[0],
                "created_at": NOW,
                "created_by_id": chair.id,
            }
            for row in case_rows
            for _ in range(ACTIONS_PER_CASE)
        ],
    )
    db.session.execute(
        sa.insert(m.ProgressReport),
        [
            {
                "case_id": row["id"],
                "author_id": chair.id,
                "rag": rng.choices(list(RagStatus), weights=[80, 17, 3])[0],
                "summary": "Bench report",
                "discussion_requested": rng.random() < 0.02,
                "created_at": NOW,
                "submitted_at": NOW - timedelta(days=rng.randint(1, 120)),
            }
            for row in case_rows
            if rng.random() < 0.5
        ],
    )
    # Six past sittings, every two weeks: each case was discussed at one of them.
    shuffled = rng.sample(case_rows, len(case_rows))
    for sitting in range(6, 0, -1):
        starts_at = NOW - timedelta(weeks=2 * sitting)
        past = m.Meeting(
            panel_id=panel.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            status=MeetingStatus.CLOSED,
            created_at=starts_at,
        )
        db.session.add(past)
        db.session.flush()
        db.session.execute(
            sa.insert(m.AgendaItem),
            [
                {
                    "meeting_id": past.id,
                    "kind": AgendaItemKind.CASE,
                    "case_id": row["id"],
                    "position": n + 1,
                    "reasons": ["review_due"],
                    "outcome": ItemOutcome.DISCUSSED
                    if rng.random() < 0.995
                    else ItemOutcome.NOT_REACHED,
                }
                for n, row in enumerate(shuffled[sitting - 1 :: 6])
            ],
        )
    meeting = m.Meeting(
        panel_id=panel.id,
        starts_at=NOW + timedelta(days=7),
        ends_at=NOW + timedelta(days=7, hours=2),
        chair_id=chair.id,
        created_at=NOW,
    )
    db.session.add(meeting)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would keep them
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return meeting


def time_build(meeting_id: int) -> tuple[float, int]:
    """The median wall time of building the agenda, in ms, and how many items it proposed."""
    timings, items = [], 0
    for _ in range(RUNS):
        db.session.expunge_all()
        meeting = db.session.get(m.Meeting, meeting_id)
        chair = db.session.get(m.User, meeting.chair_id)
        _ = chair.current_memberships, meeting.items  # the request has these loaded already
        started = time.perf_counter()
        items = build_agenda(meeting, actor=chair, now=NOW)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    # (Not statistics.median: bench/statistics.py hides the standard library's module.)
    return sorted(timings)[len(timings) // 2], items


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and "bench" not in (sa.make_url(url).database or "").lower():
        sys.exit("BENCH_DATABASE_URL must name a database of its own: 'bench' in its name")
    suffix = "_pg" if url and url.startswith("postgresql") else ""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=database_url(url or f"sqlite:///{Path(tmp) / 'bench.db'}"),
        )
        gc.freeze()  # as wsgi.py does once the app is built
        with app.app_context(), app.test_request_context():
            _reset_schema()
            rng = random.Random(2026)  # noqa: S311 - repeatable test data, not secrets
            for name, cases in SIZES:
                meeting = seed(f"B{name.upper()}", cases, rng)
                median, items = time_build(meeting.id)
                actions = cases * ACTIONS_PER_CASE
                print(f"# {cases} open cases, {actions} actions: {items} items proposed")
                print(f"BENCH agenda_build_{name}_cases{suffix} {median:.1f} ms")
            db.session.remove()
            if url:
                _reset_schema()
            db.engine.dispose()


if __name__ == "__main__":
    main()
