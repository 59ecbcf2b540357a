"""The second factor: time-based one-time codes (RFC 6238) and one-time recovery codes."""

import base64
import hmac
import secrets
from datetime import datetime
from typing import Any

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from conference.audit.services import record_event
from conference.auth.models import RecoveryCode, User
from conference.auth.sessions import digest, end_sessions
from conference.extensions import db
from conference.keys import derived_key

RECOVERY_CODES = 10
STEP_SECONDS = 30
ISSUER = "Case Conference"


def _user_event(action: str, user: User, *, now: datetime) -> None:
    record_event(action, actor=user, now=now, object_type="user", object_id=user.id)


def _box() -> Fernet:
    """The key that seals TOTP secrets at rest, so that a copy of the database alone cannot make
    codes: TOTP_KEY when configured, else one derived from SECRET_KEY (HKDF-SHA256)."""
    configured = current_app.config.get("TOTP_KEY")
    if configured:
        return Fernet(configured)
    return Fernet(base64.urlsafe_b64encode(derived_key(b"case-conference totp secrets")))


def secret_of(user: User) -> str | None:
    """The user's TOTP secret, unsealed; None when there is none or the key has changed."""
    if user.totp_secret is None:
        return None
    try:
        return _box().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None


def begin_enrolment(user: User) -> str:
    """The secret for the user's authenticator app, made on first use (and stored sealed); it
    counts only once confirmed with a code."""
    secret = secret_of(user)
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret = _box().encrypt(secret.encode()).decode()
    return secret


def provisioning_qr(user: User, secret: str) -> str:
    """The secret as a QR code (an SVG data URI) for the authenticator app to scan."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return str(segno.make(uri, error="m").svg_data_uri(scale=5))


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    """A code of this or a neighbouring 30-second step, never one already used."""
    secret = secret_of(user)
    if secret is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step <= (user.totp_last_step or -1):
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            user.totp_last_step = step
            return True
    return False


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _accept_recovery_code(user: User, code: str, now: datetime) -> bool:
    row = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest(_normalise_recovery(code)),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = now
    _user_event("auth.recovery_code_used", user, now=now)
    return True


def verify_second_factor(user: User, code: str, *, now: datetime) -> bool:
    """Whether the code from the app, or an unused recovery code, proves the second factor."""
    code = code.strip().replace(" ", "")
    if user.mfa_enabled_at is None:
        return False
    return _accept_totp(user, code, now) or _accept_recovery_code(user, code, now)


def new_recovery_codes(user: User, *, now: datetime) -> list[str]:
    """Replace the user's recovery codes with ten new ones, shown once and stored hashed."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5).upper() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=digest(code), used_at=None) for code in codes
    )
    _user_event("auth.recovery_codes_issued", user, now=now)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def confirm_enrolment(user: User, code: str, *, now: datetime) -> list[str] | None:
    """Turn the second factor on when the first code from the app is right; returns the
    recovery codes, or None when the code was wrong."""
    if user.mfa_enabled_at is not None or not _accept_totp(user, code.strip(), now):
        return None
    user.mfa_enabled_at = now
    _user_event("auth.mfa_enrolled", user, now=now)
    return new_recovery_codes(user, now=now)


def reset_second_factor(user: User, *, actor: Any, now: datetime) -> None:
    """An administrator's reset for a lost phone: the user enrols again at the next sign-in."""
    user.totp_secret = None
    user.mfa_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user.id, now=now, reason="second_factor_reset")
    record_event("user.mfa_reset", actor=actor, now=now, object_type="user", object_id=user.id)
