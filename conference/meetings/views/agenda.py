"""The agenda: the builder's proposal, the chair's changes, publishing, and its documents."""

from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from conference.auth import permissions
from conference.cases.models import Case
from conference.cases.queries import case_by_reference
from conference.db import utcnow
from conference.documents import download
from conference.documents import meeting as documents
from conference.documents.projection import AgendaDocument
from conference.errors import DomainError
from conference.extensions import db
from conference.meetings import forms, queries, rules
from conference.meetings.models import (
    Meeting,
)
from conference.meetings.services import agenda as agenda_services
from conference.meetings.services import base
from conference.meetings.views import bp, load_managed_meeting, load_meeting
from conference.pagecache import kept
from conference.views import (
    apply_change,
    client_ip,
    confirmation,
    confirmed,
    post_form,
    recent_authentication,
)

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
@kept
def agenda(meeting_id: int) -> Any:
    return _agenda_page(load_meeting(meeting_id))


def _back_to_agenda(meeting: Meeting, item_id: int | None = None) -> str:
    anchor = f"item-{item_id}" if item_id is not None else None
    return url_for("meetings.agenda", meeting_id=meeting.id, _anchor=anchor)


@bp.route("/<int:meeting_id>/agenda/build", methods=["POST"])
def build(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return apply_change(
        lambda: agenda_services.build_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was proposed from the caseload. Check the reasons, then publish."),
        _back_to_agenda(meeting),
    )


@bp.route("/<int:meeting_id>/agenda/publish", methods=["POST"])
def publish(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    items = base.active_items(meeting)
    over = rules.overrun_minutes(
        [i.minutes_allocated for i in items], queries.length_minutes(meeting)
    )
    if over and not confirmed():
        return confirmation(
            title=_("Publish an agenda that runs over its time?"),
            lines=[
                ngettext(
                    "The items take %(num)d minute more than the meeting has.",
                    "The items take %(num)d minutes more than the meeting has.",
                    over,
                ),
                ngettext(
                    "%(num)s item is likely to carry over to the next meeting.",
                    "%(num)s items are likely to carry over to the next meeting.",
                    sum(i.likely_carry_over for i in items),
                ),
                _("Every invitee is notified when it is published."),
            ],
            action=url_for("meetings.publish", meeting_id=meeting.id),
            button=_("Publish it as it is"),
            cancel=_back_to_agenda(meeting),
        )
    return apply_change(
        lambda: agenda_services.publish_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was published and the invitees notified. Later changes are recorded."),
        _back_to_agenda(meeting),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/move", methods=["POST"])
def move(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = next((i for i in base.active_items(meeting) if i.id == item_id), None)
    form = forms.MoveForm(prefix=f"move-{item_id}")
    if item is None or not form.validate_on_submit():
        flash(_("Give the place in the order as a number, 1 for first."), "danger")
        return redirect(_back_to_agenda(meeting, item_id))
    position = {"up": item.position - 1, "down": item.position + 1}.get(
        form.direction.data or "", form.position.data or item.position
    )
    return apply_change(
        lambda: agenda_services.move_item(
            meeting, item_id, position, actor=current_user, now=utcnow()
        ),
        _("The order was changed."),
        _back_to_agenda(meeting, item_id),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/minutes", methods=["POST"])
def retime(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.RetimeForm(prefix=f"retime-{item_id}")
    if not form.validate():
        flash(_("Give between 1 and 240 minutes."), "danger")
        return redirect(_back_to_agenda(meeting, item_id))
    return apply_change(
        lambda: agenda_services.retime_item(
            meeting, item_id, form.minutes.data, actor=current_user, now=utcnow()
        ),
        _("The time slot was changed."),
        _back_to_agenda(meeting, item_id),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["POST"])
def remove(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.RemoveItemForm(prefix="remove")
    return post_form(
        form,
        lambda: agenda_services.remove_item(
            meeting, item_id, reason=form.reason.data, actor=current_user, now=utcnow()
        ),
        success=_("The item was taken off the agenda."),
        target=_back_to_agenda(meeting),
        page=lambda status: _agenda_page(meeting, status, remove_form=form, failed_item_id=item_id),
    )


@bp.route("/<int:meeting_id>/agenda/cases", methods=["POST"])
def add_case(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.AddCaseForm(prefix="case")

    def change() -> Any:
        case = case_by_reference((form.reference.data or "").upper())
        if case is None:
            raise DomainError(
                _("There is no case with that reference on this panel."), field="reference"
            )
        return agenda_services.add_case_item(
            meeting,
            case,
            minutes=form.minutes.data,
            note=form.note.data or "",
            actor=current_user,
            now=utcnow(),
        )

    return post_form(
        form,
        change,
        success=lambda item: _("%(reference)s was added.", reference=item.case.reference),
        target=lambda item: _back_to_agenda(meeting, item.id),
        page=lambda status: _agenda_page(meeting, status, add_case_form=form),
    )


@bp.route("/<int:meeting_id>/agenda/general", methods=["POST"])
def add_general(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    form = forms.AddGeneralForm(prefix="general")
    return post_form(
        form,
        lambda: agenda_services.add_general_item(
            meeting,
            title=form.title.data,
            minutes=form.minutes.data,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The item was added."),
        target=lambda item: _back_to_agenda(meeting, item.id),
        page=lambda status: _agenda_page(meeting, status, add_general_form=form),
    )


# --- Documents --------------------------------------------------------------------------------


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _audit_download(meeting: Meeting, document: str) -> Callable[[], None]:
    return lambda: base.record_document(
        meeting, document, actor=current_user, now=utcnow(), ip=client_ip()
    )


@bp.route("/<int:meeting_id>/agenda.pdf")
@kept
@recent_authentication()
def agenda_pdf(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    return download.deliver(
        kind="agenda",
        meeting_id=meeting.id,
        html=documents.agenda_html(meeting, may_see=_reader_may_see, now=utcnow()),
        filename=documents.document_name(meeting, "agenda", "pdf"),
        title=_("Agenda"),
        audit=_audit_download(meeting, "agenda.pdf"),
    )


@bp.route("/<int:meeting_id>/pack.pdf")
@kept
@recent_authentication()
def pack_pdf(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    if not permissions.can_get_pack(current_user, meeting):
        abort(403)
    partner = permissions.panel_role(current_user, meeting.panel_id) not in (
        permissions.FULL_PANEL_ROLES
    )
    return download.deliver(
        kind="pack",
        meeting_id=meeting.id,
        html=documents.pack_html(
            meeting,
            may_see=_reader_may_see,
            now=utcnow(),
            reader_agency=current_user.agency.name if partner else "",
        ),
        filename=documents.document_name(meeting, "pack", "pdf"),
        title=_("Meeting pack"),
        audit=_audit_download(meeting, "pack.pdf"),
    )


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
