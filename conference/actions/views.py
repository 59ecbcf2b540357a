"""Between meetings: my work, an action and its history, the coordinator's progress report."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.actions import forms, queries, rules, services
from conference.actions.models import Action, ActionUpdate, ProgressReport
from conference.auth import permissions
from conference.cases.queries import case_by_reference, coordinated
from conference.db import utcnow
from conference.directory import queries as directory_queries
from conference.extensions import db
from conference.meetings.models import Meeting
from conference.pagecache import kept
from conference.views import paginate, post_form

bp = Blueprint("actions", __name__)


@bp.route("/my-work")
@kept
def my_work() -> Any:
    now = utcnow()
    today = now.date()
    soon = today + timedelta(days=current_app.config["ACTION_DUE_SOON_DAYS"])
    size = current_app.config["WORK_LIST_SIZE"]
    # Each list a page at a time, overdue actions first: a coordinator of thousands of cases
    # gets a page of the same size as anyone.
    total, overdue_total = queries.open_action_counts(current_user, today)
    action_page = paginate(queries.open_actions(current_user), size, total=total)
    case_page = paginate(coordinated(current_user), size, arg="cases_page")
    actions, cases = action_page.items, case_page.items
    meetings = queries.next_meetings([*cases, *(a.case for a in actions)], now)
    return render_template(
        "actions/my_work.html",
        unanswered=directory_queries.unanswered_for(current_user, today),
        action_page=action_page,
        case_page=case_page,
        overdue_total=overdue_total,
        overdue=[a for a in actions if rules.is_overdue(a.status, a.due_on, today)],
        due_soon=[a for a in actions if today <= a.due_on <= soon],
        later=[a for a in actions if a.due_on > soon],
        changed=queries.recently_changed(current_user, now - timedelta(days=7)),
        cases=cases,
        meetings=meetings,
        submitted=queries.submitted_reports(
            {c.id: meetings[c.id] for c in cases if c.id in meetings}
        ),
    )


def _load_action(action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or not permissions.can_view_case(current_user, action.case):
        abort(404)
    return action


def _action_page(action: Action, form: forms.ActionUpdateForm | None, status: int = 200) -> Any:
    history = db.session.scalars(
        sa.select(ActionUpdate).where(ActionUpdate.action_id == action.id).order_by(ActionUpdate.at)
    ).all()
    meeting = db.session.get(Meeting, action.meeting_id) if action.meeting_id else None
    return render_template(
        "actions/show.html",
        action=action,
        history=history,
        meeting=meeting,
        form=form,
        overdue=rules.is_overdue(action.status, action.due_on, utcnow().date()),
    ), status


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
def show(action_id: int) -> Any:
    action = _load_action(action_id)
    can_update = permissions.can_update_action(current_user, action)
    if request.method == "POST" and not can_update:
        abort(403)
    form = forms.ActionUpdateForm() if can_update and action.status in rules.OPEN_STATUSES else None
    if form is not None and request.method == "GET":
        form.status.data, form.version.data = action.status, action.version_id
    if form is None:
        return _action_page(action, None)

    def page(status: int) -> Any:
        if getattr(form, "conflicted", False):
            form.version.data = _load_action(action_id).version_id
            form.version.raw_data = None
        return _action_page(_load_action(action_id), form, status)

    return post_form(
        form,
        lambda: services.update_action(
            action,
            form.status.data,
            note=form.note.data or "",
            new_due_on=form.new_due_on.data,
            version=form.version.data or 0,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The action was updated."),
        target=url_for("actions.show", action_id=action.id),
        page=page,
    )


@bp.route("/cases/<reference>/reports/<int:meeting_id>", methods=["GET", "POST"])
def report(reference: str, meeting_id: int) -> Any:
    case = case_by_reference(reference)
    if case is None or not permissions.can_view_case(current_user, case):
        abort(404)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.panel_id != case.panel_id:
        abort(404)
    if not permissions.can_write_report(current_user, case):
        abort(403)
    existing = db.session.scalar(
        sa.select(ProgressReport).where(
            ProgressReport.case_id == case.id, ProgressReport.meeting_id == meeting.id
        )
    )
    form = forms.ReportForm(obj=existing)
    if request.method == "GET" and existing is not None:
        form.version.data = existing.version_id
    submit = "submit" in request.form

    def page(status: int) -> Any:
        if getattr(form, "conflicted", False):
            form.version.data = _report_version(case, meeting)
            form.version.raw_data = None
        return _report_page(case, meeting, form, existing, status)

    return post_form(
        form,
        lambda: services.save_report(
            case,
            meeting,
            services.ReportData(
                rag=form.rag.data,
                summary=form.summary.data,
                closure_proposed=bool(form.closure_proposed.data),
                discussion_requested=bool(form.discussion_requested.data),
            ),
            submit=submit,
            version=form.version.data,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The report was submitted for the meeting; nothing more is asked of you for it.")
        if submit
        else _("The draft was saved. Submit it when it is ready."),
        target=url_for("actions.report", reference=case.reference, meeting_id=meeting.id),
        page=page,
    )


def _report_version(case: Any, meeting: Meeting) -> int | None:
    return db.session.scalar(
        sa.select(ProgressReport.version_id).where(
            ProgressReport.case_id == case.id, ProgressReport.meeting_id == meeting.id
        )
    )


def _report_page(
    case: Any, meeting: Meeting, form: forms.ReportForm, report: Any, status: int
) -> Any:
    due_on = queries.report_due(meeting)
    actions = db.session.scalars(
        sa.select(Action).where(Action.case_id == case.id).order_by(Action.due_on)
    ).all()
    return render_template(
        "actions/report.html",
        case=case,
        meeting=meeting,
        form=form,
        report=report,
        due_on=due_on,
        actions=actions,
        referrals=directory_queries.referrals_for(case),
    ), status
