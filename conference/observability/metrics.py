"""Prometheus metrics. Labels are endpoint names, methods, status codes and job names only: never
a path, a reference, a name or anything a person typed.

Under gunicorn every worker is its own process, so the metrics live in files in
PROMETHEUS_MULTIPROC_DIR (set in the environment before the app starts, see deploy/), which the
scrape adds up; the scheduler and command-line runs on the same host write there too. Without
that variable (development, tests) they live in this process's memory.
"""

import ipaddress
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def process_identifier() -> str:
    """Names this process's metric files: the host as well as the pid, so that containers that
    share one directory (all of them pid 1 now and then) never write into each other's files."""
    return f"{socket.gethostname()}-{os.getpid()}"


if MULTIPROC_DIR:
    Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)  # the metrics below open files there
    values.ValueClass = values.MultiProcessValue(process_identifier)


REQUESTS = Counter(
    "conference_http_requests",
    "Requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "conference_http_request_duration_seconds",
    "Time to answer a request, by endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_RUNS = Counter("conference_job_runs", "Scheduled job runs (under the lease), by job.", ["job"])
JOB_FAILURES = Counter(
    "conference_job_failures", "Scheduled job runs that failed, by job.", ["job"]
)
JOB_SKIPS = Counter(
    "conference_job_skips", "Job runs skipped because another process held the lease.", ["job"]
)
JOB_SECONDS = Histogram(
    "conference_job_duration_seconds",
    "Time a job run took, by job.",
    ["job"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 600),
)
MAIL_SENT = Counter("conference_mail_sent", "E-mails handed to the mail server.")
MAIL_FAILED = Counter("conference_mail_failed", "E-mails the mail server refused or never took.")
SIGN_IN_FAILURES = Counter(
    "conference_sign_in_failures", "Failed sign-ins (wrong password or code, locked, inactive)."
)
DOCUMENTS_RENDERED = Counter("conference_documents_rendered", "PDF documents rendered.")
DOCUMENT_SECONDS = Histogram(
    "conference_document_render_seconds",
    "Time to render one PDF document.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its time."""
    name = endpoint or "unmatched"
    REQUESTS.labels(name, method, str(status)).inc()
    REQUEST_SECONDS.labels(name, method).observe(seconds)


@contextmanager
def job_run(name: str) -> Iterator[None]:
    """Count and time one run of a job under its lease, and its failure."""
    JOB_RUNS.labels(name).inc()
    started = time.perf_counter()
    try:
        yield
    except Exception:
        JOB_FAILURES.labels(name).inc()
        raise
    finally:
        JOB_SECONDS.labels(name).observe(time.perf_counter() - started)


def job_skipped(name: str) -> None:
    """Count a run left to the process that holds the job's lease."""
    JOB_SKIPS.labels(name).inc()


@contextmanager
def mail_delivery() -> Iterator[None]:
    """Count one e-mail as sent, or as failed when sending raises."""
    try:
        yield
    except Exception:
        MAIL_FAILED.inc()
        raise
    MAIL_SENT.inc()


def sign_in_failed() -> None:
    """Count one failed sign-in."""
    SIGN_IN_FAILURES.inc()


@contextmanager
def document_render() -> Iterator[None]:
    """Count and time one rendered PDF (failed renders are not counted)."""
    started = time.perf_counter()
    yield
    DOCUMENT_SECONDS.observe(time.perf_counter() - started)
    DOCUMENTS_RENDERED.inc()


class DatabaseCollector(Collector):
    """What only the database knows, read at scrape time: the e-mails waiting to be sent."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        import sqlalchemy as sa

        from conference.auth.models import User
        from conference.extensions import db
        from conference.notify.models import Notification

        waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.emailed_at.is_(None),
                Notification.email_failed_at.is_(None),  # given up: listed for the administrator
                User.active.is_(True),
            )
        )
        yield GaugeMetricFamily(
            "conference_mail_waiting", "E-mails waiting to be sent.", value=waiting or 0
        )


def exposition() -> bytes:
    """Every metric in Prometheus's text format: this process's (or, under gunicorn, every
    process's on this host) and those read from the database."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector())
    try:
        body += generate_latest(from_database)
    except Exception as error:  # the database being down must not hide the other metrics
        # The class only: a database error's text can hold the values of a statement.
        log.warning("metrics: the database could not be read (%s)", type(error).__name__)
    return body


def parse_networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """METRICS_ALLOW as networks: a comma-separated string or a list of addresses or CIDRs."""
    items = spec.split(",") if isinstance(spec, str) else spec
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item)
    except ValueError as error:
        raise RuntimeError(f"METRICS_ALLOW: {error}") from error


def address_allowed(address: str | None, networks: Iterable[Network]) -> bool:
    """Whether a client's address lies in one of the networks."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def forget_dead_processes(directory: str | Path) -> int:
    """Remove this host's metric files of processes that have ended (gunicorn calls it before
    starting, as the client library asks); returns how many were removed. Files of other hosts
    sharing the directory, and of processes still running (the scheduler), are kept."""
    host = socket.gethostname()
    removed = 0
    for path in Path(directory).glob("*.db"):
        head, _, pid = path.stem.rpartition("-")
        if not head.endswith(f"_{host}") or not pid.isdigit():
            continue
        if not _running(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    """Whether a process of this host is alive (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
