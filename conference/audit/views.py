"""The audit trail, for auditors and data-protection officers."""

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.audit import queries, subject_export
from conference.audit.forms import AuditFilterForm, SubjectExportForm
from conference.audit.services import record_event
from conference.auth.permissions import can_read_audit
from conference.db import utcnow
from conference.extensions import db
from conference.forms import no_choice, options
from conference.views import client_ip, paginate, recent_authentication

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
    page = paginate(queries.audit_events(filters), per_page=EVENTS_PER_PAGE)
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


@bp.route("/subjects", methods=["GET", "POST"])
@recent_authentication(back=lambda: url_for("audit.subjects"))
def subjects() -> Any:
    """A subject access request: find the person's cases, then export all that is held."""
    form = SubjectExportForm()
    if not form.validate_on_submit():
        return render_template("audit/subjects.html", form=form, cases=None)
    request_ = subject_export.Request(
        reference=form.reference.data or "",
        full_name=form.full_name.data or "",
        date_of_birth=form.date_of_birth.data,
    )
    now = utcnow()
    cases = subject_export.search(request_, officer=current_user, now=now, ip=client_ip())
    kind = request.form.get("format")
    if not cases or kind not in ("json", "pdf"):
        html = render_template("audit/subjects.html", form=form, cases=cases)
        db.session.commit()  # after rendering: the cases are shown only if the search is kept
        return html
    body, mimetype = subject_export.export(
        cases, kind, officer=current_user, now=now, ip=client_ip()
    )
    db.session.commit()
    name = f"subject-export-{now:%Y%m%d-%H%M%S}.{kind}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
