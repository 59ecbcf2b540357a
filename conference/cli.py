"""Flask commands: users, demo data, documents, jobs, the archive, the audit trail, backups."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from conference.audit.models import AuditEvent
from conference.audit.verify import verify_trail
from conference.auth.models import Agency, User
from conference.auth.services import add_membership, create_user
from conference.backup import backup_command, restore_command
from conference.db import utcnow
from conference.documents import meeting as meeting_documents
from conference.documents.minutes import extract_agencies, extract_content, with_signatures
from conference.errors import DomainError
from conference.extensions import db
from conference.languages import LANGUAGES
from conference.meetings.models import Meeting
from conference.meetings.services.base import record_document
from conference.minutes.archive import (
    ArchiveError,
    archived_body,
    render_minutes,
    verify_archive,
    verify_export,
)
from conference.minutes.archive import export as export_archive
from conference.minutes.services import latest_version, signatures_of
from conference.panels.models import Panel, PanelRole
from conference.scheduler import JOBS, add_jobs, holder_name, run_job


def register_cli(app: Flask) -> None:
    """Attach the project's commands to `flask`."""
    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
    app.cli.add_command(demo_logins)
    app.cli.add_command(documents)
    app.cli.add_command(jobs)
    app.cli.add_command(minutes)
    app.cli.add_command(audit)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. POL.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Administrator (manages accounts, sees no cases).")
@click.option("--auditor", is_flag=True, help="Auditor (reads the audit trail).")
@click.option(
    "--panel",
    "panels",
    multiple=True,
    metavar="CODE:ROLE",
    help="Panel membership, e.g. RVT:member (roles: chair, secretary, member, partner).",
)
def create_user_command(
    email: str,
    name: str,
    agency_code: str,
    password: str,
    admin: bool,
    auditor: bool,
    panels: tuple[str, ...],
) -> None:
    """Create a user account."""
    now = utcnow()
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code.upper()))
    if agency is None:
        raise click.BadParameter(f"no agency with code {agency_code!r}", param_hint="--agency")
    memberships = [_parse_panel(spec) for spec in panels]
    try:
        user = create_user(
            email=email,
            name=name,
            agency=agency,
            password=password,
            now=now,
            is_administrator=admin,
            is_auditor=auditor,
        )
        for panel, role in memberships:
            add_membership(user, panel, role, since=now.date(), now=now)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"created user {user.id} ({user.email})")


def _parse_panel(spec: str) -> tuple[Panel, PanelRole]:
    code, _, role_name = spec.partition(":")
    panel = db.session.scalar(sa.select(Panel).where(Panel.code == code.upper()))
    if panel is None:
        raise click.BadParameter(f"no panel with code {code!r}", param_hint="--panel")
    try:
        role = PanelRole(role_name.lower())
    except ValueError as error:
        raise click.BadParameter(f"unknown role {role_name!r}", param_hint="--panel") from error
    return panel, role


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users at all.")
def seed_demo(if_empty: bool) -> None:
    """Load the fictional demo world (idempotent)."""
    from conference.demo import seed

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("database already has users: demo data not loaded")
        return
    created = seed(now=utcnow())
    db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present")


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo accounts."""
    from conference.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo("")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<28} {account.description}")
    click.echo("")


@click.group()
def documents() -> None:
    """Write a meeting's documents to files, e.g. to print a set."""


@documents.command("render")
@click.option("--meeting", "meeting_id", type=int, required=True, help="The meeting's id.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write into; created if missing.",
)
@click.option(
    "--locale",
    type=click.Choice(sorted(LANGUAGES)),
    help="The language to write in; by default the panel's (signed minutes: as signed).",
)
def render_documents(meeting_id: int, out_dir: Path, locale: str | None) -> None:
    """Every document that exists for the meeting: the agenda PDF, the calendar invitation, the
    meeting pack (the panel's, and one per partner with only the cases shared with it), and the
    minutes with each agency's extract (the current version, draft or signed)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"There is no meeting {meeting_id}.")
    now = utcnow()
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/meetings/{meeting.id}"
    files = {
        meeting_documents.document_name(meeting, "agenda", "pdf"): meeting_documents.agenda_pdf(
            meeting, may_see=meeting_documents.everyone, now=now, locale=locale
        ),
        meeting_documents.document_name(meeting, "invite", "ics"): meeting_documents.invite_ics(
            meeting,
            link=link,
            domain=urlsplit(link).hostname or "localhost",
            now=now,
            locale=locale,
        ),
    }
    files[meeting_documents.document_name(meeting, "pack", "pdf")] = meeting_documents.pack_pdf(
        meeting, may_see=meeting_documents.everyone, now=now, locale=locale
    )
    for agency in meeting_documents.partner_agencies(meeting):
        name = meeting_documents.document_name(meeting, f"pack-{agency.code}", "pdf")
        files[name] = meeting_documents.pack_pdf(
            meeting,
            may_see=meeting_documents.shared_with(agency),
            now=now,
            reader_agency=agency.name,
            locale=locale,
        )
    files |= _minutes_files(meeting, locale)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (out_dir / name).write_bytes(body)
        record_document(meeting, name, actor=None, now=now)
        click.echo(out_dir / name)
    db.session.commit()


@click.group()
def jobs() -> None:
    """The scheduled jobs, listed or run by hand."""


@jobs.command("list")
def list_jobs() -> None:
    """Each job with its schedule (crontab, UTC)."""
    for job in JOBS.values():
        click.echo(f"{job.name:<18} {job.schedule}")


@jobs.command("run")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@click.option("--now", "now_text", help="Run as if it were this time (ISO 8601; UTC if naive).")
def run_job_command(name: str, now_text: str | None) -> None:
    """Run one job now (or at --now); running it twice for the same day adds nothing."""
    now = utcnow()
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--now") from error
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    count = run_job(name, now)
    if count is None:
        raise click.ClickException(f"{name} is running in another process; try again later.")
    job = JOBS[name]
    click.echo(f"{job.verb} {count} {job.counts}")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduled jobs until stopped, in this process (never inside a web worker)."""
    scheduler = BlockingScheduler(timezone=UTC)
    add_jobs(scheduler, current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"scheduler {holder_name()} running {len(JOBS)} jobs; Ctrl+C to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def _minutes_files(meeting: Meeting, locale: str | None = None) -> dict[str, bytes]:
    """minutes.pdf and minutes-<agency code>.pdf: from the archive when signed (checked against
    their hashes), else rendered from the current version with its signature block (its
    headings in `locale` if given; what the draft records stays in the language it was drawn
    up in)."""
    version = latest_version(meeting)
    if version is None:
        return {}
    codes = dict(db.session.execute(sa.select(Agency.id, Agency.code)).all())
    signatures = signatures_of(version)

    def body(agency_id: int | None, doc: dict[str, Any]) -> bytes:
        if version.archived_at is None:
            return render_minutes(with_signatures(doc, signatures), locale=locale or version.locale)
        try:
            return archived_body(version, agency_id)
        except ArchiveError as error:
            raise click.ClickException(
                f"the archived minutes of version {version.id} are {error}: run "
                "`flask minutes verify` and restore them from a backup"
            ) from error

    files = {"minutes.pdf": body(None, version.content)}
    for agency_id, name in extract_agencies(version.content).items():
        files[f"minutes-{codes[agency_id]}.pdf"] = body(
            agency_id, extract_content(version.content, agency_id, name)
        )
    return files


@click.group()
def minutes() -> None:
    """The archive of signed minutes."""


def _audited_manifests() -> dict[int, str | None]:
    """The manifest hash the audit trail recorded when each version was archived."""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "minutes.archived")
    ).all()
    return {
        int(e.object_id): (e.detail or {}).get("manifest_sha256")
        for e in events
        if e.object_id is not None
    }


@minutes.command("verify")
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Also check an export folder (from `flask minutes export`) against the archive.",
)
def verify_minutes(export_dir: Path | None) -> None:
    """Re-hash every archived file and signed content; exit non-zero naming each problem."""
    checked, problems = verify_archive(_audited_manifests())
    if export_dir is not None:
        problems += verify_export(export_dir)
    for problem in problems:
        click.echo(f"{problem.what}: {problem.path}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(
        f"{checked} archived files verified" + (f"; {export_dir} matches" if export_dir else "")
    )


@minutes.command("export")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: current_app.config["EXPORTS_DIR"],
    show_default="EXPORTS_DIR",
    help="Folder to copy the archive into (for printing and off-line archiving).",
)
def export_minutes(out_dir: Path) -> None:
    """Copy every archived file and manifest into a folder; files already there unchanged."""
    written = export_archive(Path(out_dir))
    for path in written:
        click.echo(path)
    click.echo(f"{len(written)} files written to {out_dir}")


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def verify_audit() -> None:
    """Seal pending events, then check every event's MAC, the chain and every anchor; exit
    non-zero naming each event changed, missing, forged or out of order, and each anchor broken."""
    verified = verify_trail()
    for found in verified.breaks:
        click.echo(f"{found.where}: {found.what}", err=True)
    if verified.breaks:
        raise SystemExit(1)
    walk = verified.walk
    click.echo(f"{walk.events} audit events verified, {verified.anchors} anchors")
    if walk.legacy:
        click.echo(f"{walk.legacy} of them in the unkeyed chain from before AUDIT_KEY")
    if walk.before_chain:
        click.echo(f"{walk.before_chain} events from before the chain, not verifiable")
    if walk.pending:
        click.echo(f"{walk.pending} events committed meanwhile, to be sealed")
