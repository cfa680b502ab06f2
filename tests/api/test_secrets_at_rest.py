"""No secret is ever at rest in plain text, nor in a log or an event.

One resource of every kind that has a secret is made, with and without an
Idempotency-Key (API keys, webhook endpoints and their rotated secrets, OAuth clients and
the codes and tokens they are issued, connections' credentials, which are also sent to
their remote), then every table and column of the database, the
raw SQLite files, the server's log and every event of the account are searched for each
secret's plain text. A replay of a keyed creation answers the same resource with the
secret as ``null``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from rolodex.config import Settings
from rolodex.db import make_engine
from rolodex.secret_fields import redact, redact_text, secret_fields
from tests.conftest import API, PASSWORD, Tenant, start_server
from tests.oauth.helpers import BASE, REDIRECT_URI, Registered, code_for

Call = Callable[..., httpx.Response]


def _caller(http: Any, base: str, key: str) -> Call:
    def call(method: str, path: str, *, idempotency_key: str | None = None, **kwargs: Any):
        headers = {"X-API-Key": key}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return http.request(method, f"{base}{API}{path}", headers=headers, **kwargs)

    return call


def _created_twice(
    call: Call, path: str, body: dict[str, Any], field: str, status: int = 201
) -> list[tuple[dict[str, Any], str]]:
    """Create at ``path`` without and with an Idempotency-Key, replay the keyed request and
    check that the replay shows the same resource without its secret; returns each
    resource made with the secret it was shown with."""
    plain = call("POST", path, json=body)
    assert plain.status_code == status, plain.text
    key = f"secret-scan-{uuid.uuid4()}"
    keyed = call("POST", path, json=body, idempotency_key=key)
    assert keyed.status_code == status, keyed.text
    replay = call("POST", path, json=body, idempotency_key=key)
    assert replay.status_code == status, replay.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    first, again = keyed.json()["data"], replay.json()["data"]
    assert again[field] is None
    assert again == first | {field: None}
    made = [(plain.json()["data"], plain.json()["data"][field]), (first, first[field])]
    assert all(isinstance(secret, str) and len(secret) > 20 for _, secret in made)
    return made


def make_every_secret(http: Any, base: str, tenant: Tenant) -> list[str]:
    """Make one of each kind of secret through the API; returns their plain texts."""
    call = _caller(http, base, tenant.key)
    made = [PASSWORD, tenant.key]
    keys = _created_twice(call, "/api-keys", {"name": "scan", "scope": "read_only"}, "key")
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    hooks = _created_twice(call, "/webhooks", hook, "secret")
    endpoint_id = hooks[0][0]["id"]
    rotated = _created_twice(call, f"/webhooks/{endpoint_id}/rotate-secret", {}, "secret", 200)
    client_body = {
        "name": "Secret scan",
        "client_type": "confidential",
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["contacts.readonly"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    }
    clients = _created_twice(call, "/oauth-clients", client_body, "client_secret")
    made += [secret for _, secret in keys + hooks + rotated + clients]
    # A change, so that the feed has an event and the endpoint a delivery to scan.
    contact = call("POST", "/contacts", json={"first_name": "Scan", "email": "s@example.com"})
    assert contact.status_code == 201, contact.text

    data, client_secret = clients[0]
    client = Registered(data["client_id"], client_secret, data)
    issued = http.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "contacts.readonly"},
        auth=(client.client_id, client_secret),
    )
    assert issued.status_code == 200, issued.text
    code, verifier = code_for(http, base, tenant, client)
    tokens = http.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client_secret),
    )
    assert tokens.status_code == 200, tokens.text
    refreshed = http.post(
        f"{base}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
        auth=(client.client_id, client_secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    made += [issued.json()["access_token"], code, verifier]
    for answer in (tokens.json(), refreshed.json()):
        made += [answer["access_token"], answer["refresh_token"]]
        # Use the token, so that every path that looks one up runs too.
        used = http.get(
            f"{base}{API}/contacts", headers={"Authorization": f"Bearer {answer['access_token']}"}
        )
        assert used.status_code == 200, used.text
    made += make_connection_secrets(http, call, base)
    return made


def make_connection_secrets(http: Any, call: Call, base: str) -> list[str]:
    """Connections with known credentials (an API key, a pasted OAuth pair, a client
    secret, a webhook secret), made with and without an Idempotency-Key, one replaced,
    and checked, so that the credentials are also sent and the attempts logged; and an
    authorization begun and sent back, so that its state and code pass through too."""
    made: list[str] = []

    def fresh() -> str:
        value = f"conn-secret-{secrets.token_urlsafe(24)}"
        made.append(value)
        return value

    bodies = [
        {"kind": "rolodex", "base_url": f"{base}{API}", "credentials": {"api_key": fresh()}},
        {
            "kind": "highlevel",
            "location_id": "loc",
            "credentials": {
                "access_token": fresh(),
                "refresh_token": fresh(),
                "client_id": "client",
                "client_secret": fresh(),
                "webhook_secret": fresh(),
                "expires_in": 3600,
            },
        },
    ]
    ids = []
    for number, body in enumerate(bodies):
        keyed = number % 2 == 1
        created = call(
            "POST",
            "/connections",
            json=body,
            idempotency_key=f"conn-{uuid.uuid4()}" if keyed else None,
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["data"]["id"])
    replaced = call("PATCH", f"/connections/{ids[0]}", json={"credentials": {"api_key": fresh()}})
    assert replaced.status_code == 200, replaced.text
    checked = call("POST", f"/connections/{ids[0]}/check")
    assert checked.status_code == 200 and checked.json()["data"]["ok"] is False, checked.text
    oauth = call(
        "POST",
        "/connections",
        json={
            "kind": "rolodex",
            "base_url": f"{base}{API}",
            "oauth": {"client_id": "ocl_scan", "client_secret": fresh()},
        },
    )
    assert oauth.status_code == 201, oauth.text
    key = f"conn-{uuid.uuid4()}"
    started = call(
        "POST", f"/connections/{oauth.json()['data']['id']}/authorize", idempotency_key=key
    )
    assert started.status_code == 200, started.text
    replay = call(
        "POST", f"/connections/{oauth.json()['data']['id']}/authorize", idempotency_key=key
    )
    assert replay.json()["data"]["authorize_url"] is None
    state = httpx.URL(started.json()["data"]["authorize_url"]).params["state"]
    code = fresh()
    made.append(state)
    back = http.get(f"{base}/integrations/oauth/callback", params={"code": code, "state": state})
    assert back.status_code == 400, back.text  # no such client at the remote: not connected
    shown = [call("GET", "/connections").text, replaced.text, checked.text, replay.text]
    shown += [call("GET", f"/connections/{i}").text for i in ids]
    shown += [call("GET", f"/connections/{i}/usage").text for i in ids]
    assert not [value for value in made if any(value in text for text in shown)]
    return made


def _needles(secret: str) -> list[str]:
    """The secret, and its random part without the recognisable prefix."""
    core = secret.split("_", 2)[-1] if secret.startswith(("rdx_", "whsec_")) else secret
    return [secret, core] if core != secret else [secret]


TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def _database_text(database_url: str) -> str:
    """Every value of every column of every table, as text, and for SQLite the raw bytes
    of the database file and its write-ahead log."""

    async def dump() -> str:
        engine = make_engine(Settings(database_url=database_url, secret_key="x"))
        try:
            async with engine.connect() as connection:
                tables = list(
                    (await connection.execute(text(TABLES[connection.dialect.name]))).scalars()
                )
                assert "idempotency_keys" in tables and "webhook_endpoints" in tables
                chunks: list[str] = []
                for table in tables:
                    rows = await connection.execute(text(f'SELECT * FROM "{table}"'))
                    for row in rows:
                        for value in row:
                            if isinstance(value, bytes):
                                chunks.append(value.decode("latin-1"))
                            elif isinstance(value, dict | list):
                                chunks.append(json.dumps(value))
                            else:
                                chunks.append(str(value))
                return "\n".join(chunks)
        finally:
            await engine.dispose()

    found = asyncio.run(dump())
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        for path in (Path(url.database), Path(f"{url.database}-wal")):
            found += "\n" + _raw_bytes(path).decode("latin-1")
    return found


def _raw_bytes(path: Path) -> bytes:
    """A file's bytes, read by another process: closing a descriptor of an SQLite file in
    this one would drop the POSIX locks that this process's connections hold on it."""
    if not path.exists():
        return b""
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


def _events_text(http: Any, base: str, key: str) -> str:
    pages = []
    for number in range(1, 100):
        params = {"per_page": 100, "page": number}
        page = http.get(f"{base}{API}/events", params=params, headers={"X-API-Key": key})
        assert page.status_code == 200, page.text
        if not page.json()["data"]:
            break
        pages.append(page.text)
    assert pages, "the account has events to scan"
    return "\n".join(pages)


def _assert_nowhere(secrets: list[str], **places: str) -> None:
    assert len(set(secrets)) == len(secrets)
    for secret in secrets:
        for needle in _needles(secret):
            for name, content in places.items():
                assert needle not in content, f"a secret ({secret[:8]}…) is in {name}"


def test_no_secret_is_stored_logged_or_sent_in_plain_text(
    client, tenant: Tenant, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Every logger, SQLAlchemy's statements with their parameters included (it keeps its
    # own loggers at WARNING unless told otherwise).
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    made = make_every_secret(client, BASE, tenant)
    # password, key; 4 kinds made twice; 3; 2 token pairs; 7 connection credentials, an
    # authorization's state and code
    assert len(made) == 26
    log = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert "INSERT INTO idempotency_keys" in log  # the scan saw the statements
    _assert_nowhere(
        made,
        database=_database_text(database_url),
        log=log,
        events=_events_text(client, BASE, tenant.key),
    )


@pytest.mark.live
def test_a_live_servers_log_shows_no_secret(
    database_url: str, tmp_path: Path, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    with (
        start_server(
            database_url,
            tmp_path,
            env={"ROLODEX_LOG_LEVEL": "debug", "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true"},
        ) as server,
        httpx.Client(timeout=30) as http,
    ):
        made = make_every_secret(http, server.url, tenant)
    log = server.log_path.read_text()
    assert "POST /api/v1/webhooks" in log  # the log shows the requests
    _assert_nowhere(made, log=log, database=_database_text(database_url))


SCANNED = {"api_key": "key", "webhook_endpoint": "secret", "oauth_client": "client_secret"}
"""The kinds whose secrets :func:`make_every_secret` makes, and their secret field."""


def test_every_kind_with_a_secret_is_scanned() -> None:
    from rolodex.registry import KINDS

    declared = {kind.name: set(kind.secret_fields) for kind in KINDS if kind.secret_fields}
    # A new kind with a secret must be added to make_every_secret and here.
    assert declared == {name: {field} for name, field in SCANNED.items()}


def test_secret_fields_are_declared_on_the_output_schemas() -> None:
    from rolodex.accounts.schemas import ApiKeyCreated
    from rolodex.oauth.schemas import OAuthClientCreated
    from rolodex.webhooks.schemas import WebhookEndpointWithSecret

    assert secret_fields(ApiKeyCreated) == {"key"}
    assert secret_fields(WebhookEndpointWithSecret) == {"secret"}
    assert secret_fields(OAuthClientCreated) == {"client_secret"}
    body = {
        "data": [
            {"object": "api_key", "id": "key_1", "key": "rdx_k_abc"},
            {"object": "webhook_endpoint", "secret": "whsec_x", "nested": {"object": "x"}},
            {"object": "contact", "key": "kept"},
        ]
    }
    assert redact(body) == {
        "data": [
            {"object": "api_key", "id": "key_1", "key": None},
            {"object": "webhook_endpoint", "secret": None, "nested": {"object": "x"}},
            {"object": "contact", "key": "kept"},
        ]
    }


def test_log_records_are_masked_whatever_their_logger(
    client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret = "rdx_k_" + "A1b2" * 10
    logging.getLogger("some.library").info("calling with %s", secret)
    try:
        raise RuntimeError(f"refused {secret}")
    except RuntimeError:
        logging.getLogger("another").exception("failed")
    shown = "\n".join(f"{r.getMessage()} {r.exc_text}" for r in caplog.records)
    assert secret not in shown
    assert shown.count("rdx_k_[redacted]") == 2
    assert redact_text(f"x whsec_{'Zz9+' * 8} y") == "x whsec_[redacted] y"
    line = '"GET /integrations/oauth/callback?code=c0de&state=st4te&x=1 HTTP/1.1" 200'
    assert redact_text(line) == (
        '"GET /integrations/oauth/callback?code=[redacted]&state=[redacted]&x=1 HTTP/1.1" 200'
    )
