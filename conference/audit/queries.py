"""Reading the audit trail."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from conference.audit.models import AuditEvent
from conference.auth.models import User
from conference.cases.models import Case
from conference.extensions import db


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str | None = None
    reference: str = ""
    since: date | None = None
    until: date | None = None


def audit_events(filters: AuditFilters) -> sa.Select[AuditEvent]:
    """Audit events matching the filters, newest first."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.actor).joinedload(User.agency))
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.reference:
        case_ids = sa.select(sa.cast(Case.id, sa.String)).where(
            Case.reference == filters.reference.upper()
        )
        query = query.where(AuditEvent.object_type == "case", AuditEvent.object_id.in_(case_ids))
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), UTC))
    if filters.until and filters.until < date.max:  # the last day has no next day
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def case_references(events: list[AuditEvent]) -> dict[str, str]:
    """The references of the cases the events are about, by object id, in one query."""
    ids = {int(e.object_id) for e in events if e.object_type == "case" and e.object_id}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(ids)))
    return {str(case_id): reference for case_id, reference in rows}


def actor_choices() -> list[tuple[int, str]]:
    """Everyone who appears in the trail."""
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .where(User.id.in_(sa.select(AuditEvent.actor_id).distinct()))
        .order_by(User.name)
    )
    return [(uid, name) for uid, name in rows]


def action_choices() -> list[str]:
    """Every kind of event in the trail."""
    return list(db.session.scalars(sa.select(AuditEvent.action).distinct().order_by("action")))
