#!/usr/bin/env bash
# Fixed-concurrency load on the contacts endpoints, against a seeded PostgreSQL database.
#
#   benchmarks/run.sh            # seeds rolodex_bench first if benchmarks/results/seed.json is missing
#   SEED=1 benchmarks/run.sh     # always re-seed (fresh database, 100,000 contacts)
#
# Knobs (environment): PORT (8765), WORKERS (2), THREADS (2), CONNECTIONS (16),
# DURATION (15s), WARMUP (3s), SCENARIOS (space-separated names, default all).
# Starts `rolodex serve` on 127.0.0.1 only, runs wrk per scenario, writes the raw wrk
# output to benchmarks/results/<scenario>.txt, prints a summary table, stops the server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BENCH="$ROOT/benchmarks"
RESULTS="$BENCH/results"
PY="$ROOT/.venv/bin/python"
ROLODEX="$ROOT/.venv/bin/rolodex"
PORT="${PORT:-8765}"
WORKERS="${WORKERS:-2}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-3s}"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$RESULTS"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi

if [ "${SEED:-0}" = "1" ] || [ ! -f "$RESULTS/seed.json" ]; then
  "$PY" "$BENCH/seed.py"
fi
field() { "$PY" -c "import json,sys; print(json.load(open('$RESULTS/seed.json'))['$1'])"; }
DB_URL="$(field database_url)"
API_KEY="$(field api_key)"
CONTACT_ID="$(field contact_id)"

# The server: PostgreSQL, a fixed secret (no .rolodex-secret file), no access log.
# `rolodex serve` migrates the database to the current head before serving.
export ROLODEX_DATABASE_URL="$DB_URL"
export ROLODEX_SECRET_KEY="benchmark-secret-key"
export ROLODEX_LOG_LEVEL="${ROLODEX_LOG_LEVEL:-warning}"
# One key sends every request: lift the per-key rate limit so wrk measures the server,
# not 429s (older builds without a limiter ignore the variable).
export ROLODEX_RATE_LIMIT="${ROLODEX_RATE_LIMIT:-1000000000/1}"
"$ROLODEX" serve --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" \
  >"$RESULTS/server.log" 2>&1 &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fsS "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RESULTS/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$BASE/health" >/dev/null || { echo "server did not come up" >&2; exit 1; }

# name | method | path   (POST runs last: it adds contacts)
ALL_SCENARIOS=(
  "list_25_p1|GET|/api/v1/contacts?per_page=25"
  "list_250_p1|GET|/api/v1/contacts?per_page=250"
  "list_25_p1000|GET|/api/v1/contacts?per_page=25&page=1000"
  "list_250_p100|GET|/api/v1/contacts?per_page=250&page=100"
  "get_one|GET|/api/v1/contacts/$CONTACT_ID"
  "create|POST|/api/v1/contacts"
  "create_spread|POST|/api/v1/contacts"
)

# One request of each GET first: a wrong key or path should fail loudly, not benchmark 401s.
for entry in "${ALL_SCENARIOS[@]}"; do
  IFS='|' read -r name method path <<<"$entry"
  [ "$method" = "GET" ] || continue
  curl -fsS -o /dev/null -H "X-API-Key: $API_KEY" "$BASE$path" \
    || { echo "$name: GET $path failed" >&2; exit 1; }
done

export ROLODEX_BENCH_API_KEY="$API_KEY"
SPREAD_KEYS="$("$PY" -c "import json; print(','.join(json.load(open('$RESULTS/seed.json')).get('spread_api_keys', [])))")"
run_wrk() {  # duration, method, path, name
  local duration="$1" method="$2" path="$3" name="${4:-}"
  if [ "$name" = "create_spread" ]; then
    [ -n "$SPREAD_KEYS" ] || { echo "create_spread: re-seed (SEED=1) for its accounts" >&2; return 1; }
    ROLODEX_BENCH_API_KEYS="$SPREAD_KEYS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" \
      --latency --timeout 10s -s "$BENCH/post_contact.lua" "$BASE$path"
  elif [ "$method" = "POST" ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency --timeout 10s \
      -s "$BENCH/post_contact.lua" "$BASE$path"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency --timeout 10s \
      -H "X-API-Key: $API_KEY" -H "Accept: application/json" "$BASE$path"
  fi
}

SELECTED="${SCENARIOS:-}"
rm -f "$RESULTS"/list_*.txt "$RESULTS"/get_one.txt "$RESULTS"/create*.txt
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up $WARMUP), server --workers $WORKERS"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS/summary.txt"
for entry in "${ALL_SCENARIOS[@]}"; do
  IFS='|' read -r name method path <<<"$entry"
  if [ -n "$SELECTED" ] && [[ " $SELECTED " != *" $name "* ]]; then continue; fi
  echo "== $name: $method $path" >&2
  [ "$WARMUP" = "0" ] || run_wrk "$WARMUP" "$method" "$path" "$name" >/dev/null
  {
    echo "# $method $path"
    "$PY" "$BENCH/cpu_snapshot.py" "$SERVER_PID" >"$RESULTS/.cpu.json"
    run_wrk "$DURATION" "$method" "$path" "$name"
    "$PY" "$BENCH/cpu_snapshot.py" "$SERVER_PID" "$RESULTS/.cpu.json"
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$RESULTS/$name.txt"
  kill -0 "$SERVER_PID" 2>/dev/null \
    || { echo "the server stopped during $name; see $RESULTS/server.log" >&2; exit 1; }
  sleep 1
done

stop_server
trap - EXIT INT TERM

# Summary: req/s and the 50th/99th percentile latency of each scenario.
"$PY" - "$RESULTS" <<'EOF' | tee -a "$RESULTS/summary.txt"
import re, sys
from pathlib import Path

results = Path(sys.argv[1])
order = ["list_25_p1", "list_250_p1", "list_25_p1000", "list_250_p100", "get_one", "create",
         "create_spread"]
print(f"| {'scenario':<52} | {'req/s':>8} | {'p50':>9} | {'p99':>9} | {'non-2xx':>7} |")
print(f"|{'-' * 54}|{'-' * 10}|{'-' * 11}|{'-' * 11}|{'-' * 9}|")
for name in order:
    path = results / f"{name}.txt"
    if not path.exists():
        continue
    text = path.read_text()
    head = text.splitlines()[0].lstrip("# ") + (" (many accounts)" if name == "create_spread" else "")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    cpu = re.search(r"cpu-seconds: machine ([\d.]+), benchmark [\d.]+, other ([\d.]+)", text)
    print(
        f"| {head:<52} | {rps.group(1) if rps else '?':>8} | {p50.group(1) if p50 else '?':>9} "
        f"| {p99.group(1) if p99 else '?':>9} | {bad.group(1) if bad else '0':>7} |"
        + (f" socket errors: {errors.group(1)}" if errors else "")
        + (f" other CPU: {float(cpu.group(2)) / float(cpu.group(1)):.0%}" if cpu else "")
    )
EOF
