"""The audit trail, for auditors and data-protection officers."""

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from conference.audit import queries
from conference.audit.forms import AuditFilterForm
from conference.audit.services import record_event
from conference.auth.permissions import can_read_audit
from conference.db import utcnow
from conference.extensions import db
from conference.forms import no_choice, options
from conference.views import client_ip

bp = Blueprint("audit", __name__, url_prefix="/audit")
EVENTS_PER_PAGE = 50


@bp.before_request
def only_auditors() -> None:
    if not can_read_audit(current_user):
        abort(403)


@bp.route("/")
def index() -> Any:
    form = AuditFilterForm(request.args)
    form.actor.choices = [no_choice(_("Anyone")), *options(queries.actor_choices())]
    form.action.choices = [
        no_choice(_("Anything")),
        *options((a, a) for a in queries.action_choices()),
    ]
    form.validate()

    def valid(field: Any) -> Any:
        return None if field.errors else field.data

    filters = queries.AuditFilters(
        actor_id=valid(form.actor),
        action=valid(form.action) or None,
        reference=valid(form.reference) or "",
        since=valid(form.since),
        until=valid(form.until),
    )
    page = db.paginate(
        queries.audit_events(filters),
        page=request.args.get("page", 1, type=int),
        per_page=EVENTS_PER_PAGE,
        error_out=False,
    )
    references = queries.case_references(list(page.items))
    # Reading the trail is itself an access to who-saw-what: it is recorded too.
    record_event(
        "audit.viewed",
        actor=current_user,
        now=utcnow(),
        ip=client_ip(),
        detail={"filters": {k: str(v) for k, v in request.args.items() if v}},
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    html = render_template(
        "audit/index.html", form=form, page=page, references=references, args=args
    )
    db.session.commit()  # after rendering: the page is shown only if its audit record is kept
    return html
