"""The deployment's secret keys, newest first (``ROLODEX_SECRET_KEYS``).

What Rolodex signs or encrypts with a deployment key — pagination cursors, the consent
page's CSRF tokens, webhook secrets at rest — is made with the newest key and accepted
under any key of the ring. Rotation is therefore: put a new key in front, restart, run
``rolodex rekey`` so stored ciphertexts move to the new key, and drop the old key once
cursors made with it no longer matter.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field


class KeyRingError(ValueError):
    """A key ring that cannot be used (no key, or an empty one)."""


@dataclass(frozen=True)
class KeyRing:
    """One or more secret keys; the first is the newest and the one new things are
    signed and encrypted with."""

    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("must hold at least one key")
        if any(not key for key in self.keys):
            raise KeyRingError("must not hold an empty key")

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``"new,old"`` → a ring of two: comma-separated, spaces around each key dropped."""
        keys = tuple(part.strip() for part in text.split(","))
        if not any(keys):
            raise KeyRingError("must hold at least one key")
        if not all(keys):
            raise KeyRingError("must not hold an empty key (two commas in a row?)")
        return cls(keys)

    @property
    def newest(self) -> str:
        """The key new signatures and encryptions use."""
        return self.keys[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:  # never print a key
        return f"KeyRing(<{len(self.keys)} keys>)"

    def sign(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under the newest key."""
        return _mac(self.newest, message)

    def verify(self, message: bytes, signature: bytes, *, length: int | None = None) -> bool:
        """Whether ``signature`` (its first ``length`` bytes when truncated) is the
        HMAC-SHA256 of ``message`` under any key of the ring."""
        found = False
        for key in self.keys:  # every key is tried, so timing does not tell which matched
            expected = _mac(key, message)[:length] if length else _mac(key, message)
            found |= hmac.compare_digest(expected, signature)
        return found


def _mac(key: str, message: bytes) -> bytes:
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


@dataclass
class Rekeyed:
    """What re-encrypting one kind of stored secret (``rolodex rekey``) did: how many
    ciphertexts it moved to the newest key, and which no key of the ring could open
    (left unchanged)."""

    what: str
    count: int = 0
    unreadable: list[str] = field(default_factory=list)
