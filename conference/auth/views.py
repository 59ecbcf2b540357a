"""Signing in and out, the second factor, one's own account, and the administrator's accounts."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from conference.auth import mfa, permissions, services
from conference.auth.forms import (
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    ReauthenticateForm,
    SecondFactorForm,
)
from conference.auth.models import RecoveryCode, User, UserSession
from conference.auth.rules import SECOND_FACTOR_WAIT, safe_next_path
from conference.db import utcnow
from conference.errors import DomainError
from conference.extensions import db
from conference.formatting import local_datetime
from conference.languages import reader_zone
from conference.notify.queries import undelivered
from conference.views import apply_change, client_ip, show_error

bp = Blueprint("auth", __name__)


def _refuse(locked_until: datetime | None) -> int:
    """Say why, with one message for every failure so that the form does not tell which
    accounts exist; returns the status code."""
    if locked_until is not None:
        flash(
            _(
                "Too many failed sign-ins. Signing in is paused until %(time)s.",
                time=local_datetime(locked_until, reader_zone()),
            ),
            "danger",
        )
        return 429
    flash(
        _(
            "Sign-in failed: the e-mail address, password or code is wrong, or the account "
            "is not active."
        ),
        "danger",
    )
    return 401


def _enter(user: User, token: str, target: str | None) -> Any:
    """Bind the new session to this browser: a fresh cookie, nothing kept from before."""
    session.clear()
    session["sid"] = token
    login_user(user)
    return redirect(safe_next_path(target) or url_for("home.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now, ip = utcnow(), client_ip()
        attempt = services.check_password(
            form.email.data or "", form.password.data or "", now=now, ip=ip
        )
        user = attempt.user
        if user is not None and user.mfa_enabled_at is not None:
            db.session.commit()
            session.clear()
            session["pending"] = {
                "user": user.id,
                "at": now.isoformat(),
                "next": safe_next_path(request.args.get("next")),
            }
            return redirect(url_for("auth.second_factor"))
        if user is not None:
            token = services.complete_sign_in(user, now=now, ip=ip)
            db.session.commit()
            return _enter(user, token, request.args.get("next"))
        db.session.commit()
        status = _refuse(attempt.locked_until)
        form.password.data = ""
        return render_template("auth/login.html", form=form), status
    return render_template("auth/login.html", form=form)


def _pending_user(now: datetime) -> tuple[User | None, str | None]:
    pending = session.get("pending") or {}
    try:
        started = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if now - started > SECOND_FACTOR_WAIT:
        return None, None
    return db.session.get(User, pending.get("user")), pending.get("next")


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    now, ip = utcnow(), client_ip()
    user, target = _pending_user(now)
    if user is None:
        session.pop("pending", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        attempt = services.check_second_factor(user, form.code.data or "", now=now, ip=ip)
        if attempt.user is not None:
            token = services.complete_sign_in(user, now=now, ip=ip)
            db.session.commit()
            return _enter(user, token, target)
        db.session.commit()
        status = _refuse(attempt.locked_until)
        form.code.data = ""
        return render_template("auth/second_factor.html", form=form), status
    return render_template("auth/second_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    services.sign_out(current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/confirm", methods=["GET", "POST"])
def reauthenticate() -> Any:
    """Prove again who one is before signing minutes or downloading documents."""
    form = ReauthenticateForm()
    target = safe_next_path(request.args.get("next")) or url_for("home.index")
    if form.validate_on_submit():
        attempt = services.reauthenticate(
            current_user,
            g.user_session,
            form.password.data or "",
            form.code.data or "",
            now=utcnow(),
            ip=client_ip(),
        )
        db.session.commit()
        if attempt.user is not None:
            return redirect(target)
        status = _refuse(attempt.locked_until)
        return render_template("auth/reauthenticate.html", form=form), status
    return render_template("auth/reauthenticate.html", form=form)


def _account_page(form: PasswordChangeForm, status: int = 200) -> Any:
    open_sessions = db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == current_user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).all()
    codes_left = db.session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == current_user.id, RecoveryCode.used_at.is_(None)
        )
    )
    return render_template(
        "auth/account.html",
        open_sessions=open_sessions,
        this_session=g.user_session,
        codes_left=codes_left,
        form=form,
    ), status


@bp.route("/account")
def account() -> Any:
    return _account_page(PasswordChangeForm())


@bp.route("/account/password", methods=["POST"])
def change_password() -> Any:
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _account_page(form, 422)
    now, ip = utcnow(), client_ip()
    # A wrong current password is a failed sign-in: audited and counted, so it is committed.
    attempt = services.check_password(current_user.email, form.current.data or "", now=now, ip=ip)
    if attempt.user is None:
        db.session.commit()
        form.current.errors = [
            _("Too many failed attempts; try again later.")
            if attempt.locked_until
            else _("The current password is wrong.")
        ]
        return _account_page(form, 422)
    try:
        token = services.change_password(current_user, form.new.data or "", now=now, ip=ip)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _account_page(form, 422)
    db.session.commit()
    user = current_user._get_current_object()
    flash(_("Password changed; your other sessions have been signed out."), "success")
    return _enter(user, token, url_for("auth.account"))


@bp.route("/account/second-factor", methods=["GET", "POST"])
def mfa_setup() -> Any:
    """Enrol an authenticator app: scan the code, type the first code, keep the recovery codes."""
    if current_user.mfa_enabled_at is not None:
        return redirect(url_for("auth.account"))
    form = EnrolForm()
    secret = mfa.begin_enrolment(current_user)
    if form.validate_on_submit():
        codes = mfa.confirm_enrolment(current_user, form.code.data or "", now=utcnow())
        if codes is not None:
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors = [
            _("That code is not right; check the clock of your phone and try again.")
        ]
    db.session.commit()  # keeps the secret the app has just scanned
    return render_template(
        "auth/mfa_setup.html",
        form=form,
        qr=mfa.provisioning_qr(current_user, secret),
        secret=secret,
    ), (422 if form.errors else 200)


@bp.route("/account/recovery-codes", methods=["POST"])
def new_recovery_codes() -> Any:
    if current_user.mfa_enabled_at is None:
        abort(404)
    codes = mfa.new_recovery_codes(current_user, now=utcnow())
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/accounts/")
def accounts() -> Any:
    if not permissions.can_manage_users(current_user):
        abort(403)
    users = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template("auth/accounts.html", users=users, undelivered=undelivered())


def _managed_user(user_id: int) -> User:
    if not permissions.can_manage_users(current_user):
        abort(403)
    return db.get_or_404(User, user_id)


@bp.route("/accounts/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int) -> Any:
    user = _managed_user(user_id)
    active = request.form.get("active") == "1"
    return apply_change(
        lambda: services.set_active(user, active, actor=current_user, now=utcnow()),
        _("Account reactivated.") if active else _("Account deactivated; its sessions ended."),
        url_for("auth.accounts"),
    )


@bp.route("/accounts/<int:user_id>/second-factor/reset", methods=["POST"])
def reset_mfa(user_id: int) -> Any:
    user = _managed_user(user_id)
    return apply_change(
        lambda: mfa.reset_second_factor(user, actor=current_user, now=utcnow()),
        _("The second factor is reset; the person enrols again at the next sign-in."),
        url_for("auth.accounts"),
    )
