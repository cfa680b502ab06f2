"""Idempotency keys: a retried mutation is answered, not performed, a second time.

``run_idempotent`` runs inside the request's unit of work (one transaction), after
authentication, the scope check, the rate limit and the media-type check, so requests
refused by those are never stored. For a ``POST``, ``PUT``, ``PATCH`` or ``DELETE`` with an
``Idempotency-Key``:

1. The key must be 1 to 255 visible ASCII characters (``400 VALIDATION_ERROR`` otherwise).
2. An unexpired stored response for the key is looked up. With a different fingerprint
   (method, path and query, acting user and JSON body) the key is being reused for
   another request: ``422 UNPROCESSABLE``. With the same one it is replayed (status, body,
   ``Location`` and ``Content-Type``) with ``Idempotent-Replayed: true``, and the route does
   not run. No lock is needed for that, so concurrent retries of a finished request all
   replay.
3. When there is none, the key is claimed until the transaction ends, and step 2 is
   repeated (the first request may have committed in between). On PostgreSQL the claim
   is a transaction-level advisory lock taken with ``pg_try_advisory_xact_lock``: when
   another transaction (of any server process) holds it, the first request is still
   running and this one is ``409 CONFLICT``. On SQLite every transaction begins with
   ``BEGIN IMMEDIATE``, so requests are already serialised: a duplicate waits for the
   first to commit and then replays its stored response.
4. Otherwise the route runs. A 2xx response is stored in the same transaction as the
   change it describes, so both commit or neither does: a crash can never leave a key
   that claims a change that did not happen, or a change without its key. A route that
   fails (raises) rolls back its change, and nothing is stored either: a retry with the
   same key runs the request again.

Secrets are never stored: every field its output schema declares secret (the one-time
``key`` of a new API key, ``secret`` of a new or rotated webhook endpoint, ``client_secret``
of a new OAuth client; see :mod:`rolodex.secret_fields`) is stored as ``null``, so a replay
answers the same resource without the secret.

Keys live ``idempotency_ttl_hours`` (at least 24); expired ones are ignored by the
lookup and deleted in batches by :func:`run_cleanup`, started with the application.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

from pydantic_core import to_json
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.errors import Conflict, Unprocessable, ValidationFailed
from rolodex.idempotency.models import IdempotencyRecord
from rolodex.ids import new_id
from rolodex.secret_fields import redact

log = logging.getLogger("rolodex.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEYED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_CHARACTERS = r"[\x21-\x7e]"  # visible ASCII
MAX_KEY_LENGTH = 255
VALID_KEY = re.compile(rf"^{KEY_CHARACTERS}{{1,{MAX_KEY_LENGTH}}}$")
STORED_HEADERS = ("content-type", "location")
ID_PREFIX = "idk"
CLEANUP_BATCH = 1000


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key, validated; None when it has none or is a read."""
    if request.method not in KEYED_METHODS:
        return None
    values = request.headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationFailed.field(HEADER, "must be sent once")
    if not VALID_KEY.match(values[0]):
        raise ValidationFailed.field(HEADER, "must be 1 to 255 visible ASCII characters")
    return values[0]


def _canonical_body(raw: bytes) -> bytes:
    """The body as canonical JSON, so that whitespace and key order do not make a retry
    look like a different request; the raw bytes when it is not JSON."""
    if not raw.strip():
        return b""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def fingerprint_of(request: Request, principal: Principal) -> str:
    """What makes two requests with one key "the same request": method, path and query,
    the user acted as (impersonation included) and the body."""
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.url.path.encode(),
        request.url.query.encode(),
        (principal.user_id or "").encode(),
        _canonical_body(await request.body()),
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def lock_id(account_id: str, user_id: str, key: str) -> int:
    """A signed 64-bit advisory-lock id for one key of one account and holder."""
    digest = hashlib.sha256(f"idempotency\0{account_id}\0{user_id}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def _claim(session: AsyncSession, account_id: str, user_id: str, key: str) -> None:
    """Hold the key until the transaction ends, or raise 409 when another request does."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serialises every transaction
    acquired = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id(account_id, user_id, key)}
    )
    if not acquired:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry later",
            details=[{"field": HEADER, "message": "is in use by a request still running"}],
        )


def _stored_body(body: bytes) -> bytes:
    """The body to keep at rest: every declared secret field becomes ``null``
    (:mod:`rolodex.secret_fields`)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    redacted = redact(parsed)
    return body if redacted == parsed else to_json(redacted)


def _replay(record: IdempotencyRecord) -> Response:
    headers = {name: str(value) for name, value in record.response_headers.items()}
    headers[REPLAYED_HEADER] = "true"
    return Response(record.response_body, status_code=record.status_code, headers=headers)


async def run_idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    call: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``call`` once per Idempotency-Key; replay its stored response afterwards."""
    key = key_of(request)
    if key is None:
        return await call()
    settings: Settings = request.app.state.settings
    owner = principal.holder_id  # the credential's own user, or an account key itself
    fingerprint = await fingerprint_of(request, principal)
    lookup = (
        select(IdempotencyRecord)
        .where(
            IdempotencyRecord.account_id == principal.account_id,
            IdempotencyRecord.user_id == owner,
            IdempotencyRecord.key == key,
        )
        .execution_options(populate_existing=True)
    )
    # A finished request is answered without the lock, so concurrent retries of it all
    # replay; only a request that may have to run claims the key, and then looks again,
    # since the first may have committed in between.
    record = await session.scalar(lookup)
    if record is None or record.expires_at <= utcnow():
        await _claim(session, principal.account_id, owner, key)
        record = await session.scalar(lookup)
    now = utcnow()
    if record is not None and record.expires_at > now:
        if record.fingerprint != fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was used with a different request "
                "(method, path or body); use a new key for a new request",
                details=[{"field": HEADER, "message": "was used with a different request"}],
            )
        return _replay(record)

    response = await call()
    if not 200 <= response.status_code < 300:
        return response
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        raise TypeError("a keyed route must return a buffered response to be stored")
    if record is None:  # an expired record of the same key is reused in place
        record = IdempotencyRecord(
            id=new_id(ID_PREFIX), account_id=principal.account_id, user_id=owner, key=key
        )
        session.add(record)
    record.fingerprint = fingerprint
    record.status_code = response.status_code
    record.response_body = _stored_body(body)
    record.response_headers = {
        name: response.headers[name] for name in STORED_HEADERS if name in response.headers
    }
    record.created_at = now
    record.expires_at = now + timedelta(hours=settings.idempotency_ttl_hours)
    await session.flush()
    return response


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    batch_size: int = CLEANUP_BATCH,
) -> int:
    """Delete expired keys in batches of ``batch_size``, one short transaction each;
    returns how many were deleted. Safe to run from several processes at once."""
    total = 0
    while True:
        cutoff = now or utcnow()
        async with unit_of_work(sessions) as session:
            ids = list(
                (
                    await session.scalars(
                        select(IdempotencyRecord.id)
                        .where(IdempotencyRecord.expires_at <= cutoff)
                        .limit(batch_size)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
            if ids:
                await session.execute(
                    delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids))
                )
        total += len(ids)
        if len(ids) < batch_size:
            return total


async def run_cleanup(sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Purge expired keys now and every ``interval`` seconds, until cancelled."""
    while True:
        try:
            deleted = await purge_expired(sessions)
            if deleted:
                log.info("deleted %d expired idempotency keys", deleted)
        except Exception:
            log.exception("purging expired idempotency keys failed; trying again later")
        await asyncio.sleep(interval)


@asynccontextmanager
async def expired_keys_cleanup(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    """Run :func:`run_cleanup` in the background while the block runs (the app's life)."""
    if settings.idempotency_cleanup_seconds <= 0:
        yield
        return
    task = asyncio.create_task(run_cleanup(sessions, settings.idempotency_cleanup_seconds))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
