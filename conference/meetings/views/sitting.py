"""The sitting: opening, presence, the chair's view of each item, its decisions, closing."""

from typing import Any

from flask import (
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
from conference.auth.models import User
from conference.cases import queries as case_queries
from conference.cases.services import assign_coordinator
from conference.db import utcnow
from conference.directory import queries as directory_queries
from conference.directory.forms import ReferralForm, ReferralStepForm
from conference.directory.models import Service, ServiceReferral
from conference.directory.rules import NEXT_STEPS
from conference.directory.services import propose_referral
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_to_utc, to_zone
from conference.forms import no_choice, options
from conference.labels import label
from conference.meetings import forms, queries
from conference.meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    Recommendation,
)
from conference.meetings.services import base, scheduling
from conference.meetings.services import sitting as sitting_services
from conference.meetings.views import bp, load_managed_meeting
from conference.views import apply_change, show_error

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
        sitting_services.open_meeting(meeting, actor=current_user, now=utcnow())
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
        lambda: sitting_services.close_meeting(meeting, actor=current_user, now=utcnow()),
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
        quorum=scheduling.meeting_quorum(meeting),
        items=base.active_items(meeting),
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
        data = sitting_services.PresenceData(
            status=form.status.data,
            role=form.role.data,
            arrived_at=_local(meeting, form.arrived.data),
            left_at=_local(meeting, form.left.data),
            acknowledged=bool(form.acknowledged.data),
        )
        try:
            sitting_services.record_presence(meeting, entry, data, actor=current_user, now=utcnow())
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
    items = base.active_items(meeting)
    index = items.index(item)
    case = item.case
    speakers = sitting_services.speakers_at(meeting, item, utcnow())
    members = [m.user for m in base.current_memberships(meeting.panel) if m.user.active]
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
        "quorum_now": sitting_services.quorum_at(meeting, utcnow()),
        "recommendations": recommendations,
        "conflicted": sitting_services.conflicted_user_ids(item),
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
        record = sitting_services.ItemRecord(
            facts=form.facts.data or "",
            assessed_risk=form.assessed_risk.data,
            assessment=form.assessment.data or "",
            outcome=form.outcome.data,
        )
        sitting_services.save_item(
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
        lambda: sitting_services.add_recommendation(
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
        lambda: sitting_services.record_position(
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
        lambda: sitting_services.decide_recommendation(
            recommendation, actor=current_user, now=utcnow()
        ),
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
    form.user_id.choices = options((m.user_id, "") for m in base.current_memberships(meeting.panel))
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
        (m.user_id, "") for m in base.current_memberships(meeting.panel)
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
        lambda: sitting_services.declare_conflict(
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
