"""OAuth 2.0 with Rolodex as the client, against Rolodex's own OAuth server: a second live
`rolodex serve`, with the tests' fault-injecting proxy in front of its API and token
endpoint, which counts every refresh request.

- The authorization code flow with PKCE: ``POST /connections/{id}/authorize``, the user
  allowing at the remote, the remote's redirect to ``/integrations/oauth/callback``.
- Twenty jobs across two workers with an expired token: exactly one refresh request, the
  rotated refresh token stored, every job done.
- A refresh the remote refuses (``invalid_grant``): the connection ``needs_auth`` with a
  ``connection.needs_auth`` event, its jobs waiting — not failed — until it is authorized
  again, then done, nothing lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from rolodex.integrations.credentials import unseal
from rolodex.integrations.models import Connection
from tests.conftest import API, LiveServer, Tenant, start_server
from tests.integrations.conftest import (
    FAST_REMOTE,
    connect,
    enqueue,
    wait_for_jobs,
    wait_until_waiting,
)
from tests.integrations.proxy import Proxy
from tests.oauth.helpers import authorize, register

pytestmark = pytest.mark.live

OURS = "http://localhost"
CALLBACK = f"{OURS}/integrations/oauth/callback"


@pytest.fixture(scope="module")
def remote(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ROLODEX_TOKEN_RATE_LIMIT": "100000/60"}
    with start_server(database_url, tmp_path_factory.mktemp("oauth-remote"), env=env) as live:
        yield live


def oauth_connection(ours: Tenant, peer: Tenant, remote: LiveServer, proxy: Proxy) -> str:
    """A connection of ours to the peer's account, by an OAuth client the peer registered
    at the remote; not authorized yet."""
    client = register(
        peer,
        redirect_uris=[CALLBACK],
        scopes=["contacts.write", "users.readonly"],
        grant_types=["authorization_code", "refresh_token"],
    )
    made = connect(
        ours,
        base_url=f"{proxy.url}/api/v1",
        oauth={
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "authorize_url": f"{remote.url}/oauth/authorize",
            "token_url": f"{proxy.url}/oauth/token",
            "scopes": ["contacts.write", "users.readonly"],
        },
        credentials=None,
        rate_limit=FAST_REMOTE,
    )
    assert made["status"] == "needs_auth"
    return str(made["id"])


def authorize_as(ours: Tenant, peer: Tenant, remote: LiveServer, connection_id: str) -> Any:
    """Walk the whole flow as the peer's user; the callback's answer."""
    started = ours.client.post(
        f"{OURS}{API}/connections/{connection_id}/authorize", headers={"X-API-Key": ours.key}
    )
    assert started.status_code == 200, started.text
    url = httpx.URL(started.json()["data"]["authorize_url"])
    assert url.params["code_challenge_method"] == "S256"
    with httpx.Client(timeout=30) as browser:
        allowed = authorize(browser, remote.url, dict(url.params), email=peer.email)
    assert allowed.status_code == 302, allowed.text
    location = allowed.headers["location"]
    assert location.startswith(CALLBACK)
    return ours.client.get(location)


def stored(tenant: Tenant, connection_id: str) -> dict[str, Any]:
    async def work(session: Any) -> str | None:
        return await session.scalar(
            select(Connection.secret_ciphertext).where(Connection.id == connection_id)
        )

    return unseal(tenant.run(work), tenant.settings.resolved_key_ring())


def expire_token(tenant: Tenant, connection_id: str) -> None:
    async def work(session: Any) -> None:
        await session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(access_expires_at=Connection.created_at)
        )

    tenant.run(work)


def test_the_code_flow_with_pkce_connects(
    make_tenant: Callable[[], Tenant], remote: LiveServer, proxy: Proxy
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connection_id = oauth_connection(ours, peer, remote, proxy)
    done = authorize_as(ours, peer, remote, connection_id)
    assert done.status_code == 200 and "Connected" in done.text, done.text
    shown = ours.get(f"/connections/{connection_id}").json()["data"]
    assert shown["status"] == "active" and shown["status_reason"] is None
    assert shown["auth"]["credentials"] == ["access_token", "client_secret", "refresh_token"]
    assert shown["auth"]["expires_at"] is not None
    assert proxy.count("POST", "/oauth/token") == 1  # the code, exchanged once
    tokens = stored(ours, connection_id)
    assert tokens["access_token"].startswith("rdx_at_")
    assert tokens["access_token"] not in ours.get("/events").text
    check = ours.post(f"/connections/{connection_id}/check").json()["data"]
    assert check["ok"] is True and check["status"] == 200
    [event] = ours.get("/events", params={"type": "connection.updated"}).json()["data"]
    assert event["changes"]["status"] == ["needs_auth", "active"]
    assert event["origin"]["user_id"] == ours.user_id
    assert (
        done.text
        and ours.client.get(
            f"{OURS}/integrations/oauth/callback", params=dict(httpx.URL(done.url).params)
        ).status_code
        == 400
    )  # the state is spent


def test_twenty_jobs_on_two_workers_refresh_once_and_a_refused_refresh_waits(
    make_tenant: Callable[[], Tenant], remote: LiveServer, proxy: Proxy, workers
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connection_id = oauth_connection(ours, peer, remote, proxy)
    assert authorize_as(ours, peer, remote, connection_id).status_code == 200
    first = stored(ours, connection_id)
    expire_token(ours, connection_id)
    proxy.reset()

    jobs = [enqueue(ours, connection_id, "contacts.list", {"per_page": 1}) for _ in range(20)]
    with workers(2, batch=10):
        done = wait_for_jobs(ours, jobs)
    assert [job.status for job in done.values()] == ["succeeded"] * 20
    assert proxy.count("POST", "/oauth/token") == 1
    assert proxy.count("GET", "/api/v1/contacts", 200) == 20
    assert proxy.count("GET", "/api/v1/contacts", 401) == 0
    assert len({job.worker for job in done.values()}) == 2  # both workers ran some
    second = stored(ours, connection_id)
    # rotated: a new refresh token, stored (and used) instead of the spent one
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    usage = ours.get(f"/connections/{connection_id}/usage").json()["data"]
    assert {"operation": "oauth.refresh", "requests": 1, "throttled": 0, "failed": 0} in (
        usage["operations"]
    )

    # Someone else spends the stored refresh token: the remote sees ours as reused and
    # refuses it (invalid_grant), revoking the whole family.
    client_id = ours.get(f"/connections/{connection_id}").json()["data"]["oauth"]["client_id"]
    spent = httpx.post(
        f"{remote.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(client_id, second["client_secret"]),
        timeout=30,
    )
    assert spent.status_code == 200, spent.text
    httpx.post(
        f"{remote.url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(client_id, second["client_secret"]),
        timeout=30,
    )  # the reuse: the remote revokes every token of the family
    expire_token(ours, connection_id)
    proxy.reset()
    waiting = [enqueue(ours, connection_id, "contacts.list", {"per_page": 1}) for _ in range(5)]
    with workers(2, batch=3):
        wait_until_waiting(ours, waiting)
    assert proxy.count("POST", "/oauth/token") == 1
    assert proxy.count("POST", "/oauth/token", 400) == 1
    shown = ours.get(f"/connections/{connection_id}").json()["data"]
    assert shown["status"] == "needs_auth" and "invalid_grant" in shown["status_reason"]
    [event] = ours.get("/events", params={"type": "connection.needs_auth"}).json()["data"]
    assert event["data"]["id"] == connection_id and event["origin"]["kind"] == "system"

    # Authorized again: the waiting jobs run, nothing lost.
    assert authorize_as(ours, peer, remote, connection_id).status_code == 200
    with workers(2, batch=3):
        finished = wait_for_jobs(ours, waiting)
    assert [job.status for job in finished.values()] == ["succeeded"] * 5
    assert ours.get(f"/connections/{connection_id}").json()["data"]["status"] == "active"
