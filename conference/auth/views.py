"""Signing in and out."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from conference.auth import services
from conference.auth.forms import LoginForm
from conference.auth.rules import safe_next_path
from conference.db import utcnow
from conference.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(
            form.email.data or "", form.password.data or "", now=utcnow(), ip=request.remote_addr
        )
        db.session.commit()
        if user is not None:
            login_user(user)
            return redirect(safe_next_path(request.args.get("next")) or url_for("home.index"))
        # One message for every failure, so the form does not tell which accounts exist.
        flash(
            _(
                "Sign-in failed: the e-mail address or password is wrong, or the account is "
                "not active."
            ),
            "danger",
        )
        form.password.data = ""
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    services.record_logout(current_user, now=utcnow(), ip=request.remote_addr)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
