"""Writing a panel's settings: its cadence, the agenda builder's settings, its statement.

Every function checks the policy, applies the rules, records the audit event and flushes.
None commits: the entry point (request, job, command) does, once.
"""

from datetime import datetime, time
from typing import Any

from flask_babel import gettext as _

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.errors import DomainError, ForbiddenError
from conference.extensions import db
from conference.panels.models import Panel

SETTINGS = (
    "cadence_weekday",
    "cadence_every_weeks",
    "cadence_start",
    "cadence_end",
    "default_place",
    "locale",
    "max_discussion_interval_days",
    "post_exit_review_first_months",
    "post_exit_review_second_months",
    "minors_first",
    "report_due_days",
    "referral_answer_days",
    "minutes_new_referral",
    "minutes_review",
    "minutes_closure",
    "suppression_threshold",
    "confidentiality_statement",
)


def update_settings(panel: Panel, values: dict[str, Any], *, actor: User, now: datetime) -> None:
    """Change the panel's settings; every change is in the audit trail with old and new values."""
    if not permissions.can_manage_panel(actor, panel.id):
        raise ForbiddenError(_("Only the panel's chair or secretary change its settings."))
    start, end = values["cadence_start"], values["cadence_end"]
    if isinstance(start, time) and isinstance(end, time) and end <= start:
        raise DomainError(_("A meeting must end after it starts."), field="cadence_end")
    if values["post_exit_review_second_months"] <= values["post_exit_review_first_months"]:
        raise DomainError(
            _("The second post-exit review comes after the first."),
            field="post_exit_review_second_months",
        )
    changed = {
        name: {"from": str(getattr(panel, name)), "to": str(values[name])}
        for name in SETTINGS
        if getattr(panel, name) != values[name]
    }
    for name in SETTINGS:
        setattr(panel, name, values[name])
    if changed:
        record_event(
            "panel.settings_changed",
            actor=actor,
            now=now,
            object_type="panel",
            object_id=panel.id,
            panel_id=panel.id,
            detail={"changed": sorted(changed)},
        )
    db.session.flush()
