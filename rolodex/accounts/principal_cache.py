"""What a process remembers of API keys between requests, so that a request with a known
key costs one indexed look-up (its account's credential version) instead of loading the
key and its user.

An entry is keyed by the key's SHA-256 (never the key), holds what authentication needs
(the key's account, kind, scope, rate limit, expiry and last use, and a detached copy of
its user) and the credential version of the account it was loaded at
(:mod:`rolodex.accounts.versions`). It is used only while that version is still the
account's, and for at most ``ttl`` seconds: a change to any key or user of the account,
in any process, makes every process load its keys again on their next request. Revoked,
expired or otherwise refused keys are never kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from rolodex.accounts.models import User

MAX_ENTRIES = 10_000
"""More keys than this in use at once: the cache starts over rather than grow."""


@dataclass(slots=True)
class CachedKey:
    """An API key as authentication last loaded it."""

    key_id: str
    account_id: str
    kind: str
    scope: str
    rate_limit: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    user: User | None
    """Detached, never changed: each request merges its own copy into its session."""
    version: int
    loaded_at: float


class PrincipalCache:
    """Keys by hash, each valid for ``ttl`` seconds and while its version holds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, CachedKey] = {}

    def get(self, digest: str) -> CachedKey | None:
        """The entry for a key's hash, unless there is none or it is older than ``ttl``."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if time.monotonic() - entry.loaded_at >= self.ttl:
            del self._entries[digest]
            return None
        return entry

    def put(self, digest: str, entry: CachedKey) -> None:
        """Remember ``entry`` (nothing, when the cache is off)."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = entry

    def drop(self, digest: str) -> None:
        """Forget a key (its version moved on)."""
        self._entries.pop(digest, None)
