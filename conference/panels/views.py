"""A panel's settings page, for its chair and secretary."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth import permissions
from conference.db import utcnow
from conference.errors import DomainError
from conference.extensions import db
from conference.panels import forms, services
from conference.panels.models import Panel, statement_to_read
from conference.views import show_error

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.route("/<code>/settings", methods=["GET", "POST"])
def settings(code: str) -> Any:
    panel = db.session.scalar(sa.select(Panel).where(Panel.code == code))
    if panel is None or not permissions.can_view_panel(current_user, panel.id):
        abort(404)
    if not permissions.can_manage_panel(current_user, panel.id):
        abort(403)
    form = forms.PanelSettingsForm(obj=panel)
    if request.method == "GET":  # the default statement, as the chair reads it
        form.confidentiality_statement.data = statement_to_read(panel.confidentiality_statement)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.SETTINGS}
        try:
            services.update_settings(panel, values, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The panel's settings were saved."), "success")
            return redirect(url_for("panels.settings", code=panel.code))
    status = 422 if request.method == "POST" else 200
    return render_template("panels/settings.html", form=form, panel=panel), status
