"""HighLevel's webhook signature, ``x-wh-signature``, with the deployment's own key pair.

HighLevel signs each webhook body with its RSA key: the header is the base64 of the
RSA-SHA256 signature (PKCS #1 v1.5, what Node's ``crypto.createVerify('SHA256')``
checks) of the raw body, and receivers verify it with HighLevel's public key. Rolodex
does the same with a key pair of its own deployment (:mod:`rolodex.deployment_keys`),
whose public key it serves at ``GET /highlevel/webhooks/public-key``.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_HEADER = "x-wh-signature"
WEBHOOK_KEY = "highlevel_webhooks"
"""The name of the deployment key pair HighLevel-format deliveries are signed with."""


def signature(private_key: rsa.RSAPrivateKey, body: bytes) -> str:
    """``x-wh-signature``: base64(RSA-SHA256, PKCS #1 v1.5, of ``body``)."""
    signed = private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signed).decode()
