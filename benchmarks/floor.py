"""The raw floor: the least Python can do to serve Rolodex's contacts from the same tables.

    ROLODEX_FLOOR_DSN=postgresql://postgres@127.0.0.1:5432/rolodex_bench \
        .venv/bin/uvicorn benchmarks.floor:app --port 8766 --no-access-log

A bare ASGI callable over an asyncpg pool and orjson, with the same key check as Rolodex
(the SHA-256 of the key looked up with its user: revoked, expired, deactivated), the same
tables and the same shape of answer (``{"data": …}``, ``{"data": […], "meta": …}``).
Writes do what a Rolodex write must at least do: the row, its audit row and its event,
numbered from the account's counter row, in one transaction. No validation beyond what
the database refuses, no ETag, no rate limit, no idempotency, no webhooks: this is what
``benchmarks/side_by_side.py`` divides Rolodex's figures by, not a server.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

DSN = os.environ.get("ROLODEX_FLOOR_DSN", "postgresql://postgres@127.0.0.1:5432/rolodex_bench")
PREFIX = "/api/v1/contacts"
COLUMNS = (
    "id, created_at, updated_at, first_name, last_name, email, phone, mobile_phone, title, "
    "job_title, gender, birthday, website, address, company_id, owner_id, source, timezone, "
    "do_not_contact, description, custom_fields, deleted_at"
)
KEY = (
    "SELECT k.id, k.account_id, k.kind, k.revoked_at, k.expires_at, u.active, u.id AS user_id "
    "FROM api_keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1"
)
TAGS_OF = (
    "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
    "WHERE ct.contact_id = ANY($1) AND t.deleted_at IS NULL ORDER BY t.name"
)
ONE = (
    f"SELECT {COLUMNS}, ARRAY(SELECT t.name FROM contact_tags ct JOIN tags t "
    "ON t.id = ct.tag_id WHERE ct.contact_id = c.id AND t.deleted_at IS NULL "
    "ORDER BY t.name) AS tags FROM contacts c "
    "WHERE c.id = $1 AND c.account_id = $2 AND c.deleted_at IS NULL"
)
LIVE = "account_id = $1 AND deleted_at IS NULL"
Q = (
    " AND (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE $2 "
    "OR lower(email) LIKE $2 OR lower(phone) LIKE $2 OR lower(mobile_phone) LIKE $2 "
    "OR EXISTS (SELECT 1 FROM companies co WHERE co.id = contacts.company_id "
    "AND co.deleted_at IS NULL AND lower(co.name) LIKE $2))"
)
WRITABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile_phone",
    "title",
    "job_title",
    "gender",
    "website",
    "source",
    "timezone",
    "description",
)
NEXT_SEQUENCE = (
    "INSERT INTO event_sequences (account_id, last_sequence) VALUES ($1, $2) "
    "ON CONFLICT (account_id) DO UPDATE SET last_sequence = event_sequences.last_sequence "
    "+ EXCLUDED.last_sequence RETURNING last_sequence"
)
AUDIT = (
    "INSERT INTO audit_log (id, account_id, created_at, user_id, credential_id, "
    "credential_kind, action, resource_type, resource_id, changes) "
    "VALUES ($1, $2, $3, $4, $5, 'api_key', $6, 'contact', $7, $8)"
)
EVENT = (
    "INSERT INTO events (id, account_id, sequence, type, created_at, resource_type, "
    "resource_id, data, origin) VALUES ($1, $2, $3, $4, $5, 'contact', $6, $7, $8)"
)

pool: asyncpg.Pool | None = None


def new_id(prefix: str) -> str:
    return f"{prefix}_{time.time_ns():x}{secrets.token_hex(6)}"


def contact_json(row: asyncpg.Record, tags: list[str]) -> dict[str, Any]:
    out = dict(row)
    out.pop("tags", None)
    out["object"] = "contact"
    first, last = out["first_name"], out["last_name"]
    out["name"] = " ".join(p for p in (first, last) if p) or None
    out["tags"] = tags
    out["custom_fields"] = orjson.loads(out["custom_fields"]) if out["custom_fields"] else {}
    out["address"] = orjson.loads(out["address"]) if out["address"] else None
    return out


async def send_json(send: Any, status: int, body: Any) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def read_body(receive: Any) -> Any:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return orjson.loads(b"".join(chunks)) if any(chunks) else None


async def principal(conn: asyncpg.Connection, headers: dict[bytes, bytes]) -> Any:
    key = headers.get(b"x-api-key")
    if not key:
        return None
    row = await conn.fetchrow(KEY, hashlib.sha256(key).hexdigest())
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
        return None
    if row["kind"] != "account" and not row["active"]:
        return None
    return row


async def write(
    conn: asyncpg.Connection, who: Any, action: str, rows: list[dict[str, Any]]
) -> None:
    """Audit rows and events of ``rows``, numbered from the account's counter."""
    now = datetime.now(UTC)
    account = who["account_id"]
    last = await conn.fetchval(NEXT_SEQUENCE, account, len(rows))
    first = last - len(rows) + 1
    await conn.executemany(
        AUDIT,
        [
            (new_id("aud"), account, now, who["user_id"], who["id"], action, r["id"], "{}")
            for r in rows
        ],
    )
    origin = orjson.dumps({"surface": "native", "credential_id": who["id"]}).decode()
    await conn.executemany(
        EVENT,
        [
            (
                new_id("evt"),
                account,
                first + n,
                f"contact.{action}d",
                now,
                r["id"],
                orjson.dumps(r, default=str).decode(),
                origin,
            )
            for n, r in enumerate(rows)
        ],
    )


async def insert(conn: asyncpg.Connection, who: Any, body: dict[str, Any]) -> dict[str, Any]:
    fields = [f for f in WRITABLE if f in body]
    now = datetime.now(UTC)
    values = [new_id("cnt"), who["account_id"], now, now, False]
    values += [body[f] for f in fields]
    values.append(orjson.dumps(body.get("custom_fields") or {}).decode())
    names = ", ".join(["id", "account_id", "created_at", "updated_at", "do_not_contact", *fields])
    marks = ", ".join(f"${n + 1}" for n in range(len(values)))
    row = await conn.fetchrow(
        f"INSERT INTO contacts ({names}, custom_fields) VALUES ({marks}) RETURNING {COLUMNS}",
        *values,
    )
    return contact_json(row, [])


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool = await asyncpg.create_pool(DSN, min_size=2, max_size=16)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                assert pool is not None
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert pool is not None
    path, method = scope["path"], scope["method"]
    if path == "/health":
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        await send_json(send, 200, {"status": "ok", "database": "ok", "version": "floor"})
        return
    if not path.startswith(PREFIX):
        await send_json(send, 404, {"error": {"code": "NOT_FOUND"}})
        return
    headers = dict(scope["headers"])
    async with pool.acquire() as conn:
        who = await principal(conn, headers)
        if who is None:
            await send_json(send, 401, {"error": {"code": "UNAUTHORIZED"}})
            return
        rest = path[len(PREFIX) :]
        if method == "GET" and rest == "":
            await list_page(conn, who, scope, send)
        elif method == "GET":
            row = await conn.fetchrow(ONE, rest.lstrip("/"), who["account_id"])
            if row is None:
                await send_json(send, 404, {"error": {"code": "NOT_FOUND"}})
            else:
                await send_json(send, 200, {"data": contact_json(row, list(row["tags"]))})
        elif method == "POST" and rest == "":
            body = await read_body(receive)
            async with conn.transaction():
                contact = await insert(conn, who, body)
                await write(conn, who, "create", [contact])
            await send_json(send, 201, {"data": contact})
        elif method == "POST" and rest == "/batch":
            body = await read_body(receive)
            async with conn.transaction():
                made = [await insert(conn, who, item) for item in body["items"]]
                await write(conn, who, "create", made)
            results = [
                {"index": n, "status": "created", "id": c["id"], "data": c, "error": None}
                for n, c in enumerate(made)
            ]
            summary = {"created": len(made), "updated": 0, "unchanged": 0, "failed": 0}
            await send_json(send, 200, {"data": results, "meta": summary})
        elif method == "PATCH":
            body = await read_body(receive)
            fields = [f for f in WRITABLE if f in body]
            sets = ", ".join(f"{f} = ${n + 4}" for n, f in enumerate(fields))
            async with conn.transaction():
                row = await conn.fetchrow(
                    f"UPDATE contacts SET updated_at = $3{', ' if sets else ''}{sets} "
                    f"WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL "
                    f"RETURNING {COLUMNS}",
                    rest.lstrip("/"),
                    who["account_id"],
                    datetime.now(UTC),
                    *[body[f] for f in fields],
                )
                if row is None:
                    await send_json(send, 404, {"error": {"code": "NOT_FOUND"}})
                    return
                tags = [r["name"] for r in await conn.fetch(TAGS_OF, [row["id"]])]
                contact = contact_json(row, tags)
                await write(conn, who, "update", [contact])
            await send_json(send, 200, {"data": contact})
        else:
            await send_json(send, 405, {"error": {"code": "METHOD_NOT_ALLOWED"}})


async def list_page(conn: asyncpg.Connection, who: Any, scope: dict[str, Any], send: Any) -> None:
    query = dict(
        part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
    )
    per_page = min(int(query.get("per_page", 25)), 250)
    page = max(int(query.get("page", 1)), 1)
    where, args = LIVE, [who["account_id"]]
    if query.get("q"):
        where += Q
        args.append(f"%{query['q'].lower()}%")
    total = await conn.fetchval(f"SELECT count(*) FROM contacts WHERE {where}", *args)
    n = len(args)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM contacts WHERE {where} ORDER BY created_at DESC, id DESC "
        f"LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        per_page,
        (page - 1) * per_page,
    )
    tags: dict[str, list[str]] = {}
    for link in await conn.fetch(TAGS_OF, [r["id"] for r in rows]):
        tags.setdefault(link["contact_id"], []).append(link["name"])
    meta = {
        "page": page,
        "per_page": per_page,
        "total": total,
        "total_pages": -(-total // per_page),
        "next_cursor": None,
    }
    data = [contact_json(r, tags.get(r["id"], [])) for r in rows]
    await send_json(send, 200, {"data": data, "meta": meta})
