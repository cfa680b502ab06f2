"""A connection's credentials at rest: one JSON object, encrypted with the deployment's key.

The same encryption as webhook secrets (:mod:`rolodex.webhooks.secrets`: Fernet under a
key derived from ``ROLODEX_SECRET_KEY``), so a copy of the database alone reveals none of
them. Only the names of the fields stored are kept in the clear
(``connections.credential_fields``), for the API to say what a connection holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rolodex.keyring import KeyRing
from rolodex.webhooks import secrets

SECRET_NAMES = frozenset(
    {"api_key", "access_token", "refresh_token", "client_secret", "webhook_secret"}
)
"""Fields whose values are secrets: masked as ``***`` wherever a request is shown."""


def seal(values: Mapping[str, Any], deployment_key: KeyRing) -> str:
    """The credentials (None values left out) as stored."""
    present = {name: value for name, value in values.items() if value is not None}
    return secrets.encrypt(json.dumps(present, sort_keys=True), deployment_key)


def unseal(ciphertext: str | None, deployment_key: KeyRing) -> dict[str, Any]:
    """The credentials back from what is stored (empty when none are); raises
    ``cryptography.fernet.InvalidToken`` under another deployment key."""
    if not ciphertext:
        return {}
    found = json.loads(secrets.decrypt(ciphertext, deployment_key))
    return dict(found) if isinstance(found, dict) else {}


def names_of(values: Mapping[str, Any]) -> list[str]:
    """The names of the credentials given, sorted (what ``auth.credentials`` shows)."""
    return sorted(name for name, value in values.items() if value is not None)


def secret_values(values: Mapping[str, Any]) -> list[str]:
    """The secret strings among the credentials, to mask wherever text may show them."""
    return [v for k, v in values.items() if k in SECRET_NAMES and isinstance(v, str) and v]
