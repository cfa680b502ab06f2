"""Optimistic concurrency across processes: two clients update the same contact with
``If-Match`` of the same version, against a real server with two worker processes.
Exactly one wins; the other gets 412, and no update is lost silently."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import API, start_server

pytestmark = pytest.mark.live
ROUNDS = 20


@pytest.fixture
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = {"ROLODEX_RATE_LIMIT": "100000/60"}
    with start_server(database_url, tmp_path_factory.mktemp("race"), workers=2, env=env) as live:
        yield live


def test_two_writers_with_the_same_if_match_one_wins_one_gets_412(tenant, server) -> None:
    keys = [tenant.key, tenant.new_key()]
    clients = [
        httpx.Client(base_url=server.url + API, headers={"X-API-Key": key}, timeout=30)
        for key in keys
    ]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for round_ in range(ROUNDS):
                created = clients[0].post("/contacts", json={"first_name": "Ada"})
                assert created.status_code == 201, created.text
                path = f"/contacts/{created.json()['data']['id']}"
                # Both clients read the same version.
                tags = [client.get(path).headers["ETag"] for client in clients]
                assert tags[0] == tags[1]
                barrier = threading.Barrier(2)

                def write(i: int, tag: str = tags[0], path: str = path) -> httpx.Response:
                    barrier.wait()
                    return clients[i].patch(
                        path, json={"first_name": f"writer-{i}"}, headers={"If-Match": tag}
                    )

                responses = list(pool.map(write, range(2)))
                statuses = sorted(r.status_code for r in responses)
                assert statuses == [200, 412], (round_, [r.text for r in responses])
                loser = next(r for r in responses if r.status_code == 412)
                assert loser.json()["error"]["code"] == "PRECONDITION_FAILED"
                winner = responses.index(next(r for r in responses if r.status_code == 200))
                final = clients[0].get(path)
                assert final.json()["data"]["first_name"] == f"writer-{winner}"
                assert final.headers["ETag"] == responses[winner].headers["ETag"]
                assert final.headers["ETag"] != tags[0]
    finally:
        for client in clients:
            client.close()
