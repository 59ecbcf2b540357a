"""Recording audit events; called by the services and views that do the audited act."""

from datetime import datetime
from typing import Any

from conference.audit import chain
from conference.audit.models import AuditEvent
from conference.extensions import db


def record_event(
    action: str,
    *,
    actor: Any,
    now: datetime,
    object_type: str | None = None,
    object_id: int | str | None = None,
    panel_id: int | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session; it commits (or rolls back) with the audited change."""
    event = AuditEvent(
        at=now,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        panel_id=panel_id,
        ip=ip,
        detail=detail or {},
    )
    chain.append(event)
    db.session.add(event)
    return event
