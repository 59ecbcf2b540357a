"""Benchmark: a panel's statistics on a national register (issue 19: 1000 ms for 100,000 cases).

Builds a throw-away database with one panel holding 100,000 cases referred over three years,
with their referrals and lifecycle, a sitting every two weeks (each case discussed at three),
two actions per case, coordinators and progress reports, then times every figure of the
statistics page for the year (the SQL and the suppression, not the charts) and prints the
median of five:

    BENCH statistics_100k_cases <ms> ms         (SQLite)
    BENCH statistics_100k_cases_pg <ms> ms      (PostgreSQL, with BENCH_DATABASE_URL)

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
from typing import Any

import flask_migrate
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference import models as m
from conference.actions.models import ActionStatus, RagStatus
from conference.cases.models import (
    AgeBand,
    CaseStatus,
    ConcernCategory,
    ReferralSource,
    RiskLevel,
)
from conference.extensions import db
from conference.meetings.models import (
    AgendaItemKind,
    AttendanceStatus,
    ItemOutcome,
    MeetingStatus,
)
from conference.panels.models import AgencyTier, PanelRole
from conference.statistics import charts
from conference.statistics.queries import gather
from conference.statistics.report import statistics_view
from conference.statistics.rules import year_period
from config import database_url

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CASES = 100_000
FIRST_DAY = date(2024, 1, 1)
RUNS = 5
BATCH = 20_000


def _reset_schema() -> None:
    existing = sa.MetaData()
    existing.reflect(db.engine)
    existing.drop_all(db.engine)
    flask_migrate.upgrade()


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(model), rows[start : start + BATCH])


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed(rng: random.Random) -> m.Panel:
    """One panel with CASES cases and everything the statistics count about them."""
    agencies = [m.Agency(code=f"BA{n}", name=f"Bench agency {n}", kind="police") for n in range(6)]
    panel = m.Panel(code="BST", name="Bench statistics", created_at=NOW)
    db.session.add_all([*agencies, panel])
    db.session.flush()
    for n, agency in enumerate(agencies):
        tier = AgencyTier.CORE if n < 3 else AgencyTier.PARTNER
        db.session.add(m.PanelAgency(panel_id=panel.id, agency_id=agency.id, tier=tier))
    users = [
        m.User(
            email=f"bench{n}@example.org",
            name=f"Bench member {n}",
            agency_id=agency.id,
            password_hash="not-a-real-hash",  # noqa: S106 - nobody signs in to the benchmark
            created_at=NOW,
        )
        for n, agency in enumerate(agencies)
    ]
    db.session.add_all(users)
    db.session.flush()
    for n, user in enumerate(users):
        role = PanelRole.CHAIR if n == 0 else PanelRole.MEMBER
        db.session.add(m.Membership(panel_id=panel.id, user_id=user.id, role=role, since=FIRST_DAY))

    # Sittings every two weeks from the first day until now.
    sittings = []
    day = FIRST_DAY + timedelta(days=1)
    while _at(day) < NOW:
        sittings.append(day)
        day += timedelta(weeks=2)
    meeting_rows = [
        {
            "panel_id": panel.id,
            "starts_at": _at(day),
            "ends_at": _at(day, 11),
            "status": MeetingStatus.MINUTES_SIGNED,
            "created_at": _at(day),
        }
        for day in sittings
    ]
    _insert(m.Meeting, meeting_rows)
    meeting_ids = db.session.scalars(
        sa.select(m.Meeting.id).where(m.Meeting.panel_id == panel.id).order_by(m.Meeting.starts_at)
    ).all()
    _insert(
        m.Attendance,
        [
            {
                "meeting_id": meeting_id,
                "user_id": user.id,
                "agency_id": user.agency_id,
                "status": rng.choices(list(AttendanceStatus)[1:], weights=[85, 10, 5])[0],
            }
            for meeting_id in meeting_ids
            for user in users
        ],
    )

    base_id = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(m.Case.id), 0))) + 1
    span = (NOW.date() - FIRST_DAY).days
    cases, referrals, steps, items, actions, reports, coordinators = [], [], [], [], [], [], []
    for n in range(CASES):
        case_id = base_id + n
        received = FIRST_DAY + timedelta(days=rng.randrange(span))
        referred_at = _at(received, 10)
        first = next(
            (i for i, day in enumerate(sittings) if day > received + timedelta(days=3)), None
        )
        fate = rng.random()
        status = CaseStatus.REFERRED
        closed_at = None
        steps.append(
            {"case_id": case_id, "to_status": CaseStatus.REFERRED, "changed_at": referred_at}
        )
        if first is not None:
            opened_at = _at(sittings[first], 12)
            if fate < 0.05:
                status = CaseStatus.DECLINED
                steps.append({"case_id": case_id, "to_status": status, "changed_at": opened_at})
            else:
                status = CaseStatus.OPEN
                steps.append({"case_id": case_id, "to_status": status, "changed_at": opened_at})
                coordinator = rng.choice(users)
                coordinators.append(
                    {
                        "case_id": case_id,
                        "user_id": coordinator.id,
                        "agency_id": coordinator.agency_id,
                        "started_at": opened_at,
                    }
                )
                discussed = [first + k * rng.randint(2, 8) for k in range(3)]
                # (A case comes up once a sitting: one report per case and sitting.)
                discussed = sorted({i for i in discussed if i < len(sittings)})
                closes = fate < 0.65 and len(discussed) == 3
                for k, i in enumerate(discussed):
                    items.append(
                        {
                            "meeting_id": meeting_ids[i],
                            "kind": AgendaItemKind.CASE,
                            "case_id": case_id,
                            "position": k + 2,
                            "outcome": rng.choices(list(ItemOutcome), weights=[90, 4, 2, 4])[0],
                        }
                    )
                    if k:
                        reports.append(
                            {
                                "case_id": case_id,
                                "meeting_id": meeting_ids[i],
                                "author_id": coordinator.id,
                                "rag": rng.choices(list(RagStatus), weights=[70, 20, 10])[0],
                                "summary": "Bench report",
                                "created_at": _at(sittings[i]),
                                "submitted_at": _at(sittings[i] - timedelta(days=rng.randint(0, 6)))
                                if rng.random() < 0.9
                                else None,
                            }
                        )
                for _ in range(2):
                    due = sittings[first] + timedelta(days=rng.randint(10, 60))
                    state = rng.choices(
                        [ActionStatus.DONE, ActionStatus.OPEN, ActionStatus.NOT_POSSIBLE],
                        weights=[85, 10, 5],
                    )[0]
                    actions.append(
                        {
                            "case_id": case_id,
                            "text": "Bench action",
                            "owner_agency_id": rng.choice(agencies).id,
                            "due_on": due,
                            "status": state,
                            "created_at": opened_at,
                            "created_by_id": users[0].id,
                            "completed_at": _at(due + timedelta(days=rng.randint(-9, 9)))
                            if state is ActionStatus.DONE
                            else None,
                        }
                    )
                if closes:
                    status = CaseStatus.CLOSED
                    closed_at = _at(sittings[discussed[-1]], 12)
                    steps.append({"case_id": case_id, "to_status": status, "changed_at": closed_at})
        cases.append(
            {
                "id": case_id,
                "panel_id": panel.id,
                "reference": f"BST-{received.year}-{n + 1:06d}",
                "ref_year": received.year,
                "ref_number": n + 1,
                "status": status,
                "concern_category": rng.choice(list(ConcernCategory)),
                "risk_level": rng.choice(list(RiskLevel)),
                "is_repeat_referral": rng.random() < 0.08,
                "age_band": rng.choices(list(AgeBand), weights=[25, 70, 5])[0],
                "referred_at": referred_at,
                "closed_at": closed_at,
                "created_at": referred_at,
                "updated_at": referred_at,
            }
        )
        referrals.append(
            {
                "case_id": case_id,
                "source": rng.choice(list(ReferralSource)),
                "received_on": received,
                "referred_by_id": users[0].id,
                "referring_agency_id": rng.choice(agencies).id,
                "narrative": "Bench referral",
                "created_at": referred_at,
            }
        )
    for model, rows in (
        (m.Case, cases),
        (m.Referral, referrals),
        (m.CaseStatusChange, steps),
        (m.CoordinatorAssignment, coordinators),
        (m.AgendaItem, items),
        (m.Action, actions),
        (m.ProgressReport, reports),
    ):
        _insert(model, rows)
        print(f"# {len(rows)} rows of {model.__tablename__}")
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")  # fresh planner statistics, as autovacuum keeps them
    return panel


def time_figures(panel_id: int) -> tuple[float, float]:
    """The median wall time of every figure of the page (SQL and suppression), and of drawing
    the charts once, in ms."""
    timings, processor = [], []
    view = None
    for _ in range(RUNS):
        db.session.expunge_all()
        panel = db.session.get(m.Panel, panel_id)
        started, cpu = time.perf_counter(), time.process_time()
        figures = gather(panel, year_period(2026), NOW)
        view = statistics_view(figures, panel_name=panel.name, panel_code=panel.code, threshold=5)
        timings.append((time.perf_counter() - started) * 1000)
        processor.append((time.process_time() - cpu) * 1000)
        if os.environ.get("BENCH_PROFILE"):  # outside the timed span: the profile runs it all again
            _profile(panel)
        db.session.rollback()
    # On SQLite the work is in this process: its CPU time is what a quiet machine would take.
    print(f"# this process's CPU time for the figures: {sorted(processor)[RUNS // 2]:.0f} ms")
    assert view is not None
    charts.render_charts(view)  # matplotlib loads once, as in a running server
    started = time.perf_counter()
    charts.render_charts(view)
    # (Not the statistics module: this file's own name hides it.)
    return sorted(timings)[len(timings) // 2], (time.perf_counter() - started) * 1000


def _profile(panel: m.Panel) -> None:
    """Each statement's own time, for finding the slow one (BENCH_PROFILE=1)."""
    from conference.statistics import queries

    scope = queries.scope_for(panel, year_period(2026), NOW)
    for build in queries.STATEMENTS:
        started = time.perf_counter()
        db.session.execute(build(scope)).all()
        print(f"#   {build.__name__}: {(time.perf_counter() - started) * 1000:.0f} ms")


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
            started = time.perf_counter()
            panel = seed(rng)
            print(f"# built in {time.perf_counter() - started:.0f} s")
            median, drawing = time_figures(panel.id)
            print(f"# the page's eight charts drawn in {drawing:.0f} ms")
            print(f"BENCH statistics_100k_cases{suffix} {median:.1f} ms")
            db.session.remove()
            if url:
                _reset_schema()
            db.engine.dispose()


if __name__ == "__main__":
    main()
