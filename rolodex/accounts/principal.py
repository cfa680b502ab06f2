"""Who a request acts as, and with what rights."""

from __future__ import annotations

from dataclasses import dataclass

from rolodex.accounts.models import User

READ_SUFFIX = ".readonly"
WRITE_SUFFIX = ".write"


@dataclass(frozen=True, slots=True)
class Principal:
    """The resolved credential of a request.

    ``user`` is who the request acts as: the credential's own user, or the user it
    impersonates, in which case ``impersonator`` is the real actor.
    """

    account_id: str
    user: User
    impersonator: User | None
    credential_id: str
    credential_kind: str
    key_scope: str | None
    scopes: frozenset[str] | None = None

    @property
    def user_id(self) -> str:
        """The id of the user the request acts as."""
        return self.user.id

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
