"""OAuth 2.0 with Rolodex as the client, against Rolodex's own OAuth server: a second live
`rolodex serve`, with the tests' fault-injecting proxy in front of its API and token
endpoint, which counts every refresh request. Each test runs twice: with a ``rolodex``
connection on the peer's native ``/oauth/*`` and ``/api/v1``, and with a ``highlevel``
connection on the peer's HighLevel surface (``/highlevel/oauth/chooselocation``,
``/highlevel/oauth/token``: the client secret in the form, ``user_type=Location``, no
PKCE, HighLevel's token answer and error body).

- The authorization code flow (with PKCE where the connector takes it):
  ``POST /connections/{id}/authorize``, the user allowing at the remote, the remote's
  redirect to ``/integrations/oauth/callback``.
- Twenty jobs across two workers with an expired token: exactly one refresh request, the
  rotated refresh token stored, every job done.
- A refresh the remote refuses (``invalid_grant``): the connection ``needs_auth`` with a
  ``connection.needs_auth`` event, its jobs waiting — not failed — until it is authorized
  again, then done, nothing lost.
- A pasted access and refresh token pair, expired: refreshed once, rotated, used.
- None of the tokens, spent or rotated, in either server's log, nor in our account's
  events, audit log or runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from tests.oauth.helpers import REDIRECT_URI, authorize, redirect_params, register

pytestmark = pytest.mark.live

OURS = "http://localhost"
CALLBACK = f"{OURS}/integrations/oauth/callback"
SCOPES = ["contacts.readonly", "contacts.write", "users.readonly"]


@dataclass(frozen=True)
class Surface:
    """How a connector of one kind reaches the peer: where its API, authorization page
    and token endpoint are, and the list operation its jobs run."""

    kind: str
    api: str
    authorize_path: str
    token_path: str
    list_path: str
    list_input: dict[str, Any]
    check_path: str
    scopes: list[str]
    pkce: bool

    def connection_body(self, peer: Tenant, remote: LiveServer, proxy: Proxy) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.kind, "base_url": f"{proxy.url}{self.api}"}
        if self.kind == "highlevel":
            body["location_id"] = peer.account_id
        return body

    def token_request(
        self, client_id: str, client_secret: str, form: dict[str, str]
    ) -> dict[str, Any]:
        """``httpx.post`` arguments of a token request as this surface's clients send it."""
        if self.kind == "highlevel":
            fields = {"client_id": client_id, "client_secret": client_secret}
            return {"data": {**fields, "user_type": "Location", **form}}
        return {"data": form, "auth": (client_id, client_secret)}


NATIVE = Surface(
    kind="rolodex",
    api="/api/v1",
    authorize_path="/oauth/authorize",
    token_path="/oauth/token",
    list_path="/api/v1/contacts",
    list_input={"per_page": 1},
    check_path="/api/v1/users/me",
    scopes=["contacts.write", "users.readonly"],
    pkce=True,
)
HIGHLEVEL = Surface(
    kind="highlevel",
    api="/highlevel",
    authorize_path="/highlevel/oauth/chooselocation",
    token_path="/highlevel/oauth/token",
    list_path="/highlevel/contacts/",
    list_input={"limit": 1},
    check_path="/highlevel/contacts/",
    scopes=["contacts.readonly", "contacts.write"],
    pkce=False,
)


@pytest.fixture(params=[NATIVE, HIGHLEVEL], ids=lambda surface: surface.kind)
def surface(request: pytest.FixtureRequest) -> Surface:
    found: Surface = request.param
    return found


@pytest.fixture(scope="module")
def remote(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ROLODEX_TOKEN_RATE_LIMIT": "100000/60", "ROLODEX_LOG_LEVEL": "debug"}
    with start_server(database_url, tmp_path_factory.mktemp("oauth-remote"), env=env) as live:
        yield live


def oauth_connection(
    ours: Tenant, peer: Tenant, remote: LiveServer, proxy: Proxy, surface: Surface
) -> str:
    """A connection of ours to the peer's account, by an OAuth client the peer registered
    at the remote; not authorized yet."""
    client = register(
        peer,
        redirect_uris=[CALLBACK],
        scopes=SCOPES,
        grant_types=["authorization_code", "refresh_token"],
    )
    made = connect(
        ours,
        **surface.connection_body(peer, remote, proxy),
        oauth={
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "authorize_url": f"{remote.url}{surface.authorize_path}",
            "token_url": f"{proxy.url}{surface.token_path}",
            "scopes": surface.scopes,
        },
        credentials=None,
        rate_limit=FAST_REMOTE,
    )
    assert made["status"] == "needs_auth"
    assert made["oauth"]["pkce"] is surface.pkce
    return str(made["id"])


def consent_params(browser: httpx.Client, url: httpx.URL, surface: Surface) -> dict[str, str]:
    """The query of the peer's consent page that the authorization URL leads to: the URL's
    own for the native page; HighLevel's ``chooselocation`` answers a redirect to it."""
    if surface.kind == "rolodex":
        return dict(url.params)
    chosen = browser.get(url, follow_redirects=False)
    assert chosen.status_code == 302, chosen.text
    target = httpx.URL(chosen.headers["location"])
    assert target.path == "/oauth/authorize"
    return dict(target.params)


def authorize_as(
    ours: Tenant, peer: Tenant, remote: LiveServer, connection_id: str, surface: Surface
) -> Any:
    """Walk the whole flow as the peer's user; the callback's answer."""
    started = ours.client.post(
        f"{OURS}{API}/connections/{connection_id}/authorize", headers={"X-API-Key": ours.key}
    )
    assert started.status_code == 200, started.text
    url = httpx.URL(started.json()["data"]["authorize_url"])
    assert str(url).startswith(f"{remote.url}{surface.authorize_path}?")
    if surface.pkce:
        assert url.params["code_challenge_method"] == "S256"
    else:
        assert "code_challenge" not in url.params
    with httpx.Client(timeout=30) as browser:
        params = consent_params(browser, url, surface)
        allowed = authorize(browser, remote.url, params, email=peer.email)
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


def token_call(
    remote: LiveServer, surface: Surface, client_id: str, secret: str, **form: str
) -> httpx.Response:
    """A token request straight to the peer (not through the proxy), as a client of the
    surface sends it."""
    return httpx.post(
        f"{remote.url}{surface.token_path}",
        **surface.token_request(client_id, secret, form),
        timeout=30,
    )


def all_pages(tenant: Tenant, path: str) -> str:
    """Every page of one of the account's lists, as text."""
    pages = []
    for number in range(1, 50):
        page = tenant.get(path, params={"per_page": 100, "page": number})
        assert page.status_code == 200, page.text
        pages.append(page.text)
        if not page.json()["data"]:
            break
    return "\n".join(pages)


def assert_no_token_shown(
    tokens: list[str],
    ours: Tenant,
    remote: LiveServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """None of the tokens (nor their random part) in our process's log records (the API
    and the workers), the peer's server log, or our account's events, audit log and runs."""
    assert len(set(tokens)) == len(tokens) and all(len(token) > 20 for token in tokens)
    ours_log = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "access token refreshed" in ours_log  # the scan saw the refresh's records
    peer_log = remote.log_path.read_text()
    assert "POST /" in peer_log and "/oauth/token" in peer_log  # and the peer's requests
    events = all_pages(ours, "/events")
    audit = all_pages(ours, "/audit-log")
    runs = all_pages(ours, "/runs")
    assert "connection.created" in events and "connection.created" in audit  # our account's
    places = {
        "our log": ours_log,
        "the peer's log": peer_log,
        "/events": events,
        "/audit-log": audit,
        "/runs": runs,
    }
    for token in tokens:
        core = token.split("_", 2)[-1] if token.startswith("rdx_") else token
        for name, content in places.items():
            if core in content:  # not an assert: its report would show the token
                pytest.fail(f"a token ({token[:10]}…) is in {name}")


def test_the_code_flow_connects(
    make_tenant: Callable[[], Tenant], remote: LiveServer, proxy: Proxy, surface: Surface
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connection_id = oauth_connection(ours, peer, remote, proxy, surface)
    done = authorize_as(ours, peer, remote, connection_id, surface)
    assert done.status_code == 200 and "Connected" in done.text, done.text
    shown = ours.get(f"/connections/{connection_id}").json()["data"]
    assert shown["status"] == "active" and shown["status_reason"] is None
    assert shown["auth"]["credentials"] == ["access_token", "client_secret", "refresh_token"]
    assert shown["auth"]["expires_at"] is not None
    assert proxy.count("POST", surface.token_path) == 1  # the code, exchanged once
    assert proxy.count("POST", surface.token_path, 200) == 1
    tokens = stored(ours, connection_id)
    assert tokens["access_token"].startswith("rdx_at_")
    assert tokens["access_token"] not in ours.get("/events").text
    check = ours.post(f"/connections/{connection_id}/check").json()["data"]
    assert check["ok"] is True and check["status"] == 200
    assert proxy.count("GET", surface.check_path, 200) == 1  # the check, with the token
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
    make_tenant: Callable[[], Tenant],
    remote: LiveServer,
    proxy: Proxy,
    workers,
    surface: Surface,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ours, peer = make_tenant(), make_tenant()
    connection_id = oauth_connection(ours, peer, remote, proxy, surface)
    assert authorize_as(ours, peer, remote, connection_id, surface).status_code == 200
    first = stored(ours, connection_id)
    expire_token(ours, connection_id)
    proxy.reset()

    jobs = [enqueue(ours, connection_id, "contacts.list", surface.list_input) for _ in range(20)]
    with workers(2, batch=10):
        done = wait_for_jobs(ours, jobs)
    assert [job.status for job in done.values()] == ["succeeded"] * 20
    assert proxy.count("POST", surface.token_path) == 1
    assert proxy.count("GET", surface.list_path, 200) == 20
    assert proxy.count("GET", surface.list_path, 401) == 0
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
    refresh = {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    spent = token_call(remote, surface, client_id, second["client_secret"], **refresh)
    assert spent.status_code == 200, spent.text
    third = spent.json()
    reused = token_call(remote, surface, client_id, second["client_secret"], **refresh)
    assert reused.status_code == 400, reused.text  # the reuse: the family is revoked
    expire_token(ours, connection_id)
    proxy.reset()
    waiting = [enqueue(ours, connection_id, "contacts.list", surface.list_input) for _ in range(5)]
    with workers(2, batch=3):
        wait_until_waiting(ours, waiting)
    assert proxy.count("POST", surface.token_path) == 1
    assert proxy.count("POST", surface.token_path, 400) == 1
    shown = ours.get(f"/connections/{connection_id}").json()["data"]
    assert shown["status"] == "needs_auth" and "invalid_grant" in shown["status_reason"]
    [event] = ours.get("/events", params={"type": "connection.needs_auth"}).json()["data"]
    assert event["data"]["id"] == connection_id and event["origin"]["kind"] == "system"

    # Authorized again: the waiting jobs run, nothing lost.
    assert authorize_as(ours, peer, remote, connection_id, surface).status_code == 200
    with workers(2, batch=3):
        finished = wait_for_jobs(ours, waiting)
    assert [job.status for job in finished.values()] == ["succeeded"] * 5
    assert ours.get(f"/connections/{connection_id}").json()["data"]["status"] == "active"

    fourth = stored(ours, connection_id)
    tokens = [
        token
        for pair in (first, second, third, fourth)
        for token in (pair["access_token"], pair["refresh_token"])
    ]
    assert_no_token_shown(tokens, ours, remote, caplog)


def test_a_pasted_token_pair_is_refreshed_and_rotated(
    make_tenant: Callable[[], Tenant],
    remote: LiveServer,
    proxy: Proxy,
    workers,
    surface: Surface,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ours, peer = make_tenant(), make_tenant()
    # The pair an app of the peer got by the code flow on its own, pasted into ours.
    client = register(
        peer,
        scopes=SCOPES,
        grant_types=["authorization_code", "refresh_token"],
    )
    assert client.client_secret is not None
    issued = authorized_pair(remote, peer, client.client_id, client.client_secret, surface)
    made = connect(
        ours,
        **surface.connection_body(peer, remote, proxy),
        credentials={
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "expires_in": issued["expires_in"],
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
        oauth={
            "client_id": client.client_id,
            "authorize_url": f"{remote.url}{surface.authorize_path}",
            "token_url": f"{proxy.url}{surface.token_path}",
        },
        rate_limit=FAST_REMOTE,
    )
    assert made["status"] == "active" and made["auth"]["expires_at"] is not None
    connection_id = str(made["id"])
    expire_token(ours, connection_id)

    # Three jobs and a flow's run (recorded in /runs, step by step) share the one refresh.
    flow = ours.post(
        "/flows",
        json={
            "name": "New contact → list the peer's",
            "trigger": {"connection_id": None, "event": "contact.created"},
            "actions": [
                {"connection_id": connection_id, "operation": "contacts.list", "mapping": {}}
            ],
        },
    )
    assert flow.status_code == 201, flow.text
    flow_id = flow.json()["data"]["id"]
    try:
        jobs = [enqueue(ours, connection_id, "contacts.list", surface.list_input) for _ in range(3)]
        with workers(1, batch=4):
            assert ours.post("/contacts", json={"first_name": "Ada"}).status_code == 201
            done = wait_for_jobs(ours, jobs)
            [run] = finished_runs(ours, flow_id)
    finally:
        assert ours.delete(f"/flows/{flow_id}").status_code in (200, 204)
    assert [job.status for job in done.values()] == ["succeeded"] * 3, [
        job.error for job in done.values()
    ]
    assert run["status"] == "succeeded", run
    [step] = run["steps"]
    assert step["request"]["url"].startswith(f"{proxy.url}{surface.list_path}")
    assert proxy.count("POST", surface.token_path) == 1
    assert proxy.count("POST", surface.token_path, 200) == 1
    assert proxy.count("GET", surface.list_path, 200) == 4
    rotated = stored(ours, connection_id)
    assert rotated["refresh_token"] != issued["refresh_token"]
    assert rotated["access_token"] != issued["access_token"]
    assert rotated["client_secret"] == client.client_secret
    shown = ours.get(f"/connections/{connection_id}").json()["data"]
    assert shown["status"] == "active" and shown["auth"]["expires_at"] is not None
    # the pasted refresh token is spent at the peer: the rotated one is the one to keep
    again = token_call(
        remote,
        surface,
        client.client_id,
        client.client_secret,
        grant_type="refresh_token",
        refresh_token=rotated["refresh_token"],
    )
    assert again.status_code == 200, again.text

    tokens = [
        issued["access_token"],
        issued["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        again.json()["access_token"],
        again.json()["refresh_token"],
    ]
    assert run["id"] in all_pages(ours, "/runs")  # the run that refreshed is scanned too
    assert_no_token_shown(tokens, ours, remote, caplog)


def finished_runs(tenant: Tenant, flow_id: str, timeout: float = 90) -> list[Any]:
    """The flow's runs, once one has finished."""
    deadline = time.monotonic() + timeout
    while True:
        runs = tenant.get(f"/flows/{flow_id}/runs").json()["data"]
        if any(run["status"] in ("succeeded", "failed", "skipped") for run in runs):
            return list(runs)
        if time.monotonic() > deadline:
            raise AssertionError(f"no run finished in {timeout} s: {runs}")
        time.sleep(0.1)


def authorized_pair(
    remote: LiveServer, peer: Tenant, client_id: str, client_secret: str, surface: Surface
) -> dict[str, Any]:
    """Tokens the peer's own app got by the code flow at the peer, on the surface's pages
    and token endpoint."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": " ".join(surface.scopes),
        "state": "pasted",
    }
    with httpx.Client(timeout=30) as browser:
        url = httpx.URL(f"{remote.url}{surface.authorize_path}", params=params)
        allowed = authorize(
            browser, remote.url, consent_params(browser, url, surface), email=peer.email
        )
    code = redirect_params(allowed)["code"]
    answer = token_call(
        remote,
        surface,
        client_id,
        client_secret,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
    )
    assert answer.status_code == 200, answer.text
    issued: dict[str, Any] = answer.json()
    if surface.kind == "highlevel":
        assert issued["userType"] == "Location" and issued["locationId"] == peer.account_id
    return issued
