"""Rolodex beside the raw floor, interleaved on the same PostgreSQL rows; prints ratios.

    .venv/bin/python benchmarks/seed.py                # once: rolodex_bench, 100,000 contacts
    .venv/bin/python benchmarks/side_by_side.py        # about 8 minutes with the defaults
    .venv/bin/python benchmarks/side_by_side.py --rounds 3 --duration 10 --only get_one list_25_p1

Starts one ``rolodex serve`` process and one process of the floor (``benchmarks/floor.py``
under uvicorn), each with one worker, on the database ``benchmarks/results/seed.json``
names. For every scenario and round it runs ``wrk`` against one and then the other (the
order alternates from round to round), so that both see the same machine load and the
same rows. It records requests per second, the median latency, non-2xx answers and the
CPU the server's processes spent per request (from ``/proc``), and prints the medians
over the rounds with Rolodex ÷ floor. Installs ``wrk`` with apt-get if it is missing.
Results go to ``benchmarks/results/side_by_side.json``.

Writes (POST, PATCH, batch) run after the reads: they add rows to the account.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
VENV_BIN = Path(sys.executable).parent
HZ = os.sysconf("SC_CLK_TCK")


def scenarios(contact_id: str) -> list[tuple[str, str, str, str | None]]:
    """(name, method, path, wrk script): reads first, then writes."""
    base = "/api/v1/contacts"
    return [
        ("health", "GET", "/health", None),
        ("get_one", "GET", f"{base}/{contact_id}", None),
        ("list_25_p1", "GET", f"{base}?per_page=25", None),
        ("list_25_p1000", "GET", f"{base}?per_page=25&page=1000", None),
        ("list_250_p1", "GET", f"{base}?per_page=250", None),
        ("list_250_p100", "GET", f"{base}?per_page=250&page=100", None),
        ("list_q", "GET", f"{base}?per_page=25&q=anna", None),
        ("post", "POST", base, "post_contact.lua"),
        ("post_spread", "POST", base, "post_contact.lua"),
        ("patch", "PATCH", base, "patch_contact.lua"),
        ("batch_250", "POST", f"{base}/batch", "batch_contacts.lua"),
    ]


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            raw = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / HZ


def rss_mb(pid: int) -> float:
    """The largest resident set among the server's processes (one worker each)."""
    best = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+)", status)
        best = max(best, int(match.group(1)) if match else 0)
    return best / 1024


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server stopped (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


BATCH_CONNECTIONS = 2
"""A batch of 250 is a second or more of work: two in flight keep the server busy."""


def wrk(
    base: str,
    method: str,
    path: str,
    script: str | None,
    key: str,
    seconds: float,
    args: Any,
    spread: bool = False,
) -> dict[str, float]:
    connections = BATCH_CONNECTIONS if path.endswith("/batch") else args.connections
    command = [
        "wrk",
        f"-t{min(args.threads, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"X-API-Key: {key}",
        "-H",
        "Accept: application/json",
    ]
    if script:
        command += ["-s", str(HERE / script)]
    env = args.env
    if spread:  # the same writes through the keys of 16 accounts (seed.py --spread-accounts)
        env = {**env, "ROLODEX_BENCH_API_KEYS": ",".join(args.spread_keys)}
    out = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True, env=env
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", out, re.M)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan"),
    }


async def some_ids(dsn: str, account_id: str, count: int) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id FROM contacts WHERE account_id = $1 AND deleted_at IS NULL "
            "ORDER BY id LIMIT $2",
            account_id,
            count,
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


def main() -> None:
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", nargs="*", help="scenario names")
    parser.add_argument("--rolodex-port", type=int, default=8765)
    parser.add_argument("--floor-port", type=int, default=8766)
    parser.add_argument("--label", default="", help="kept with the results")
    args = parser.parse_args()
    ensure_wrk()
    seed = json.loads((RESULTS / "seed.json").read_text())
    dsn = seed["database_url"].replace("+asyncpg", "")
    key = seed["api_key"]
    args.spread_keys = seed.get("spread_api_keys", [])
    ids = asyncio.run(some_ids(dsn, seed["account_id"], 500))
    args.env = {**os.environ, "ROLODEX_BENCH_API_KEY": key, "ROLODEX_BENCH_IDS": ",".join(ids)}
    server_env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": seed["database_url"],
        "ROLODEX_SECRET_KEY": "benchmark-secret-key",
        "ROLODEX_LOG_LEVEL": "warning",
        "ROLODEX_RATE_LIMIT": "1000000000/1",
        "ROLODEX_FLOOR_DSN": dsn,
    }
    RESULTS.mkdir(exist_ok=True)
    rolodex_log = (RESULTS / "rolodex_server.log").open("wb")
    floor_log = (RESULTS / "floor_server.log").open("wb")
    rolodex = subprocess.Popen(
        [
            str(VENV_BIN / "rolodex"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.rolodex_port),
        ],
        env=server_env,
        stdout=rolodex_log,
        stderr=subprocess.STDOUT,
    )
    floor = subprocess.Popen(
        [
            str(VENV_BIN / "uvicorn"),
            "benchmarks.floor:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.floor_port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=floor_log,
        stderr=subprocess.STDOUT,
    )
    servers = {
        "rolodex": (f"http://127.0.0.1:{args.rolodex_port}", rolodex),
        "floor": (f"http://127.0.0.1:{args.floor_port}", floor),
    }
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    rss = {"rolodex": 0.0, "floor": 0.0}
    try:
        for base, proc in servers.values():
            wait_up(base + "/health", proc)
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        chosen = [s for s in scenarios(seed["contact_id"]) if not args.only or s[0] in args.only]
        for name, method, path, script in chosen:
            results[name] = {"rolodex": [], "floor": []}
            for n in range(args.rounds):
                order = ["rolodex", "floor"] if n % 2 == 0 else ["floor", "rolodex"]
                for who in order:
                    base, proc = servers[who]
                    spread = name.endswith("_spread")
                    if args.warmup:
                        wrk(base, method, path, script, key, args.warmup, args, spread)
                    before = cpu_seconds(proc.pid)
                    run = wrk(base, method, path, script, key, args.duration, args, spread)
                    spent = cpu_seconds(proc.pid) - before
                    run["cpu_ms_per_request"] = 1000 * spent / max(run["requests"], 1)
                    rss[who] = max(rss[who], rss_mb(proc.pid))
                    results[name][who].append(run)
                    print(
                        f"{name:14} {who:8} round {n + 1}: {run['rps']:9.1f} req/s "
                        f"p50 {run['p50_ms']:7.2f} ms cpu {run['cpu_ms_per_request']:6.2f} ms "
                        f"non-2xx {run['non_2xx']}",
                        file=sys.stderr,
                    )
        load_after = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        for _, proc in servers.values():
            proc.send_signal(signal.SIGTERM)
        for _, proc in servers.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"commit {commit} {args.label}; load average before {' '.join(load_before)}, "
        f"after {' '.join(load_after)}; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s x {args.rounds} rounds; RSS max rolodex {rss['rolodex']:.0f} MB, "
        f"floor {rss['floor']:.0f} MB"
    )
    print(
        "| scenario | Rolodex req/s | floor req/s | ratio "
        "| Rolodex CPU ms/req | floor CPU ms/req | non-2xx |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for name, runs in results.items():
        med = {w: statistics.median(r["rps"] for r in runs[w]) for w in runs}
        cpu = {w: statistics.median(r["cpu_ms_per_request"] for r in runs[w]) for w in runs}
        bad = sum(r["non_2xx"] for w in runs for r in runs[w])
        ratio = med["rolodex"] / med["floor"] if med["floor"] else float("nan")
        summary[name] = {"rps": med, "cpu_ms": cpu, "ratio": ratio, "non_2xx": bad}
        print(
            f"| {name} | {med['rolodex']:.1f} | {med['floor']:.1f} | {ratio:.3f} | "
            f"{cpu['rolodex']:.2f} | {cpu['floor']:.2f} | {bad} |"
        )
    out = {
        "commit": commit,
        "label": args.label,
        "load_before": load_before,
        "load_after": load_after,
        "rss_mb": rss,
        "summary": summary,
        "runs": results,
    }
    (RESULTS / f"side_by_side{('_' + args.label) if args.label else ''}.json").write_text(
        json.dumps(out, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
