"""Verifying inbound webhooks as each remote signs them.

Each function takes the request's headers, its raw body and the connection's webhook
secret, and says whether the signature holds; none raises on a malformed signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rolodex.webhooks import signing

STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def moco(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """``X-Moco-Signature``: the hex HMAC-SHA256 of the raw body with the hook's key."""
    given = _header(headers, "X-Moco-Signature").strip().lower()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(given, expected)


def highlevel(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """``x-wh-signature``: base64 of an RSA SHA-256 (PKCS #1 v1.5) signature of the raw
    body; ``secret`` is the signer's public key (PEM)."""
    given = _header(headers, "x-wh-signature").strip()
    try:
        signature = base64.b64decode(given, validate=True)
        key = serialization.load_pem_public_key(secret.encode())
    except (ValueError, binascii.Error, TypeError):
        return False
    if not given or not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def standard_webhooks(
    headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None
) -> bool:
    """Standard Webhooks (Rolodex's own deliveries): any ``v1`` signature of
    ``webhook-signature`` matches, and ``webhook-timestamp`` is within five minutes."""
    message_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    if not message_id or not timestamp.isdigit():
        return False
    moment = now if now is not None else time.time()
    if abs(moment - int(timestamp)) > STANDARD_WEBHOOKS_TOLERANCE_SECONDS:
        return False
    try:
        expected = signing.sign(secret, message_id, int(timestamp), body)
    except (ValueError, binascii.Error):
        return False
    given = _header(headers, "webhook-signature").split()
    return any(hmac.compare_digest(candidate, expected) for candidate in given)
