"""Running a page's examples: its shell blocks in one shell, its Python blocks in one
interpreter, each in order, against a live server; and what the server answered them.

Before each block the runner sends ``GET /health?docs-block=<tag>`` to the server, so the
server's access log can be cut into what each block asked of it. A block fails when a
command of it exits non-zero (``set -euo pipefail``: an unset variable too), when Python
raises, or when the server answered one of its requests with 401, 404 or 5xx: an
example's credentials and ids must be real ones.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.blocks import Block

FAILING_STATUSES = frozenset({401, 404})
_ACCESS = re.compile(
    r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[0-9.]+" (?P<status>\d{3})'
    r"|rolodex\.access: (?P<t_method>[A-Z]+) (?P<t_target>\S+) → (?P<t_status>\d{3}) in"
)
_MARK = re.compile(r"docs-block=(?P<tag>[\w.-]+)")
_STARTED = re.compile(r"^### docs-block (?P<tag>[\w.-]+)$", re.MULTILINE)
TIMEOUT = 600

PYTHON_DRIVER = """
import json, sys, traceback, urllib.request
server, blocks = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for block in blocks:
    try:
        urllib.request.urlopen(f"{server}/health?docs-block={block['tag']}", timeout=10).read()
    except Exception:
        pass
    print(f"### docs-block {block['tag']}", flush=True)
    try:
        exec(compile(block["code"], block["where"], "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(3)
    sys.stdout.flush()
"""


@dataclass
class Outcome:
    """What running a page's blocks of one kind came to."""

    returncode: int
    output: str
    started: list[str]  # tags of the blocks that began, in order
    failures: list[str] = field(default_factory=list)


def tag_of(index: int, block: Block) -> str:
    return f"{block.kind}-{index}-line{block.line}"


def run_shell(blocks: list[Block], cwd: Path, env: dict[str, str], server: str) -> Outcome:
    """Every block in one ``bash``, each sourced in turn."""
    lines = [
        "set -euo pipefail",
        '__docs_mark() { command curl -s -o /dev/null "$__DOCS_SERVER/health?docs-block=$1"'
        ' || true; echo "### docs-block $1"; }',
    ]
    for index, block in enumerate(blocks):
        path = cwd / f".docs-block-{index}.sh"
        path.write_text(block.script, encoding="utf-8")
        lines += [f"__docs_mark {tag_of(index, block)}", f'source "{path}"']
    script = cwd / ".docs-page.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _run(["bash", str(script)], cwd, {**env, "__DOCS_SERVER": server})


def run_python(blocks: list[Block], cwd: Path, env: dict[str, str], server: str) -> Outcome:
    """Every block in one interpreter, in one namespace."""
    listing = [
        {"tag": tag_of(index, block), "where": block.where, "code": block.script}
        for index, block in enumerate(blocks)
    ]
    path = cwd / ".docs-python.json"
    path.write_text(json.dumps(listing), encoding="utf-8")
    return _run([sys.executable, "-c", PYTHON_DRIVER, server, str(path)], cwd, env)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> Outcome:
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        returncode, output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        returncode, output = -1, output + f"\n(timed out after {TIMEOUT} s)"
    return Outcome(returncode, output, _STARTED.findall(output))


def answers_by_block(log: str) -> dict[str, list[tuple[str, str, int]]]:
    """The server's answers (method, target, status) to each block, by the block's tag,
    from its access log."""
    found: dict[str, list[tuple[str, str, int]]] = {}
    current: list[tuple[str, str, int]] | None = None
    for line in log.splitlines():
        answer = _answer_of(line)
        if answer is None:
            continue
        mark = _MARK.search(answer[1])
        if mark is not None:
            current = found.setdefault(mark["tag"], [])
            continue
        if current is not None:
            current.append(answer)
    return found


def _answer_of(line: str) -> tuple[str, str, int] | None:
    """(method, target, status) of a request event: a JSON log line (as the server logs
    when its output is not a terminal), a text one, or an access-log line of uvicorn's."""
    if line.startswith("{"):
        event = json.loads(line)
        if event.get("event") != "request":
            return None
        return event["method"], event["target"], int(event["status"])
    access = _ACCESS.search(line)
    if access is None:
        return None
    if access["method"] is None:
        return access["t_method"], access["t_target"], int(access["t_status"])
    return access["method"], access["target"], int(access["status"])


def judge(blocks: list[Block], outcome: Outcome, log: str) -> list[str]:
    """Why each failed block failed (empty when every one ran as pasted)."""
    failures: list[str] = []
    tags = [tag_of(index, block) for index, block in enumerate(blocks)]
    if outcome.returncode != 0:
        last = outcome.started[-1] if outcome.started else tags[0]
        block = blocks[tags.index(last)] if last in tags else blocks[0]
        failures.append(
            f"{block.where} failed (exit {outcome.returncode}):\n{_tail(outcome.output)}"
        )
    answers = answers_by_block(log)
    for tag, block in zip(tags, blocks, strict=True):
        bad = [
            f"{method} {target} → {status}"
            for method, target, status in answers.get(tag, [])
            if status in FAILING_STATUSES or status >= 500
        ]
        if bad:
            failures.append(f"{block.where}: the server answered " + "; ".join(bad))
    return failures


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])
