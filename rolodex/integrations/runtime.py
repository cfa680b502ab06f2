"""What calling connections needs in one process: the settings, the database, the
deployment's key, the shared budget and the retry policy — made once per application or
worker (:func:`runtime_of`), and a :class:`~rolodex.integrations.transport.Caller` per
HTTP client."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.config import Settings
from rolodex.integrations.budget import Budget
from rolodex.integrations.redis_budget import budget_for
from rolodex.integrations.tokens import TokenKeeper
from rolodex.integrations.transport import Caller, RetryPolicy, TokenSource
from rolodex.keyring import KeyRing


@dataclass
class Runtime:
    """The shared parts of every call to a connection."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    deployment_key: KeyRing
    budget: Budget
    policy: RetryPolicy
    tokens: TokenSource | None = None

    @classmethod
    def make(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession], deployment_key: KeyRing
    ) -> Runtime:
        """The runtime of a deployment: its budgets in Redis or the database, its OAuth
        tokens kept fresh."""
        return cls(
            settings=settings,
            sessions=sessions,
            deployment_key=deployment_key,
            budget=budget_for(sessions, settings.redis_url, settings.redis_prefix),
            policy=RetryPolicy.of(settings),
            tokens=TokenKeeper(
                sessions,
                deployment_key,
                allow_private=settings.webhooks_allow_private,
                timeout=settings.integrations_timeout_seconds,
                owner=f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}",
            ),
        )

    def caller(self, client: httpx.AsyncClient) -> Caller:
        """A caller sending through ``client``."""
        return Caller(client, self.budget, self.sessions, self.policy, self.tokens)


def runtime_of(state: Any) -> Runtime:
    """The application's runtime (``app.state.integrations``), made on first use."""
    found: Runtime | None = getattr(state, "integrations", None)
    if found is None:
        found = state.integrations = Runtime.make(state.settings, state.sessions, state.key_ring)
    return found
