"""Configuration classes. The defaults run with no environment: SQLite in instance/."""

import os
import secrets
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def database_url(raw: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _development_secret_key() -> str:
    """Keep one random key per checkout so that development sessions survive a restart."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'conference.db'}")
    )
    # A failed statement's parameters are personal data: never in an error's text or the log.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {
        "pool_pre_ping": True,
        "hide_parameters": True,
    }
    # No form or upload the app takes comes near this; a larger body is refused (413) before
    # anything reads it, whatever its encoding (Werkzeug limits only multipart otherwise).
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # "json": one object per line, for the log collector (production's default); "text": for
    # people reading a terminal.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # Who may read /metrics (Prometheus): addresses or networks, comma-separated; everyone else
    # gets a 404. Loopback only by default.
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.0/8,::1")
    # Where pg_dump and pg_restore are (backup, restore); empty: on the PATH.
    PG_BIN_DIR = os.environ.get("PG_BIN_DIR", "")
    HSTS = False
    # E-mail: "smtp" sends through MAIL_SERVER; "log" writes each message to the log instead.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Case Conference <no-reply@localhost>")
    # The scheduler: days before a meeting the chair gets the draft agenda, and coordinators the
    # request for a progress report (reports are due the panel's report_due_days before).
    AGENDA_DRAFT_DAYS_BEFORE = int(os.environ.get("AGENDA_DRAFT_DAYS_BEFORE", "7"))
    REPORT_REQUEST_DAYS_BEFORE = int(os.environ.get("REPORT_REQUEST_DAYS_BEFORE", "10"))
    ACTION_DUE_SOON_DAYS = int(os.environ.get("ACTION_DUE_SOON_DAYS", "3"))
    # Where people reach the app: links in calendar invitations and documents made offline.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a conference day, so a long sitting does not lose a form
    EXPORTS_DIR = os.environ.get("EXPORTS_DIR", str(BASE_DIR / "exports"))
    CASES_PER_PAGE = 25
    # Where a PDF that is not cached yet is rendered (conference/documents/cache.py): "process"
    # (a pool of its own beside each web process), "inline" (in the request) or "deferred".
    DOCUMENT_RENDERER = os.environ.get("DOCUMENT_RENDERER", "process")
    DOCUMENT_RENDER_PROCESSES = int(os.environ.get("DOCUMENT_RENDER_PROCESSES", "1"))
    # A page asked for again by the same person and session, with nothing it shows changed, is
    # sent as made at most this many seconds ago (0: never kept); each process keeps at most
    # PAGE_CACHE_MB of pages (conference/pagecache.py).
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "30"))
    PAGE_CACHE_MB = int(os.environ.get("PAGE_CACHE_MB", "64"))
    # Audit events are sealed into the chain after their commit, by each process at most this
    # often (seconds; 0: after every commit); the scheduler's audit-seal job seals any left.
    AUDIT_SEAL_SECONDS = float(os.environ.get("AUDIT_SEAL_SECONDS", "1"))
    # Rows of each list on the home page and My work (the busiest coordinator's page stays small).
    WORK_LIST_SIZE = 25
    # Sessions end after this long without activity, and this long after signing in at most.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # Signing minutes and downloading documents need a password (and code) this recent.
    REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES", "15"))
    # Sign-in locks after this many failures in a row for one account name, or from one
    # address; one minute at first, doubling with each further failure up to the longest.
    SIGN_IN_LOCK_AFTER = 5
    SIGN_IN_LOCK_AFTER_PER_ADDRESS = 30
    SIGN_IN_LONGEST_LOCKOUT_MINUTES = 60
    # How many reverse proxies (each adding X-Forwarded-For) stand before the app.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # The key sealing TOTP secrets in the database (a Fernet key); derived from SECRET_KEY when
    # empty, so changing SECRET_KEY then means everyone enrols their authenticator again.
    TOTP_KEY = os.environ.get("TOTP_KEY", "")
    # The key of the audit chain's MACs and of its anchor files (any long random string); derived
    # from SECRET_KEY when empty. Keep it stable: with another key `flask audit verify` fails on
    # every event written before, and whoever can write the database must never learn it.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    # A second factor for every account that reaches confidential data (production: on).
    MFA_REQUIRED = os.environ.get("MFA_REQUIRED", "0") == "1"


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")


class ProductionConfig(Config):
    HSTS = True  # served over HTTPS only
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    MFA_REQUIRED = os.environ.get("MFA_REQUIRED", "1") == "1"
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))  # the HTTPS proxy
    SESSION_COOKIE_SECURE = True
    # The __Host- prefix: the browser keeps the cookie only if it is Secure, for this host and
    # path / (no Domain), so a sibling subdomain cannot plant or overwrite it.
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # fixed key, test client only # noqa: S105 # nosec B105
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    EXPORTS_DIR = str(INSTANCE_DIR / "test-exports")
    DOCUMENT_RENDERER = "inline"  # the tests of "being prepared" ask for "deferred"
    AUDIT_SEAL_SECONDS = 0.0  # each event in the chain as its commit ends (the tests of pacing ask)


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
