"""The service directory, and referrals of cases to its services."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth import permissions
from conference.db import utcnow
from conference.directory import forms, queries, rules, services
from conference.directory.models import Service, ServiceReferral
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import to_zone
from conference.forms import options
from conference.labels import label
from conference.panels.models import Panel
from conference.views import client_ip, post_form, safe_back, show_error

bp = Blueprint("directory", __name__, url_prefix="/services")

FIELDS = ("name", "provider", "kind", "min_age", "max_age", "languages", "contact", "active")


def _panels() -> list[Panel]:
    return sorted((m.panel for m in current_user.current_memberships), key=lambda p: p.name)


@bp.route("/")
def index() -> Any:
    panels = _panels()
    found = db.session.scalars(
        sa.select(Service)
        .where(Service.panel_id.in_([p.id for p in panels]))
        .order_by(Service.panel_id, Service.kind, Service.name)
    ).all()
    return render_template(
        "directory/index.html",
        services=found,
        panels={p.id: p for p in panels},
        can_manage={p.id for p in panels if permissions.can_manage_directory(current_user, p.id)},
    )


def _edit(service: Service | None) -> Any:
    panels = [p for p in _panels() if permissions.can_manage_directory(current_user, p.id)]
    if not panels or (service is not None and service.panel_id not in {p.id for p in panels}):
        abort(403)
    form = forms.ServiceForm(obj=service)
    form.panel_id.choices = options((p.id, p.name) for p in panels)
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in FIELDS}
        try:
            services.save_service(
                form.panel_id.data, fields, service=service, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The directory was updated."), "success")
            return redirect(url_for("directory.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("directory/edit.html", form=form, service=service), status


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    return _edit(None)


@bp.route("/<int:service_id>", methods=["GET", "POST"])
def edit(service_id: int) -> Any:
    service = db.session.get(Service, service_id)
    if service is None or not permissions.can_view_panel(current_user, service.panel_id):
        abort(404)
    return _edit(service)


def _load_referral(referral_id: int) -> ServiceReferral:
    """The referral, 404 when its case is out of sight, 403 for those who may not follow it."""
    referral = db.session.get(ServiceReferral, referral_id)
    if referral is None or not permissions.can_view_case(current_user, referral.case):
        abort(404)
    if not permissions.can_update_referral(current_user, referral.case):
        abort(403)
    return referral


def _update_form(referral: ServiceReferral) -> forms.ReferralUpdateForm:
    form = forms.ReferralUpdateForm(prefix="referral")
    form.status.choices = options(
        (target.value, label(target)) for target in sorted(rules.NEXT_STEPS[referral.status])
    )
    if not form.is_submitted():
        form.version.data = referral.version_id
    return form


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
def referral(referral_id: int) -> Any:
    """The coordinator follows a referral between meetings: the service's answer, the start of
    support, its end and how it ended. The note on the ending is restricted: its view is audited."""
    found = _load_referral(referral_id)
    form = _update_form(found)

    def page(status: int) -> Any:
        steps = queries.steps_of(found)
        services.record_referral_viewed(found, actor=current_user, now=utcnow(), ip=client_ip())
        db.session.commit()
        panel = found.case.panel
        return render_template(
            "directory/referral.html",
            referral=found,
            steps=steps,
            form=form if form.status.choices else None,
            unanswered=rules.is_unanswered(
                found.status,
                found.referred_on,
                panel.referral_answer_days,
                to_zone(utcnow(), panel.timezone).date(),
            ),
            answer_days=panel.referral_answer_days,
        ), status

    return post_form(
        form,
        lambda: services.advance_referral(
            found,
            form.status.data,
            legal_basis=form.legal_basis.data,
            version=form.version.data or 0,
            happened_on=form.happened_on.data,
            outcome=form.outcome.data,
            outcome_note=form.outcome_note.data or "",
            actor=current_user,
            now=utcnow(),
        ),
        success=_("The referral was updated."),
        target=url_for("directory.referral", referral_id=found.id),
        page=page,
    )


@bp.route("/referrals/<int:referral_id>/step", methods=["POST"])
def step(referral_id: int) -> Any:
    referral = _load_referral(referral_id)
    form = forms.ReferralStepForm(prefix=f"ref{referral.id}")
    if not form.validate_on_submit():
        flash(_("Choose the referral's new status."), "danger")
    else:
        try:
            services.advance_referral(
                referral,
                form.status.data,
                legal_basis=form.legal_basis.data,
                version=form.version.data or 0,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("The referral was updated."), "success")
    return redirect(safe_back(url_for("cases.show", reference=referral.case.reference)))
