"""Webhook endpoint secrets moved to the newest key of the ring (``rolodex rekey``)."""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.keyring import KeyRing, Rekeyed
from rolodex.webhooks import secrets
from rolodex.webhooks.models import WebhookEndpoint


async def reencrypt_endpoint_secrets(session: AsyncSession, ring: KeyRing) -> Rekeyed:
    """Every endpoint's secret (and previous secret), deleted endpoints included,
    encrypted again with the ring's newest key. A ciphertext no key of the ring opens is
    left as it is and named in the result. Nothing else of the endpoint changes, not
    even ``updated_at``: the secrets are the same, only how they are stored is not."""
    done = Rekeyed("webhook endpoint secrets")
    rows = await session.execute(
        select(
            WebhookEndpoint.id,
            WebhookEndpoint.secret_ciphertext,
            WebhookEndpoint.previous_secret_ciphertext,
        ).order_by(WebhookEndpoint.id)
    )
    for endpoint_id, current, previous in rows.all():
        values: dict[str, object] = {}
        for column, ciphertext in (
            ("secret_ciphertext", current),
            ("previous_secret_ciphertext", previous),
        ):
            if ciphertext is None:
                continue
            try:
                values[column] = secrets.reencrypt(ciphertext, ring)
            except InvalidToken:
                done.unreadable.append(f"{endpoint_id} ({column})")
        if values:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id)
                .values(**values, updated_at=WebhookEndpoint.updated_at)
                .execution_options(synchronize_session=False)
            )
            done.count += len(values)
    return done
