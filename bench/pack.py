"""Benchmark: rendering the meeting pack of a 60-item meeting (issue: at most 3 s).

The pack's projection filled with realistic amounts of text: the agenda as a cover (60 case
items, open actions from the last meeting), then each case on a page of its own with its
summary, reasons, a progress report, three open actions, two referrals, the last decision and
the next review. Prints `BENCH pack_60_items <s> s` and `BENCH pack_seconds_per_page <s> s`
(median of 5).
"""

import gc
import io
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference.documents.pdf import render_pdf
from conference.documents.projection import (
    AgendaDocument,
    AgendaLine,
    MeetingHeader,
    OpenActionLine,
    PackAction,
    PackCase,
    PackDecision,
    PackDocument,
    PackReferral,
    PackReport,
)
from conference.meetings.models import AgendaItemKind

RUNS = 5
TEXT = (
    "The coordinator reports that the agreed measures are running; the family is engaged and "
    "school attendance has improved, with one missed appointment since the last meeting."
)
DAY = date(2026, 12, 8)


def document(items: int) -> PackDocument:
    starts = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    header = MeetingHeader(
        meeting_id=1,
        panel_code="RVT",
        panel_name="Riverton Tri-Agency Safety Conference",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        timezone="UTC",
        place="Town Hall, Room 4",
        video_link="",
        chair="Chris Chair",
        secretary="Sid Secretary",
        published_at=starts - timedelta(days=5),
        confidentiality_statement="What is said in this conference stays in this conference.",
    )
    lines = tuple(
        AgendaLine(
            number=n + 1,
            kind=AgendaItemKind.CASE,
            title="",
            reference=f"RVT-2026-{n + 1:04d}",
            withheld=False,
            risk="High",
            reasons=("Review due", "Overdue action"),
            coordinator_agency="Riverton Social Services",
            report="Submitted",
            starts_at=starts + timedelta(minutes=4 * n),
            minutes=4,
            likely_carry_over=False,
        )
        for n in range(items)
    )
    agenda = AgendaDocument(
        meeting=header,
        lines=lines,
        open_actions=tuple(
            OpenActionLine(
                reference=f"RVT-2026-{n + 1:04d}",
                text="Hold a follow-up home visit with youth work.",
                owner_agency="Riverton Youth Work",
                due_on=DAY - timedelta(days=3),
                overdue=n % 3 == 0,
            )
            for n in range(20)
        ),
        withheld_actions=0,
        changes=(),
        total_minutes=4 * items,
        length_minutes=240,
        published=True,
    )
    cases = tuple(
        PackCase(
            number=n + 1,
            reference=f"RVT-2026-{n + 1:04d}",
            title="",
            reasons=("Review due", "Overdue action"),
            status="Open",
            risk="High",
            concern="Unclear",
            coordinator="Sol Social",
            coordinator_agency="Riverton Social Services",
            lead_agency="Riverton Police",
            referred_on=DAY - timedelta(days=120),
            repeat_referral=n % 7 == 0,
            report=PackReport(rag="At risk", summary=TEXT, submitted_on=DAY - timedelta(days=4)),
            actions=tuple(
                PackAction(
                    text="Check in with the family and the school.",
                    owner_agency="Riverton Police",
                    due_on=DAY + timedelta(days=k),
                    status="In progress",
                    overdue=k == 0,
                )
                for k in range(3)
            ),
            decision=PackDecision(
                meeting_on=DAY - timedelta(days=14),
                kind="Support measure",
                text="Continue the agreed support; coordinator to involve youth work.",
                outcome="Adopted",
            ),
            next_review_on=DAY + timedelta(days=28),
            referrals=(
                PackReferral(
                    service="Exit Riverton",
                    kind="Exit programme",
                    status="Support started",
                    guided=True,
                    since=DAY - timedelta(days=20),
                    outcome="",
                ),
                PackReferral(
                    service="Family counselling",
                    kind="Family counselling",
                    status="Ended",
                    guided=False,
                    since=DAY - timedelta(days=40),
                    outcome="Completed",
                ),
            ),
        )
        for n in range(items)
    )
    return PackDocument(agenda=agenda, cases=cases, reader_agency="")


def main() -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    gc.freeze()  # as wsgi.py does once the app is built
    with app.app_context(), app.test_request_context():
        doc = document(60)
        render_pdf("documents/pack.html", document=doc)  # fonts and styles warmed
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            body = render_pdf("documents/pack.html", document=doc)
            timings.append(time.perf_counter() - started)
        reader = PdfReader(io.BytesIO(body))
        pages = len(reader.pages)
        median = sorted(timings)[len(timings) // 2]  # bench/statistics.py shadows the module
        print(f"# 60 items, {pages} pages, {len(reader.outline)} bookmarks")
        print(f"BENCH pack_60_items {median:.2f} s")
        print(f"BENCH pack_seconds_per_page {median / pages:.3f} s")


if __name__ == "__main__":
    main()
