"""Settings: one object, read from the environment (prefix ``ROLODEX_``)."""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rolodex.keyring import KeyRing, KeyRingError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./rolodex.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
SECRET_FILE = Path(".rolodex-secret")
_RATE_LIMIT = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")
MAX_RATE_LIMIT_PART = 1_000_000_000


def parse_rate_limit(value: str) -> tuple[int, int]:
    """``"120/120"`` → ``(120, 120)``: requests per seconds, both positive integers.

    Raises ``ValueError`` with a message fit for a client otherwise.
    """
    match = _RATE_LIMIT.fullmatch(value)
    if match is None:
        raise ValueError("must be requests/seconds, e.g. 120/120")
    amount, seconds = int(match.group(1)), int(match.group(2))
    if not (0 < amount <= MAX_RATE_LIMIT_PART and 0 < seconds <= MAX_RATE_LIMIT_PART):
        raise ValueError("must be requests/seconds with both numbers positive, e.g. 120/120")
    return amount, seconds


MAX_RATE_LIMIT_WINDOWS = 4


def parse_rate_limits(value: str) -> list[tuple[int, int]]:
    """``"100/10;200000/86400"`` → ``[(100, 10), (200000, 86400)]``: one or more windows,
    each requests/seconds (:func:`parse_rate_limit`), separated by ``;``, each length at
    most once. Raises ``ValueError`` with a message fit for a client otherwise."""
    parts = [part for part in value.split(";")]
    if not 1 <= len(parts) <= MAX_RATE_LIMIT_WINDOWS:
        raise ValueError(
            f"must be 1 to {MAX_RATE_LIMIT_WINDOWS} windows of requests/seconds separated "
            "by ';', e.g. 100/10;200000/86400"
        )
    windows = [parse_rate_limit(part) for part in parts]
    if len({seconds for _, seconds in windows}) != len(windows):
        raise ValueError("must not name the same window length twice")
    return windows


def format_rate_limits(windows: list[tuple[int, int]]) -> str:
    """The canonical spelling of :func:`parse_rate_limits`' windows: ``100/10;200000/86400``."""
    return ";".join(f"{amount}/{seconds}" for amount, seconds in windows)


def parse_schedule(value: str) -> list[float]:
    """``"5,300,1800"`` → ``[5.0, 300.0, 1800.0]``; raises ``ValueError`` otherwise."""
    try:
        waits = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValueError("must be comma-separated seconds, e.g. 5,300,1800") from None
    if not waits or any(not (0 <= wait <= 7 * 86400) for wait in waits):
        raise ValueError("must list at least one wait, each between 0 and 604800 seconds")
    return waits


class Settings(BaseSettings):
    """Deployment settings. Every field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ROLODEX_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    secret_keys: str | None = Field(
        default=None,
        description="The key ring, newest first and comma-separated: signs cursors and "
        "encrypts webhook secrets with the first, accepts any.",
    )
    secret_key: str | None = Field(
        default=None,
        description="One key (a ring of one). Unset, with no ring: generated once into "
        ".rolodex-secret.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_echo: bool = False
    db_pre_ping: bool = Field(
        default=False,
        description="Test each pooled PostgreSQL connection with a round trip before "
        "lending it. Off: a connection the server dropped fails the one request that "
        "finds it (answered 503) and the pool replaces it.",
    )
    db_busy_timeout_seconds: float = Field(
        default=15,
        ge=0,
        le=300,
        description="How long a request waits for a lock before a 503: SQLite's write "
        "lock, PostgreSQL's lock_timeout (0 there: no limit).",
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    api_key_touch_seconds: int = Field(
        default=60, ge=0, description="How often a key's last_used_at is written at most."
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process keeps an API key it has loaded (0: never); a change "
        "to any key or user of its account ends that at once, in every process.",
    )
    password_min_length: int = Field(default=8, ge=1)
    idempotency_ttl_hours: int = Field(
        default=24, ge=24, description="How long an Idempotency-Key and its response are kept."
    )
    idempotency_cleanup_seconds: float = Field(
        default=900, ge=0, description="How often expired idempotency keys are deleted; 0: never."
    )
    log_level: str = "info"
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: one JSON object a line; text: for people; auto: text in a "
        "terminal, json otherwise.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="The bearer token GET /metrics asks for; unset: /metrics is off.",
    )
    rate_limit: str = Field(
        default="120/120",
        description="Requests per credential as requests/seconds, or several windows that "
        "all apply (`100/10;200000/86400`); an API key may have its own.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://… shared by every server process; unset: limits kept in memory.",
    )
    redis_prefix: str = Field(
        default="rolodex", min_length=1, description="Prefix of every key Rolodex writes to Redis."
    )

    webhooks_allow_private: bool = Field(
        default=False,
        description="Let webhooks reach private, loopback and link-local addresses.",
    )
    webhooks_retry_schedule: str = Field(
        default="5,300,1800,7200,18000,36000,50400,72000,72000",
        description="Seconds to wait after each failed attempt (comma-separated); about 3 days.",
    )
    webhooks_retry_jitter: float = Field(
        default=0.2, ge=0, le=1, description="Each wait varies randomly by up to this fraction."
    )
    webhooks_disable_after: int = Field(
        default=30, ge=1, description="Consecutive failed attempts that disable an endpoint."
    )
    webhooks_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="How long one delivery request may take."
    )
    webhooks_rotation_grace_hours: float = Field(
        default=24, ge=0, description="How long a rotated-out secret still signs deliveries."
    )
    worker_lease_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a claimed delivery is a worker's before others retry it.",
    )
    worker_poll_seconds: float = Field(
        default=1, gt=0, description="How often an idle worker looks for due deliveries."
    )
    worker_batch: int = Field(
        default=20, ge=1, le=1000, description="Deliveries a worker claims and sends at once."
    )
    worker_in_process: bool | None = Field(
        default=None,
        description="Run the delivery worker inside `rolodex serve`; unset: only on SQLite.",
    )
    integrations_timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="How long one request to a connection may take."
    )
    integrations_attempts: int = Field(
        default=5, ge=1, le=20, description="Attempts of one request to a connection at most."
    )
    integrations_backoff_seconds: float = Field(
        default=0.5, ge=0, le=60, description="The first wait before retrying a failed request."
    )
    integrations_retry_after_cap_seconds: float = Field(
        default=300, ge=0, le=86_400, description="The longest Retry-After a 429 is held for."
    )
    integrations_max_wait_seconds: float = Field(
        default=10,
        ge=0,
        le=600,
        description="How long a job waits in a worker for its next request; longer, and "
        "it goes back to the queue.",
    )
    integrations_budget_headroom: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="How much slower than a connection's rate limit its requests are spaced.",
    )
    runs_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Days a finished integration run is kept."
    )
    integrations_poll_seconds: float = Field(
        default=300,
        ge=0,
        le=86_400,
        description="How often each connection's remote is polled for changes; 0: never.",
    )
    integrations_poll_overlap_seconds: float = Field(
        default=60,
        ge=0,
        le=86_400,
        description="How far before its cursor each poll reads again, for changes the remote "
        "committed late.",
    )
    runs_prune_seconds: float = Field(
        default=3600, ge=0, description="How often a worker deletes expired runs; 0: never."
    )
    public_url: str | None = Field(
        default=None,
        description="The server's external URL (the OAuth issuer); unset: the request's own.",
    )
    oauth_access_token_seconds: int = Field(default=3600, ge=60, le=86_400)
    oauth_refresh_token_seconds: int = Field(default=30 * 86_400, ge=300)
    oauth_code_seconds: int = Field(default=300, ge=10, le=600)
    login_rate_limit: str = Field(
        default="10/300", description="Sign-in attempts per client IP and email address."
    )
    dashboard_idle_seconds: int = Field(
        default=1800, ge=60, description="A dashboard session ends after this long unused."
    )
    dashboard_session_seconds: int = Field(
        default=12 * 3600, ge=300, description="A dashboard session ends this long after sign-in."
    )
    token_rate_limit: str = Field(
        default="60/60",
        description="Requests to the OAuth token endpoints per authenticated client, and "
        "requests that authenticate no client per client IP.",
    )

    @field_validator("secret_keys")
    @classmethod
    def _key_ring(cls, value: str | None) -> str | None:
        """Comma-separated keys, none of them empty; an empty variable means unset."""
        if value is None or not value.strip():
            return None
        KeyRing.parse(value)
        return value

    @model_validator(mode="after")
    def _one_key_setting(self) -> Settings:
        """Only one of ``ROLODEX_SECRET_KEYS`` and ``ROLODEX_SECRET_KEY``, so that which
        key is the newest is never a guess."""
        if self.secret_keys and self.secret_key:
            raise ValueError(
                "set ROLODEX_SECRET_KEYS or ROLODEX_SECRET_KEY, not both "
                "(ROLODEX_SECRET_KEYS=new,old replaces ROLODEX_SECRET_KEY=old)"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """``postgresql://`` and ``sqlite://`` mean their async drivers."""
        scheme, sep, rest = value.partition("://")
        return f"{_DRIVER_ALIASES.get(scheme, scheme)}{sep}{rest}"

    @field_validator("login_rate_limit", "token_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        """``N/S``: N requests per S seconds, both positive integers."""
        amount, seconds = parse_rate_limit(value)
        return f"{amount}/{seconds}"

    @field_validator("rate_limit")
    @classmethod
    def _credential_rate_limit(cls, value: str) -> str:
        """``N/S``, or several windows ``N/S;N/S`` that all apply."""
        return format_rate_limits(parse_rate_limits(value))

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        """An empty ``ROLODEX_REDIS_URL`` means no Redis."""
        return value.strip() or None if value is not None else None

    @field_validator("webhooks_retry_schedule")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        """Comma-separated non-negative seconds, at least one."""
        parse_schedule(value)
        return value

    @property
    def retry_schedule(self) -> list[float]:
        """Seconds to wait after the 1st, 2nd, … failed attempt of a delivery."""
        return parse_schedule(self.webhooks_retry_schedule)

    @property
    def run_worker_in_process(self) -> bool:
        """Whether `rolodex serve` delivers webhooks itself."""
        return self.is_sqlite if self.worker_in_process is None else self.worker_in_process

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def resolved_key_ring(self) -> KeyRing:
        """The deployment's key ring: ``ROLODEX_SECRET_KEYS``, else ``ROLODEX_SECRET_KEY``
        as a ring of one, else the key kept in ``.rolodex-secret`` (generated there once).

        Every server process of one working directory reads the same file, so cursors
        stay valid across workers and restarts.
        """
        if self.secret_keys:
            return KeyRing.parse(self.secret_keys)
        if self.secret_key:
            return KeyRing((self.secret_key,))
        if SECRET_FILE.exists():
            try:
                return KeyRing.parse(SECRET_FILE.read_text())
            except KeyRingError as exc:
                raise KeyRingError(f"{SECRET_FILE} {exc}") from None
        value = secrets.token_urlsafe(48)
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return KeyRing((value,))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
