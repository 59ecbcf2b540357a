"""Passwords: the policy for new ones (length, and zxcvbn's estimate of how guessable they are),
and hashing with argon2id."""

import enum
import re
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # what the forms take; argon2 hashes any length
# zxcvbn's score from 0 to 4: 3 is "safely unguessable" (about 10^8 guesses and more).
MIN_STRENGTH = 3
_ESTIMATED_LENGTH = 72  # zxcvbn's own limit: beyond it, the start is what can be guessed


class Weakness(enum.StrEnum):
    """Why a new password is refused."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    GUESSABLE = "guessable"  # common, a simple pattern, or made of the person's own name


def weakness(password: str, personal: Iterable[str] = ()) -> Weakness | None:
    """Why the password may not be set, or None when it may; `personal` are words an attacker
    would try first (the person's name and e-mail address)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Weakness.TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return Weakness.TOO_LONG
    words = [w for text in personal for w in (text, *re.split(r"[\W_]+", text)) if len(w) > 2]
    with _estimating:  # zxcvbn keeps the personal words in a module-wide dictionary
        estimate = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=[*words, "case conference"])
    return Weakness.GUESSABLE if estimate["score"] < MIN_STRENGTH else None


_estimating = threading.Lock()
_hasher = PasswordHasher()
# Verified when the account does not exist, so that both paths take the same time.
_DUMMY_HASH = _hasher.hash("no-such-account-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; spends the same effort when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
