"""Scheduled jobs of the audit trail."""

from datetime import datetime

from conference.audit.anchor import DAILY, anchor_head, anchored_today
from conference.audit.chain import seal_pending


def audit_anchor(now: datetime) -> int:
    """Seal the pending events and anchor the chain's head, once a day (UTC): a second run the
    same day writes nothing. Returns the number of anchors written."""
    if anchored_today(now):
        return 0
    anchor_head(now, reason=DAILY)
    return 1


def audit_seal(now: datetime) -> int:
    """Seal the events that committed since their process last sealed (each process seals at
    most once a second after a commit: conference.audit.services). Returns how many."""
    return seal_pending(durable=False).count
