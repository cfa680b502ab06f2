"""Endpoint secrets: ``whsec_`` + base64 of 32 random bytes, encrypted at rest.

The encryption keys are derived (HKDF-SHA256) from the deployment's key ring
(``ROLODEX_SECRET_KEYS``, or ``ROLODEX_SECRET_KEY`` as a ring of one), so a copy of the
database alone does not reveal the secrets receivers verify with. A secret is encrypted
with the newest key and decrypted with whichever key of the ring made it (Fernet's
MultiFernet); :func:`reencrypt` moves a stored secret to the newest key.
"""

from __future__ import annotations

import base64
import secrets as random
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rolodex.keyring import KeyRing

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh endpoint secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _fernet_of(deployment_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"rolodex webhook secrets"
    ).derive(deployment_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=8)
def _fernet(ring: KeyRing) -> MultiFernet:
    return MultiFernet([_fernet_of(key) for key in ring])


def encrypt(secret: str, ring: KeyRing) -> str:
    """The secret as stored: encrypted with the ring's newest key."""
    return _fernet(ring).encrypt(secret.encode()).decode()


def decrypt(ciphertext: str, ring: KeyRing) -> str:
    """The secret back from what is stored, under any key of the ring; raises
    ``cryptography.fernet.InvalidToken`` when no key of the ring made it."""
    return _fernet(ring).decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str, ring: KeyRing) -> str:
    """What is stored, encrypted again with the ring's newest key (same secret)."""
    return _fernet(ring).rotate(ciphertext.encode()).decode()
