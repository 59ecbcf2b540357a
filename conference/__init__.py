"""Case Conference: the app factory."""

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
)
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from conference import languages, observability, pagecache
from conference.db import end_reading, note_writes, tune_connections
from conference.errors import DomainError
from conference.extensions import babel, bootstrap, csrf, db, login_manager, migrate
from conference.observability import SESSIONLESS_ENDPOINTS
from conference.redaction import install_redaction
from config import CONFIGS

ROOT = Path(__file__).resolve().parent.parent

# Endpoints reachable without signing in; everything else is denied by default.
PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "auth.second_factor", "languages.choose", "static", "bootstrap.static"}
    | SESSIONLESS_ENDPOINTS
)

# What a signed-in person who must enrol a second factor may still do before enrolling.
ENROLMENT_ENDPOINTS = frozenset(
    {"auth.mfa_setup", "auth.logout", "languages.choose", "static", "bootstrap.static"}
)

# Scripts and styles only from the app itself, never inline; no framing; no referrer leaves the
# site (paths carry case references).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class DatabaseId(IntegerConverter):
    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class ConferenceApp(Flask):
    def log_exception(self, exc_info: Any) -> None:
        """An unhandled error is logged by endpoint, never by path (paths carry references)."""
        self.logger.error(
            "Exception in %s [%s]",
            request.endpoint or "(no route)",
            request.method,
            exc_info=exc_info,
        )


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Build the app for a configuration ("development", "production", "testing")."""
    app = ConferenceApp(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    name = config_name or os.environ.get("CONFERENCE_CONFIG", "development")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set; production needs one in the environment.")

    # Behind the HTTPS proxy: take the client's address and the scheme from the proxy's headers,
    # trusting exactly as many proxies as configured (none: the headers are ignored, so a client
    # cannot choose the address that the audit trail and the sign-in throttle see).
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    # Ids in paths fit the database's integers: a longer number is simply not found (a 404),
    # never an overflow in PostgreSQL.
    app.url_map.converters["int"] = DatabaseId
    db.init_app(app)
    with app.app_context():
        tune_connections(db.engine)
        note_writes(db.engine)

    @app.teardown_appcontext  # before Flask-SQLAlchemy's, which closes the session
    def end_transaction(error: BaseException | None) -> None:
        if error is None:
            end_reading(db.session())

    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    # Logs (one JSON object per line in production), the request id, metrics, /healthz and
    # /readyz: before every other request hook, so that even a request refused early has its id.
    # Never personal data in logs: only ids, endpoints and counts; and, the second line of
    # defence after hidden SQL parameters and bounded input, whatever handler writes a record,
    # database values in it are scrubbed first.
    observability.init_app(app)
    install_redaction(app.logger)
    # Kept pages are sent before the sign-in loads the person (it checks the session itself).
    pagecache.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=languages.select_locale)
    languages.init_app(app)
    bootstrap.init_app(app)

    from conference import models  # noqa: F401 - the complete metadata

    _register_blueprints(app)
    _register_login(app)
    _register_errors(app)
    _register_templates(app)

    from conference.cli import register_cli

    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from conference.actions.views import bp as actions_bp
    from conference.audit.views import bp as audit_bp
    from conference.auth.views import bp as auth_bp
    from conference.cases.views import bp as cases_bp
    from conference.directory.views import bp as directory_bp
    from conference.home.views import bp as home_bp
    from conference.meetings.views import bp as meetings_bp
    from conference.minutes.views import bp as minutes_bp
    from conference.notify.views import bp as notify_bp
    from conference.panels.views import bp as panels_bp
    from conference.statistics.views import bp as statistics_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(minutes_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(panels_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(audit_bp)

    @app.before_request
    def refuse_null_characters() -> None:
        # No one types a NUL; PostgreSQL cannot store one. Refused before anything reads it.
        values = [*request.args.values(), *request.form.values(), request.path]
        if any("\x00" in value for value in values):
            raise BadRequest(_("The request held a null character, which cannot be stored."))

    @app.after_request
    def protective_headers(response: Response) -> Response:
        # Pages for signed-in users carry case data: no browser or proxy may keep a copy. Probes
        # never load the user (that would touch the session).
        if request.endpoint not in SESSIONLESS_ENDPOINTS and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        response.headers.update(SECURITY_HEADERS)
        if app.config["HSTS"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def _register_login(app: Flask) -> None:
    from conference.auth import permissions, sessions
    from conference.auth.models import User
    from conference.db import utcnow

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The signed cookie is not enough: the session row behind it must still be open. The
        row comes with its user and everything access checks read, in one statement."""
        now = utcnow()
        row = sessions.open_session(session.get("sid"), int(user_id))
        ended = "ended" if row is None else sessions.expire_if_due(row, now=now)
        if row is None or ended is not None:
            db.session.commit()
            session.clear()
            if ended == "idle":
                flash(
                    _("Your session ended after a while without activity. Please sign in again."),
                    "info",
                )
            return None
        if not row.user.active:
            return None
        if now - row.last_seen_at > sessions.TOUCH_EVERY:
            row.last_seen_at = now
            db.session.commit()
        g.user_session = row
        return row.user

    @app.before_request
    def require_login() -> Any:
        # Unknown paths too: a 404 for anonymous visitors would tell which paths exist.
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if (
            request.endpoint not in ENROLMENT_ENDPOINTS
            and app.config["MFA_REQUIRED"]
            and current_user.mfa_enabled_at is None
            and permissions.needs_second_factor(current_user)
        ):
            flash(
                _("Your account reaches confidential case data: set up a second factor to go on."),
                "info",
            )
            return redirect(url_for("auth.mfa_setup"))
        return None


def _log_refusal() -> None:
    """A failed access-control decision, for the administrator: who and which path, no values."""
    logging.getLogger("conference.access").warning(
        "refused %s %s for user %s",
        request.method,
        request.path,
        getattr(current_user, "id", None),
    )


def _register_errors(app: Flask) -> None:
    from conference.views import CONCURRENT_WRITE, conflict_message

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        db.session.rollback()
        if error.status_code == 403:
            _log_refusal()
        if request.accept_mimetypes.best == "application/json":  # the chair's background save
            return jsonify(error=error.message), error.status_code
        return render_template(
            "errors/error.html", code=error.status_code, message=error.message
        ), error.status_code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _("The form had expired or was not sent from this site. Please try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    for concurrent in CONCURRENT_WRITE:

        @app.errorhandler(concurrent)
        def lost_race(error: Exception) -> tuple[str, int]:
            # A save that lost a race with someone else's, on a route without a form of its own.
            db.session.rollback()
            logging.getLogger("conference").warning(
                "concurrent write refused on %s: %s", request.endpoint, type(error).__name__
            )
            return render_template("errors/error.html", code=409, message=conflict_message()), 409

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str, int]:
        # Rendered without the database: it may be the database that failed.
        with contextlib.suppress(Exception):  # nothing more can be done for this request
            db.session.rollback()
        # Straight from the template: the context processors would load the signed-in user.
        page = app.jinja_env.get_template("errors/500.html").render(g=g)
        return page, 500

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        # Refused before anything reads the body, whatever its encoding (MAX_CONTENT_LENGTH).
        message = _(
            "What was sent is larger than the %(size)s MB the app accepts: shorten it and send "
            "it again.",
            size=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
        )
        return render_template("errors/error.html", code=413, message=message), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            db.session.rollback()  # a failed statement leaves the session unusable for the page
        if error.code == 403:
            _log_refusal()
        # Werkzeug's own descriptions are English: the page says it in the reader's language
        # unless the app gave a message of its own.
        own = error.description != type(error).description and not isinstance(error, CSRFError)
        message = error.description if own else None
        return render_template("errors/error.html", code=error.code, message=message), error.code


def _register_templates(app: Flask) -> None:
    from conference import formatting, labels
    from conference.auth import permissions
    from conference.meetings.rules import Reason
    from conference.panels.models import statement_to_read

    app.jinja_env.globals.update(
        permissions=permissions,
        label=labels.label,
        weekday_name=formatting.weekday_name,
        reason_of=Reason,
        statement_to_read=statement_to_read,
    )
    app.jinja_env.filters.update(
        local_datetime=formatting.local_datetime,
        local_date=formatting.local_date,
        local_time=formatting.local_time,
        clock_time=formatting.clock_time,
        number=formatting.number,
        percent=formatting.percent,
        long_date=formatting.long_date,
    )
