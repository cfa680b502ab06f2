"""What a run log may keep: every secret it was told of as ``***``, and the values of
keys that name a credential, wherever they are nested."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"
SECRET_KEYS = frozenset(
    {
        "api_key",
        "access_token",
        "refresh_token",
        "client_secret",
        "webhook_secret",
        "password",
        "secret",
        "authorization",
        "x-api-key",
        "token",
    }
)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (JSON) with every string of ``secrets`` masked inside strings, and the
    value of every key named like a credential replaced by ``***``."""
    known = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    return _redact(value, known)


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {
            key: MASK
            if isinstance(key, str) and key.lower() in SECRET_KEYS and item is not None
            else _redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact(item, secrets) for item in value]
    return value
