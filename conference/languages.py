"""The languages the app speaks, and which one a page is read in.

A page is in the user's chosen language; else in the first of the app's languages the browser
asks for; else in the language of the user's panel; else in English. Documents (agenda,
minutes, extracts, invitations) are in their panel's language whoever renders them, and an
e-mail in its recipient's."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from babel import Locale
from babel.support import Translations
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, get_translations
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from conference.extensions import db
from conference.views import safe_back

# The app's languages, each named in itself (a reader finds their own whatever the page's).
LANGUAGES = {"en": "English", "fi": "suomi", "sv": "svenska", "nl": "Nederlands"}
DEFAULT = "en"

bp = Blueprint("languages", __name__)


def supported(code: str | None) -> str | None:
    """The code if the app speaks it, else None."""
    return code if code in LANGUAGES else None


def language_of(user: Any) -> str:
    """The language to write to a user in when they are not at the screen (e-mails): their
    choice, else their first panel's, else English."""
    chosen = supported(getattr(user, "locale", None))
    if chosen:
        return chosen
    panel = _first_panel(user)
    return str(panel.locale) if panel is not None else DEFAULT


def _first_panel(user: Any) -> Any:
    """The panel of a user's first current membership, whose language and time zone stand in
    for theirs; None for someone on no panel (or no one)."""
    memberships = getattr(user, "current_memberships", None) or []
    return memberships[0].panel if memberships else None


# Each language's catalogue, by the Locale being written in. Flask-Babel finds the catalogue
# again for every message (about a tenth of the case list's time); the catalogues never
# change while the app runs.
_catalogues: dict[Locale | None, Translations] = {}


def catalogue() -> Translations:
    """The catalogue of the language being written in: the page's, or the one a document or an
    e-mail is written in (`written_in`)."""
    locale = get_locale()
    found = _catalogues.get(locale)
    if found is None:
        found = _catalogues[locale] = get_translations()
    return found


def select_locale() -> str:
    """Flask-Babel's locale selector for a request (asked once per request). Never a database
    error: the error page asks too, when the database may be what failed. Outside a request
    (jobs, the command line) English, unless a document or a recipient says otherwise."""
    if not has_request_context():
        return DEFAULT
    try:
        g.locale = _choose()
    except SQLAlchemyError:
        g.locale = request.accept_languages.best_match(LANGUAGES) or DEFAULT
    return str(g.locale)


def _choose() -> str:
    chosen = _users_choice()
    if chosen:
        return chosen
    browser = request.accept_languages.best_match(LANGUAGES)
    if browser:
        return str(browser)
    return _panel_language() or DEFAULT


def _signed_in_user() -> Any:
    user = g._login_user if "_login_user" in g else current_user._get_current_object()
    return user if getattr(user, "is_authenticated", False) else None


def _users_choice() -> str | None:
    user = _signed_in_user()
    if user is not None:
        return supported(user.locale)
    return supported(session.get("locale"))  # chosen in the footer before signing in


def _panel_language() -> str | None:
    panel = _first_panel(_signed_in_user())
    return str(panel.locale) if panel is not None else None


def reader_zone() -> str:
    """The time zone the signed-in reader's panel keeps (their first), for times not tied to a
    panel (notifications, sessions, sign-in pauses); else the installation's."""
    panel = _first_panel(_signed_in_user()) if has_request_context() else None
    return str(panel.timezone if panel is not None else current_app.config["DEFAULT_TIMEZONE"])


@contextmanager
def written_in(locale: str | None) -> Iterator[None]:
    """Render what follows in the given language (a document's, a recipient's)."""
    with force_locale(supported(locale) or DEFAULT):
        yield


@bp.route("/language", methods=["POST"])
def choose() -> Any:
    """The footer's switch and the account page's choice: kept on the account of a signed-in
    user, in the session before signing in. An empty choice goes back to the browser's."""
    code = supported(request.form.get("locale")) or None
    user = _signed_in_user()
    if user is not None:
        user.locale = code
        db.session.commit()
    elif code:
        session["locale"] = code
    else:
        session.pop("locale", None)
    return redirect(safe_back(url_for("home.index")))


def init_app(app: Flask) -> None:
    """After Flask-Babel's: the templates' gettext functions read `catalogue()`."""
    app.register_blueprint(bp)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: catalogue().ugettext(text),
        ngettext=lambda one, many, n: catalogue().ungettext(one, many, n),
        pgettext=lambda context, text: catalogue().upgettext(context, text),
        npgettext=lambda context, one, many, n: catalogue().unpgettext(context, one, many, n),
        newstyle=True,
    )

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {
            "LANGUAGES": LANGUAGES,
            "current_language": str(get_locale() or DEFAULT),
            "reader_zone": reader_zone(),
        }
