"""Sign-in decisions on plain values."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def safe_next_path(target: str | None) -> str | None:
    """The `next` target if it is a path on this site, else None (no open redirect)."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def lockout_for(failures: int, *, lock_after: int, cap: timedelta) -> timedelta | None:
    """How long sign-in stays locked after `failures` failures in a row: none for the first
    `lock_after - 1`, then one minute, doubling with each further failure, up to `cap`."""
    if failures < lock_after:
        return None
    doublings = min(failures - lock_after, 20)
    return min(timedelta(minutes=2**doublings), cap)


def session_end_reason(
    *,
    created_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    idle: timedelta,
    absolute: timedelta,
) -> str | None:
    """Why a signed-in session must end now ("idle" or "expired"), or None while it may go on."""
    if now - created_at >= absolute:
        return "expired"
    if now - last_seen_at >= idle:
        return "idle"
    return None


def is_recent(authenticated_at: datetime, *, now: datetime, within: timedelta) -> bool:
    """Whether the person proved who they are recently enough for a sensitive step."""
    return now - authenticated_at < within


# How long the second step of signing in waits for the code after the password was right.
SECOND_FACTOR_WAIT = timedelta(minutes=5)
