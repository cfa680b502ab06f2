"""Reading, and on first use creating, a key pair of the deployment.

A pair is generated once per deployment, by whichever process first needs it, and kept
in ``deployment_keys``; every other process reads that row. Two processes that need it
for the first time at once both find no row, both generate a pair, and both insert it
with ``INSERT … ON CONFLICT DO NOTHING``; each then reads the row back and uses what it
finds, so the one whose insert came first wins and both sign with its key. (On SQLite a
transaction takes the write lock when it begins, so the second process simply finds the
first one's row.)

The private key is stored as its PKCS #8 PEM, encrypted with Fernet under a key derived
(HKDF-SHA256, its own ``info``) from each key of the deployment's ring
(``ROLODEX_SECRET_KEYS``): written with the newest, read with any. A process keeps the
pairs it has read in memory, by database and name: they never change.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import insert_skipping_conflicts, utcnow
from rolodex.deployment_keys.models import DeploymentKey
from rolodex.keyring import KeyRing

RSA_BITS = 3072
"""RSA modulus size: 128-bit security (NIST SP 800-57), valid past 2030."""
ALGORITHM = f"RSA-{RSA_BITS}"
KEYS = cast(Table, DeploymentKey.__table__)
HKDF_INFO = b"rolodex deployment keys"


@dataclass(frozen=True)
class KeyPair:
    """A deployment key pair, ready to sign with."""

    name: str
    private_key: rsa.RSAPrivateKey
    public_pem: str
    """``-----BEGIN PUBLIC KEY-----`` (SubjectPublicKeyInfo), what verifiers are given."""


def new_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA private key (exponent 65537)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def public_pem_of(private_key: rsa.RSAPrivateKey) -> str:
    """The public half as a SubjectPublicKeyInfo PEM."""
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _fernet_of(deployment_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        deployment_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=8)
def _fernet(ring: KeyRing) -> MultiFernet:
    return MultiFernet([_fernet_of(key) for key in ring])


def encrypt_private_key(private_key: rsa.RSAPrivateKey, ring: KeyRing) -> str:
    """The private key as stored: PKCS #8 PEM, encrypted with the ring's newest key."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _fernet(ring).encrypt(pem).decode()


def decrypt_private_key(ciphertext: str, ring: KeyRing) -> rsa.RSAPrivateKey:
    """The private key back from what is stored, under any key of the ring; raises
    ``cryptography.fernet.InvalidToken`` when no key of the ring made it."""
    pem = _fernet(ring).decrypt(ciphertext.encode())
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - only RSA is written
        raise TypeError("a deployment key is not an RSA key")
    return key


def reencrypt_private_key(ciphertext: str, ring: KeyRing) -> str:
    """What is stored, encrypted again with the ring's newest key (same private key)."""
    return _fernet(ring).rotate(ciphertext.encode()).decode()


async def _read(session: AsyncSession, name: str) -> DeploymentKey | None:
    row: DeploymentKey | None = await session.scalar(
        select(DeploymentKey)
        .where(DeploymentKey.name == name)
        .execution_options(populate_existing=True)
    )
    return row


async def load_or_create(
    session: AsyncSession,
    name: str,
    ring: KeyRing,
    *,
    generate: Callable[[], rsa.RSAPrivateKey] = new_private_key,
) -> KeyPair:
    """The deployment's key pair called ``name``, generated and stored if there is none
    yet (see the module for what happens when two processes race to do it). The row is
    written in ``session``'s transaction."""
    row = await _read(session, name)
    if row is None:
        private_key = await asyncio.to_thread(generate)  # a second or so of CPU
        await session.execute(
            insert_skipping_conflicts(session, KEYS).values(
                name=name,
                algorithm=ALGORITHM,
                public_key=public_pem_of(private_key),
                private_key_ciphertext=encrypt_private_key(private_key, ring),
                created_at=utcnow(),
            )
        )
        row = await _read(session, name)  # ours, or the one another process stored first
        if row is None:  # pragma: no cover - the insert or its conflict left a row
            raise RuntimeError(f"deployment key {name!r} was neither stored nor found")
    return KeyPair(name, decrypt_private_key(row.private_key_ciphertext, ring), row.public_key)


_known: dict[tuple[str, str], KeyPair] = {}


async def key_pair(session: AsyncSession, name: str, ring: KeyRing) -> KeyPair:
    """:func:`load_or_create`, remembered by this process for the session's database."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    known = _known.get((database, name))
    if known is None:
        known = await load_or_create(session, name, ring)
        _known[(database, name)] = known
    return known
