"""Meetings: the calendar, scheduling, attendance and quorum, the agenda and its documents."""

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from conference.actions import queries as action_queries
from conference.actions import services as action_services
from conference.actions.models import Action
from conference.actions.rules import report_state
from conference.auth import permissions
from conference.auth.models import User
from conference.cases import queries as case_queries
from conference.cases.models import Case
from conference.cases.queries import case_by_reference
from conference.cases.services import assign_coordinator
from conference.db import utcnow
from conference.directory import queries as directory_queries
from conference.directory.forms import ReferralForm, ReferralStepForm
from conference.directory.models import Service, ServiceReferral
from conference.directory.rules import NEXT_STEPS
from conference.directory.services import propose_referral
from conference.documents import meeting as documents
from conference.documents.projection import AgendaDocument
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_to_utc, to_zone
from conference.forms import no_choice, options
from conference.labels import label
from conference.meetings import forms, queries, services
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    Recommendation,
)
from conference.panels.models import Panel, PanelRole
from conference.views import apply_change, client_ip, recent_authentication, show_error

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
    return apply_change(
        lambda: services.record_attendance(meeting, statuses, actor=current_user, now=utcnow()),
        lambda changed: _("Attendance saved: %(count)s changes.", count=changed),
        url_for("meetings.show", meeting_id=meeting.id, _anchor="attendance"),
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
    """Run an agenda change and go back to the agenda."""
    return apply_change(change, success, url_for("meetings.agenda", meeting_id=meeting.id))


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
@recent_authentication()
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


# --- The sitting: the chair's view --------------------------------------------------------------


def _local(meeting: Meeting, clock: Any) -> Any:
    """A time of day typed for the meeting's date, as a UTC instant (None stays None)."""
    if clock is None:
        return None
    day = to_zone(meeting.starts_at, meeting.panel.timezone).date()
    return local_to_utc(day, clock, meeting.panel.timezone)


@bp.route("/<int:meeting_id>/open", methods=["POST"])
def open_sitting(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    try:
        services.open_meeting(meeting, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    db.session.commit()
    flash(_("The meeting is open. Record who is present, then take the items in order."), "success")
    return redirect(url_for("meetings.opening", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/close", methods=["POST"])
def close_sitting(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return apply_change(
        lambda: services.close_meeting(meeting, actor=current_user, now=utcnow()),
        lambda not_reached: _(
            "The meeting is closed and its record locked. %(count)s items were not reached "
            "and will be proposed again.",
            count=not_reached,
        ),
        url_for("meetings.show", meeting_id=meeting.id),
    )


def _presence_form(entry: Attendance, meeting: Meeting) -> forms.PresenceForm:
    form = forms.PresenceForm(prefix=f"p{entry.id}")
    if not form.is_submitted():
        zone = meeting.panel.timezone
        form.status.data, form.role.data = entry.status, entry.role
        form.arrived.data = to_zone(entry.arrived_at, zone).time() if entry.arrived_at else None
        form.left.data = to_zone(entry.left_at, zone).time() if entry.left_at else None
        form.acknowledged.data = entry.confidentiality_acknowledged_at is not None
    return form


def _opening_page(
    meeting: Meeting, status: int = 200, failed: tuple[int, Any] | None = None
) -> Any:
    entries = queries.attendance_of(meeting)
    presence_forms = {e.id: _presence_form(e, meeting) for e in entries}
    if failed is not None:
        presence_forms[failed[0]] = failed[1]
    return render_template(
        "meetings/opening.html",
        meeting=meeting,
        entries=entries,
        presence_forms=presence_forms,
        quorum=services.meeting_quorum(meeting),
        items=services.active_items(meeting),
    ), status


@bp.route("/<int:meeting_id>/opening")
def opening(meeting_id: int) -> Any:
    return _opening_page(load_managed_meeting(meeting_id))


@bp.route("/<int:meeting_id>/presence/<int:attendance_id>", methods=["POST"])
def presence(meeting_id: int, attendance_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    entry = next((a for a in meeting.attendance if a.id == attendance_id), None)
    if entry is None:
        abort(404)
    form = forms.PresenceForm(prefix=f"p{entry.id}")
    if form.validate_on_submit():
        data = services.PresenceData(
            status=form.status.data,
            role=form.role.data,
            arrived_at=_local(meeting, form.arrived.data),
            left_at=_local(meeting, form.left.data),
            acknowledged=bool(form.acknowledged.data),
        )
        try:
            services.record_presence(meeting, entry, data, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved for %(name)s.", name=entry.user.name), "success")
            return redirect(
                url_for("meetings.opening", meeting_id=meeting.id, _anchor=f"p{entry.id}")
            )
    return _opening_page(meeting, 422, failed=(entry.id, form))


def _person(user_id: int | None) -> User:
    person = db.session.get(User, user_id) if user_id else None
    if person is None:
        raise DomainError(_("Choose someone from the list."), field="user_id")
    return person


def _load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.items if i.id == item_id and i.removed_at is None), None)
    if item is None:
        abort(404)
    return item


def _sitting_page(meeting: Meeting, item: AgendaItem, status: int = 200, **forms_in: Any) -> Any:
    items = services.active_items(meeting)
    index = items.index(item)
    case = item.case
    speakers = services.speakers_at(meeting, item, utcnow())
    members = [m.user for m in services.current_memberships(meeting.panel) if m.user.active]
    page_forms: dict[str, Any] = {
        "item_form": forms.ItemForm(prefix="item", obj=None),
        "recommendation_form": forms.RecommendationForm(prefix="rec"),
        "coordinator_form": forms.CoordinatorForm(prefix="coord"),
        "action_form": forms.NewActionForm(prefix="act"),
        "conflict_form": forms.ConflictForm(prefix="coi"),
    } | forms_in
    item_form = page_forms["item_form"]
    if "item_form" not in forms_in:
        item_form.facts.data, item_form.assessment.data = item.facts, item.assessment
        item_form.assessed_risk.data, item_form.outcome.data = item.assessed_risk, item.outcome
        item_form.version.data = item.version_id
    page_forms["coordinator_form"].user_id.choices = options(
        (u.id, f"{u.name} ({u.agency.name})") for u in members
    )
    page_forms["action_form"].owner_id.choices = options(
        (u.id, f"{u.name} ({u.agency.name})") for u in members
    )
    page_forms["conflict_form"].user_id.choices = options(
        (a.user.id, a.user.name) for a in meeting.attendance
    )
    recommendations = list(item.recommendations)
    # One position form per recommendation, each with its own prefix (and so its own field ids).
    position_forms = {r.id: forms.PositionForm(prefix=f"pos{r.id}") for r in recommendations}
    position_forms |= forms_in.get("position_forms", {})
    for position_form in position_forms.values():
        position_form.speaker_id.choices = options(
            (u.id, f"{u.name} ({u.agency.name})") for u in speakers
        )
    page_forms["position_forms"] = position_forms
    page_forms["action_form"].recommendation_id.choices = options(
        (r.id, r.text[:60]) for r in recommendations if r.outcome.value == "adopted"
    )
    context: dict[str, Any] = {
        "meeting": meeting,
        "item": item,
        "items": items,
        "previous_item": items[index - 1] if index > 0 else None,
        "next_item": items[index + 1] if index + 1 < len(items) else None,
        "quorum_now": services.quorum_at(meeting, utcnow()),
        "recommendations": recommendations,
        "conflicted": services.conflicted_user_ids(item),
        "open": meeting.status.value == "in_progress",
        **page_forms,
    }
    if case is not None:
        referral_form = page_forms.get("referral_form") or ReferralForm(prefix="refer")
        referral_form.service_id.choices = options(
            (svc.id, f"{svc.name} ({label(svc.kind)})")
            for svc in directory_queries.active_services(meeting.panel_id)
        )
        referral_form.recommendation_id.choices = [
            no_choice(_("None")),
            *options((r.id, r.text[:60]) for r in recommendations),
        ]
        context |= {
            "report_state": report_state(
                action_queries.report_due(meeting),
                action_queries.reports_submitted_on(meeting).get(case.id),
                to_zone(utcnow(), meeting.panel.timezone).date(),
            ),
            "referral_form": referral_form,
            "referrals": [(ref, _step_form(ref)) for ref in directory_queries.referrals_for(case)],
            "case": case,
            "report": case_queries.latest_report(case),
            "actions": case_queries.actions_for(case),
            "decisions": [
                d for d in case_queries.decisions_for(case) if d.item.meeting_id != meeting.id
            ][:5],
        }
    elif item.kind.value == "action_review":
        context["review_actions"] = [
            (a, forms.ReviewForm(prefix=f"rv{a.id}"))
            for a in queries.open_actions_from(queries.previous_meeting(meeting))
        ]
    return render_template("meetings/sitting.html", **context), status


@bp.route("/<int:meeting_id>/items/<int:item_id>")
def sitting(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    return _sitting_page(meeting, _load_item(meeting, item_id))


def _sitting_submit(
    meeting: Meeting, item: AgendaItem, form: Any, change: Any, success: str, **page: Any
) -> Any:
    """A change typed on the chair's view: saved on its own, or the item again as typed (`page`
    names where the form goes back on the page)."""
    if form.validate_on_submit():
        try:
            change()
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            if isinstance(form, forms.ItemForm):  # the next save must be against what is saved now
                form.version.data = _load_item(meeting, item.id).version_id
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("meetings.sitting", meeting_id=meeting.id, item_id=item.id))
    return _sitting_page(meeting, _load_item(meeting, item.id), 422, **page)


@bp.route("/<int:meeting_id>/items/<int:item_id>/record", methods=["POST"])
def record_item(meeting_id: int, item_id: int) -> Any:
    """Save an item's record: from the form, or in the background while the chair types."""
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.ItemForm(prefix="item")

    def change() -> None:
        record = services.ItemRecord(
            facts=form.facts.data or "",
            assessed_risk=form.assessed_risk.data,
            assessment=form.assessment.data or "",
            outcome=form.outcome.data,
        )
        services.save_item(
            item, record, version=form.version.data or 0, actor=current_user, now=utcnow()
        )

    if request.accept_mimetypes.best == "application/json":
        return _autosave(meeting, item, form, change)
    return _sitting_submit(meeting, item, form, change, _("Saved."), item_form=form)


def _autosave(meeting: Meeting, item: AgendaItem, form: Any, change: Any) -> Any:
    """The background save: the new version to save against next, or why it was not saved."""
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        return jsonify(error=" ".join(str(e) for e in errors)), 422
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        return jsonify(error=error.message), error.status_code
    db.session.commit()
    saved = to_zone(utcnow(), meeting.panel.timezone).strftime("%H:%M:%S")
    return jsonify(version=_load_item(meeting, item.id).version_id, saved=saved)


@bp.route("/<int:meeting_id>/items/<int:item_id>/recommendations", methods=["POST"])
def add_recommendation(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.RecommendationForm(prefix="rec")
    return _sitting_submit(
        meeting,
        item,
        form,
        lambda: services.add_recommendation(
            item,
            kind=form.kind.data,
            text=form.text.data,
            hide_positions=bool(form.hide_positions.data),
            actor=current_user,
            now=utcnow(),
        ),
        _("Recommendation added: each agency present now gives its position."),
        recommendation_form=form,
    )


def _load_recommendation(item: AgendaItem, recommendation_id: int) -> Recommendation:
    recommendation = next((r for r in item.recommendations if r.id == recommendation_id), None)
    if recommendation is None:
        abort(404)
    return recommendation


@bp.route(
    "/<int:meeting_id>/items/<int:item_id>/recommendations/<int:recommendation_id>/positions",
    methods=["POST"],
)
def record_position(meeting_id: int, item_id: int, recommendation_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    recommendation = _load_recommendation(item, recommendation_id)
    form = forms.PositionForm(prefix=f"pos{recommendation.id}")
    form.speaker_id.choices = options((a.user_id, "") for a in meeting.attendance)
    return _sitting_submit(
        meeting,
        item,
        form,
        lambda: services.record_position(
            recommendation,
            _person(form.speaker_id.data),
            stance=form.stance.data,
            reason=form.reason.data or "",
            actor=current_user,
            now=utcnow(),
        ),
        _("Position recorded."),
        position_forms={recommendation.id: form},
    )


@bp.route(
    "/<int:meeting_id>/items/<int:item_id>/recommendations/<int:recommendation_id>/decide",
    methods=["POST"],
)
def decide(meeting_id: int, item_id: int, recommendation_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    recommendation = _load_recommendation(item, recommendation_id)
    return apply_change(
        lambda: services.decide_recommendation(recommendation, actor=current_user, now=utcnow()),
        lambda outcome: _("Decided: %(outcome)s.", outcome=label(outcome)),
        url_for("meetings.sitting", meeting_id=meeting.id, item_id=item.id),
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/coordinator", methods=["POST"])
def name_coordinator(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    if item.case is None:
        abort(404)
    form = forms.CoordinatorForm(prefix="coord")
    form.user_id.choices = options(
        (m.user_id, "") for m in services.current_memberships(meeting.panel)
    )
    return _sitting_submit(
        meeting,
        item,
        form,
        lambda: assign_coordinator(
            item.case,
            _person(form.user_id.data),
            reason=form.reason.data or "",
            override_reason=form.override_reason.data or "",
            meeting_id=meeting.id,
            actor=current_user,
            now=utcnow(),
        ),
        _("The coordinator was named and notified."),
        coordinator_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/actions", methods=["POST"])
def add_action(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.NewActionForm(prefix="act")
    form.recommendation_id.choices = options((r.id, "") for r in item.recommendations)
    form.owner_id.choices = options(
        (m.user_id, "") for m in services.current_memberships(meeting.panel)
    )
    return _sitting_submit(
        meeting,
        item,
        form,
        lambda: action_services.add_action(
            _load_recommendation(item, form.recommendation_id.data),
            text=form.text.data,
            owner=_person(form.owner_id.data),
            due_on=form.due_on.data,
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        ),
        _("Action added."),
        action_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/conflicts", methods=["POST"])
def declare_conflict(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.ConflictForm(prefix="coi")
    form.user_id.choices = options((a.user_id, "") for a in meeting.attendance)
    return _sitting_submit(
        meeting,
        item,
        form,
        lambda: services.declare_conflict(
            item, _person(form.user_id.data), actor=current_user, now=utcnow()
        ),
        _("The conflict of interest was recorded."),
        conflict_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/actions/<int:action_id>/review", methods=["POST"])
def review(meeting_id: int, item_id: int, action_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    action = db.session.get(Action, action_id)
    if action is None or action.case.panel_id != meeting.panel_id:
        abort(404)
    form = forms.ReviewForm(prefix=f"rv{action.id}")
    if not form.validate_on_submit():
        flash(_("Choose a verdict for the action."), "danger")
        return redirect(url_for("meetings.sitting", meeting_id=meeting.id, item_id=item.id))
    return _apply_on_item(
        meeting,
        item,
        lambda: action_services.review_action(
            action,
            form.outcome.data,
            new_due_on=form.new_due_on.data,
            note=form.note.data or "",
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        ),
        _("The action's review was recorded."),
    )


def _step_form(referral: ServiceReferral) -> ReferralStepForm:
    form = ReferralStepForm(prefix=f"ref{referral.id}")
    form.status.choices = options(
        (target.value, label(target)) for target in sorted(NEXT_STEPS[referral.status])
    )
    form.version.data = referral.version_id
    return form


@bp.route("/<int:meeting_id>/items/<int:item_id>/referrals", methods=["POST"])
def refer(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    if item.case is None:
        abort(404)
    case = item.case
    form = ReferralForm(prefix="refer")
    form.service_id.choices = options(
        (svc.id, "") for svc in directory_queries.active_services(meeting.panel_id)
    )
    form.recommendation_id.choices = [
        no_choice(""),
        *options((r.id, "") for r in item.recommendations),
    ]

    def change() -> Any:
        service = db.session.get(Service, form.service_id.data)
        if service is None:
            raise DomainError(_("Choose a service from the panel's directory."), field="service_id")
        recommendation = next(
            (r for r in item.recommendations if r.id == form.recommendation_id.data), None
        )
        return propose_referral(
            case,
            service,
            recommendation=recommendation,
            guided=bool(form.guided.data),
            actor=current_user,
            now=utcnow(),
        )

    return _sitting_submit(
        meeting,
        item,
        form,
        change,
        _("The referral to the service was proposed."),
        referral_form=form,
    )


def _apply_on_item(meeting: Meeting, item: AgendaItem, change: Any, success: str) -> Any:
    target = url_for("meetings.sitting", meeting_id=meeting.id, item_id=item.id)
    return apply_change(change, success, target)
