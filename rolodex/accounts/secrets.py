"""Making and checking secrets: API keys (SHA-256 at rest) and passwords (Argon2id)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "rdx_k_"
_DISPLAY_PREFIX_LENGTH = len(API_KEY_PREFIX) + 6
_passwords = PasswordHasher()


def new_api_key() -> str:
    """A new API key: the ``rdx_k_`` prefix and 256 random bits."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The SHA-256 of a key. Keys are random enough that a slow hash would add nothing."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def hash_token(value: str) -> str:
    """The SHA-256 of a random secret (OAuth client secrets, codes and tokens)."""
    return hash_api_key(value)


def new_token(prefix: str) -> str:
    """A new random secret of 256 bits with a recognisable prefix (``rdx_at_``…)."""
    return prefix + secrets.token_urlsafe(32)


def display_prefix(key: str) -> str:
    """The first characters of a key, kept so that a user can tell keys apart."""
    return key[:_DISPLAY_PREFIX_LENGTH]


def same_secret(a: str, b: str) -> bool:
    """Constant-time equality of two secrets or hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """An Argon2id hash of a password."""
    return _passwords.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; Argon2 compares in constant time."""
    try:
        return _passwords.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
