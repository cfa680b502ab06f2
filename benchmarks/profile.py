"""Where a request's CPU goes: py-spy samples of one `rolodex serve` process under wrk.

    .venv/bin/pip install -e '.[bench]'           # py-spy
    .venv/bin/python benchmarks/profile.py        # get one and list 25/250, 15 s each
    .venv/bin/python benchmarks/profile.py --only get_one --seconds 20

Serves the database ``benchmarks/results/seed.json`` names with one process, loads it with
``wrk -t2 -c16`` on one path at a time while ``py-spy record`` samples the server (200 a
second, idle frames left out), and prints for each path the share of samples per library
and the inclusive share of the stages of the request (authentication, the route, the
database round trips, rendering). Raw samples go to ``benchmarks/results/profile_<name>.txt``
(collapsed stacks, for a flame graph).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
VENV_BIN = Path(sys.executable).parent

LIBRARIES = {
    "sqlalchemy": "SQLAlchemy",
    "asyncpg": "asyncpg",
    "pydantic": "pydantic",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "uvicorn": "uvicorn",
    "httptools": "uvicorn",
    "asyncio": "asyncio",
    "greenlet": "SQLAlchemy",
    "limits": "limits",
    "rolodex": "Rolodex",
}
STAGES = {
    "authentication": (("authenticate", "rolodex/http/auth.py"),),
    "rate limit": (("enforce_rate_limit", "rolodex/http/ratelimit.py"),),
    "paginate": (("paginate", "rolodex/http/pagination.py"),),
    "get a record": (("get_record", "rolodex/records.py"),),
    "render": (
        ("list_response", "rolodex/http/pagination.py"),
        ("one", "rolodex/http/envelope.py"),
    ),
    "outbox": (("emit_changes", "rolodex/events/outbox.py"),),
    "commit": (("AsyncSession.commit", "sqlalchemy/ext/asyncio/session.py"),),
    "pool checkout": (("AsyncSession.connection", "sqlalchemy/ext/asyncio/session.py"),),
    "thread pool": (("run_in_threadpool", "starlette/concurrency.py"),),
}


def library(frame: str) -> str:
    where = frame[frame.find("(") + 1 : frame.rfind(")")]
    parts = where.replace("\\", "/").split("/")
    for part in parts:
        if part in LIBRARIES:
            return LIBRARIES[part]
    return "Python and other"


def summarise(raw: Path) -> dict[str, object]:
    """Share of samples per library (of the innermost frame) and per stage (inclusive)."""
    by_library: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        by_library[library(frames[-1])] += n
        for stage, names in STAGES.items():
            if any(
                frame.startswith(func + " (") and where in frame
                for frame in frames
                for func, where in names
            ):
                by_stage[stage] += n
    share = {k: round(100 * v / max(total, 1), 1) for k, v in by_library.most_common()}
    stages = {k: round(100 * by_stage[k] / max(total, 1), 1) for k in STAGES}
    return {"samples": total, "library_percent": share, "stage_percent": stages}


def resummarise(label: str) -> None:
    """Summarise raw files already recorded (``--summarise LABEL``)."""
    for raw in sorted(RESULTS.glob(f"profile_*{('_' + label) if label else ''}.txt")):
        print(raw.name, json.dumps(summarise(raw)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--label", default="")
    parser.add_argument("--summarise", action="store_true", help="only re-read the raw files")
    args = parser.parse_args()
    if args.summarise:
        resummarise(args.label)
        return
    seed = json.loads((RESULTS / "seed.json").read_text())
    base = "/api/v1/contacts"
    paths = {
        "get_one": f"{base}/{seed['contact_id']}",
        "list_25": f"{base}?per_page=25",
        "list_250": f"{base}?per_page=250",
    }
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": seed["database_url"],
        "ROLODEX_SECRET_KEY": "benchmark-secret-key",
        "ROLODEX_LOG_LEVEL": "warning",
        "ROLODEX_RATE_LIMIT": "1000000000/1",
    }
    server = subprocess.Popen(
        [str(VENV_BIN / "rolodex"), "serve", "--host", "127.0.0.1", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{args.port}"
    out: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts slowly
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not come up") from None
                time.sleep(0.5)
        for name, path in paths.items():
            if args.only and name not in args.only:
                continue
            raw = RESULTS / f"profile_{name}{('_' + args.label) if args.label else ''}.txt"
            load = [
                "wrk",
                "-t2",
                "-c16",
                f"-d{args.seconds + 4}s",
                "-H",
                f"X-API-Key: {seed['api_key']}",
                url + path,
            ]
            wrk = subprocess.Popen(load, stdout=subprocess.PIPE, text=True)
            time.sleep(2)  # warm
            spy = [str(VENV_BIN / "py-spy"), "record", "--pid", str(server.pid), "--rate", "200"]
            subprocess.run(
                [*spy, "--duration", str(args.seconds), "--format", "raw", "--output", str(raw)],
                check=True,
                capture_output=True,
            )
            wrk.wait()
            out[name] = summarise(raw)
            print(name, json.dumps(out[name], indent=1))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
    suffix = f"_{args.label}" if args.label else ""
    (RESULTS / f"profile{suffix}.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
