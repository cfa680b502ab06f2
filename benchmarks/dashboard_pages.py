"""How long each dashboard page takes for an account with 100,000 contacts.

    .venv/bin/python benchmarks/seed.py                 # once: the seeded database
    .venv/bin/python benchmarks/dashboard_pages.py [--runs 30]

Starts `rolodex serve` (one worker, on 127.0.0.1) on the database ``seed.py`` made,
signs in to the dashboard as its owner (``bench@example.com``) as a browser would, then
loads every page ``--runs`` times, one request at a time, and prints the median and the
95th percentile of each. Over loopback with nothing else in flight, a request's time is
the server's time to within a fraction of a millisecond. Writes
``benchmarks/results/dashboard_pages.json``. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
EMAIL, PASSWORD = "bench@example.com", "benchmark-password-1"
PAGES = [
    "/dashboard",
    "/dashboard/contacts",
    "/dashboard/contacts?page=2000",
    "/dashboard/contacts?q=schmidt",
    "/dashboard/contacts?sort=last_name&order=asc",
    "/dashboard/contacts/{contact_id}",
    "/dashboard/companies",
    "/dashboard/tasks?view=open",
    "/dashboard/settings/api-keys",
    "/dashboard/settings/users",
    "/dashboard/webhooks",
    "/dashboard/audit",
    "/dashboard/connections",
]
API_BESIDE = {
    "/dashboard/contacts": "/api/v1/contacts",
    "/dashboard/contacts?q=schmidt": "/api/v1/contacts?q=schmidt",
    "/dashboard/contacts/{contact_id}": "/api/v1/contacts/{contact_id}",
}
"""The API's request for the same rows, measured beside the page (the ratio is the
dashboard's own cost: session, rendering)."""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sign_in(client: httpx.Client) -> None:
    form = client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
    assert token, "no sign-in form"
    answer = client.post(
        "/dashboard/login",
        data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


def _timed(client: httpx.Client, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = client.get(path, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (path, answer.status_code)
    return elapsed


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(int(len(ordered) * 0.95) - 1, 0)], 1),
    }


def _line(summary: dict[str, float]) -> str:
    return f"{summary['median_ms']:7.1f} ms median {summary['p95_ms']:7.1f} ms p95"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    seed = json.loads((RESULTS / "seed.json").read_text())
    port = _port()
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": seed["database_url"],
        "ROLODEX_SECRET_KEY": "benchmark-secret",
        "ROLODEX_LOGIN_RATE_LIMIT": "1000/60",
        "ROLODEX_RATE_LIMIT": "1000000000/1",
    }
    log = (RESULTS / "dashboard_server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "rolodex", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
            _sign_in(client)
            key = {"X-API-Key": seed["api_key"]}
            results = {}
            for template in PAGES:
                path = template.format(contact_id=seed.get("contact_id", ""))
                api = API_BESIDE.get(template, "").format(contact_id=seed.get("contact_id", ""))
                page_times, api_times = [], []
                for _ in range(args.runs):  # interleaved: both see the same machine
                    page_times.append(_timed(client, path, {}))
                    if api:
                        api_times.append(_timed(client, api, key))
                results[template] = _summary(page_times)
                line = f"{template:48} {_line(results[template])}"
                if api:
                    results[template]["api"] = _summary(api_times)
                    ratio = results[template]["median_ms"] / results[template]["api"]["median_ms"]
                    results[template]["ratio_to_api"] = round(ratio, 2)
                    line += f"   API {_line(results[template]['api'])}   x{ratio:.2f}"
                print(line)
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    (RESULTS / "dashboard_pages.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
