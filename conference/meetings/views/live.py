"""Members take part from their own device: the live meeting, their agency's position, the reply
to the invitation; and the positions arriving on the chair's view."""

from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth import permissions
from conference.db import utcnow
from conference.extensions import db
from conference.forms import no_choice, options
from conference.meetings import forms
from conference.meetings.models import InvitationReply, Meeting, Recommendation
from conference.meetings.services import live as live_services
from conference.meetings.services import sitting as sitting_services
from conference.meetings.views import bp, load_managed_meeting, load_meeting
from conference.views import post_form

# --- The live meeting -------------------------------------------------------------------------


def _position_forms(view: live_services.Live, sent: dict[int, Any]) -> dict[int, Any]:
    """A form per open recommendation of the current item, starting from the agency's own
    position when it has given one."""
    result: dict[int, Any] = {}
    if not view.speaks or view.current is None:
        return result
    for r in view.current.recommendations:
        if r.outcome.value != "pending":
            continue
        form = sent.get(r.id) or forms.OwnPositionForm(prefix=f"own{r.id}")
        if r.id not in sent and r.own is not None:
            form.stance.data, form.reason.data = r.own.stance, r.own.reason
        result[r.id] = form
    return result


def _live_page(meeting: Meeting, status: int = 200, sent: dict[int, Any] | None = None) -> Any:
    now = utcnow()
    view = live_services.live_view(meeting, current_user, now)
    shown = _position_forms(view, sent or {})
    # A refused position whose form is no longer offered (the person left, the item moved on,
    # the meeting closed) still says why.
    refusals = [
        str(error)
        for rec_id, form in (sent or {}).items()
        if rec_id not in shown
        for error in [*form.form_errors, *(e for f in form for e in f.errors)]
    ]
    page = render_template(
        "meetings/live.html",
        live=view,
        meeting=meeting,
        position_forms=shown,
        refusals=refusals,
        etag=live_services.fingerprint(meeting, current_user, now),
    )
    return page, status


@bp.route("/<int:meeting_id>/live")
def live(meeting_id: int) -> Any:
    return _live_page(load_meeting(meeting_id))


def _conditional(meeting: Meeting, render: Any) -> Any:
    """Answer 304 while nothing the viewer sees has changed; else the fragment and its tag."""
    tag = live_services.fingerprint(meeting, current_user, utcnow())
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = Response(render(), mimetype="text/html")
    response.set_etag(tag)
    return response


@bp.route("/<int:meeting_id>/live/state")
def live_state(meeting_id: int) -> Any:
    """What the live page's script fetches every few seconds: its main part, or 304."""
    meeting = load_meeting(meeting_id)

    def render() -> str:
        view = live_services.live_view(meeting, current_user, utcnow())
        return render_template(
            "meetings/_live_state.html",
            live=view,
            meeting=meeting,
            position_forms=_position_forms(view, {}),
        )

    return _conditional(meeting, render)


def _open_recommendation(meeting: Meeting, recommendation_id: int) -> Recommendation:
    """A recommendation of this meeting on a case the person may see (404 otherwise)."""
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or recommendation.item.meeting_id != meeting.id:
        abort(404)
    case = recommendation.item.case
    if case is None or not permissions.can_view_case(current_user, case):
        abort(404)
    return recommendation


@bp.route(
    "/<int:meeting_id>/live/recommendations/<int:recommendation_id>/position", methods=["POST"]
)
def give_position(meeting_id: int, recommendation_id: int) -> Any:
    """A member gives their own agency's position on the open recommendation."""
    meeting = load_meeting(meeting_id)
    recommendation = _open_recommendation(meeting, recommendation_id)
    form = forms.OwnPositionForm(prefix=f"own{recommendation.id}")
    return post_form(
        form,
        lambda: sitting_services.record_position(
            recommendation,
            current_user,
            stance=form.stance.data,
            reason=form.reason.data or "",
            actor=current_user,
            now=utcnow(),
        ),
        success=_("Your agency's position is recorded."),
        target=url_for("meetings.live", meeting_id=meeting.id, _anchor=f"rec-{recommendation.id}"),
        page=lambda status: _live_page(meeting, status, sent={recommendation.id: form}),
    )


@bp.route("/<int:meeting_id>/items/<int:item_id>/positions")
def item_positions(meeting_id: int, item_id: int) -> Any:
    """The positions on the chair's view, fetched by its script as they arrive (or 304)."""
    meeting = load_managed_meeting(meeting_id)
    item = next((i for i in meeting.items if i.id == item_id and i.removed_at is None), None)
    if item is None:
        abort(404)
    return _conditional(
        meeting,
        lambda: render_template(
            "meetings/_positions.html",
            recommendations=sorted(item.recommendations, key=lambda r: r.id),
        ),
    )


# --- Replies to the invitation ----------------------------------------------------------------


@bp.route("/<int:meeting_id>/reply", methods=["GET", "POST"])
def reply(meeting_id: int) -> Any:
    meeting = load_meeting(meeting_id)
    entry = live_services.own_invitation(meeting, current_user)
    if entry is None:
        abort(404)
    deputies = live_services.possible_deputies(meeting, current_user)
    form = forms.ReplyForm()
    form.deputy_id.choices = [
        no_choice(_("Nobody")),
        *options((u.id, u.name) for u in deputies),
    ]
    if not form.is_submitted():
        form.reply.data, form.deputy_id.data = entry.reply, entry.deputy_id

    def change() -> Any:
        deputy = next((u for u in deputies if u.id == form.deputy_id.data), None)
        return live_services.reply_to_invitation(
            meeting, form.reply.data, deputy=deputy, actor=current_user, now=utcnow()
        )

    return post_form(
        form,
        change,
        success=lambda answered: {
            InvitationReply.ATTENDING: _("Thank you: you are expected."),
            InvitationReply.APOLOGIES: _("Thank you: your apologies are noted."),
            InvitationReply.DEPUTY: _("Thank you: your deputy is expected in your place."),
        }[answered.reply],
        target=url_for("meetings.show", meeting_id=meeting.id, _anchor="replies-heading"),
        page=lambda status: (
            render_template(
                "meetings/reply.html", meeting=meeting, entry=entry, form=form, deputies=deputies
            ),
            status,
        ),
    )
