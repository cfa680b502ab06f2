"""``GET /highlevel/webhooks/public-key``: the key HighLevel-format deliveries verify with.

The deployment's public key as a SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``,
the form HighLevel publishes its own in), served as ``application/x-pem-file``. It is
public: no credential and no ``Version`` header are needed. The pair is made on first
use, here or by the first delivery, whichever comes first.
"""

from __future__ import annotations

import logging

from cryptography.fernet import InvalidToken
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rolodex.db import unit_of_work
from rolodex.deployment_keys.store import key_pair
from rolodex.dialects.highlevel.plain_errors import highlevel_error
from rolodex.dialects.highlevel.signing import WEBHOOK_KEY

PREFIX = "/highlevel/webhooks"
MEDIA_TYPE = "application/x-pem-file"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
log = logging.getLogger("rolodex.webhooks")


@router.get("/public-key")
async def public_key(request: Request) -> Response:
    """The PEM, cacheable for an hour (the pair does not change)."""
    state = request.app.state
    try:
        async with unit_of_work(state.sessions) as session:
            pair = await key_pair(session, WEBHOOK_KEY, state.key_ring)
    except InvalidToken:
        log.error("the HighLevel webhook key cannot be decrypted with the key ring")
        return highlevel_error(
            500,
            "The webhook signing key cannot be decrypted with any key of "
            "ROLODEX_SECRET_KEYS (or ROLODEX_SECRET_KEY)",
        )
    return Response(
        pair.public_pem, media_type=MEDIA_TYPE, headers={"Cache-Control": "public, max-age=3600"}
    )
