"""Connections' credentials moved to the newest key of the ring (``rolodex rekey``)."""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.integrations.models import Connection
from rolodex.keyring import KeyRing, Rekeyed
from rolodex.webhooks import secrets


async def reencrypt_connection_credentials(session: AsyncSession, ring: KeyRing) -> Rekeyed:
    """Every connection's credentials encrypted again with the ring's newest key; one no
    key of the ring opens is left as it is and named. Nothing else changes, not even
    ``updated_at``."""
    done = Rekeyed("connection credentials")
    rows = await session.execute(
        select(Connection.id, Connection.secret_ciphertext)
        .where(Connection.secret_ciphertext.is_not(None))
        .order_by(Connection.id)
    )
    for connection_id, ciphertext in rows.all():
        if ciphertext is None:
            continue
        try:
            again = secrets.reencrypt(ciphertext, ring)
        except InvalidToken:
            done.unreadable.append(f"{connection_id} (secret_ciphertext)")
            continue
        await session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(secret_ciphertext=again, updated_at=Connection.updated_at)
            .execution_options(synchronize_session=False)
        )
        done.count += 1
    return done
