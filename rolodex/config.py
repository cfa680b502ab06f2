"""Settings: one object, read from the environment (prefix ``ROLODEX_``)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./rolodex.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
SECRET_FILE = Path(".rolodex-secret")


class Settings(BaseSettings):
    """Deployment settings. Every field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ROLODEX_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs pagination cursors. Unset: generated once into .rolodex-secret.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_echo: bool = False
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    api_key_touch_seconds: int = Field(
        default=60, ge=0, description="How often a key's last_used_at is written at most."
    )
    password_min_length: int = Field(default=8, ge=1)
    log_level: str = "info"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """``postgresql://`` and ``sqlite://`` mean their async drivers."""
        scheme, sep, rest = value.partition("://")
        return f"{_DRIVER_ALIASES.get(scheme, scheme)}{sep}{rest}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The secret key, generating and keeping one in ``.rolodex-secret`` when unset.

        Every server process of one working directory reads the same file, so cursors
        stay valid across workers and restarts.
        """
        if self.secret_key:
            return self.secret_key
        if SECRET_FILE.exists():
            return SECRET_FILE.read_text().strip()
        value = secrets.token_urlsafe(48)
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
