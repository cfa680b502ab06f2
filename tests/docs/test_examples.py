"""Every example of README.md and docs/*.md runs as pasted, in order, against a live
`rolodex serve` on a temporary SQLite database (the convention: tests/docs/blocks.py and
docs/architecture.md, "Examples in the docs").

The README's walkthrough runs first, as a new user would: it makes the account of
``you@example.com``. Every other page then runs in a shell (and a Python interpreter)
where, as after the walkthrough, ``$API`` is the server's API, ``$KEY`` an API key of that
user, and ``ROLODEX_URL`` / ``ROLODEX_API_KEY`` name the server and the key for the client
and the data commands. Each page has a working directory of its own, with ``.venv`` (the
suite's environment) in it, as at the root of a clone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import LiveServer, start_server
from tests.docs.blocks import blocks_of
from tests.docs.runner import Outcome, judge, run_python, run_shell

ROOT = Path(__file__).resolve().parents[2]
README = "README.md"
PAGES = [README, *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
YOU = "you@example.com"
VENV = Path(sys.prefix)  # the environment the suite runs in (a clone's .venv)

pytestmark = pytest.mark.live


@dataclass
class Docs:
    """The server the examples talk to, and the environment every page starts from."""

    server: LiveServer
    root: Path
    env: dict[str, str]
    walkthrough: list[str]  # why the README's blocks failed (empty: they ran)

    def run_page(self, page: str, env: dict[str, str]) -> list[str]:
        """Run a page's blocks; why they failed."""
        return run_page(ROOT / page, ROOT, self.root / page.replace("/", "_"), env, self.server)


def run_page(
    path: Path, root: Path, cwd: Path, env: dict[str, str], server: LiveServer
) -> list[str]:
    """Run the shell blocks of the page at ``path`` in one shell, then its Python blocks
    in one interpreter, in ``cwd``; why any failed (empty when all ran as pasted)."""
    cwd.mkdir(parents=True, exist_ok=True)
    if not (cwd / ".venv").exists():
        (cwd / ".venv").symlink_to(VENV, target_is_directory=True)
    blocks = [b for b in blocks_of(path, root) if b.kind and b.untested is None]
    failures: list[str] = []
    for kind, run in (("shell", run_shell), ("python", run_python)):
        chosen = [b for b in blocks if b.kind == kind]
        if not chosen:
            continue
        outcome: Outcome = run(chosen, cwd, env, server.url)
        failures += judge(chosen, outcome, server.log_path.read_text())
    return failures


def _cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        env=server.env,
        cwd=server.cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _base_env(server: LiveServer) -> dict[str, str]:
    env = {k: v for k, v in server.env.items() if k not in ("KEY", "API", "ROLODEX_API_KEY")}
    env.update(
        PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        ROLODEX_URL=server.url,
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docs]:
    """A server on a fresh SQLite database, the README's walkthrough run on it, and a
    key of its user for the other pages."""
    root = tmp_path_factory.mktemp("docs")
    database = f"sqlite+aiosqlite:///{root / 'docs.db'}"
    # Private addresses allowed: the integrations guide's connections go to this very
    # server's MOCO and HighLevel surfaces, as its `make serve` line says.
    env = {"ROLODEX_LOG_LEVEL": "info", "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true"}
    with start_server(database, root, env=env) as server:
        env = _base_env(server)
        walkthrough = run_page(ROOT / README, ROOT, root / "README", env, server)
        made = _cli(server, "key", "create", "--email", YOU, "--name", "docs", "--json")
        if made.returncode != 0:  # the walkthrough did not make the account
            _cli(server, "init", "--email", YOU, "--password", "change-me-please")
            made = _cli(server, "key", "create", "--email", YOU, "--name", "docs", "--json")
        assert made.returncode == 0, made.stderr
        key = json.loads(made.stdout)["key"]
        env = {**env, "ROLODEX_API_KEY": key, "KEY": key, "API": f"{server.url}/api/v1"}
        yield Docs(server, root, env, walkthrough)


def test_the_readme_walkthrough_runs_as_pasted(docs: Docs) -> None:
    assert docs.walkthrough == [], "\n\n".join(docs.walkthrough)


@pytest.mark.parametrize("page", [p for p in PAGES if p != README])
def test_every_example_of_the_page_runs_as_pasted(docs: Docs, page: str) -> None:
    failures = docs.run_page(page, docs.env)
    assert failures == [], "\n\n".join(failures)


def test_every_block_is_run_or_says_why_not() -> None:
    problems = [
        problem for page in PAGES for block in blocks_of(ROOT / page, ROOT) for problem in
        block.problems()
    ]  # fmt: skip
    assert problems == []


def test_the_pages_are_every_page_of_the_docs() -> None:
    assert set(PAGES) == {README} | {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")
    }
    assert len(PAGES) > 10


SELF_TEST = """\
# A page of the test's own

```sh
echo fine
```

```sh untested: shows that a marked block is left alone
exit 1
```

```python
assert 1 + 1 == 2
```
"""

EXTRA_LINE = (SELF_TEST + "\n").count("\n") + 1  # where the failing block of each case is


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", None),
        ("```sh\nfalse\n```\n", f"a-page.md:{EXTRA_LINE} failed"),
        ("```sh\necho $NOT_SET_ANYWHERE\n```\n", f"a-page.md:{EXTRA_LINE} failed"),
        ("```python\nraise SystemExit('no')\n```\n", f"a-page.md:{EXTRA_LINE} failed"),
        ('```sh\ncurl -s "$API/contacts/cnt_nope" -H "X-API-Key: $KEY"\n```\n', "→ 404"),
        ('```sh\ncurl -s "$API/users/me" -H "X-API-Key: rdx_k_wrong"\n```\n', "→ 401"),
        (
            '```console\n$ curl -s $API/contacts/cnt_nope \\\n    -H "X-API-Key: $KEY"\n'
            "HTTP/1.1 200 OK\n```\n",
            "→ 404",
        ),
    ],
    ids=["passes", "exit", "unset-variable", "python-raises", "404", "401", "console"],
)
def test_the_docs_test_fails_an_unmarked_block_that_fails(
    docs: Docs, tmp_path: Path, extra: str, expected: str | None
) -> None:
    page = tmp_path / "a-page.md"
    page.write_text(SELF_TEST + "\n" + extra, encoding="utf-8")
    failures = run_page(page, tmp_path, tmp_path / "run", docs.env, docs.server)
    if expected is None:
        assert failures == []
    else:
        assert len(failures) == 1 and expected in failures[0], failures


def test_an_untested_block_needs_a_reason(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```sh untested\nmake serve\n```\n\n```\ncurl -s $API\n```\n")
    problems = [p for block in blocks_of(page, tmp_path) for p in block.problems()]
    assert problems == [
        "page.md:1: `untested` needs a reason after it",
        "page.md:5: a block without a language holds a command ('curl -s $API'); label it "
        "sh, console or python",
    ]
