"""Minutes: the draft, circulation, signatures, the archive, amendments, what changed."""

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from conference.audit.anchor import Anchor, anchor_head
from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth import services as auth_services
from conference.db import utcnow
from conference.documents import download
from conference.documents.minutes import extract_agencies, extract_content, with_signatures
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_datetime
from conference.forms import no_choice, options
from conference.languages import reader_zone, written_in
from conference.meetings.models import AttendanceStatus, Meeting
from conference.meetings.services.base import record_document
from conference.minutes import archive, comments, forms, services
from conference.minutes.models import MinutesComment, MinutesStatus, MinutesVersion
from conference.views import (
    apply_change,
    client_ip,
    post_form,
    recent_authentication,
    show_error,
)

bp = Blueprint("minutes", __name__)


def _was_present(meeting: Meeting) -> bool:
    return any(
        a.user_id == current_user.id and a.status is AttendanceStatus.PRESENT
        for a in meeting.attendance
    )


def reader_access(version: MinutesVersion) -> str | None:
    """'full', 'extract' or None for the signed-in user and this version."""
    meeting = version.meeting
    if permissions.can_manage_minutes(current_user, meeting):
        return "full"
    access = permissions.minutes_access(current_user, meeting)
    if version.status is MinutesStatus.DRAFT:
        return None
    if version.status is MinutesStatus.CIRCULATED:  # for the comments of those who were there
        return access if access == "full" and _was_present(meeting) else None
    return access


def _load(version_id: int) -> tuple[MinutesVersion, str]:
    version = db.session.get(MinutesVersion, version_id)
    if version is None:
        abort(404)
    access = reader_access(version)
    if access is None:
        abort(404)
    return version, access


def _own_extract(version: MinutesVersion) -> dict[str, Any]:
    name = version.content["agencies"].get(str(current_user.agency_id), current_user.agency.name)
    return extract_content(version.content, current_user.agency_id, name)


@bp.route("/meetings/<int:meeting_id>/minutes")
def for_meeting(meeting_id: int) -> Any:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not permissions.can_view_meeting(current_user, meeting):
        abort(404)
    readable = [v for v in reversed(_versions(meeting)) if reader_access(v) is not None]
    if readable:  # the newest this reader may see: an amendment in draft hides nothing signed
        return redirect(url_for("minutes.show", version_id=readable[0].id))
    if not permissions.can_manage_minutes(current_user, meeting):
        abort(404)
    return render_template("minutes/none.html", meeting=meeting)


@bp.route("/minutes/<int:version_id>")
def show(version_id: int) -> Any:
    version, access = _load(version_id)
    return _page(version, access)


def _document(version: MinutesVersion, access: str) -> dict[str, Any]:
    """What this reader may read of the version, with its signature block."""
    doc = version.content if access == "full" else _own_extract(version)
    return with_signatures(doc, services.signatures_of(version))


def _page(version: MinutesVersion, access: str, status: int = 200, **forms_in: Any) -> Any:
    meeting = version.meeting
    can_manage = permissions.can_manage_minutes(current_user, meeting)
    if version.archived_at is not None and not archive.content_intact(version):
        return _archive_refused(version, "content changed")
    doc = _document(version, access)
    context: dict[str, Any] = {
        "version": version,
        "meeting": meeting,
        "doc": doc,
        "access": access,
        "can_manage": can_manage,
        "extracts": extract_agencies(version.content) if access == "full" else {},
        "versions": sorted(
            (v for v in _versions(meeting) if reader_access(v) is not None),
            key=lambda v: v.number,
        ),
        "sign_form": forms_in.get("sign_form") or forms.SignForm(),
        "amend_form": forms_in.get("amend_form") or forms.AmendForm(),
        "may_sign": _may_sign(version),
    }
    if access == "full":  # comments are need-to-know: never with an extract
        context |= _comments_context(version, can_manage, forms_in)
    return render_template("minutes/show.html", **context), status


def _item_choices(version: MinutesVersion) -> list[Any]:
    whole = no_choice(_("The minutes as a whole"))
    return [
        whole,
        *options(
            (i["number"], f"{i['number']}. {i.get('reference') or i.get('title', '')}")
            for i in version.content.get("items", [])
        ),
    ]


def _answer_form(comment: MinutesComment, version: MinutesVersion) -> forms.AnswerForm:
    form = forms.AnswerForm(prefix=f"answer{comment.id}")
    if not form.is_submitted():
        item = next(
            (i for i in version.content.get("items", []) if i["number"] == comment.item_number),
            None,
        )
        if item is not None and item.get("kind") == "case":
            form.facts.data, form.assessment.data = item.get("facts", ""), item.get("assessment")
    return form


def _comments_context(
    version: MinutesVersion, can_manage: bool, forms_in: dict[str, Any]
) -> dict[str, Any]:
    """The comments on the version, the form to add one, and the secretary's answer forms."""
    kept = comments.comments_of(version)
    comment_form = forms_in.get("comment_form") or forms.CommentForm(prefix="comment")
    comment_form.item_number.choices = _item_choices(version)
    answering = can_manage and version.status is MinutesStatus.CIRCULATED
    answer_forms = forms_in.get("answer_forms", {})
    items = {i["number"]: i for i in version.content.get("items", [])}
    return {
        "comments": kept,
        "open_comments": [c for c in kept if c.answer is None],
        "comment_items": items,
        "may_comment": comments.may_comment(current_user, version),
        "signs_as_chair": current_user.id == services.chair_id(version.meeting),
        "comment_form": comment_form,
        "answer_forms": {
            c.id: answer_forms.get(c.id) or _answer_form(c, version)
            for c in kept
            if answering and c.answer is None
        },
    }


@bp.route("/minutes/<int:version_id>/comments", methods=["POST"])
def comment(version_id: int) -> Any:
    version, access = _load(version_id)
    form = forms.CommentForm(prefix="comment")
    form.item_number.choices = _item_choices(version)
    return post_form(
        form,
        lambda: comments.add_comment(
            version,
            item_number=form.item_number.data,
            body=form.body.data or "",
            actor=current_user,
            now=utcnow(),
        ),
        success=_("Your comment was sent to the secretary."),
        target=lambda made: url_for(
            "minutes.show", version_id=version.id, _anchor=f"comment-{made.id}"
        ),
        page=lambda status: _page(version, access, status, comment_form=form),
    )


@bp.route("/minutes/<int:version_id>/comments/<int:comment_id>/answer", methods=["POST"])
def answer(version_id: int, comment_id: int) -> Any:
    version, access = _load(version_id)
    if not permissions.can_manage_minutes(current_user, version.meeting):
        abort(403)
    remark = db.session.get(MinutesComment, comment_id)
    if remark is None or remark.version_id != version.id:
        abort(404)
    form = forms.AnswerForm(prefix=f"answer{remark.id}")
    return post_form(
        form,
        lambda: comments.answer_comment(
            remark,
            answer=form.answer.data,
            text=form.text.data or "",
            facts=form.facts.data,
            assessment=form.assessment.data,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The comment was answered."),
        target=url_for("minutes.show", version_id=version.id, _anchor=f"comment-{remark.id}"),
        page=lambda status: _page(version, access, status, answer_forms={remark.id: form}),
    )


def _versions(meeting: Meeting) -> list[MinutesVersion]:
    return list(
        db.session.scalars(
            sa.select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(MinutesVersion.number)
        )
    )


@bp.route("/meetings/<int:meeting_id>/minutes/draft", methods=["POST"])
def draft(meeting_id: int) -> Any:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not permissions.can_view_meeting(current_user, meeting):
        abort(404)
    if not permissions.can_manage_minutes(current_user, meeting):
        abort(403)
    try:
        version = services.draft_minutes(meeting, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    db.session.commit()
    flash(_("The draft minutes were drawn up from the meeting's record."), "success")
    return redirect(url_for("minutes.show", version_id=version.id))


def _act(version: MinutesVersion, change: Any, success: str) -> Any:
    return apply_change(change, success, url_for("minutes.show", version_id=version.id))


@bp.route("/minutes/<int:version_id>/circulate", methods=["POST"])
def circulate(version_id: int) -> Any:
    version, _access = _load(version_id)
    return _act(
        version,
        lambda: services.circulate(version, actor=current_user, now=utcnow()),
        _("The draft was sent to those present for their comments."),
    )


def _may_sign(version: MinutesVersion) -> bool:
    """Whether the signed-in person has a signature to give on this version now."""
    if version.status is not MinutesStatus.CIRCULATED:
        return False
    meeting = version.meeting
    given = {(s.role.value, s.agency_id) for s in version.signatures}
    if current_user.id == services.chair_id(meeting):
        return not any(role == "chair" for role, _agency in given)
    return (
        current_user.agency_id in services.core_present(meeting)
        and permissions.minutes_access(current_user, meeting) == "full"
        and ("co_signer", current_user.agency_id) not in given
        and not any(agency == current_user.agency_id for _role, agency in given)
    )


@bp.route("/minutes/<int:version_id>/sign", methods=["POST"])
@recent_authentication(back=lambda version_id: url_for("minutes.show", version_id=version_id))
def sign(version_id: int) -> Any:
    version, access = _load(version_id)
    form = forms.SignForm()
    anchor = None
    if form.validate_on_submit():
        # The same check as signing in: throttled, locked after repeated failures, audited.
        attempt = auth_services.reauthenticate(
            current_user,
            g.user_session,
            form.password.data or "",
            form.code.data or "",
            now=utcnow(),
            ip=client_ip(),
        )
        db.session.commit()  # a failure stays audited and counted
        if attempt.user is None:
            form.password.errors = [_refusal(attempt.locked_until)]
            return _page(
                _load(version_id)[0], access, 429 if attempt.locked_until else 422, sign_form=form
            )
        # The last signature archives the minutes: the audit chain is anchored first, outside
        # the database, and the anchor listed in the archive's manifest.
        if services.completes(version, current_user):
            anchor = anchor_head(
                utcnow(), reason=f"minutes {version.document_id} v{version.number}"
            )
    return post_form(
        form,
        lambda: _sign(version, confirmed=bool(form.despite_comments.data), anchor=anchor),
        success=lambda status: (
            _("Signed. The minutes are complete and archived.")
            if status is MinutesStatus.ARCHIVED
            else _("Signed. Waiting for the other signatures.")
        ),
        target=url_for("minutes.show", version_id=version.id),
        page=lambda status: _page(_load(version_id)[0], access, status, sign_form=form),
    )


def _sign(version: MinutesVersion, *, confirmed: bool, anchor: Anchor | None) -> MinutesStatus:
    """Sign, the chair only once the open comments are read or knowingly signed over."""
    is_chair = current_user.id == services.chair_id(version.meeting)
    comments.check_signing_over(version, chair=is_chair, confirmed=confirmed)
    return services.sign(version, actor=current_user, now=utcnow(), anchor=anchor)


def _refusal(locked_until: Any) -> str:
    if locked_until is not None:
        return _(
            "Too many failed attempts. Signing is paused until %(time)s.",
            time=local_datetime(locked_until, reader_zone()),
        )
    return _("That is not your password (or the code is wrong).")


@bp.route("/minutes/<int:version_id>/amend", methods=["POST"])
def amend(version_id: int) -> Any:
    version, access = _load(version_id)
    if not permissions.can_manage_minutes(current_user, version.meeting):
        abort(403)
    form = forms.AmendForm()
    if form.validate_on_submit():
        try:
            amended = services.amend(
                version, reason=form.reason.data, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("An amendment was started. Correct the items, then circulate it."), "success")
            return redirect(url_for("minutes.show", version_id=amended.id))
    return _page(version, access, 422, amend_form=form)


@bp.route("/minutes/<int:version_id>/items/<int:number>", methods=["POST"])
def correct(version_id: int, number: int) -> Any:
    version, _access = _load(version_id)
    form = forms.CorrectItemForm(prefix=f"item{number}")
    if not form.validate_on_submit():
        flash(_("The correction is too long."), "danger")
        return redirect(url_for("minutes.show", version_id=version.id))
    return _act(
        version,
        lambda: services.correct_item(
            version,
            number,
            facts=form.facts.data or "",
            assessment=form.assessment.data or "",
            actor=current_user,
            now=utcnow(),
        ),
        _("The item was corrected."),
    )


@bp.route("/minutes/<int:version_id>/changes")
def changes(version_id: int) -> Any:
    version, access = _load(version_id)
    if access != "full" or version.supersedes_id is None:
        abort(404)
    older = db.session.get(MinutesVersion, version.supersedes_id)
    return render_template(
        "minutes/changes.html",
        version=version,
        older=older,
        lines=services.changes_between(older, version) if older else [],
    )


def _archive_refused(version: MinutesVersion, what: str) -> Any:
    """An archived file or the stored content is not what was signed: the reader is told, the
    administrator finds it in the log and the audit trail; never a 500."""
    record_event(
        "minutes.archive_check_failed",
        actor=current_user,
        now=utcnow(),
        object_type="minutes",
        object_id=version.id,
        panel_id=version.meeting.panel_id,
        ip=client_ip(),
        detail={"what": what},
    )
    db.session.commit()
    if what == "missing":
        message = _(
            "These signed minutes cannot be shown: their archived copy is missing. The "
            "administrator has been told; it must be restored from a backup."
        )
    else:
        message = _(
            "These signed minutes cannot be shown: the archived copy is no longer what was "
            "signed. The administrator has been told; it must be restored from a backup."
        )
    return render_template("errors/error.html", code=409, message=message), 409


def _pdf(version: MinutesVersion, agency_id: int | None, doc: dict[str, Any], name: str) -> Any:
    """Archived minutes come from the archive, checked against their hash, never rendered
    again; drafts are rendered once per content (with its signatures, language and extract)
    and kept in the cache of rendered documents."""

    def audit() -> None:
        record_document(version.meeting, name, actor=current_user, now=utcnow(), ip=client_ip())

    if version.archived_at is None:
        with written_in(version.locale):
            status = _("draft") if version.signed_at is None else ""
        return download.deliver(
            kind="minutes" if agency_id is None else "extract",
            meeting_id=version.meeting_id,
            html=archive.minutes_html(
                with_signatures(doc | {"status": status}, services.signatures_of(version)),
                locale=version.locale,
            ),
            filename=name,
            title=_("Minutes"),
            audit=audit,
        )
    try:
        body = archive.archived_body(version, agency_id)
    except archive.ArchiveError as error:
        return _archive_refused(version, str(error))
    audit()
    db.session.commit()
    return download.pdf_response(body, name)


def _file_name(version: MinutesVersion, suffix: str = "") -> str:
    content = version.content
    return f"{content['panel']['code']}-minutes-v{version.number}{suffix}.pdf"


@bp.route("/minutes/<int:version_id>.pdf")
@recent_authentication()
def pdf(version_id: int) -> Any:
    version, access = _load(version_id)
    if access != "full":
        return redirect(
            url_for("minutes.extract_pdf", version_id=version.id, agency_id=current_user.agency_id)
        )
    return _pdf(version, None, version.content, _file_name(version))


@bp.route("/minutes/<int:version_id>/extracts/<int:agency_id>.pdf")
@recent_authentication()
def extract_pdf(version_id: int, agency_id: int) -> Any:
    version, access = _load(version_id)
    if access != "full" and agency_id != current_user.agency_id:
        abort(404)
    names = version.content["agencies"]
    if str(agency_id) not in names:
        abort(404)
    doc = extract_content(version.content, agency_id, names[str(agency_id)])
    return _pdf(version, agency_id, doc, _file_name(version, f"-extract-{agency_id}"))


@bp.route("/minutes/<int:version_id>/print")
@recent_authentication()
def print_view(version_id: int) -> Any:
    version, access = _load(version_id)
    if version.archived_at is not None and not archive.content_intact(version):
        return _archive_refused(version, "content changed")
    with written_in(version.locale):
        return render_template("documents/minutes.html", doc=_document(version, access))
