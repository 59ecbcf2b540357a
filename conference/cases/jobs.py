"""Scheduled jobs about cases."""

import logging
from datetime import datetime

import sqlalchemy as sa

from conference.cases import records, rules
from conference.cases.models import Case, CaseStatus, CaseStatusChange
from conference.extensions import db
from conference.formatting import to_zone
from conference.panels.models import Panel

log = logging.getLogger(__name__)


def retention(now: datetime) -> int:
    """Anonymise the cases that ended (closed, or declined at referral) longer ago than their
    panel's retention period. Idempotent: an anonymised case is never looked at again."""
    declined_at = (
        sa.select(sa.func.max(CaseStatusChange.changed_at))
        .where(
            CaseStatusChange.case_id == Case.id,
            CaseStatusChange.to_status == CaseStatus.DECLINED,
        )
        .scalar_subquery()
    )
    candidates = db.session.execute(
        sa.select(Case, sa.func.coalesce(Case.closed_at, declined_at), Panel)
        .join(Panel, Panel.id == Case.panel_id)
        .where(
            Case.anonymised_at.is_(None),
            Case.status.in_([CaseStatus.CLOSED, CaseStatus.DECLINED]),
        )
    ).all()
    done = 0
    for case, ended_at, panel in candidates:
        if ended_at is None:
            continue
        ended_on = to_zone(ended_at, panel.timezone).date()
        if (
            rules.retention_ends(ended_on, panel.retention_months)
            > to_zone(now, panel.timezone).date()
        ):
            continue
        records.anonymise(case, now=now)
        done += 1
        log.info("anonymised case %s under the retention rule", case.reference)
    return done
