"""Passwords (argon2id), session and API tokens (stored as keyed hashes), CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_dummy: dict[int, str] = {}
TOKEN_PREFIX = "bty_"


def use_cheap_hashing() -> None:
    """Tests only: the cheapest argon2 parameters (a real deployment never calls this)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def _dummy_hash() -> str:
    """Compared against when the user does not exist, so timing does not reveal user names."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash("not a real password: timing equaliser")
    return _dummy[key]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(secret_key: str, token: str) -> str:
    """Keyed hash of a session or API token: the database never holds a usable token."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two tokens (any text: compared as UTF-8 bytes)."""
    if not a or not b:
        return False
    return hmac.compare_digest(
        str(a).encode("utf-8", "surrogatepass"), str(b).encode("utf-8", "surrogatepass")
    )
