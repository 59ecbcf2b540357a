"""Meetings in the calendar: the list, scheduling one or a series, the meeting page, attendance."""

from typing import Any

from flask import (
    abort,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from conference.auth import permissions
from conference.db import utcnow
from conference.formatting import to_zone
from conference.forms import no_choice, options
from conference.meetings import forms, queries, rules
from conference.meetings.models import (
    AttendanceStatus,
)
from conference.meetings.services import base, scheduling
from conference.meetings.services import live as live_services
from conference.meetings.services import sitting as sitting_services
from conference.meetings.views import bp, load_managed_meeting, load_meeting
from conference.panels.models import Panel, PanelRole
from conference.views import apply_change, post_form

# --- Scheduling -------------------------------------------------------------------------------


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


def _member_choices(panel: Panel) -> list[Any]:
    members = [
        (m.user_id, f"{m.user.name} ({m.user.agency.name})")
        for m in base.current_memberships(panel)
        if m.role is not PanelRole.PARTNER
    ]
    return [no_choice(_("Nobody yet")), *options(sorted(members, key=lambda p: p[1]))]


def _details_from(form: forms.MeetingForm) -> scheduling.MeetingDetails:
    return scheduling.MeetingDetails(
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
    return post_form(
        form,
        lambda: scheduling.schedule_meeting(
            chosen, _details_from(form), actor=current_user, now=utcnow()
        ),
        success=_("The meeting was scheduled and the panel's members invited."),
        target=lambda meeting: url_for("meetings.show", meeting_id=meeting.id),
        page=lambda status: (
            render_template("meetings/new.html", form=form, panels=panels),
            status,
        ),
    )


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
    chosen = next((p for p in panels if p.id == form.panel_id.data), panels[0])
    return post_form(
        form,
        lambda: scheduling.schedule_series(
            chosen, form.first_on.data, form.count.data, actor=current_user, now=utcnow()
        ),
        success=lambda meetings: ngettext(
            "%(num)d meeting was scheduled; days that already had one were skipped.",
            "%(num)d meetings were scheduled; days that already had one were skipped.",
            len(meetings),
        ),
        target=url_for("meetings.index"),
        page=lambda status: (
            render_template("meetings/series.html", form=form, panels=panels),
            status,
        ),
    )


# --- The meeting page -------------------------------------------------------------------------


@bp.route("/<int:meeting_id>")
def show(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    quorum = sitting_services.quorum_now(meeting, utcnow())
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        attendance=queries.attendance_of(meeting),
        quorum=quorum,
        missing_agencies=base.agency_names(meeting, quorum.missing_agency_ids),
        can_manage=permissions.can_manage_meeting(current_user, meeting),
        editable=not rules.record_is_final(meeting.status),
        attendance_statuses=list(AttendanceStatus),
        expected_status=rules.expected_status,
        forecast=live_services.reply_forecast(meeting),
        own=live_services.own_invitation(meeting, current_user),
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

    def page(status: int) -> Any:
        if getattr(form, "conflicted", False):  # saving again is deliberate, against what is saved
            form.version.data = load_meeting(meeting_id).version_id
            form.version.raw_data = None
        return render_template("meetings/edit.html", form=form, meeting=meeting), status

    return post_form(
        form,
        lambda: scheduling.update_meeting(
            meeting,
            _details_from(form),
            version=form.version.data or 0,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The meeting was updated."),
        target=url_for("meetings.show", meeting_id=meeting.id),
        page=page,
    )


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
def attendance(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    choices = {status.value: status for status in AttendanceStatus}
    statuses = {
        entry.id: choices[value]
        for entry in meeting.attendance
        if (value := request.form.get(f"status-{entry.id}")) in choices
    }
    return apply_change(
        lambda: scheduling.record_attendance(meeting, statuses, actor=current_user, now=utcnow()),
        lambda changed: ngettext(
            "Attendance saved: %(num)d change.", "Attendance saved: %(num)d changes.", changed
        ),
        url_for("meetings.show", meeting_id=meeting.id, _anchor="attendance"),
    )
