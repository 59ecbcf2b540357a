"""The sitting: opening, presence, the chair's view of each item, its decisions, closing."""

from typing import Any

from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from conference.actions import queries as action_queries
from conference.actions import services as action_services
from conference.actions.models import Action
from conference.actions.rules import report_state
from conference.auth import permissions
from conference.auth.models import User
from conference.cases import queries as case_queries
from conference.cases import rules as case_rules
from conference.cases import services as case_services
from conference.cases.forms import StatusForm
from conference.cases.models import Case
from conference.db import utcnow
from conference.directory import queries as directory_queries
from conference.directory import services as directory_services
from conference.directory.forms import ReferralForm, ReferralStepForm
from conference.directory.models import Service, ServiceReferral
from conference.directory.rules import NEXT_STEPS
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_date, local_time, local_to_utc, to_zone
from conference.forms import no_choice, options
from conference.labels import label
from conference.meetings import forms, queries, rules
from conference.meetings.models import AgendaItem, Attendance, Meeting, Recommendation
from conference.meetings.services import base
from conference.meetings.services import live as live_services
from conference.meetings.services import sitting as sitting_services
from conference.meetings.views import bp, load_managed_meeting
from conference.pagecache import kept
from conference.views import (
    apply_change,
    client_ip,
    commit_change,
    confirmation,
    confirmed,
    post_form,
)

# --- Opening and closing ------------------------------------------------------------------------


def _local(meeting: Meeting, clock: Any) -> Any:
    """A time of day typed for the meeting's date, as a UTC instant (None stays None)."""
    if clock is None:
        return None
    day = to_zone(meeting.starts_at, meeting.panel.timezone).date()
    return local_to_utc(day, clock, meeting.panel.timezone)


@bp.route("/<int:meeting_id>/open", methods=["POST"])
def open_sitting(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    zone = meeting.panel.timezone
    meeting_day = to_zone(meeting.starts_at, zone).date()
    if rules.opens_early(meeting_day, to_zone(utcnow(), zone).date()) and not confirmed():
        return confirmation(
            title=_("Open the meeting before its day?"),
            lines=[
                _(
                    "This meeting is on %(day)s. Opening it now starts the sitting: from then "
                    "on its agenda is fixed and its record is taken.",
                    day=local_date(meeting.starts_at, zone),
                )
            ],
            action=url_for("meetings.open_sitting", meeting_id=meeting.id),
            button=_("Open it now"),
            cancel=url_for("meetings.show", meeting_id=meeting.id),
        )
    return apply_change(
        lambda: sitting_services.open_meeting(meeting, actor=current_user, now=utcnow()),
        _("The meeting is open. Record who is present, then take the items in order."),
        url_for("meetings.opening", meeting_id=meeting.id),
    )


@bp.route("/<int:meeting_id>/close", methods=["POST"])
def close_sitting(meeting_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    if not confirmed():
        waiting = [i for i in base.active_items(meeting) if i.outcome is None]
        return confirmation(
            title=_("Close the meeting?"),
            lines=[
                ngettext(
                    "%(num)s item has no outcome yet: it will be recorded as not reached and "
                    "proposed again for the next meeting.",
                    "%(num)s items have no outcome yet: they will be recorded as not reached "
                    "and proposed again for the next meeting.",
                    len(waiting),
                )
                if waiting
                else _("Every item has its outcome."),
                _(
                    "Closing locks the record: after it, nothing of this meeting can change "
                    "except through an amendment of its minutes."
                ),
            ],
            action=url_for("meetings.close_sitting", meeting_id=meeting.id),
            button=_("Close the meeting"),
            cancel=request.form.get("back") or url_for("meetings.opening", meeting_id=meeting.id),
        )
    return apply_change(
        lambda: sitting_services.close_meeting(meeting, actor=current_user, now=utcnow()),
        lambda not_reached: ngettext(
            "The meeting is closed and its record locked. %(num)s item was not reached and "
            "will be proposed again.",
            "The meeting is closed and its record locked. %(num)s items were not reached and "
            "will be proposed again.",
            not_reached,
        ),
        url_for("meetings.show", meeting_id=meeting.id),
    )


def _presence_form(entry: Attendance, meeting: Meeting) -> forms.PresenceForm:
    form = forms.PresenceForm(prefix=f"p{entry.id}")
    if not form.is_submitted():
        zone = meeting.panel.timezone
        form.status.data = rules.expected_status(entry.status, entry.reply)  # from the reply
        form.role.data = entry.role
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
    quorum = sitting_services.quorum_now(meeting, utcnow())
    return render_template(
        "meetings/opening.html",
        meeting=meeting,
        entries=entries,
        presence_forms=presence_forms,
        quorum=quorum,
        missing_agencies=base.agency_names(meeting, quorum.missing_agency_ids),
        items=base.active_items(meeting),
        final=rules.record_is_final(meeting.status),
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
    base.check_record_open(meeting)
    form = forms.PresenceForm(prefix=f"p{entry.id}")
    return post_form(
        form,
        lambda: sitting_services.record_presence(
            meeting,
            entry,
            sitting_services.PresenceData(
                status=form.status.data,
                role=form.role.data,
                arrived_at=_local(meeting, form.arrived.data),
                left_at=_local(meeting, form.left.data),
                acknowledged=bool(form.acknowledged.data),
            ),
            actor=current_user,
            now=utcnow(),
        ),
        success=_("Saved for %(name)s.", name=entry.user.name),
        target=url_for("meetings.opening", meeting_id=meeting.id, _anchor=f"p{entry.id}"),
        page=lambda status: _opening_page(meeting, status, failed=(entry.id, form)),
    )


# --- The chair's view of an item ----------------------------------------------------------------


def _person(user_id: int | None) -> User:
    person = db.session.get(User, user_id) if user_id else None
    if person is None:
        raise DomainError(_("Choose someone from the list."), field="user_id")
    return person


def _load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.items if i.id == item_id and i.removed_at is None), None)
    if item is None:
        abort(404)
    if request.method == "POST":  # whatever was typed: a closed meeting's record is final
        base.check_record_open(meeting)
    return item


def _member_options(users: list[User]) -> list[Any]:
    return options((u.id, f"{u.name} ({u.agency.name})") for u in users)


def _status_form(case: Any, recommendations: list[Recommendation]) -> StatusForm | None:
    """The lifecycle steps the panel can decide now (opening, declining, agreeing closure,
    re-opening), resting on one of this item's adopted recommendations."""
    targets = [
        t
        for t in case_rules.allowed_next_statuses(case.status)
        if permissions.can_change_status(
            current_user, case, case_rules.needs_decision(case.status, t)
        )
    ]
    if not targets:
        return None
    form = StatusForm(prefix="status")
    form.status.choices = options((t.value, label(t)) for t in targets)
    form.recommendation_id.choices = [
        no_choice(_("None")),
        *options((r.id, r.text[:60]) for r in recommendations if r.outcome.value == "adopted"),
    ]
    return form


def _step_form(referral: ServiceReferral) -> ReferralStepForm:
    form = ReferralStepForm(prefix=f"ref{referral.id}")
    form.status.choices = options(
        (target.value, label(target)) for target in sorted(NEXT_STEPS[referral.status])
    )
    if not form.is_submitted():
        form.version.data = referral.version_id
    return form


def _sitting_page(meeting: Meeting, item: AgendaItem, status: int = 200, **forms_in: Any) -> Any:
    now = utcnow()
    items = base.active_items(meeting)
    index = items.index(item)
    case = item.case
    members = [m.user for m in base.current_memberships(meeting.panel) if m.user.active]
    recommendations = list(item.recommendations)
    item_form = forms_in.get("item_form") or forms.ItemForm(prefix="item")
    if "item_form" not in forms_in:
        item_form.facts.data, item_form.assessment.data = item.facts, item.assessment
        item_form.assessed_risk.data, item_form.outcome.data = item.assessed_risk, item.outcome
        item_form.version.data = item.version_id
    recommendation_form = forms_in.get("recommendation_form") or forms.RecommendationForm(
        prefix="rec"
    )
    conflict_form = forms_in.get("conflict_form") or forms.ConflictForm(prefix="coi")
    conflict_form.user_id.choices = options((a.user.id, a.user.name) for a in meeting.attendance)
    # One position form per recommendation, each with its own prefix (and so its own field ids).
    conflicted = sitting_services.conflicted_user_ids(item)
    speakers = sitting_services.speakers_at(meeting, now, conflicted)
    position_forms = {r.id: forms.PositionForm(prefix=f"pos{r.id}") for r in recommendations}
    position_forms |= forms_in.get("position_forms", {})
    for position_form in position_forms.values():
        position_form.speaker_id.choices = _member_options(speakers)
    quorum = sitting_services.quorum_now(meeting, now)
    # Forms not shown once the sitting is over still say why they were refused.
    sent = [f for f in forms_in.values() if isinstance(f, FlaskForm)]
    sent += [f for group in forms_in.values() if isinstance(group, dict) for f in group.values()]
    context: dict[str, Any] = {
        "refusals": [str(e) for f in sent for e in f.form_errors],
        "meeting": meeting,
        "item": item,
        "items": items,
        "previous_item": items[index - 1] if index > 0 else None,
        "next_item": items[index + 1] if index + 1 < len(items) else None,
        "quorum_now": quorum,
        "missing_agencies": base.agency_names(meeting, quorum.missing_agency_ids),
        "recommendations": recommendations,
        "conflicted": conflicted,
        "open": sitting_services.in_session(meeting),
        "item_form": item_form,
        "recommendation_form": recommendation_form,
        "conflict_form": conflict_form,
        "position_forms": position_forms,
        "live_etag": live_services.fingerprint(meeting, current_user, now),
    }
    if case is not None:
        coordinator_form = forms_in.get("coordinator_form") or forms.CoordinatorForm(prefix="coord")
        coordinator_form.user_id.choices = _member_options(members)
        if not coordinator_form.is_submitted():
            coordinator_form.user_id.data = case.coordinator_id
        action_form = forms_in.get("action_form") or forms.NewActionForm(prefix="act")
        action_form.owner_id.choices = _member_options(members)
        action_form.recommendation_id.choices = options(
            (r.id, r.text[:60]) for r in recommendations if r.outcome.value == "adopted"
        )
        referral_form = forms_in.get("referral_form") or ReferralForm(prefix="refer")
        referral_form.service_id.choices = options(
            (svc.id, f"{svc.name} ({label(svc.kind)})")
            for svc in directory_queries.active_services(meeting.panel_id)
        )
        referral_form.recommendation_id.choices = [
            no_choice(_("None")),
            *options((r.id, r.text[:60]) for r in recommendations),
        ]
        step_forms = forms_in.get("step_forms", {})
        context |= {
            "coordinator_form": coordinator_form,
            "action_form": action_form,
            "referral_form": referral_form,
            "status_form": forms_in.get("status_form") or _status_form(case, recommendations),
            "report_state": report_state(
                action_queries.report_due(meeting),
                action_queries.reports_submitted_on(meeting).get(case.id),
                to_zone(now, meeting.panel.timezone).date(),
            ),
            "referrals": [
                (ref, step_forms.get(ref.id) or _step_form(ref))
                for ref in directory_queries.referrals_for(case)
            ],
            "case": case,
            "crime_suspected": _crime_suspected(case),
            "report": case_queries.latest_report(case),
            "actions": case_queries.actions_for(case),
            "decisions": [
                d for d in case_queries.decisions_for(case) if d.item.meeting_id != meeting.id
            ][:5],
        }
    elif item.kind.value == "action_review":
        context["review_actions"] = [
            (a, forms_in.get("review_forms", {}).get(a.id) or forms.ReviewForm(prefix=f"rv{a.id}"))
            for a in queries.open_actions_from(queries.previous_meeting(meeting))
        ]
    page = render_template("meetings/sitting.html", **context)
    db.session.commit()  # the audit record of the crime flag shown, kept once the page rendered
    return page, status


def _crime_suspected(case: Any) -> bool | None:
    """Whether a crime is suspected (it decides the coordinator), for those who may know it:
    shown through the audited door of the restricted details. None: not for this reader."""
    if not permissions.can_view_restricted(current_user, case):
        return None
    return case_services.open_crime_suspected(
        case, actor=current_user, now=utcnow(), ip=client_ip()
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>")
@kept
def sitting(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    if sitting_services.in_session(meeting) and live_services.leads_the_sitting(
        meeting, current_user
    ):
        # The chair on this item: the live page of every member moves to it.
        live_services.take_up_item(meeting, item, actor=current_user, now=utcnow())
    return _sitting_page(meeting, item)


def _on_item(meeting: Meeting, item: AgendaItem, anchor: str | None = None) -> str:
    return url_for("meetings.sitting", meeting_id=meeting.id, item_id=item.id, _anchor=anchor)


def _submit(
    meeting: Meeting,
    item: AgendaItem,
    form: FlaskForm,
    change: Any,
    success: Any,
    anchor: str,
    **page: Any,
) -> Any:
    """A change typed on the chair's view: saved on its own and back at its place on the page,
    or the item again with the form as typed (`page` names where it goes back on the page)."""
    return post_form(
        form,
        change,
        success=success,
        target=_on_item(meeting, item, anchor),
        page=lambda status: _sitting_page(meeting, _load_item(meeting, item.id), status, **page),
    )


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

    def refreshed(status: int) -> Any:
        if getattr(form, "conflicted", False):  # the next save is against what is saved now
            form.version.data = _load_item(meeting, item.id).version_id
            form.version.raw_data = None
        return _sitting_page(meeting, _load_item(meeting, item.id), status, item_form=form)

    return post_form(
        form,
        change,
        success=lambda _none: _("Saved at %(time)s.", time=_saved_at(meeting)),
        target=_on_item(meeting, item, "record-heading"),
        page=refreshed,
    )


def _saved_at(meeting: Meeting) -> str:
    return local_time(utcnow(), meeting.panel.timezone, seconds=True)


def _autosave(meeting: Meeting, item: AgendaItem, form: Any, change: Any) -> Any:
    """The background save: the new version to save against next, or why it was not saved."""
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        return jsonify(error=" ".join(str(e) for e in errors)), 422
    try:
        commit_change(change)
    except DomainError as error:
        return jsonify(error=error.message), error.status_code
    return jsonify(
        version=_load_item(meeting, item.id).version_id,
        message=_("Saved at %(time)s.", time=_saved_at(meeting)),
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/recommendations", methods=["POST"])
def add_recommendation(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.RecommendationForm(prefix="rec")
    return _submit(
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
        "recs-heading",
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
    return _submit(
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
        f"rec-{recommendation.id}",
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
        _on_item(meeting, item, f"rec-{recommendation.id}"),
    )


def _load_case_item(meeting_id: int, item_id: int) -> tuple[Meeting, AgendaItem, Case]:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    if item.case is None:
        abort(404)
    return meeting, item, item.case


@bp.route("/<int:meeting_id>/items/<int:item_id>/status", methods=["POST"])
def change_case_status(meeting_id: int, item_id: int) -> Any:
    meeting, item, case = _load_case_item(meeting_id, item_id)
    form = _status_form(case, list(item.recommendations))
    if form is None:
        abort(403)
    return _submit(
        meeting,
        item,
        form,
        lambda: case_services.change_status(
            case,
            form.status.data,
            actor=current_user,
            now=utcnow(),
            reason=form.reason.data or "",
            recommendation=next(
                (r for r in item.recommendations if r.id == form.recommendation_id.data), None
            ),
            meeting=meeting,
        ),
        _("The case's status was changed."),
        "status-heading",
        status_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/coordinator", methods=["POST"])
def name_coordinator(meeting_id: int, item_id: int) -> Any:
    meeting, item, case = _load_case_item(meeting_id, item_id)
    form = forms.CoordinatorForm(prefix="coord")
    form.user_id.choices = options((m.user_id, "") for m in base.current_memberships(meeting.panel))
    return _submit(
        meeting,
        item,
        form,
        lambda: case_services.assign_coordinator(
            case,
            _person(form.user_id.data),
            reason=form.reason.data or "",
            override_reason=form.override_reason.data or "",
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        ),
        _("The coordinator was named and notified."),
        "coord-heading",
        coordinator_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/actions", methods=["POST"])
def add_action(meeting_id: int, item_id: int) -> Any:
    meeting, item, _case = _load_case_item(meeting_id, item_id)
    form = forms.NewActionForm(prefix="act")
    form.recommendation_id.choices = options((r.id, "") for r in item.recommendations)
    form.owner_id.choices = options(
        (m.user_id, "") for m in base.current_memberships(meeting.panel)
    )

    def change() -> Action:
        owner = _person(form.owner_id.data)
        return action_services.add_action(
            _load_recommendation(item, form.recommendation_id.data),
            text=form.text.data,
            owner=owner,
            due_on=form.due_on.data,
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        )

    return _submit(
        meeting,
        item,
        form,
        change,
        _("Action added; its owner has been told."),
        "act-heading",
        action_form=form,
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/conflicts", methods=["POST"])
def declare_conflict(meeting_id: int, item_id: int) -> Any:
    meeting = load_managed_meeting(meeting_id)
    item = _load_item(meeting, item_id)
    form = forms.ConflictForm(prefix="coi")
    form.user_id.choices = options((a.user_id, "") for a in meeting.attendance)
    return _submit(
        meeting,
        item,
        form,
        lambda: sitting_services.declare_conflict(
            item, _person(form.user_id.data), actor=current_user, now=utcnow()
        ),
        _("The conflict of interest was recorded."),
        "coi-heading",
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
    return _submit(
        meeting,
        item,
        form,
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
        f"rv{action.id}",
        review_forms={action.id: form},
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/referrals", methods=["POST"])
def refer(meeting_id: int, item_id: int) -> Any:
    meeting, item, case = _load_case_item(meeting_id, item_id)
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
        return directory_services.propose_referral(
            case,
            service,
            recommendation=recommendation,
            guided=bool(form.guided.data),
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        )

    return _submit(
        meeting,
        item,
        form,
        change,
        _("The referral to the service was proposed."),
        "refer-heading",
        referral_form=form,
    )


@bp.route(
    "/<int:meeting_id>/items/<int:item_id>/referrals/<int:referral_id>/step", methods=["POST"]
)
def referral_step(meeting_id: int, item_id: int, referral_id: int) -> Any:
    meeting, item, case = _load_case_item(meeting_id, item_id)
    referral = db.session.get(ServiceReferral, referral_id)
    if referral is None or referral.case_id != case.id:
        abort(404)
    form = _step_form(referral)
    return _submit(
        meeting,
        item,
        form,
        lambda: directory_services.advance_referral(
            referral,
            form.status.data,
            legal_basis=form.legal_basis.data,
            version=form.version.data or 0,
            meeting=meeting,
            actor=current_user,
            now=utcnow(),
        ),
        _("The referral was updated."),
        "refer-heading",
        step_forms={referral.id: form},
    )
