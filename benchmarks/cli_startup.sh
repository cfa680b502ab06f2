#!/usr/bin/env bash
# How long `rolodex --help` takes to start, at one or more git revisions, with hyperfine.
#
#   benchmarks/cli_startup.sh                 # the working tree only
#   benchmarks/cli_startup.sh 3c69c9c HEAD    # each revision, extracted with git archive
#
# Every revision runs as `python -m rolodex --help` from a copy of its rolodex/ package,
# with the same .venv (so the same dependencies); the copy comes first on sys.path.
# `python -c pass` with the same interpreter is measured too: the floor.
# Knobs (environment): RUNS (30), WARMUP (5). Writes hyperfine's JSON and Markdown to
# benchmarks/results/cli_startup.{json,md}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
RESULTS="$ROOT/benchmarks/results"
RUNS="${RUNS:-30}"
WARMUP="${WARMUP:-5}"
mkdir -p "$RESULTS"

if ! command -v hyperfine >/dev/null 2>&1; then
  echo "installing hyperfine" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y hyperfine >/dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The floor: the interpreter starting, with the same site-packages, doing nothing.
commands=("cd '$ROOT' && '$PY' -c pass")
names=("python -c pass")
if [ "$#" -eq 0 ]; then
  commands+=("cd '$ROOT' && '$PY' -m rolodex --help")
  names+=("working tree")
fi
for revision in "$@"; do
  dir="$WORK/$revision"
  mkdir -p "$dir"
  git -C "$ROOT" archive "$revision" rolodex | tar -x -C "$dir"
  # the copy, not the editable install, must be the one imported
  found="$(cd "$dir" && "$PY" -c 'import rolodex, os; print(os.path.dirname(rolodex.__file__))')"
  [ "$found" = "$dir/rolodex" ] || { echo "$revision: imported $found instead" >&2; exit 1; }
  commands+=("cd '$dir' && '$PY' -m rolodex --help")
  names+=("$revision ($(git -C "$ROOT" rev-parse --short "$revision"))")
done

args=()
for i in "${!commands[@]}"; do
  args+=(--command-name "${names[$i]}" "${commands[$i]}")
done
hyperfine --shell=bash --warmup "$WARMUP" --runs "$RUNS" --output=null \
  --export-json "$RESULTS/cli_startup.json" --export-markdown "$RESULTS/cli_startup.md" \
  "${args[@]}"
