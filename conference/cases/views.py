"""The case register: list, intake, case page, restricted section, edits, consent, shares."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from conference.actions.rules import is_overdue
from conference.auth import permissions
from conference.auth.models import Agency
from conference.cases import forms, queries, rules, services
from conference.cases.models import Case, CaseShare
from conference.db import utcnow
from conference.directory import queries as directory_queries
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_date
from conference.forms import no_choice, options
from conference.labels import label
from conference.meetings.models import Recommendation, RecommendationOutcome
from conference.pagecache import kept
from conference.panels.models import AgencyTier
from conference.views import apply_change, client_ip, paginate, post_form, show_error

bp = Blueprint("cases", __name__, url_prefix="/cases")


def load_visible_case(reference: str) -> Case:
    """The case, or 404 when it does not exist or the user may not know it exists."""
    case = queries.case_by_reference(reference)
    if case is None or not permissions.can_view_case(current_user, case):
        abort(404)
    return case


# --- Finding a person -------------------------------------------------------------------------


@bp.route("/find", methods=["GET", "POST"])
def find() -> Any:
    """Look a person up by name: a POST form, so the name never reaches a URL or a log."""
    if not permissions.can_find_person(current_user):
        abort(403)
    form = forms.FindPersonForm()
    matches: list[services.Match] | None = None
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                matches = services.find_person(
                    form.full_name.data or "",
                    form.date_of_birth.data,
                    actor=current_user,
                    now=utcnow(),
                )
            except DomainError as error:
                db.session.rollback()
                show_error(form, error)
                status = 422
            else:
                db.session.commit()  # the search's audit record, before the results show
        else:
            status = 422
    return render_template("cases/find.html", form=form, matches=matches), status


# --- List -------------------------------------------------------------------------------------


@bp.route("/")
@kept
def index() -> Any:
    form = forms.CaseFilterForm(request.args)
    form.coordinator.choices = [
        no_choice(_("Anyone")),
        *options(queries.coordinator_choices(current_user)),
    ]
    form.validate()

    def valid(field: Any) -> Any:  # a filter that does not parse is ignored, not an error page
        return None if field.errors else field.data

    filters = queries.CaseFilters(
        q=valid(form.q) or "",
        status=valid(form.status),
        risk=valid(form.risk),
        category=valid(form.category),
        coordinator_id=valid(form.coordinator),
        review_due=bool(valid(form.review_due)),
    )
    page = paginate(
        queries.filtered_cases(current_user, filters, utcnow().date()),
        per_page=current_app.config["CASES_PER_PAGE"],
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("cases/index.html", page=page, form=form, args=args)


# --- Intake -----------------------------------------------------------------------------------


def _intake_from(form: forms.IntakeForm) -> services.Intake:
    return services.Intake(
        source=form.source.data,
        received_on=form.received_on.data,
        concern_category=form.concern_category.data,
        risk_level=form.risk_level.data,
        crime_suspected=bool(form.crime_suspected.data),
        narrative=form.narrative.data or "",
        person=_person_from(form),
    )


def _person_from(form: forms.PersonForm) -> services.PersonData:
    return services.PersonData(
        full_name=form.full_name.data or "",
        date_of_birth=form.date_of_birth.data,
        address=form.address.data or "",
        languages=form.languages.data or "",
        guardians=tuple(
            services.GuardianData(
                g.form.name.data or "", g.form.relationship.data or "", g.form.contact.data or ""
            )
            for g in form.guardians
        ),
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    panels = [
        m.panel
        for m in current_user.current_memberships
        if permissions.can_refer_case(current_user, m.panel_id)
    ]
    if not panels:
        abort(403, _("Only members of a panel can refer a case to it."))
    form = forms.IntakeForm()
    form.panel_id.choices = options((p.id, p.name) for p in sorted(panels, key=lambda p: p.name))
    if request.method == "GET":
        form.received_on.data = utcnow().date()
    matches: list[services.Match] = []

    def change() -> Case:
        panel = next(p for p in panels if p.id == form.panel_id.data)
        if request.form.get("attach_to"):  # the referrer chose the person's earlier case
            earlier = queries.case_by_reference(request.form["attach_to"])
            if earlier is None or not permissions.can_view_case(current_user, earlier):
                abort(404)
            return services.refer_again(
                _intake_from(form), earlier, panel=panel, actor=current_user, now=utcnow()
            )
        try:
            return services.refer_case(
                _intake_from(form),
                panel=panel,
                actor=current_user,
                now=utcnow(),
                duplicate_reason=form.duplicate_reason.data or "",
            )
        except services.DuplicateSuspectedError as error:
            matches.extend(error.matches)
            raise

    return post_form(
        form,
        change,
        success=lambda case: (
            _(
                "The referral was added to %(reference)s, whose person and history it joins.",
                reference=case.reference,
            )
            if request.form.get("attach_to")
            else _("Case %(reference)s was created.", reference=case.reference)
        ),
        target=lambda case: url_for("cases.show", reference=case.reference),
        page=lambda status: (
            render_template("cases/new.html", form=form, matches=matches),
            status,
        ),
    )


# --- The case page ----------------------------------------------------------------------------


def _status_form(case: Case) -> forms.StatusForm | None:
    targets = [
        t
        for t in rules.allowed_next_statuses(case.status)
        if permissions.can_change_status(current_user, case, rules.needs_decision(case.status, t))
    ]
    if not targets:
        return None
    form = forms.StatusForm(prefix="status")
    form.status.choices = options((t.value, label(t)) for t in targets)
    adopted = db.session.scalars(
        sa.select(Recommendation)
        .where(
            Recommendation.case_id == case.id,
            Recommendation.outcome == RecommendationOutcome.ADOPTED,
        )
        .order_by(Recommendation.created_at.desc())
    ).all()
    form.recommendation_id.choices = [
        no_choice(_("None")),
        *options(
            (r.id, f"{local_date(r.created_at, case.panel.timezone)}: {r.text[:80]}")
            for r in adopted
        ),
    ]
    return form


def _partner_choices(case: Case) -> list[SelectChoice]:
    return options(
        (entry.agency.id, entry.agency.name)
        for entry in case.panel.agency_tiers
        if entry.tier in (AgencyTier.PARTNER, AgencyTier.ADVISER)
    )


def _restricted_forms(case: Case) -> dict[str, Any]:
    consent = forms.ConsentForm(prefix="consent")
    consent.partner_agency_id.choices = [no_choice(_("Not applicable")), *_partner_choices(case)]
    share = forms.ShareForm(prefix="share")
    share.agency_id.choices = _partner_choices(case)
    return {
        "note_form": forms.NoteForm(prefix="note"),
        "consent_form": consent,
        "share_form": share,
    }


def _render_case(
    case: Case, *, restricted: bool = False, status: int = 200, **form_overrides: Any
) -> Any:
    """The case page; with `restricted`, its restricted section too, which goes through
    `open_restricted` (refused, or recorded as viewed) and is shown only once that is kept."""
    today = utcnow().date()
    context: dict[str, Any] = {
        "case": case,
        "details": None,
        "decisions": queries.decisions_for(case),
        "actions": [(a, is_overdue(a.status, a.due_on, today)) for a in queries.actions_for(case)],
        "timeline": queries.timeline_for(case),
        "referrals": directory_queries.referrals_for(case),
        "status_form": _status_form(case),
    }
    if restricted:
        context["details"] = _open_restricted(case)
        context |= _restricted_forms(case)
    context |= {k: v for k, v in form_overrides.items() if v is not None}
    page = render_template("cases/show.html", **context)
    if restricted:
        db.session.commit()  # after rendering: the page is shown only if its audit record is kept
    return page, status


def _open_restricted(case: Case) -> services.RestrictedDetails:
    return services.open_restricted(case, actor=current_user, now=utcnow(), ip=client_ip())


@bp.route("/<reference>")
@kept
def show(reference: str) -> Any:
    return _render_case(load_visible_case(reference))


@bp.route("/<reference>/restricted")
@kept
def restricted(reference: str) -> Any:
    return _render_case(load_visible_case(reference), restricted=True)


@bp.route("/<reference>/status", methods=["POST"])
def change_status(reference: str) -> Any:
    case = load_visible_case(reference)
    form = _status_form(case)
    if form is None:
        abort(403)
    if form.validate_on_submit():
        recommendation = (
            db.session.get(Recommendation, form.recommendation_id.data)
            if form.recommendation_id.data
            else None
        )
        try:
            services.change_status(
                case,
                form.status.data,
                actor=current_user,
                now=utcnow(),
                reason=form.reason.data or "",
                recommendation=recommendation,
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The case's status was changed."), "success")
            return redirect(url_for("cases.show", reference=case.reference))
    return _render_case(case, status=422, status_form=form)


def _refresh_version(form: forms.CaseEditForm | forms.SubjectEditForm, case: Case) -> None:
    """After a refusal, the form carries the version now saved: saving again is deliberate."""
    form.version.data = case.version_id
    form.version.raw_data = None  # else the stale posted value would be rendered


@bp.route("/<reference>/edit", methods=["GET", "POST"])
def edit(reference: str) -> Any:
    case = load_visible_case(reference)
    if not permissions.can_edit_case(current_user, case):
        abort(403)
    form = forms.CaseEditForm(obj=case if request.method == "GET" else None)
    form.lead_agency_id.choices = [
        no_choice(_("Not set")),
        *options((e.agency.id, e.agency.name) for e in case.panel.agency_tiers),
    ]
    # Whether a crime is suspected is restricted: its field is there only for those who may
    # know it, and showing it (its box ticked or not) goes through the audited door.
    knows_crime = permissions.can_view_restricted(current_user, case)
    if not knows_crime:
        del form.crime_suspected
    if request.method == "GET":
        form.version.data = case.version_id

    def page(status: int) -> Any:
        if getattr(form, "conflicted", False):
            _refresh_version(form, case)
        if knows_crime:
            services.open_crime_suspected(case, actor=current_user, now=utcnow(), ip=client_ip())
        html = render_template(
            "cases/edit.html", case=case, form=form, conflict=getattr(form, "conflicted", False)
        )
        db.session.commit()  # the audit record, kept once the page rendered
        return html, status

    return post_form(
        form,
        lambda: services.update_case(
            case,
            services.CaseChanges(
                concern_category=form.concern_category.data,
                risk_level=form.risk_level.data,
                crime_suspected=bool(form.crime_suspected.data)
                if knows_crime
                else case.crime_suspected,
                next_review_on=form.next_review_on.data,
                lead_agency_id=form.lead_agency_id.data,
            ),
            expected_version=form.version.data or 0,
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The case was saved."),
        target=url_for("cases.show", reference=case.reference),
        page=page,
    )


@bp.route("/<reference>/subject", methods=["GET", "POST"])
def edit_subject(reference: str) -> Any:
    case = load_visible_case(reference)
    if not permissions.can_edit_subject(current_user, case):
        abort(403)
    if request.method == "GET":
        subject = _open_restricted(case).subject
        form = forms.SubjectEditForm(obj=subject, version=case.version_id)
        for entry, guardian in zip(
            form.guardians, subject.guardians if subject else [], strict=False
        ):
            entry.form.relationship.data = guardian.relationship_to_subject
        return _subject_page(case, form)
    form = forms.SubjectEditForm()
    conflict = False
    if form.validate_on_submit():
        try:
            services.update_subject(
                case,
                _person_from(form),
                expected_version=form.version.data or 0,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            conflict = error.status_code == 409
            _refresh_version(form, case)
        else:
            db.session.commit()
            flash(_("The person's details were saved."), "success")
            return redirect(url_for("cases.restricted", reference=case.reference))
    _open_restricted(case)  # the form sent back holds the person's details as typed or saved
    return _subject_page(case, form, conflict=conflict, status=422)


def _subject_page(
    case: Case, form: forms.SubjectEditForm, *, conflict: bool = False, status: int = 200
) -> Any:
    html = render_template("cases/subject.html", case=case, form=form, conflict=conflict)
    db.session.commit()  # the view's audit record, kept only once the page rendered
    return html, status


@bp.route("/<reference>/notes", methods=["POST"])
def add_note(reference: str) -> Any:
    case = load_visible_case(reference)
    form = forms.NoteForm(prefix="note")
    if form.validate_on_submit():
        try:
            services.add_note(case, form.text.data or "", actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 403:
                abort(403)
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The note was added."), "success")
            return redirect(url_for("cases.restricted", reference=case.reference))
    if not permissions.can_view_restricted(current_user, case):
        abort(403)
    return _render_case(case, restricted=True, status=422, note_form=form)


@bp.route("/<reference>/consent", methods=["POST"])
def record_consent(reference: str) -> Any:
    case = load_visible_case(reference)
    if not permissions.can_record_consent(current_user, case):
        abort(403)
    form = _restricted_forms(case)["consent_form"]
    if form.validate_on_submit():
        data = services.ConsentData(
            purpose=form.purpose.data,
            state=form.state.data,
            given_by=form.given_by.data,
            guardian_name=form.guardian_name.data or "",
            legal_basis=form.legal_basis.data,
            partner_agency_id=form.partner_agency_id.data,
            note=form.note.data or "",
        )
        try:
            services.record_consent(case, data, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The consent record was added."), "success")
            return redirect(url_for("cases.restricted", reference=case.reference))
    return _render_case(case, restricted=True, status=422, consent_form=form)


@bp.route("/<reference>/shares", methods=["POST"])
def share(reference: str) -> Any:
    case = load_visible_case(reference)
    if not permissions.can_share_case(current_user, case):
        abort(403)
    form = _restricted_forms(case)["share_form"]
    if form.validate_on_submit():
        agency = db.session.get(Agency, form.agency_id.data)
        if agency is None:
            abort(404)
        try:
            services.share_case(
                case, agency, legal_basis=form.legal_basis.data, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The case is now shared with %(agency)s.", agency=agency.name), "success")
            return redirect(url_for("cases.restricted", reference=case.reference))
    return _render_case(case, restricted=True, status=422, share_form=form)


@bp.route("/<reference>/shares/<int:share_id>/revoke", methods=["POST"])
def revoke_share(reference: str, share_id: int) -> Any:
    case = load_visible_case(reference)
    share = db.session.get(CaseShare, share_id)
    if share is None or share.case_id != case.id:
        abort(404)
    if not permissions.can_share_case(current_user, case):
        abort(403)
    return apply_change(
        lambda: services.revoke_share(share, actor=current_user, now=utcnow()),
        _("The case is no longer shared with %(agency)s.", agency=share.agency.name),
        url_for("cases.restricted", reference=case.reference),
    )
