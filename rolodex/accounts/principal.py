"""Who a request acts as, and with what rights."""

from __future__ import annotations

from dataclasses import dataclass

from rolodex.accounts.models import User

READ_SUFFIX = ".readonly"
WRITE_SUFFIX = ".write"
ACCOUNT_KEY_ROLE = "admin"
"""The role an account key's rights are checked against: never owner, never staff."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The resolved credential of a request.

    ``user`` is who the request acts as: the credential's own user, or the user it
    impersonates, in which case ``impersonator`` is the real actor. An account-level API
    key acts as no user: ``user`` is None, and its rights are those of an admin.
    """

    account_id: str
    user: User | None
    impersonator: User | None
    credential_id: str
    credential_kind: str
    key_scope: str | None
    scopes: frozenset[str] | None = None
    rate_limit: str | None = None
    """The credential's own rate limit (``N/S;…``); None: the deployment's."""

    @property
    def user_id(self) -> str | None:
        """The id of the user the request acts as; None for an account key."""
        return self.user.id if self.user is not None else None

    @property
    def role(self) -> str:
        """The role permission checks use: the acting user's, or admin for an account key."""
        return self.user.role if self.user is not None else ACCOUNT_KEY_ROLE

    @property
    def staff(self) -> bool:
        """Whether the acting user has the staff permission; an account key never has."""
        return self.user is not None and self.user.staff

    @property
    def holder_id(self) -> str:
        """Who holds the credential: its own user (the impersonator when impersonating),
        or, for an account key, the key itself."""
        holder = self.impersonator or self.user
        return holder.id if holder is not None else self.credential_id

    def allows(self, scope: str) -> bool:
        """Whether the credential grants ``scope`` (e.g. ``contacts.write``).

        A ``full`` key grants every scope; a ``read_only`` key every ``*.readonly`` one.
        An OAuth token grants its ``scopes``, where ``<resource>.write`` implies
        ``<resource>.readonly``.
        """
        if self.scopes is not None:
            if scope in self.scopes:
                return True
            resource = scope.removesuffix(READ_SUFFIX)
            return scope.endswith(READ_SUFFIX) and resource + WRITE_SUFFIX in self.scopes
        if self.key_scope == "full":
            return True
        if self.key_scope == "read_only":
            return scope.endswith(READ_SUFFIX)
        return False
