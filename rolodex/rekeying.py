"""What ``rolodex rekey`` does: every ciphertext stored under the deployment's key ring,
encrypted again with its newest key, so that older keys can then leave the ring.

A new kind of encrypted column adds its re-encryption function to :data:`REKEYERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.deployment_keys.rekey import reencrypt_deployment_keys
from rolodex.integrations.rekey import reencrypt_connection_credentials
from rolodex.keyring import KeyRing, Rekeyed
from rolodex.webhooks.rekey import reencrypt_endpoint_secrets

REKEYERS: tuple[Callable[[AsyncSession, KeyRing], Awaitable[Rekeyed]], ...] = (
    reencrypt_endpoint_secrets,
    reencrypt_deployment_keys,
    reencrypt_connection_credentials,
)


async def rekey_all(session: AsyncSession, ring: KeyRing) -> list[Rekeyed]:
    """Every kind of stored secret re-encrypted with the ring's newest key, in one unit
    of work."""
    return [await rekeyer(session, ring) for rekeyer in REKEYERS]
