"""Two app servers and two schedulers on one PostgreSQL, as real processes (gunicorn with
deploy/gunicorn.conf.py, `flask scheduler`), in the production configuration with CSRF on.

Each test gets the two servers from the module's `servers` fixture and talks to them with
`Browser`s, which carry cookies from one server to the other like a load balancer would. A new
scenario is one more test function: seed data with the factories, `db.session.commit()`, then
act on `servers.a` and check on `servers.b`.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.notify.models import JobLease, Notification
from conference.scheduler import JOBS
from tests.factories import TEST_PASSWORD, NotificationFactory
from tests.worlds import build_world

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="several servers share one database only on PostgreSQL: set TEST_DATABASE_URL",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def csrf_token(self) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.text)
        assert found, "no CSRF token on the page"
        return found.group(1)


@dataclass
class Process:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def json_lines(self) -> list[dict]:
        """The log's JSON lines (a command's own plain output on stdout aside)."""
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@dataclass
class Server(Process):
    port: int = 0

    def get(self, path: str) -> Page:
        return Browser().request(self, "GET", path)


@dataclass
class Servers:
    a: Server
    b: Server
    env: dict[str, str]
    tmp: Path


@dataclass
class Browser:
    """A browser's cookie jar, sent to whichever server it is pointed at (Secure cookies too:
    the servers run the production configuration behind no HTTPS proxy here)."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, server: Server, method: str, path: str, form: dict | None = None) -> Page:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and "1970" not in morsel["expires"]:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Page(response.status, response.headers, text)

    def submit(self, server: Server, path: str, form: dict, *, token_from: str) -> Page:
        """Post a form with the CSRF token of the page at `token_from` on the same server."""
        token = self.request(server, "GET", token_from).csrf_token()
        return self.request(server, "POST", path, {"csrf_token": token, **form})

    def sign_in(self, server: Server, email: str, password: str = TEST_PASSWORD) -> Page:
        return self.submit(
            server, "/login", {"email": email, "password": password}, token_from="/login"
        )


def start(name: str, argv: list[str], env: dict[str, str], tmp: Path) -> subprocess.Popen:
    with (tmp / f"{name}.log").open("wb") as log:  # the child keeps its own copy open
        return subprocess.Popen(  # noqa: S603 - our own argument list
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def start_server(name: str, env: dict[str, str], tmp: Path) -> Server:
    port = free_port()
    server_env = env | {
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"metrics-{name}"),
        "EXPORTS_DIR": str(tmp / f"exports-{name}"),  # a disk of its own, as on two machines
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    server = Server(name, start(name, argv, server_env, tmp), tmp / f"{name}.log", port=port)

    def ready() -> bool:
        assert server.process.poll() is None, f"{name} stopped:\n{server.tail()}"
        try:
            return server.get("/readyz").status == 200
        except OSError:
            return False

    wait_for(ready, 90, f"server {name} to be ready")
    return server


def start_scheduler(name: str, env: dict[str, str], tmp: Path) -> Process:
    argv = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"]
    return Process(name, start(name, argv, env, tmp), tmp / f"{name}.log")


@pytest.fixture(scope="module")
def servers(app, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Two gunicorn servers, each with two workers, on the tests' PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("servers")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PROMETHEUS", "FLASK_", "PYTEST_"))
    } | {
        "CONFERENCE_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),  # one key for both, as in any real deployment
        "DATABASE_URL": DATABASE_URL,
        "MFA_REQUIRED": "0",
        "TRUSTED_PROXIES": "0",
        "MAIL_BACKEND": "log",
        "LOG_FORMAT": "json",
    }
    started: list[Server] = []
    try:
        started.append(start_server("a", env, tmp))
        started.append(start_server("b", env, tmp))
        yield Servers(started[0], started[1], env, tmp)
    finally:
        for server in started:
            server.stop()


def test_signed_in_on_one_server_goes_on_on_the_other_and_signs_out_of_both(servers) -> None:
    chair = build_world().users["chair"]
    db.session.commit()
    browser = Browser()

    assert browser.sign_in(servers.a, chair.email).status == 302
    home = browser.request(servers.b, "GET", "/")
    assert home.status == 200
    assert chair.name in home.text  # the same person, on the other server

    # A form on B, with CSRF on: signing out there ends the session on A too.
    signed_out = browser.submit(servers.b, "/logout", {}, token_from="/")
    assert signed_out.status == 302
    copied = Browser(dict(browser.cookies))
    assert copied.request(servers.a, "GET", "/").status == 302
    assert Browser().sign_in(servers.b, chair.email).status == 302  # and signing in again works


def test_failed_sign_ins_on_one_server_lock_the_account_on_the_other(servers) -> None:
    police = build_world().users["police"]
    db.session.commit()
    on_a = Browser()
    statuses = [on_a.sign_in(servers.a, police.email, "not the password").status for _ in range(5)]
    assert statuses[0] == 401
    assert statuses[-1] == 429  # the fifth failure locks

    refused = Browser().sign_in(servers.b, police.email)  # the right password, on B
    assert refused.status == 429
    assert "Too many failed sign-ins" in refused.text


def test_two_schedulers_run_each_job_under_one_lease_and_send_each_mail_once(
    servers, smtp_server
) -> None:
    messages, port = smtp_server
    police = build_world().users["police"]
    for number in range(1, 4):
        NotificationFactory(user_id=police.id, title=f"Action due: RVT-2026-000{number}")
    db.session.commit()
    env = servers.env | {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(servers.tmp / "metrics-schedulers"),
    }
    schedulers = [start_scheduler(f"scheduler-{n}", env, servers.tmp) for n in (1, 2)]

    def all_jobs_ran() -> bool:
        for scheduler in schedulers:
            assert scheduler.process.poll() is None, scheduler.tail()
        db.session.rollback()  # a fresh look each time
        done = db.session.scalars(
            sa.select(JobLease.name).where(JobLease.last_run_at.is_not(None))
        ).all()
        return set(done) == set(JOBS)

    try:
        wait_for(all_jobs_ran, 120, "every job to run")
        time.sleep(1)  # room for a second delivery, were there one
    finally:
        for scheduler in schedulers:
            scheduler.stop()

    # Ours, and whatever the jobs made of the world on the way: each one sent exactly once.
    sent = Counter(message_from_bytes(m.content)["Subject"] for m in messages)
    for number in (1, 2, 3):
        assert sent[f"[Case Conference] Action due: RVT-2026-000{number}"] == 1
    assert set(sent.values()) == {1}
    ours = sa.select(Notification.emailed_at).where(Notification.title.like("Action due: %"))
    assert None not in db.session.scalars(ours).all()
    lines = [line["message"] for s in schedulers for line in s.json_lines()]
    deliveries = [line for line in lines if line.startswith("job email-delivery")]
    # The jobs' reports add up to the mails sent (a job that ran first may have added one).
    reported = [re.fullmatch(r"job email-delivery: sent (\d+) e-mails?", d) for d in deliveries]
    assert sum(int(r.group(1)) for r in reported if r) == len(messages) >= 3
    assert "job email-delivery failed" not in deliveries


def test_each_server_logs_json_and_counts_its_workers_requests(servers) -> None:
    for _ in range(3):
        servers.a.get("/login")
    scrape = servers.a.get("/metrics")
    assert scrape.status == 200
    found = re.search(
        r'conference_http_requests_total\{endpoint="auth.login",method="GET",status="200"\} (\S+)',
        scrape.text,
    )
    assert found
    assert float(found.group(1)) >= 3  # added up over both workers

    lines = servers.a.json_lines()
    assert all("time" in line and "level" in line for line in lines)
    logins = [line for line in lines if line.get("endpoint") == "auth.login"]
    assert {"request_id", "route", "status", "duration_ms", "user_id"} <= set(logins[-1])


def test_minutes_signed_on_one_server_are_served_and_verified_by_the_other(servers) -> None:
    from datetime import timedelta

    from conference.meetings.models import AttendanceStatus, MeetingStatus
    from conference.minutes import services as minutes_services
    from conference.minutes.models import ArchivedFile, ArchivedFileKind
    from conference.panels.models import PanelRole
    from tests.factories import NOW, AgendaItemFactory, AttendanceFactory, MeetingFactory, member

    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    prosecutor = member(world.panel, PanelRole.MEMBER, pro)
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=NOW - timedelta(days=1),
        status=MeetingStatus.CLOSED,
        chair=world.users["chair"],
    )
    for user in (world.users["chair"], world.users["police"], prosecutor):
        AttendanceFactory(meeting=meeting, user=user, status=AttendanceStatus.PRESENT)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=1)
    version = minutes_services.draft_minutes(meeting, actor=world.users["chair"], now=NOW)
    minutes_services.circulate(version, actor=world.users["chair"], now=NOW)
    for signer in (world.users["chair"], world.users["police"]):
        minutes_services.sign(version, actor=signer, now=NOW)
    db.session.commit()

    # The last signature, on A: the archive is written there...
    on_a = Browser()
    on_a.sign_in(servers.a, prosecutor.email)
    signed = on_a.submit(
        servers.a,
        f"/minutes/{version.id}/sign",
        {"password": TEST_PASSWORD},
        token_from=f"/minutes/{version.id}",
    )
    assert signed.status == 302, signed.text[-1500:]
    # ... and B, with a disk of its own, serves it from the database, byte for byte.
    on_b = Browser(dict(on_a.cookies))
    download = on_b.request(servers.b, "GET", f"/minutes/{version.id}.pdf")
    assert download.status == 200
    db.session.rollback()
    archived = db.session.scalar(
        sa.select(ArchivedFile.body).where(
            ArchivedFile.version_id == version.id, ArchivedFile.kind == ArchivedFileKind.MINUTES
        )
    )
    assert archived is not None
    assert download.headers["Content-Type"] == "application/pdf"
    assert int(download.headers["Content-Length"]) == len(archived)
    verified = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "minutes", "verify"],
        cwd=ROOT,
        env=servers.env | {"EXPORTS_DIR": str(servers.tmp / "exports-verify")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "archived files verified" in verified.stdout
