"""The agenda: the builder's proposal, the chair's changes, publishing, and its documents."""

from typing import Any

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth import permissions
from conference.cases.models import Case
from conference.cases.queries import case_by_reference
from conference.db import utcnow
from conference.documents import meeting as documents
from conference.documents.projection import AgendaDocument
from conference.errors import DomainError
from conference.extensions import db
from conference.meetings import forms, queries
from conference.meetings.models import (
    Meeting,
)
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base
from conference.meetings.views import bp, load_managed_meeting, load_meeting
from conference.views import apply_change, client_ip, recent_authentication, show_error

# --- The agenda -------------------------------------------------------------------------------


def _document_for_reader(meeting: Meeting) -> AgendaDocument:
    return documents.agenda_for(meeting, may_see=_reader_may_see, now=utcnow())


def _reader_may_see(case: Case) -> bool:
    return permissions.can_view_case(current_user, case)


def _agenda_page(meeting: Meeting, status: int = 200, **form_overrides: Any) -> Any:
    can_manage = permissions.can_manage_meeting(current_user, meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "document": _document_for_reader(meeting),
        "can_manage": can_manage,
        "editable": can_manage and meeting.status in base.EDITABLE_STATUSES,
    }
    if context["editable"]:
        context |= {
            "items": queries.agenda_items(meeting),
            "add_case_form": forms.AddCaseForm(prefix="case"),
            "add_general_form": forms.AddGeneralForm(prefix="general"),
            "remove_form": forms.RemoveItemForm(prefix="remove"),
            "failed_item_id": None,
        } | form_overrides
    return render_template("meetings/agenda.html", **context), status


@bp.route("/<int:meeting_id>/agenda")
def agenda(meeting_id: int) -> Any:
    return _agenda_page(load_meeting(meeting_id))


def _apply(meeting: Meeting, change: Any, success: str) -> Any:
    """Run an agenda change and go back to the agenda."""
    return apply_change(change, success, url_for("meetings.agenda", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/agenda/build", methods=["POST"])
def build(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return _apply(
        meeting,
        lambda: agenda_services.build_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was proposed from the caseload. Check the reasons, then publish."),
    )


@bp.route("/<int:meeting_id>/agenda/publish", methods=["POST"])
def publish(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return _apply(
        meeting,
        lambda: agenda_services.publish_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was published and the invitees notified. Later changes are recorded."),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/move", methods=["POST"])
def move(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    return _apply(
        meeting,
        lambda: agenda_services.move_item(
            meeting, item_id, offset, actor=current_user, now=utcnow()
        ),
        _("The order was changed."),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/minutes", methods=["POST"])
def retime(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.RetimeForm(prefix=f"retime-{item_id}")
    if not form.validate():
        flash(_("Give between 1 and 240 minutes."), "danger")
        return redirect(url_for("meetings.agenda", meeting_id=meeting.id))
    return _apply(
        meeting,
        lambda: agenda_services.retime_item(
            meeting, item_id, form.minutes.data, actor=current_user, now=utcnow()
        ),
        _("The time slot was changed."),
    )


def _submit(meeting: Meeting, form: Any, change: Any, **page: Any) -> Any:
    """A change typed into a form: done and reported, or the page again with the form as typed."""
    if form.validate_on_submit():
        try:
            success = change()
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("meetings.agenda", meeting_id=meeting.id))
    return _agenda_page(meeting, 422, **page)


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["POST"])
def remove(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.RemoveItemForm(prefix="remove")

    def change() -> str:
        reason = form.reason.data
        agenda_services.remove_item(
            meeting, item_id, reason=reason, actor=current_user, now=utcnow()
        )
        return _("The item was taken off the agenda.")

    return _submit(meeting, form, change, remove_form=form, failed_item_id=item_id)


@bp.route("/<int:meeting_id>/agenda/cases", methods=["POST"])
def add_case(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.AddCaseForm(prefix="case")

    def change() -> str:
        case = case_by_reference(form.reference.data.upper())
        if case is None:
            raise DomainError(
                _("There is no case with that reference on this panel."), field="reference"
            )
        agenda_services.add_case_item(
            meeting,
            case,
            minutes=form.minutes.data,
            note=form.note.data or "",
            actor=current_user,
            now=utcnow(),
        )
        return _("%(reference)s was added.", reference=case.reference)

    return _submit(meeting, form, change, add_case_form=form)


@bp.route("/<int:meeting_id>/agenda/general", methods=["POST"])
def add_general(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.AddGeneralForm(prefix="general")

    def change() -> str:
        agenda_services.add_general_item(
            meeting,
            title=form.title.data,
            minutes=form.minutes.data,
            actor=current_user,
            now=utcnow(),
        )
        return _("The item was added.")

    return _submit(meeting, form, change, add_general_form=form)


# --- Documents --------------------------------------------------------------------------------


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/<int:meeting_id>/agenda.pdf")
@recent_authentication()
def agenda_pdf(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    pdf = documents.agenda_pdf(meeting, may_see=_reader_may_see, now=utcnow())
    base.record_document(meeting, "agenda.pdf", actor=current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    return _download(pdf, "application/pdf", documents.document_name(meeting, "agenda", "pdf"))


@bp.route("/<int:meeting_id>/invite.ics")
def invite(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    body = documents.invite_ics(
        meeting,
        link=url_for("meetings.show", meeting_id=meeting.id, _external=True),
        domain=request.host.split(":")[0],
        now=utcnow(),
    )
    base.record_document(meeting, "invite.ics", actor=current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    return _download(body, "text/calendar", documents.document_name(meeting, "invite", "ics"))
