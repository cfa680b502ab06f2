"""The deployment's key pair (HighLevel webhook signatures): made once per database,
agreed on by processes that race to make it, its private key encrypted at rest with the
key ring and moved by ``rolodex rekey``, its public key served as PEM."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.deployment_keys.models import DeploymentKey
from rolodex.deployment_keys.rekey import reencrypt_deployment_keys
from rolodex.deployment_keys.store import (
    RSA_BITS,
    KeyPair,
    decrypt_private_key,
    load_or_create,
    new_private_key,
)
from rolodex.dialects.highlevel.signing import WEBHOOK_KEY
from rolodex.keyring import KeyRing
from rolodex.migrate import upgrade
from tests.test_migrations import fresh_database

RING = KeyRing(("test-secret-key",))


def run(settings: Settings, work: Any) -> Any:
    """``work(session)`` in one unit of work of a new engine (as another process would)."""

    async def main() -> Any:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def stored(settings: Settings, name: str) -> list[DeploymentKey]:
    async def work(session: Any) -> list[DeploymentKey]:
        return list(await session.scalars(select(DeploymentKey).where(DeploymentKey.name == name)))

    result: list[DeploymentKey] = run(settings, work)
    return result


def signs_for(pair: KeyPair, public_pem: str) -> bool:
    """Whether ``pair``'s private key makes signatures ``public_pem`` verifies."""
    public = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    signed = pair.private_key.sign(b"body", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signed, b"body", padding.PKCS1v15(), hashes.SHA256())
    return True


def test_two_processes_making_it_at_once_agree_on_one_key(settings: Settings) -> None:
    name = f"race-{secrets.token_hex(4)}"
    postgres = settings.database_url.startswith("postgresql")
    # On PostgreSQL both find no row and both generate a pair before either inserts; on
    # SQLite the second transaction cannot begin until the first has committed its row.
    both_generating = threading.Barrier(2 if postgres else 1, timeout=30)
    generated: list[int] = []

    def generate() -> rsa.RSAPrivateKey:
        generated.append(1)
        both_generating.wait()
        return new_private_key()

    async def one_process() -> KeyPair:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await load_or_create(session, name, RING, generate=generate)
        finally:
            await engine.dispose()

    async def race() -> list[KeyPair]:
        return list(await asyncio.gather(one_process(), one_process()))

    first, second = asyncio.run(race())
    rows = stored(settings, name)
    assert len(rows) == 1
    assert first.public_pem == second.public_pem == rows[0].public_key
    assert signs_for(first, rows[0].public_key) and signs_for(second, rows[0].public_key)
    assert len(generated) == (2 if postgres else 1)


def test_the_private_key_is_stored_encrypted_with_the_ring(settings: Settings) -> None:
    name = f"at-rest-{secrets.token_hex(4)}"
    pair = run(settings, lambda session: load_or_create(session, name, RING))
    (row,) = stored(settings, name)
    assert row.algorithm == f"RSA-{RSA_BITS}" and pair.private_key.key_size == RSA_BITS
    pem = pair.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body_line = pem.splitlines()[1]
    assert "PRIVATE KEY" not in row.private_key_ciphertext
    assert body_line not in row.private_key_ciphertext
    opened = decrypt_private_key(row.private_key_ciphertext, RING)
    assert opened.private_numbers() == pair.private_key.private_numbers()
    with pytest.raises(InvalidToken):
        decrypt_private_key(row.private_key_ciphertext, KeyRing(("another-key",)))
    # a second use reads the same pair, it does not make another
    again = run(settings, lambda session: load_or_create(session, name, RING))
    assert again.public_pem == pair.public_pem and len(stored(settings, name)) == 1


def test_the_public_key_is_served_as_pem(client: TestClient, settings: Settings) -> None:
    response = client.get("/highlevel/webhooks/public-key")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-pem-file"
    assert response.headers["cache-control"] == "public, max-age=3600"
    (row,) = stored(settings, WEBHOOK_KEY)
    assert response.text == row.public_key
    public = serialization.load_pem_public_key(response.content)
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == RSA_BITS
    assert client.get("/highlevel/webhooks/public-key").text == response.text
    wrong = client.post("/highlevel/webhooks/public-key")
    assert wrong.status_code == 405 and wrong.json()["error"] == "Method Not Allowed"


@pytest.fixture
def own_database(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A fresh, migrated database of the same backend: rekeying works on every row."""
    with fresh_database(database_url, tmp_path) as url:
        upgrade(url)
        yield settings.model_copy(update={"database_url": url, "secret_key": "old-key"})


def test_rekey_moves_the_private_key_to_the_newest_key(own_database: Settings) -> None:
    old, new = KeyRing(("old-key",)), KeyRing(("new-key", "old-key"))
    pair = run(own_database, lambda session: load_or_create(session, WEBHOOK_KEY, old))

    # a server whose ring lacks the key that encrypted it says so, in HighLevel's body
    lost = own_database.model_copy(update={"secret_key": "new-key"})
    with TestClient(create_app(lost), raise_server_exceptions=False) as client:
        refused = client.get("/highlevel/webhooks/public-key")
    assert refused.status_code == 500
    assert (
        refused.json()["statusCode"] == 500 and "ROLODEX_SECRET_KEYS" in refused.json()["message"]
    )

    done = run(own_database, lambda session: reencrypt_deployment_keys(session, new))
    assert (done.count, done.unreadable) == (1, [])
    (row,) = stored(own_database, WEBHOOK_KEY)
    opened = decrypt_private_key(row.private_key_ciphertext, KeyRing(("new-key",)))
    assert opened.private_numbers() == pair.private_key.private_numbers()
    assert row.public_key == pair.public_pem

    # a ciphertext no key of the ring opens is named and left alone
    stranger = run(own_database, lambda s: load_or_create(s, "stranger", KeyRing(("x-key",))))
    again = run(own_database, lambda session: reencrypt_deployment_keys(session, new))
    assert again.count == 1 and again.unreadable == ["stranger"]
    (kept,) = stored(own_database, "stranger")
    assert decrypt_private_key(
        kept.private_key_ciphertext, KeyRing(("x-key",))
    ).private_numbers() == (stranger.private_key.private_numbers())

    async def count(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(DeploymentKey)))

    assert run(own_database, count) == 2
