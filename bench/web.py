"""Benchmark: the pages people use, served as in production, under load (issue: every page at
least 10 % of a bare "hello" and p99 at most 100 ms at 20 clients).

Builds the demo plus a national caseload in a PostgreSQL database of its own (10,000 cases,
50,000 actions, 5,000 reports; the Riverton police member coordinates 2,000 of them), starts
gunicorn as production does (`--preload`, 2 sync workers) and a bare Flask "hello" under the same
settings, and drives each page with wrk (20 connections). Prints for each page
`BENCH web_<page>_pct_of_hello <pct> %` and `BENCH web_<page>_p99 <ms> ms`, the restricted view
against the case page (`web_restricted_view_pct_of_case_page`), and the p95 of a cheap page while
four clients download PDFs (`web_cheap_p95_during_pdfs`).

wrk asks for the same page again and again, so after the first request it is sent as kept
(conference/pagecache.py). A second server with no page kept measures each page as made for
every request, what a first visit costs: `BENCH web_<page>_made_pct_of_hello` and `_made_p99`.

Needs PostgreSQL (BENCH_WEB_DATABASE_URL, default the local `bench_web`, created if missing; its
tables are dropped) and wrk (`make bench` installs it). BENCH_WEB_SECONDS sets each run's length.
"""

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conference import create_app  # noqa: E402
from conference import models as m  # noqa: E402
from conference.actions.models import ActionStatus, RagStatus  # noqa: E402
from conference.cases.models import CaseStatus, ConcernCategory, RiskLevel  # noqa: E402
from conference.demo import DEMO_PASSWORD, seed  # noqa: E402
from conference.extensions import db  # noqa: E402
from conference.meetings.models import MeetingStatus  # noqa: E402

URL = os.environ.get("BENCH_WEB_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_web")
SECONDS = int(os.environ.get("BENCH_WEB_SECONDS", "10"))
CASES, ACTIONS_PER_CASE, REPORTS, COORDINATED = 10_000, 5, 5_000, 2_000
CLIENTS = 20
CHAIR, POLICE = "chair@example.org", "police@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_world() -> dict[str, str]:
    """The demo and the national caseload; returns the paths the benchmark visits."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=URL)
    rng = random.Random(20)  # noqa: S311 - benchmark data
    now = datetime.now(UTC)
    with app.app_context():
        existing = sa.MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed(now)
        db.session.commit()
        panel = db.session.scalar(sa.select(m.Panel).where(m.Panel.code == "RVT"))
        police = db.session.scalar(sa.select(m.User).where(m.User.email == "police@example.org"))
        chair = db.session.scalar(sa.select(m.User).where(m.User.email == "chair@example.org"))
        first = db.session.scalar(sa.select(sa.func.max(m.Case.id))) + 1
        rows = [
            {
                "id": first + n,
                "panel_id": panel.id,
                "reference": f"RVT-2019-{n + 1:05d}",
                "ref_year": 2019,
                "ref_number": n + 1,
                "status": rng.choice([CaseStatus.OPEN, CaseStatus.MONITORING]),
                "concern_category": rng.choice(list(ConcernCategory)),
                "risk_level": rng.choice(list(RiskLevel)),
                "next_review_on": now.date() + timedelta(days=rng.randint(-3, 300)),
                "referred_at": now - timedelta(days=rng.randint(30, 700)),
                "created_at": now,
                "updated_at": now,
                **(
                    {"coordinator_id": police.id, "lead_agency_id": police.agency_id}
                    if n < COORDINATED
                    else {}
                ),
            }
            for n in range(CASES)
        ]
        db.session.execute(sa.insert(m.Case), rows)
        db.session.execute(
            sa.insert(m.Subject),
            [
                {
                    "case_id": r["id"],
                    "full_name": "Bench Person",
                    "name_key": "bench person",
                    "date_of_birth": date(1990 + rng.randint(0, 20), 1, 1),
                }
                for r in rows
            ],
        )
        db.session.execute(
            sa.insert(m.Action),
            [
                {
                    "case_id": r["id"],
                    "text": "Bench action",
                    "owner_agency_id": police.agency_id,
                    "owner_id": police.id if r["id"] - first < COORDINATED else None,
                    "due_on": now.date() + timedelta(days=rng.randint(-60, 90)),
                    "status": rng.choice([ActionStatus.OPEN, ActionStatus.DONE]),
                    "created_at": now,
                    "created_by_id": chair.id,
                }
                for r in rows
                for _ in range(ACTIONS_PER_CASE)
            ],
        )
        db.session.execute(
            sa.insert(m.ProgressReport),
            [
                {
                    "case_id": r["id"],
                    "author_id": police.id,
                    "rag": rng.choice(list(RagStatus)),
                    "summary": "Bench report",
                    "created_at": now,
                    "submitted_at": now - timedelta(days=rng.randint(1, 120)),
                }
                for r in rng.sample(rows, REPORTS)
            ],
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        sitting = db.session.scalar(
            sa.select(m.Meeting).where(
                m.Meeting.panel_id == panel.id, m.Meeting.status == MeetingStatus.IN_PROGRESS
            )
        )
        item = min(sitting.items, key=lambda i: i.position)
        case = rows[0]["reference"]
        paths = {
            "case_list": "/cases/",
            "case_page": f"/cases/{case}",
            "restricted_view": f"/cases/{case}/restricted",
            "home_chair": "/",
            "my_work_chair": "/my-work",
            "chairs_view": f"/meetings/{sitting.id}/items/{item.id}",
            "agenda_page": f"/meetings/{sitting.id}/agenda",
            "agenda_pdf": f"/meetings/{sitting.id}/agenda.pdf",
        }
        db.session.remove()
        db.engine.dispose()
    return paths


class Server:
    """gunicorn as production runs it, on a free port, until stopped."""

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - our own server
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--preload",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                target,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{target} did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def sign_in(port: int, email: str) -> str:
    """The Cookie header of a fresh session."""
    cookies: dict[str, str] = {}

    def request(method: str, path: str, form: dict[str, str] | None = None) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
        return text

    page = request("GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the sign-in page has its CSRF token"
    request(
        "POST", "/login", {"csrf_token": token.group(1), "email": email, "password": DEMO_PASSWORD}
    )
    request("GET", "/")  # where the sign-in leads: a browser keeps the cookie its forms need
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# wrk prints only some percentiles: this asks for those the targets name (in microseconds).
PERCENTILES = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 90, 95, 99}) do
    io.write(string.format("P%d %d\\n", p, latency:percentile(p)))
  end
end
"""


def wrk(port: int, path: str, cookie: str = "", seconds: int = SECONDS) -> tuple[float, dict]:
    """Requests per second and the latency percentiles (ms) of wrk at CLIENTS connections."""
    script = Path(tempfile.gettempdir()) / "bench-web-percentiles.lua"
    script.write_text(PERCENTILES)
    command = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "-s", str(script), "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(  # noqa: S603 - the load generator
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{path}: {non_2xx.group(1)} failed responses\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {int(p): int(us) / 1000 for p, us in re.findall(r"^P(\d+) (\d+)$", output, re.M)}
    timeouts = re.search(r"timeout (\d+)", output)
    if not rps or (timeouts and int(timeouts.group(1))):  # answers beyond 10 s are not answers
        percentiles = dict.fromkeys(percentiles or (50, 90, 95, 99), float("inf"))
    return rps, percentiles


def status_of(port: int, path: str, cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def cheap_p95_during_pdfs(port: int, chair: str, cheap: str, pdf: str) -> float:
    """The p95 of a cheap page while four clients keep downloading PDFs."""
    stop = threading.Event()

    def download() -> None:
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.request("GET", pdf, headers={"Cookie": chair})
                connection.getresponse().read()
            except OSError:  # a worker restarted under the load: ask again
                time.sleep(0.1)
            finally:
                connection.close()

    loaders = [threading.Thread(target=download, daemon=True) for _ in range(4)]
    for loader in loaders:
        loader.start()
    time.sleep(1)
    try:
        _rps, percentiles = wrk(port, cheap, chair)
    finally:
        stop.set()
    return percentiles[95]


def main() -> None:
    if shutil.which("wrk") is None:
        print("# bench/web.py needs wrk (make bench installs it)")
        return
    try:
        sa.create_engine(URL).connect().close()
    except sa.exc.OperationalError:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", URL.rsplit("/", 1)[1]])  # noqa: S603, S607
    paths = build_world()
    env = os.environ | {
        "CONFERENCE_CONFIG": "production",
        "SECRET_KEY": "bench-web-" + "0" * 40,
        "DATABASE_URL": URL,
        "MFA_REQUIRED": "0",
        "TRUSTED_PROXIES": "0",
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="bench-web-metrics-"),
    }
    hello = Server("bench._hello:app", env)
    try:
        hello_rps, _ = wrk(hello.port, "/")
    finally:
        hello.stop()
    print(f"BENCH web_hello_rps {hello_rps:.0f} req/s")
    visits = [(name, path, "chair") for name, path in paths.items() if name != "agenda_pdf"] + [
        ("home_coordinator", "/", "coordinator"),
        ("my_work_coordinator", "/my-work", "coordinator"),
    ]
    app = Server("wsgi:app", env)
    try:
        cookies = {"chair": sign_in(app.port, CHAIR), "coordinator": sign_in(app.port, POLICE)}
        chair = cookies["chair"]
        for name, path, who in visits:  # each answers the page itself, not a redirect
            status = status_of(app.port, path, cookies[who])
            assert status == 200, f"{name}: {path} answered {status}"
        rates = {}
        for name, path, who in visits:
            rps, percentiles = wrk(app.port, path, cookies[who])
            rates[name] = rps
            print(f"BENCH web_{name}_pct_of_hello {100 * rps / hello_rps:.1f} %")
            print(f"BENCH web_{name}_p99 {percentiles[99]:.0f} ms")
        print(
            "BENCH web_restricted_view_pct_of_case_page "
            f"{100 * rates['restricted_view'] / rates['case_page']:.0f} %"
        )
        p95 = cheap_p95_during_pdfs(app.port, chair, "/notifications/", paths["agenda_pdf"])
        print(f"BENCH web_cheap_p95_during_pdfs {p95:.0f} ms")
    finally:
        app.stop()
    # The same pages made for every request (no page kept): what a first visit costs.
    made = Server("wsgi:app", env | {"PAGE_CACHE_SECONDS": "0"})
    try:
        cookies = {"chair": sign_in(made.port, CHAIR), "coordinator": sign_in(made.port, POLICE)}
        for name, path, who in visits:
            rps, percentiles = wrk(made.port, path, cookies[who], seconds=max(SECONDS // 2, 3))
            print(f"BENCH web_{name}_made_pct_of_hello {100 * rps / hello_rps:.1f} %")
            print(f"BENCH web_{name}_made_p99 {percentiles[99]:.0f} ms")
    finally:
        made.stop()


if __name__ == "__main__":
    main()
