"""What an import did: counts by outcome, the rejected rows with every reason, notices,
and the summary line, worded for one row or many."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


def plural(count: int, one: str, many: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {one if count == 1 else many}"


@dataclass
class Rejected:
    """A row that was not written, and why."""

    line: int
    problems: list[dict[str, Any]]

    def reason(self) -> str:
        """The reasons as one line."""
        return "; ".join(
            f"{p['field']}: {p['message']}" if p.get("field") else str(p["message"])
            for p in self.problems
        )


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows read (blank lines excluded)."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.counts["created"],
            "updated": self.counts["updated"],
            "unchanged": self.counts["unchanged"],
            "rejected": [{"line": r.line, "reason": r.reason()} for r in self.rejected],
            "notices": self.notices,
        }

    def summary(self) -> str:
        """``1 row: 1 was created, 0 updated, 0 unchanged, 0 rejected``."""
        created = self.counts["created"]
        verb = "would be" if self.dry_run else ("was" if created == 1 else "were")
        return (
            f"{plural(self.rows, 'row', 'rows')}: {created} {verb} created, "
            f"{self.counts['updated']} updated, {self.counts['unchanged']} unchanged, "
            f"{len(self.rejected)} rejected"
        )
