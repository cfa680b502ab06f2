"""A soak: mixed reads and writes from several accounts at 80 % of measured capacity.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/soak.py --database postgresql --minutes 30
    .venv/bin/python benchmarks/soak.py --database sqlite --minutes 30

1. Makes a fresh database: a SQLite file in a temporary directory, or the PostgreSQL
   database ``rolodex_soak`` on 127.0.0.1:5432 (dropped and re-created, dropped at the end).
2. Creates ``--accounts`` accounts with ``rolodex init --json`` (different emails), starts
   ``rolodex serve`` on 127.0.0.1 on a free port (rate limit lifted, access log off) and
   gives each account ``--seed-contacts`` contacts through the batch endpoint.
3. Measures capacity: locust (``benchmarks/soak_locust.py``) in a closed loop, no wait,
   ``--capacity-users`` users for ``--capacity-seconds``; the rate it reaches is the
   capacity.
4. Soaks: locust headless at ``--load`` (0.8) of that rate, spread over twice as many
   users each at a constant throughput, for ``--minutes``, the same mix over all accounts.
   Every 10 s it samples the resident memory (RSS) of the server's process tree and the
   machine's load average.
5. Prints a table and writes ``benchmarks/results/soak-<database>.json`` (the locust CSVs
   beside it). Exits 1 if any response was a 5xx or no response at all, or the server
   stopped.

Every request goes to 127.0.0.1, and every step stops by itself (locust's ``--run-time``).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCUSTFILE = HERE / "soak_locust.py"
ROLODEX = [sys.executable, "-m", "rolodex"]
LOCUST = [sys.executable, "-m", "locust"]
PG_SERVER = "postgres@127.0.0.1:5432"
PG_NAME = "rolodex_soak"
SAMPLE_SECONDS = 10


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_database(kind: str, workdir: Path) -> str:
    """The URL of a new, empty database of ``kind``."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'soak.db'}"
    asyncio.run(pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)"))
    asyncio.run(pg_admin(f"CREATE DATABASE {PG_NAME}"))
    return f"postgresql+asyncpg://{PG_SERVER}/{PG_NAME}"


def drop_database(kind: str) -> None:
    if kind == "postgresql":
        asyncio.run(pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)"))


def create_accounts(env: dict[str, str], count: int) -> list[dict[str, Any]]:
    accounts = []
    for i in range(count):
        result = subprocess.run(
            [*ROLODEX, "init", "--email", f"owner{i}@soak.example", "--password",
             "soak-password-123", "--account-name", f"Soak {i}", "--json"],
            env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"rolodex init failed: {result.stderr.strip()}")
        accounts.append(json.loads(result.stdout))
    return accounts


class Server:
    """``rolodex serve`` on 127.0.0.1, stopped (TERM, then KILL) on exit."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [*ROLODEX, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped; see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit("the server did not come up")

    def rss_bytes(self) -> tuple[int, int]:
        """Resident memory of the server's process tree: the sum, and the largest process."""
        try:
            root = psutil.Process(self.process.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0, 0
        sizes = []
        for proc in tree:
            try:
                sizes.append(proc.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        return sum(sizes), max(sizes, default=0)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def seed(base: str, accounts: list[dict[str, Any]], per_account: int) -> None:
    """Give every account ``per_account`` contacts and note their ids."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for n, account in enumerate(accounts):
            account["contact_ids"] = []
            for start in range(0, per_account, 250):
                items = [
                    {"first_name": "Seed", "last_name": str(i), "email": f"s{n}-{i}@soak.example"}
                    for i in range(start, min(start + 250, per_account))
                ]
                response = client.post(
                    "/api/v1/contacts/batch",
                    json={"mode": "create", "items": items},
                    headers={"X-API-Key": account["api_key"]},
                )
                response.raise_for_status()
                account["contact_ids"] += [item["id"] for item in response.json()["data"]]


class Sampler:
    """RSS of the server's tree and the load average, every ``SAMPLE_SECONDS``."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[dict[str, float]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while True:
            total, largest = self.server.rss_bytes()
            self.samples.append(
                {
                    "t": time.time(),
                    "rss_mb": total / 2**20,
                    "largest_process_mb": largest / 2**20,
                    "load1": os.getloadavg()[0],
                }
            )
            if self.stopped.wait(SAMPLE_SECONDS):
                return

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def run_locust(
    base: str, workdir: Path, name: str, users: int, seconds: int, rate_per_user: float,
    accounts_file: Path,
) -> dict[str, Any]:  # fmt: skip
    """One headless locust run; its status counts and buckets, and its CSV prefix."""
    prefix = workdir / name
    status_out = workdir / f"{name}-status.json"
    env = {
        **os.environ,
        "SOAK_ACCOUNTS": str(accounts_file),
        "SOAK_RATE_PER_USER": str(rate_per_user),
        "SOAK_STATUS_OUT": str(status_out),
    }
    command = [
        *LOCUST, "-f", str(LOCUSTFILE), "--headless", "--host", base,
        "--users", str(users), "--spawn-rate", str(max(users, 1)),
        "--run-time", f"{seconds}s", "--stop-timeout", "10",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    with (workdir / f"{name}-locust.log").open("w") as log:
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                       check=False, timeout=seconds + 120)  # fmt: skip
    if not status_out.exists():
        raise SystemExit(f"locust wrote no results; see {workdir / f'{name}-locust.log'}")
    record = json.loads(status_out.read_text())
    record["csv_prefix"] = str(prefix)
    return record


def aggregated_rps(csv_prefix: str) -> float:
    with open(f"{csv_prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise SystemExit("locust's stats have no Aggregated row")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def window_latency(record: dict[str, Any], first: bool, seconds: float) -> dict[str, float]:
    """p50 and p99 (ms) and the rate over the first or last ``seconds`` of the run."""
    buckets = {int(k): v for k, v in record["buckets"].items()}
    if not buckets:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "req_s": 0.0}
    count = max(1, round(seconds / record["bucket_seconds"]))
    keys = sorted(buckets)
    chosen = keys[:count] if first else keys[-count:]
    times = [t for k in chosen for t in buckets[k]]
    return {
        "p50_ms": round(percentile(times, 0.50), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "req_s": round(len(times) / (len(chosen) * record["bucket_seconds"]), 1),
    }


def per_minute(record: dict[str, Any]) -> list[dict[str, float]]:
    per = 60 // record["bucket_seconds"]
    minutes: dict[int, list[float]] = {}
    for key, times in record["buckets"].items():
        minutes.setdefault(int(key) // per, []).extend(times)
    return [
        {"minute": m + 1, "requests": len(t), "p50_ms": round(percentile(t, 0.5), 1),
         "p99_ms": round(percentile(t, 0.99), 1)}
        for m, t in sorted(minutes.items())
    ]  # fmt: skip


def slope_per_10_minutes(samples: list[dict[str, float]]) -> float:
    """MB per 10 minutes, least squares over ``samples``."""
    if len(samples) < 2:
        return 0.0
    xs = [s["t"] for s in samples]
    ys = [s["rss_mb"] for s in samples]
    return round(statistics.linear_regression(xs, ys).slope * 600, 2)


def memory_report(samples: list[dict[str, float]]) -> dict[str, float]:
    rss = [s["rss_mb"] for s in samples]
    half = samples[len(samples) // 2 :]
    return {
        "first_mb": round(rss[0], 1),
        "last_mb": round(rss[-1], 1),
        "max_mb": round(max(rss), 1),
        "slope_mb_per_10min": slope_per_10_minutes(samples),
        "slope_second_half_mb_per_10min": slope_per_10_minutes(half),
        "samples": len(samples),
    }


def print_table(report: dict[str, Any]) -> None:
    s, m, early, late = (
        report["soak"],
        report["memory"],
        report["first_window"],
        report["last_window"],
    )
    w = report["window_seconds"]
    rows = [
        ("database", report["database"]),
        ("capacity (closed loop)", f"{report['capacity_req_s']} req/s"),
        ("target (soak)", f"{report['target_req_s']} req/s over {s['users']} users"),
        ("duration", f"{report['minutes']} min"),
        ("requests", s["requests"]),
        ("5xx / no response", f"{s['server_errors']} / {s['no_response']}"),
        ("4xx", s["client_errors"]),
        (f"first {w:.0f} s: req/s, p50, p99",
         f"{early['req_s']}, {early['p50_ms']} ms, {early['p99_ms']} ms"),
        (f"last {w:.0f} s: req/s, p50, p99",
         f"{late['req_s']}, {late['p50_ms']} ms, {late['p99_ms']} ms"),
        ("RSS first / last / max", f"{m['first_mb']} / {m['last_mb']} / {m['max_mb']} MB"),
        ("RSS slope (all / 2nd half)",
         f"{m['slope_mb_per_10min']} / {m['slope_second_half_mb_per_10min']} MB per 10 min"),
        ("load average (start / end / max)",
         f"{report['load']['start']} / {report['load']['end']} / {report['load']['max']}"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"| {label:<{width}} | {value} |")
    print("\nper minute: " + ", ".join(
        f"{p['minute']}: {p['requests']} req p99 {p['p99_ms']} ms" for p in report["per_minute"]
    ))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed-contacts", type=int, default=1000)
    parser.add_argument("--capacity-seconds", type=int, default=30)
    parser.add_argument("--capacity-users", type=int, default=16)
    parser.add_argument("--load", type=float, default=0.8)
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="rolodex-soak-"))
    url = fresh_database(args.database, workdir)
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": url,
        "ROLODEX_SECRET_KEY": "soak-secret-key",
        "ROLODEX_LOG_LEVEL": "warning",
        "ROLODEX_RATE_LIMIT": "1000000000/1",
    }
    server: Server | None = None
    try:
        accounts = create_accounts(env, args.accounts)
        server = Server(env, args.workers, workdir / "server.log")
        server.wait_ready()
        seed(server.base, accounts, args.seed_contacts)
        accounts_file = workdir / "accounts.json"
        accounts_file.write_text(json.dumps(accounts))
        load_start = os.getloadavg()[0]

        print(f"capacity: {args.capacity_users} users, closed loop, {args.capacity_seconds} s",
              file=sys.stderr)  # fmt: skip
        capacity_run = run_locust(server.base, workdir, "capacity", args.capacity_users,
                                  args.capacity_seconds, 0, accounts_file)  # fmt: skip
        capacity = aggregated_rps(capacity_run["csv_prefix"])
        target = capacity * args.load
        users = args.capacity_users * 2
        seconds = round(args.minutes * 60)
        print(f"soak: {target:.1f} req/s ({args.load:.0%} of {capacity:.1f}), {users} users, "
              f"{seconds} s", file=sys.stderr)  # fmt: skip
        with Sampler(server) as sampler:
            soak = run_locust(server.base, workdir, "soak", users, seconds, target / users,
                              accounts_file)  # fmt: skip
        alive = server.process.poll() is None
        # Requests still in flight when the run time was up fall in buckets past its end.
        last = seconds // soak["bucket_seconds"]
        soak["buckets"] = {k: v for k, v in soak["buckets"].items() if int(k) < last}
    finally:
        if server is not None:
            server.stop()
        drop_database(args.database)

    statuses = {int(k): v for k, v in soak["statuses"].items()}
    # First and last 5 minutes, or quarters of a shorter run, in whole 10-second buckets.
    window = float(max(10, round(min(300, seconds / 4) / 10) * 10))
    samples = sampler.samples
    report: dict[str, Any] = {
        "database": args.database,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release()},
        "minutes": args.minutes,
        "accounts": args.accounts,
        "workers": args.workers,
        "seed_contacts_per_account": args.seed_contacts,
        "capacity_req_s": round(capacity, 1),
        "capacity_statuses": capacity_run["statuses"],
        "target_req_s": round(target, 1),
        "soak": {
            "users": users,
            "requests": sum(statuses.values()),
            "statuses": soak["statuses"],
            "server_errors": sum(v for k, v in statuses.items() if k >= 500),
            "no_response": statuses.get(0, 0),
            "client_errors": sum(v for k, v in statuses.items() if 400 <= k < 500),
            "server_error_samples": soak["samples"],
        },
        "window_seconds": window,
        "first_window": window_latency(soak, True, window),
        "last_window": window_latency(soak, False, window),
        "per_minute": per_minute(soak),
        "memory": memory_report(samples),
        "load": {"start": round(load_start, 2), "end": round(samples[-1]["load1"], 2),
                 "max": round(max(s["load1"] for s in samples), 2)},
        "rss_samples": [{**s, "t": round(s["t"] - samples[0]["t"], 1)} for s in samples],
        "server_alive_at_end": alive,
    }  # fmt: skip
    out = RESULTS / f"soak-{args.database}.json"
    out.write_text(json.dumps(report, indent=2))
    for suffix in ("_stats_history.csv", "_stats.csv", "_failures.csv"):
        source = Path(soak["csv_prefix"] + suffix)
        if source.exists():
            shutil.copy(source, RESULTS / f"soak-{args.database}{suffix}")
    print_table(report)
    print(f"\nwrote {out}")
    shutil.rmtree(workdir, ignore_errors=True)
    bad = report["soak"]["server_errors"] + report["soak"]["no_response"]
    if bad or not alive:
        print(f"FAILED: {bad} responses were 5xx or missing; server alive: {alive}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
