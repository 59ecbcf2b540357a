"""Keys kept outside the database: a configured one, or one derived from SECRET_KEY."""

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def derived_key(purpose: bytes) -> bytes:
    """32 bytes for one purpose, derived from SECRET_KEY (HKDF-SHA256, the purpose as info):
    stable while SECRET_KEY is, and different for every purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        current_app.config["SECRET_KEY"].encode()
    )
