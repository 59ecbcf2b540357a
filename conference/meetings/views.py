"""Meetings: the calendar, scheduling, attendance and quorum, the agenda and its documents."""

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
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
from conference.formatting import to_zone
from conference.forms import no_choice, options
from conference.meetings import forms, queries, services
from conference.meetings.models import AttendanceStatus, Meeting
from conference.panels.models import Panel, PanelRole
from conference.views import client_ip, show_error

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting, or 404 when the user is not on its panel."""
    meeting = queries.meeting_by_id(meeting_id)
    if meeting is None or not permissions.can_view_meeting(current_user, meeting):
        abort(404)
    return meeting


def load_managed_meeting(meeting_id: int) -> Meeting:
    meeting = load_meeting(meeting_id)
    if not permissions.can_manage_meeting(current_user, meeting):
        abort(403)
    return meeting


def _lead_panels() -> list[Panel]:
    return sorted(
        (
            m.panel
            for m in current_user.current_memberships
            if permissions.can_schedule_meeting(current_user, m.panel_id)
        ),
        key=lambda p: p.name,
    )


@bp.route("/")
def index() -> Any:
    now = utcnow()
    return render_template(
        "meetings/index.html",
        coming=queries.meetings_of(current_user, now, past=False),
        past=queries.meetings_of(current_user, now, past=True),
        can_schedule=bool(_lead_panels()),
    )


# --- Scheduling -------------------------------------------------------------------------------


def _member_choices(panel: Panel) -> list[Any]:
    members = [
        (m.user_id, f"{m.user.name} ({m.user.agency.name})")
        for m in services.current_memberships(panel)
        if m.role is not PanelRole.PARTNER
    ]
    return [no_choice(_("Nobody yet")), *options(sorted(members, key=lambda p: p[1]))]


def _details_from(form: forms.MeetingForm) -> services.MeetingDetails:
    return services.MeetingDetails(
        day=form.day.data,
        starts=form.starts.data,
        ends=form.ends.data,
        place=form.place.data or "",
        video_link=form.video_link.data or "",
        chair_id=form.chair_id.data,
        secretary_id=form.secretary_id.data,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    panels = _lead_panels()
    if not panels:
        abort(403, _("Only a panel's chair or secretary schedule its meetings."))
    form = forms.MeetingForm()
    form.panel_id.choices = options((p.id, p.name) for p in panels)
    chosen = next((p for p in panels if p.id == form.panel_id.data), panels[0])
    form.chair_id.choices = form.secretary_id.choices = _member_choices(chosen)
    if request.method == "GET":
        form.starts.data, form.ends.data = chosen.cadence_start, chosen.cadence_end
        form.place.data = chosen.default_place
    if form.validate_on_submit():
        try:
            meeting = services.schedule_meeting(
                chosen, _details_from(form), actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The meeting was scheduled and the panel's members invited."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/new.html", form=form, panels=panels), status


@bp.route("/series", methods=["GET", "POST"])
def series() -> Any:
    panels = _lead_panels()
    if not panels:
        abort(403, _("Only a panel's chair or secretary schedule its meetings."))
    form = forms.SeriesForm()
    form.panel_id.choices = options((p.id, p.name) for p in panels)
    if request.method == "GET":
        form.first_on.data = utcnow().date()
        form.count.data = 6
    if form.validate_on_submit():
        panel = next(p for p in panels if p.id == form.panel_id.data)
        try:
            meetings = services.schedule_series(
                panel, form.first_on.data, form.count.data, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(count)s meetings were scheduled; days that already had one were skipped.",
                    count=len(meetings),
                ),
                "success",
            )
            return redirect(url_for("meetings.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/series.html", form=form, panels=panels), status


# --- The meeting page -------------------------------------------------------------------------


@bp.route("/<int:meeting_id>")
def show(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    quorum = services.meeting_quorum(meeting)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        attendance=queries.attendance_of(meeting),
        quorum=quorum,
        missing_agencies=sorted(
            pa.agency.name
            for pa in meeting.panel.agency_tiers
            if pa.agency_id in quorum.missing_agency_ids
        ),
        can_manage=permissions.can_manage_meeting(current_user, meeting),
        attendance_statuses=list(AttendanceStatus),
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    panel = meeting.panel
    form = forms.MeetingForm()
    form.panel_id.choices = options([(panel.id, panel.name)])
    form.chair_id.choices = form.secretary_id.choices = _member_choices(panel)
    if request.method == "GET":
        starts, ends = (
            to_zone(meeting.starts_at, panel.timezone),
            to_zone(meeting.ends_at, panel.timezone),
        )
        form.panel_id.data = panel.id
        form.day.data, form.starts.data, form.ends.data = starts.date(), starts.time(), ends.time()
        form.place.data, form.video_link.data = meeting.place, meeting.video_link
        form.chair_id.data, form.secretary_id.data = meeting.chair_id, meeting.secretary_id
        form.version.data = meeting.version_id
    if form.validate_on_submit():
        try:
            services.update_meeting(
                meeting,
                _details_from(form),
                version=form.version.data or 0,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            form.version.data = load_meeting(meeting_id).version_id
        else:
            db.session.commit()
            flash(_("The meeting was updated."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/edit.html", form=form, meeting=meeting), status


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
def attendance(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    statuses = {}
    for entry in meeting.attendance:
        value = request.form.get(f"status-{entry.id}")
        if value is None:
            continue
        try:
            statuses[entry.id] = AttendanceStatus(value)
        except ValueError:
            abort(400)
    try:
        changed = services.record_attendance(meeting, statuses, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("Attendance saved: %(count)s changes.", count=changed), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor="attendance"))


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
        "editable": can_manage and meeting.status in services.EDITABLE_STATUSES,
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
    """Run an agenda change; commit and report, or roll back and say why."""
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("meetings.agenda", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/agenda/build", methods=["POST"])
def build(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return _apply(
        meeting,
        lambda: services.build_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was proposed from the caseload. Check the reasons, then publish."),
    )


@bp.route("/<int:meeting_id>/agenda/publish", methods=["POST"])
def publish(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return _apply(
        meeting,
        lambda: services.publish_agenda(meeting, actor=current_user, now=utcnow()),
        _("The agenda was published and the invitees notified. Later changes are recorded."),
    )


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/move", methods=["POST"])
def move(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    return _apply(
        meeting,
        lambda: services.move_item(meeting, item_id, offset, actor=current_user, now=utcnow()),
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
        lambda: services.retime_item(
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
        services.remove_item(meeting, item_id, reason=reason, actor=current_user, now=utcnow())
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
        services.add_case_item(
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
        services.add_general_item(
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
def agenda_pdf(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    pdf = documents.agenda_pdf(meeting, may_see=_reader_may_see, now=utcnow())
    services.record_document(
        meeting, "agenda.pdf", actor=current_user, now=utcnow(), ip=client_ip()
    )
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
    services.record_document(
        meeting, "invite.ics", actor=current_user, now=utcnow(), ip=client_ip()
    )
    db.session.commit()
    return _download(body, "text/calendar", documents.document_name(meeting, "invite", "ics"))
