"""Recording audit events; called by the services and views that do the audited act."""

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, SessionTransaction

from conference import pagecache
from conference.audit import chain
from conference.audit.models import AuditEvent
from conference.extensions import db

log = logging.getLogger("conference.audit")

# Set on a session that added audit events: its commit then seals them into the chain.
TO_SEAL = "audit_events_to_seal"


class SealPace:
    """How often this process seals after a commit. Each event has its MAC as it is written;
    sealing gives it its place in the chain, in a short transaction that takes the chain's head.
    Sealed at most once a second, a busy process takes the head once for many events rather
    than once for each (the audited views under load waited for it in turn); a commit that
    finds the step done a moment ago has one more step run when the second is up."""

    def __init__(self) -> None:
        self._last = float("-inf")
        self._lock = threading.Lock()
        self._waiting: threading.Timer | None = None
        self._waiting_at = float("inf")

    def due(self, every: float) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < every:
                return False
            self._last = now
            return True

    def later(self, every: float, seal: Callable[[], None]) -> None:
        """Run `seal` once `every` seconds have passed since the last step (one step waits at
        most: the earliest)."""
        with self._lock:
            at = self._last + every
            if self._waiting is not None:
                if self._waiting_at <= at:
                    return
                self._waiting.cancel()
            self._waiting_at = at
            self._waiting = threading.Timer(max(0.0, at - time.monotonic()), self._run, (seal,))
            self._waiting.daemon = True
            self._waiting.start()

    def _run(self, seal: Callable[[], None]) -> None:
        with self._lock:
            self._waiting = None
            self._last = time.monotonic()
        seal()


_PACE = SealPace()


def new_event(
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
    """One audit event, with the MAC of its fields (not yet written anywhere)."""
    event = AuditEvent(
        at=now,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        panel_id=panel_id,
        ip=ip,
        detail=json.loads(json.dumps(detail or {})),  # its own copy, as it will read back
        nonce=secrets.token_hex(16),
    )
    event.mac = chain.event_mac(chain.audit_key(), event)
    return event


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
    """Add one audit event (`new_event`) to the session; it commits (or rolls back) with the
    audited change, and is sealed into the chain after the commit."""
    what: dict[str, Any] = {
        "object_type": object_type,
        "object_id": object_id,
        "panel_id": panel_id,
        "detail": detail,
    }
    event = new_event(action, actor=actor, now=now, ip=ip, **what)
    db.session.add(event)
    pagecache.note_audit({"action": action, **what})
    db.session.info[TO_SEAL] = True
    return event


# The columns an event is written with (its place in the chain comes when it is sealed).
_WRITTEN = (
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "panel_id",
    "ip",
    "detail",
    "nonce",
    "mac",
)
_APPEND = sa.insert(AuditEvent)


def append_events(
    connection: sa.Connection,
    events: list[dict[str, Any]],
    *,
    actor: Any,
    now: datetime,
    ip: str | None,
) -> None:
    """Write audit events on a connection that commits each statement as it runs (a kept page's
    showing, which changes nothing else): they are committed when this returns."""
    for fields in events:  # one statement each (usually one): no batch to set up
        event = new_event(**fields, actor=actor, now=now, ip=ip)
        connection.execute(_APPEND, {name: getattr(event, name) for name in _WRITTEN})
    seal_if_due()


def seal_if_due() -> None:
    """Seal committed events into the chain now, or, when this process did a moment ago, as
    soon as AUDIT_SEAL_SECONDS have passed since (the scheduler's audit-seal job, each minute,
    seals whatever a process that stopped left)."""
    every = current_app.config["AUDIT_SEAL_SECONDS"]
    if _PACE.due(every):
        _seal()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def seal_in_app() -> None:
        with app.app_context():
            _seal()

    _PACE.later(every, seal_in_app)


def _seal() -> None:
    try:
        chain.seal_pending(durable=False)
    except sa.exc.SQLAlchemyError:
        # The events are committed; they wait for the next sealing step.
        log.exception("sealing the audit chain failed; the events wait for the next seal")


@sa.event.listens_for(db.session, "after_commit")
def _seal_after_commit(session: Session) -> None:
    # The session cannot run SQL here; sealing takes a connection and transaction of its own.
    if session.in_nested_transaction() or not session.info.pop(TO_SEAL, False):
        return
    seal_if_due()


@sa.event.listens_for(db.session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction, and its events, are gone
        session.info.pop(TO_SEAL, None)
