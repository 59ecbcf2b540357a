"""Benchmark: rendering the minutes of a 60-item meeting (issue: at most 2.0 s).

The content is the minutes projection's shape, filled with realistic amounts of text: each
item with its reasons, a progress summary, facts, an assessment, two recommendations (one with
positions), a coordinator, two actions and a review date; 12 attendees; 20 actions under review.
Prints `BENCH minutes_60_items <s> s` and `BENCH minutes_seconds_per_page <s> s` (median of 5).
"""

import gc
import io
import sys
import time
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app
from conference.minutes.archive import render_minutes

RUNS = 5
TEXT = (
    "The coordinator reports that the agreed measures are running; the family is engaged and "
    "school attendance has improved, with one missed appointment since the last meeting."
)


def _median(values: list[float]) -> float:
    """(Not statistics.median: bench/statistics.py hides the standard library's module.)"""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def content(items: int) -> dict:
    return {
        "document_id": "00000000-0000-0000-0000-000000000000",
        "version": 1,
        "amendment_reason": "",
        "panel": {"code": "RVT", "name": "Riverton Tri-Agency Safety Conference"},
        "meeting": {
            "date": "8 Dec 2026",
            "starts": "10:00",
            "ends": "14:00",
            "place": "Town Hall, Room 4",
            "chair": "Chris Chair",
            "secretary": "Sid Secretary",
        },
        "confidentiality_statement": "What is said in this conference stays in this conference.",
        "attendance": [
            {
                "agency": f"Agency {n % 6}",
                "agency_id": n % 6,
                "name": f"Member {n}",
                "observer": n == 11,
                "status": "Present",
                "present": True,
                "arrived": "10:30" if n == 3 else "",
                "left": "",
                "acknowledged": True,
            }
            for n in range(12)
        ],
        "action_review": [
            {
                "reference": f"RVT-2026-{n:04d}",
                "text": "Hold a follow-up home visit with youth work.",
                "owner_agency": "Riverton Youth Work",
                "owner_agency_id": 5,
                "due_on": "2 Dec 2026",
                "status": "Done",
                "still_open": False,
                "note": "First appointment took place.",
            }
            for n in range(20)
        ],
        "items": [
            {
                "number": n + 1,
                "kind": "case",
                "reference": f"RVT-2026-{n + 1:04d}",
                "title": "",
                "reasons": ["Review due", "Overdue action"],
                "report": {"rag": "At risk", "summary": TEXT},
                "facts": "Two appointments kept; one missed; new concerns from school.",
                "assessment": TEXT,
                "assessed_risk": "High",
                "outcome": "Discussed",
                "recommendations": [
                    {
                        "kind": "Support measure",
                        "text": "Continue the agreed support; coordinator to involve youth work.",
                        "outcome": "Adopted",
                        "unanimous": True,
                        "positions": [],
                    },
                    {
                        "kind": "Referral to a service",
                        "text": "Refer to the exit programme with a guided first appointment.",
                        "outcome": "Not adopted",
                        "unanimous": False,
                        "positions": [
                            {"agency": "Police", "agency_id": 1, "stance": "Agree", "reason": ""},
                            {
                                "agency": "Prosecutor",
                                "agency_id": 2,
                                "stance": "Object",
                                "reason": "Not yet proportionate.",
                            },
                        ],
                    },
                ],
                "coordinator": {"name": "Sol Social", "agency": "Riverton Social Services"},
                "actions": [
                    {"owner_agency": "Police", "due_on": "15 Dec 2026", "text": "Check in."},
                    {"owner_agency": "Youth Work", "due_on": "20 Dec 2026", "text": "Mentor."},
                ],
                "next_review_on": "5 Jan 2027",
                "agency_ids": [1, 2, 5],
            }
            for n in range(items)
        ],
        "next_meeting": "22 Dec 2026",
        "distribution": {"full": ["Municipality", "Police", "Prosecutor"], "extracts": ["NGO"]},
        "agencies": {"1": "Police"},
        "extract": None,
    }


def main() -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    gc.freeze()  # as wsgi.py does once the app is built
    with app.app_context(), app.test_request_context():
        doc = content(60)
        render_minutes(doc, locale="en")  # fonts and styles warmed, as in a running worker
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            body = render_minutes(doc, locale="en")
            timings.append(time.perf_counter() - started)
        pages = len(PdfReader(io.BytesIO(body)).pages)
        median = _median(timings)
        print(f"# 60 items, {pages} pages")
        print(f"BENCH minutes_60_items {median:.2f} s")
        print(f"BENCH minutes_seconds_per_page {median / pages:.3f} s")


if __name__ == "__main__":
    main()
