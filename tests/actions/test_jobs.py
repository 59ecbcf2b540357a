"""The scheduled jobs as plain functions with a fixed clock; idempotency; the lease; e-mail."""

import threading
import time
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from conference.actions.jobs import action_reminders, report_requests
from conference.actions.models import ActionStatus
from conference.extensions import db
from conference.meetings.jobs import agenda_draft
from conference.meetings.models import AgendaItem, MeetingStatus
from conference.notify.jobs import weekly_digest
from conference.notify.models import JobLease, Notification, NotificationKind
from conference.notify.services import deliver_email
from conference.scheduler import JOBS, acquire_lease, add_jobs, release_lease, run_job
from tests.conftest import second_app
from tests.factories import (
    NOW,
    TODAY,
    ActionFactory,
    AgendaItemFactory,
    MeetingFactory,
    ProgressReportFactory,
    SubjectFactory,
)
from tests.worlds import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


def notifications(kind: NotificationKind | None = None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def test_action_reminders_once_per_action_per_day(world: World) -> None:
    police = world.users["police"]
    overdue = ActionFactory(
        case=world.cases["plain"], owner=police, due_on=TODAY - timedelta(days=1)
    )
    soon = ActionFactory(case=world.cases["plain"], owner=police, due_on=TODAY + timedelta(days=2))
    ActionFactory(case=world.cases["plain"], owner=police, due_on=TODAY + timedelta(days=30))
    ActionFactory(
        case=world.cases["plain"],
        owner=police,
        due_on=TODAY - timedelta(days=9),
        status=ActionStatus.DONE,
    )

    # The world's own action is due in seven days: not yet. Done actions are never reminded.
    assert action_reminders(NOW) == 2
    assert action_reminders(NOW + timedelta(hours=3)) == 0  # same day, however often it runs
    assert action_reminders(NOW + timedelta(days=1)) == 2  # a new day: reminded again

    kinds = {(n.action_id, n.kind) for n in notifications()}
    assert (overdue.id, NotificationKind.ACTION_OVERDUE) in kinds
    assert (soon.id, NotificationKind.ACTION_DUE) in kinds
    assert all(n.user_id == police.id for n in notifications())
    assert all(world.cases["plain"].reference in n.title for n in notifications())


def test_the_draft_agenda_goes_to_the_chair_once(world: World) -> None:
    world.cases["plain"].next_review_on = TODAY
    meeting = MeetingFactory(
        panel=world.panel, starts_at=NOW + timedelta(days=5), chair=world.users["chair"]
    )
    far = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=30))

    assert agenda_draft(NOW) == 1
    assert agenda_draft(NOW + timedelta(hours=1)) == 0
    [note] = notifications(NotificationKind.AGENDA_DRAFT)
    assert note.user_id == world.users["chair"].id
    assert note.link == f"/meetings/{meeting.id}/agenda"
    case_ids = set(
        db.session.scalars(sa.select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id))
    )
    assert world.cases["plain"].id in case_ids
    assert not db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == far.id)
    ).all()


def test_report_requests_once_then_daily_reminders_when_late(world: World) -> None:
    social = world.users["social"]
    meeting = MeetingFactory(
        panel=world.panel, starts_at=NOW + timedelta(days=5), status=MeetingStatus.AGENDA_PUBLISHED
    )
    world.panel.report_due_days = 3
    AgendaItemFactory(meeting=meeting, case=world.cases["coordinated"], position=1)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=2)  # no coordinator

    assert report_requests(NOW) == 1
    assert report_requests(NOW + timedelta(hours=2)) == 0
    # Due two days before... three days before the meeting: late from the day after.
    assert report_requests(NOW + timedelta(days=3)) == 1
    assert report_requests(NOW + timedelta(days=3, hours=1)) == 0
    assert [n.kind for n in notifications()] == [
        NotificationKind.REPORT_REQUESTED,
        NotificationKind.REPORT_LATE,
    ]
    assert all(n.user_id == social.id for n in notifications())

    ProgressReportFactory(
        case=world.cases["coordinated"],
        meeting_id=meeting.id,
        author=social,
        submitted_at=NOW + timedelta(days=3),
    )
    assert report_requests(NOW + timedelta(days=4)) == 0


def test_the_weekly_digest_once_a_week(world: World) -> None:
    assert weekly_digest(NOW) >= 1
    assert weekly_digest(NOW + timedelta(days=2)) == 0
    assert weekly_digest(NOW + timedelta(days=7)) >= 1
    digest = next(
        n
        for n in notifications(NotificationKind.WEEKLY_DIGEST)
        if n.user_id == world.users["police"].id
    )
    assert "1 open action (0 overdue)" in digest.title  # one: the singular


def test_a_second_scheduler_cannot_take_a_held_lease() -> None:
    assert acquire_lease("action-reminders", "host-a:1", NOW)
    assert not acquire_lease("action-reminders", "host-b:2", NOW + timedelta(minutes=1))
    assert acquire_lease("action-reminders", "host-a:1", NOW + timedelta(minutes=1))  # ours
    release_lease("action-reminders", "host-a:1", NOW + timedelta(minutes=2), ran=True)
    assert acquire_lease("action-reminders", "host-b:2", NOW + timedelta(minutes=3))
    # A holder that died frees the lease when it expires.
    assert acquire_lease("agenda-draft", "host-a:1", NOW)
    assert acquire_lease("agenda-draft", "host-b:2", NOW + timedelta(hours=1))


def test_two_schedulers_running_a_job_at_once_send_it_once(app: Flask, world: World) -> None:
    ActionFactory(
        case=world.cases["plain"], owner=world.users["police"], due_on=TODAY - timedelta(days=1)
    )
    db.session.commit()
    results: list[int | None] = []
    with second_app(app) as other:

        def run(holder: str) -> None:
            with other.app_context():
                results.append(run_job("action-reminders", NOW, holder=holder))
                db.session.remove()

        threads = [threading.Thread(target=run, args=(f"host-{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    created = [r for r in results if r]
    assert sum(created) == len(notifications(NotificationKind.ACTION_OVERDUE)) == 1
    assert results.count(None) + results.count(0) == 1


def test_emails_go_through_smtp_with_references_and_links_only(
    app: Flask, world: World, smtp_server
) -> None:
    messages, port = smtp_server
    case = world.cases["plain"]
    SubjectFactory(case=case, full_name="Zara Markerperson")
    ActionFactory(
        case=case,
        owner=world.users["police"],
        due_on=TODAY - timedelta(days=1),
        text="Call Zara Markerperson's school",
    )
    action_reminders(NOW)
    db.session.commit()

    with (
        second_app(app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port) as mailer,
        mailer.app_context(),
    ):
        assert deliver_email(NOW) == 1
        assert deliver_email(NOW) == 0  # sent once
        db.session.remove()

    [envelope] = messages
    text = envelope.content.decode()
    assert envelope.rcpt_tos == [world.users["police"].email]
    assert case.reference in text
    assert "/actions/" in text
    assert "Markerperson" not in text
    assert "school" not in text  # the action's own text stays in the app
    assert all(n.emailed_at is not None for n in notifications())


def test_the_real_scheduler_runs_every_job_once_at_start(app: Flask, world: World) -> None:
    ActionFactory(
        case=world.cases["plain"], owner=world.users["police"], due_on=TODAY - timedelta(days=1)
    )
    db.session.commit()
    with second_app(app, MAIL_BACKEND="log", EXPORTS_DIR=app.config["EXPORTS_DIR"]) as other:
        scheduler = BackgroundScheduler(timezone=UTC)
        add_jobs(scheduler, other)
        scheduler.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                db.session.expire_all()
                ran = db.session.scalars(
                    sa.select(JobLease.name).where(JobLease.last_run_at.is_not(None))
                ).all()
                if set(ran) == set(JOBS):
                    break
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
    assert set(ran) == set(JOBS)
    assert notifications(NotificationKind.ACTION_OVERDUE)


def test_jobs_by_hand_from_the_command_line(app: Flask, world: World) -> None:
    ActionFactory(
        case=world.cases["plain"], owner=world.users["police"], due_on=TODAY - timedelta(days=1)
    )
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert [line.split()[0] for line in listed.output.splitlines()] == list(JOBS)
    first = runner.invoke(args=["jobs", "run", "action-reminders", "--now", NOW.isoformat()])
    assert first.output.strip() == "created 1 notifications"
    again = runner.invoke(args=["jobs", "run", "action-reminders", "--now", NOW.isoformat()])
    assert again.output.strip() == "created 0 notifications"
    bad = runner.invoke(args=["jobs", "run", "action-reminders", "--now", "yesterday"])
    assert bad.exit_code != 0
