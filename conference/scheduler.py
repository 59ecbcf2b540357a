"""The scheduled jobs, their schedules, and the lease that keeps two schedulers from both
running one. The scheduler runs in its own process (`flask scheduler`), never in a web worker."""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy.engine import CursorResult

from conference.actions.jobs import action_reminders, report_requests
from conference.audit.jobs import audit_anchor, audit_seal
from conference.cases.jobs import retention
from conference.db import insert_or_ignore, utcnow
from conference.documents.cache import prune_documents
from conference.extensions import db
from conference.meetings.jobs import agenda_draft
from conference.minutes.jobs import minutes_circulation
from conference.notify.jobs import email_delivery, weekly_digest
from conference.notify.models import JobLease
from conference.observability import metrics

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # longer than any job takes; a crashed holder frees it by then


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]
    schedule: str  # crontab: minute hour day month day-of-week (UTC)
    counts: str = "notifications"  # what the number it returns counts
    verb: str = "created"


# Every job is idempotent for its period, so each may run more often than it acts: a restart or
# a missed run is made good by the next one, and the scheduler runs them all once at start.
JOBS = {
    job.name: job
    for job in (
        Job("action-reminders", action_reminders, "5 * * * *"),
        Job("agenda-draft", agenda_draft, "15 * * * *"),
        Job("report-requests", report_requests, "25 * * * *"),
        Job("weekly-digest", weekly_digest, "0 6 * * mon"),
        Job("minutes-circulation", minutes_circulation, "35 7 * * *"),
        Job("email-delivery", email_delivery, "* * * * *", counts="e-mails", verb="sent"),
        Job("retention", retention, "45 2 * * *", counts="cases", verb="anonymised"),
        Job("audit-seal", audit_seal, "* * * * *", counts="audit events", verb="sealed"),
        Job("audit-anchor", audit_anchor, "55 2 * * *", counts="anchors", verb="wrote"),
        Job("documents-prune", prune_documents, "5 3 * * *", counts="documents", verb="removed"),
    )
}


def holder_name() -> str:
    """This process, as the lease records it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(name: str, holder: str, now: datetime) -> bool:
    """Take the job's lease if it is free, expired, or already ours; commits either way."""
    insert_or_ignore(
        db.session, JobLease, name=name, holder="", until=datetime(1970, 1, 1, tzinfo=UTC)
    )
    result = db.session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, sa.or_(JobLease.until < now, JobLease.holder == holder))
        .values(holder=holder, until=now + LEASE)
    )
    taken = cast(CursorResult[Any], result).rowcount
    db.session.commit()
    return bool(taken)


def release_lease(name: str, holder: str, now: datetime, ran: bool) -> None:
    values: dict[str, object] = {"until": now}
    if ran:
        values["last_run_at"] = now
    db.session.execute(
        sa.update(JobLease).where(JobLease.name == name, JobLease.holder == holder).values(**values)
    )
    db.session.commit()


def run_job(name: str, now: datetime | None = None, holder: str | None = None) -> int | None:
    """Run one job under its lease; None when another process holds it. One commit per run."""
    job = JOBS[name]
    holder = holder or holder_name()
    started = now or utcnow()
    if not acquire_lease(name, holder, utcnow()):
        log.info("job %s skipped: another scheduler holds it", name)
        metrics.job_skipped(name)
        return None
    ran = False
    try:
        with metrics.job_run(name):
            count = job.run(started)
            db.session.commit()
        ran = True
        log.info("job %s: %s %s %s", name, job.verb, count, job.counts)
        return count
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", name)
        raise
    finally:
        release_lease(name, holder, utcnow(), ran)


def add_jobs(
    scheduler: BaseScheduler, app: Flask, triggers: dict[str, object] | None = None
) -> None:
    """Put every job on the scheduler, each run in its own app context."""

    def runner(name: str) -> Callable[[], None]:
        def run() -> None:
            with app.app_context():
                try:
                    run_job(name)
                finally:
                    db.session.remove()

        return run

    for job in JOBS.values():
        trigger = (triggers or {}).get(job.name) or CronTrigger.from_crontab(
            job.schedule, timezone=UTC
        )
        scheduler.add_job(
            runner(job.name),
            trigger=trigger,
            id=job.name,
            name=job.name,
            coalesce=True,  # several missed runs are made good by one
            max_instances=1,
            misfire_grace_time=3600,
            next_run_time=datetime.now(UTC),  # and once at start: catch up after a restart
        )
