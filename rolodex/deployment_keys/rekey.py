"""Deployment key pairs' private keys moved to the newest key of the ring
(``rolodex rekey``)."""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.deployment_keys.models import DeploymentKey
from rolodex.deployment_keys.store import reencrypt_private_key
from rolodex.keyring import KeyRing, Rekeyed


async def reencrypt_deployment_keys(session: AsyncSession, ring: KeyRing) -> Rekeyed:
    """Every stored private key encrypted again with the ring's newest key; one that no
    key of the ring opens is left as it is and named in the result."""
    done = Rekeyed("deployment key pairs")
    rows = await session.execute(
        select(DeploymentKey.name, DeploymentKey.private_key_ciphertext).order_by(
            DeploymentKey.name
        )
    )
    for name, ciphertext in rows.all():
        try:
            moved = reencrypt_private_key(ciphertext, ring)
        except InvalidToken:
            done.unreadable.append(name)
            continue
        await session.execute(
            update(DeploymentKey)
            .where(DeploymentKey.name == name)
            .values(private_key_ciphertext=moved)
            .execution_options(synchronize_session=False)
        )
        done.count += 1
    return done
