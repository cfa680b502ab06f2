"""Endpoint secrets: ``whsec_`` + base64 of 32 random bytes, encrypted at rest.

The encryption key is derived (HKDF-SHA256) from the deployment's ``ROLODEX_SECRET_KEY``,
so a copy of the database alone does not reveal the secrets receivers verify with.
"""

from __future__ import annotations

import base64
import secrets as random

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh endpoint secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _fernet(deployment_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"rolodex webhook secrets"
    ).derive(deployment_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, deployment_key: str) -> str:
    """The secret as stored."""
    return _fernet(deployment_key).encrypt(secret.encode()).decode()


def decrypt(ciphertext: str, deployment_key: str) -> str:
    """The secret back from what is stored."""
    return _fernet(deployment_key).decrypt(ciphertext.encode()).decode()
