"""The client's own errors for what it is given, and how quickly it gives up on a server
that is not there: no key, a placeholder key, a URL without a scheme; a refused connection
tried once more (``RetryPolicy.connect_retries``), then reported with the server's URL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from rolodex.client import (
    APIConnectionError,
    AsyncRolodex,
    ConfigurationError,
    RetryPolicy,
    Rolodex,
    RolodexError,
)
from tests.conftest import free_port


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLODEX_API_KEY", raising=False)
    monkeypatch.delenv("ROLODEX_URL", raising=False)


@pytest.mark.parametrize("client_class", [Rolodex, AsyncRolodex])
def test_no_api_key_raises_the_clients_own_error(no_environment, client_class) -> None:
    with pytest.raises(ConfigurationError, match="ROLODEX_API_KEY") as caught:
        client_class(api_key=None)
    assert isinstance(caught.value, RolodexError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("key", ["rdx_k_…", "rdx_k_abc def", "rdx_k_ab\ncd"])
def test_a_key_that_no_header_can_carry_is_refused_before_any_request(
    no_environment, key: str
) -> None:
    with pytest.raises(ConfigurationError, match="paste the whole key"):
        Rolodex(api_key=key)


def test_a_base_url_without_a_scheme_is_refused(no_environment) -> None:
    with pytest.raises(ConfigurationError, match="http:// or https://"):
        Rolodex(api_key="rdx_k_x", base_url="127.0.0.1:8000")


class Attempts:
    """Counts the requests a client sends (an httpx request hook)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, request: httpx.Request) -> None:
        self.count += 1


@pytest.mark.parametrize("connect_retries", [0, 1, 2])
def test_a_refused_connection_is_tried_connect_retries_more_times(connect_retries: int) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    attempts = Attempts()
    http = httpx.Client(base_url=url, event_hooks={"request": [attempts]})
    policy = RetryPolicy(max_retries=5, initial_delay=0.01, connect_retries=connect_retries)
    client = Rolodex("rdx_k_x", base_url=url, http_client=http, retry=policy)
    with pytest.raises(APIConnectionError) as caught:
        client.users.me()
    assert attempts.count == 1 + connect_retries
    assert str(caught.value).startswith(f"connecting to the Rolodex server at {url} failed: ")


def test_the_async_client_gives_up_as_soon() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    attempts = Attempts()

    async def hook(request: httpx.Request) -> None:
        attempts(request)

    async def main() -> None:
        http = httpx.AsyncClient(base_url=url, event_hooks={"request": [hook]})
        policy = RetryPolicy(max_retries=5, initial_delay=0.01)
        async with AsyncRolodex("rdx_k_x", base_url=url, http_client=http, retry=policy) as c:
            await c.users.me()

    with pytest.raises(APIConnectionError, match=url):
        asyncio.run(main())
    assert attempts.count == 2  # the default: one more try


def test_connecting_has_its_own_short_timeout() -> None:
    client = Rolodex("rdx_k_x", base_url="http://127.0.0.1:9", timeout=300)
    timeout = client._transport.http.timeout
    assert (timeout.connect, timeout.read) == (5.0, 300)
    assert Rolodex("rdx_k_x", timeout=2)._transport.http.timeout.connect == 2
