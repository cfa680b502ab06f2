"""The code blocks of a Markdown page, and what the docs test makes of each.

The convention (docs/architecture.md, "Examples in the docs"):

- A fenced block whose language is ``sh``, ``bash`` or ``shell`` is run as a shell script;
  ``console`` is a transcript, whose ``$ `` lines (and the lines they continue with ``\\``)
  are run; ``python`` (or ``py``) is run as Python. Other languages (``json``, ``http``,
  ``sql``, none) are shown, never run.
- A block the test cannot run says so in its info string: ``untested`` and why, as in
  ```` ```sh untested: needs a PostgreSQL server ````. The reason is required.
- A block without a language must not hold commands (``curl …``, ``rolodex …``): label it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL = frozenset({"sh", "bash", "shell"})
CONSOLE = frozenset({"console"})
PYTHON = frozenset({"python", "py"})
RUN = SHELL | CONSOLE | PYTHON
MARKER = "untested"
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_UNTESTED = re.compile(rf"^\S+\s+{MARKER}\b(?P<reason>.*)$")
_COMMAND = re.compile(r"^\s*(\$ |curl |rolodex |\.venv/|export [A-Z_]+=|pip |make |python3? )")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    line: int  # of the opening fence, 1-based
    language: str
    info: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def kind(self) -> str | None:
        """``shell`` or ``python`` for a block that is run; None for one shown only."""
        if self.language in SHELL | CONSOLE:
            return "shell"
        if self.language in PYTHON:
            return "python"
        return None

    @property
    def untested(self) -> str | None:
        """Why the block is not run, when its info string says ``untested``."""
        match = _UNTESTED.match(self.info)
        if match is None:
            return None
        return match["reason"].strip(" :\u2014\u2013-")

    @property
    def script(self) -> str:
        """What is run: the block itself, or a transcript's commands."""
        if self.language not in CONSOLE:
            return self.code
        commands: list[str] = []
        continuing = False
        for line in self.code.splitlines():
            if line.startswith("$ "):
                commands.append(line[2:])
            elif continuing:
                commands.append(line)
            else:
                continue
            continuing = line.rstrip().endswith("\\")
        return "\n".join(commands) + "\n"

    def problems(self) -> list[str]:
        """What is wrong with how the block is marked."""
        if self.untested == "":
            return [f"{self.where}: `{MARKER}` needs a reason after it"]
        if self.kind is None and self.language in ("", "text"):
            for line in self.code.splitlines():
                if _COMMAND.match(line):
                    return [
                        f"{self.where}: a block without a language holds a command "
                        f"({line.strip()[:40]!r}); label it sh, console or python"
                    ]
        return []


def blocks_of(path: Path, root: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, in order (list items' indented ones too)."""
    page = path.relative_to(root).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        info = match["info"].strip()
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        language = info.split()[0].lower() if info else ""
        found.append(Block(page, index + 1, language, info, "\n".join(body) + "\n"))
        index = end + 1
    return found
