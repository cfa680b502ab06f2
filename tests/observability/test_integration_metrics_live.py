"""Integration work moves its metrics: remote requests and 429s per connection, jobs by
outcome, token refreshes — counted by integration workers (threads of this process, as
in tests/integrations) against a second live `rolodex serve` behind the fault proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from prometheus_client import REGISTRY

from tests.conftest import LiveServer, Tenant, start_server
from tests.integrations.conftest import connect, enqueue, wait_for_jobs
from tests.integrations.conftest import workers as workers  # the fixture
from tests.integrations.proxy import Proxy, fault_proxy, on, status
from tests.integrations.test_oauth_live import NATIVE, authorize_as, expire_token, oauth_connection

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def remote(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ROLODEX_TOKEN_RATE_LIMIT": "100000/60"}
    with start_server(database_url, tmp_path_factory.mktemp("remote"), env=env) as live:
        yield live


@pytest.fixture
def proxy(remote: LiveServer) -> Iterator[Proxy]:
    with fault_proxy(remote.url) as running:
        yield running


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_remote_requests_429s_and_jobs_are_counted(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connection_id = connect(
        ours,
        base_url=f"{proxy.url}/api/v1",
        credentials={"api_key": peer.key},
        rate_limit={"requests": 50, "per_seconds": 1},
    )["id"]
    proxy.inject(status(429, {"Retry-After": "0"}, matches=on("GET", "/api/v1/contacts")))
    remote = "rolodex_remote_requests_total"
    jobs_done = sample("rolodex_integration_jobs_total", kind="operation", outcome="done")
    timed = sample("rolodex_integration_job_duration_seconds_count", kind="operation")
    job_id = enqueue(ours, connection_id, "contacts.list", {"per_page": 1})
    with workers(1):
        assert wait_for_jobs(ours, [job_id])[job_id].status == "succeeded"
    assert proxy.count("GET", "/api/v1/contacts", 429) == 1
    assert sample(remote, connection=connection_id, result="throttled") == 1
    assert sample(remote, connection=connection_id, result="ok") == 1
    assert sample(remote, connection=connection_id, result="failed") == 0
    assert sample("rolodex_integration_jobs_total", kind="operation", outcome="done") > jobs_done
    assert sample("rolodex_integration_job_duration_seconds_count", kind="operation") > timed


def test_a_token_refresh_is_counted(
    make_tenant: Callable[[], Tenant], remote: LiveServer, proxy: Proxy, workers
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connection_id = oauth_connection(ours, peer, remote, proxy, NATIVE)
    assert authorize_as(ours, peer, remote, connection_id, NATIVE).status_code == 200
    expire_token(ours, connection_id)
    proxy.reset()  # the code's exchange went through it too
    job_id = enqueue(ours, connection_id, "contacts.list", {"per_page": 1})
    with workers(1):
        assert wait_for_jobs(ours, [job_id])[job_id].status == "succeeded"
    assert proxy.count("POST", "/oauth/token") == 1
    assert sample("rolodex_token_refreshes_total", connection=connection_id, result="ok") == 1
    assert sample("rolodex_token_refreshes_total", connection=connection_id, result="failed") == 0
