"""Rate limits of ``/oauth/token``, ``/oauth/revoke`` and ``/oauth/introspect``.

A request is counted against whoever is known to have sent it, never against the
``client_id`` it merely claims (anyone can write another client's id):

- a request whose client authenticated counts against that client's budget. A public
  client has no secret to prove who it is, so its budget is per client id *and* caller
  address;
- a request whose client did not authenticate (a wrong secret, an unknown client, a
  malformed request) counts against the caller's address. Once an address has used up
  that budget, every request from it is refused until the window ends, even one with the
  right secret, so that a secret cannot be guessed faster than the limit.

Both budgets are ``ROLODEX_TOKEN_RATE_LIMIT``. The client is known only once Authlib has
authenticated it, inside the request's transaction, so the client's budget is counted
before that transaction commits: a request over it is rolled back (nothing it did is
kept) and answered ``429``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolodex.http.ratelimit import Quota, RateLimiter, Usage
from rolodex.oauth.server import Client


@dataclass(frozen=True, slots=True)
class TokenLimits:
    """The budgets one token-endpoint request may be counted against."""

    limiter: RateLimiter
    quota: Quota
    address: str

    @property
    def unauthenticated(self) -> str:
        """The counter of the address's requests that authenticated no client."""
        return f"oauth-token:unauthenticated:{self.address}"

    def of_client(self, client: Client) -> str:
        """The counter of an authenticated client's requests."""
        if client.row.client_type == "public":
            return f"oauth-token:client:{client.row.id}:{self.address}"
        return f"oauth-token:client:{client.row.id}"

    async def blocked(self) -> Usage | None:
        """The address's usage when it is past its budget of unauthenticated requests
        (refuse the request before looking at it), else None. Counts nothing."""
        usage = await self.limiter.peek(self.unauthenticated, self.quota)
        return None if usage.allowed else usage

    async def count(self, client: Client | None) -> Usage | None:
        """Count the request against the client that authenticated, or else against the
        address. The usage when the request is over its client's budget and must be
        refused, else None."""
        if client is None:
            await self.limiter.hit(self.unauthenticated, self.quota)
            return None
        usage = await self.limiter.hit(self.of_client(client), self.quota)
        return None if usage.allowed else usage
