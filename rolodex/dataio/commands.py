"""``rolodex import`` and ``rolodex export``: data commands that talk
to any Rolodex server through the client library (``--url``/``--api-key``, or
``ROLODEX_URL``/``ROLODEX_API_KEY``). A failure is one ``error: …`` line, with exit
code 2 for a wrong argument and 1 otherwise."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from rolodex.client import Rolodex, RolodexError
from rolodex.dataio.exporter import export
from rolodex.dataio.formats import FormatError, UsageError, format_of, parse_mapping
from rolodex.dataio.importer import BATCH_SIZE, CONCURRENCY, import_rows, open_rows
from rolodex.dataio.kinds import KINDS, DataKind

import_app = typer.Typer(
    help="Import contacts, companies, tasks or notes from CSV or JSON Lines.",
    no_args_is_help=True,
)
err = Console(stderr=True)

Url = Annotated[
    str,
    typer.Option("--url", envvar="ROLODEX_URL", help="The server's base URL."),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="ROLODEX_API_KEY", help="An API key (rdx_k_…)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FormulaEscape = Annotated[
    bool,
    typer.Option(
        "--formula-escape/--no-formula-escape",
        help="CSV: a ' before cells a spreadsheet would run as formulas (=, +, -, @, tab, "
        "CR) on export, stripped again on import. Turn off for machine consumers.",
    ),
]
TIMEOUT = 300.0
SHOWN_REJECTED = 50


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


class ExportKind(StrEnum):
    contacts = "contacts"
    companies = "companies"
    tasks = "tasks"
    notes = "notes"


class Mode(StrEnum):
    upsert = "upsert"
    create = "create"


class MatchOn(StrEnum):
    email = "email"
    id = "id"


def register(app: typer.Typer) -> None:
    """Add the data commands to the ``rolodex`` command."""
    app.add_typer(import_app, name="import")
    app.command("export")(export_command)


@contextmanager
def _failures() -> Iterator[None]:
    """Any failure as one ``error:`` line; exit code 2 for a wrong argument, else 1."""
    try:
        yield
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except (RolodexError, FormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


def _client(url: str, api_key: str | None) -> Rolodex:
    if not api_key:
        raise UsageError("an API key is needed: --api-key or ROLODEX_API_KEY")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://, not {url!r}")
    # A batch of 250 can take a while on a busy server: a short timeout would only make
    # the retry meet the first attempt still running (409) instead of its answer.
    return Rolodex(api_key, base_url=url, timeout=TIMEOUT, max_retries=5)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not enabled,
        transient=False,
    )


def _import_command(kind: DataKind) -> Callable[..., None]:
    """The ``rolodex import <kind>`` command."""

    def command(
        file: Annotated[Path, typer.Argument(help="A .csv or .jsonl file.")],
        url: Url = "http://127.0.0.1:8000",
        api_key: ApiKeyOption = None,
        file_format: Annotated[
            FileFormat | None, typer.Option("--format", help="Default: from the extension.")
        ] = None,
        map_: Annotated[
            list[str] | None,
            typer.Option(
                "--map",
                help="COLUMN=FIELD (address.city, custom_fields.KEY, company_name too), or "
                "COLUMN=- to skip a column; repeatable.",
            ),
        ] = None,
        mode: Annotated[
            Mode, typer.Option(help="upsert: update the records matched by --match-on.")
        ] = Mode.upsert,
        match_on: Annotated[
            MatchOn | None,
            typer.Option(
                help="How upsert finds a record: email (the default of contacts and companies) "
                "or id (the only one of tasks and notes)."
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")
        ] = False,
        report: Annotated[
            Path | None, typer.Option(help="Write rejected rows (line, reason) to this CSV file.")
        ] = None,
        batch_size: Annotated[int, typer.Option(min=1, max=BATCH_SIZE)] = BATCH_SIZE,
        concurrency: Annotated[
            int, typer.Option(min=1, max=16, help="Requests in flight at once.")
        ] = CONCURRENCY,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
        formula_escape: FormulaEscape = True,
    ) -> None:
        with _failures():
            if match_on is not None and match_on.value not in kind.match_on:
                raise UsageError(
                    f"--match-on {match_on.value}: {kind.name} are matched on "
                    f"{' or '.join(kind.match_on)}"
                )
            if not file.is_file():
                raise UsageError(f"{file} is not a readable file")
            fmt = format_of(str(file), file_format.value if file_format else None)
            client = _client(url, api_key)
            mapping = parse_mapping(map_ or [])
            opened = open_rows(file, fmt, mapping, kind, formula_escape=formula_escape)
            with _progress(progress) as bar:
                task = bar.add_task("dry run" if dry_run else "importing", total=None)
                result = import_rows(
                    client,
                    kind,
                    opened,
                    mode=mode.value,
                    match_on=match_on.value if match_on else None,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    concurrency=concurrency,
                    on_start=lambda total: bar.update(task, total=total),
                    on_progress=lambda lines: bar.update(task, completed=lines),
                )
            if report is not None:
                with report.open("w", newline="", encoding="utf-8") as out:
                    writer = csv.writer(out)
                    writer.writerow(["line", "reason"])
                    for rejected in result.rejected:
                        writer.writerow([rejected.line, rejected.reason()])
        if as_json:
            print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        print(result.summary())
        for rejected in result.rejected[:SHOWN_REJECTED]:
            print(f"  line {rejected.line}: {rejected.reason()}")
        if len(result.rejected) > SHOWN_REJECTED:
            print(f"  … and {len(result.rejected) - SHOWN_REJECTED} more (see --report)")
        for notice in result.notices:
            print(f"  notice: {notice}")

    command.__doc__ = (
        f"Import {kind.name} from CSV or JSON Lines (upsert by {kind.match_on[0]} by default)."
    )
    return command


for _kind in KINDS.values():
    import_app.command(_kind.name)(_import_command(_kind))


def export_command(
    kind: Annotated[ExportKind, typer.Argument(help="contacts, companies, tasks or notes.")],
    file: Annotated[
        str, typer.Argument(help="Output file (.csv, .jsonl or .ndjson), or - for stdout.")
    ],
    url: Url = "http://127.0.0.1:8000",
    api_key: ApiKeyOption = None,
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="Default: from the extension.")
    ] = None,
    updated_after: Annotated[
        str | None, typer.Option(help="Only records changed after this ISO 8601 time.")
    ] = None,
    include_deleted: Annotated[
        bool, typer.Option(help="Include deleted records (with deleted_at).")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    formula_escape: FormulaEscape = True,
) -> None:
    """Export every record of a kind, oldest change first."""
    data_kind = KINDS[kind.value]
    with _failures():
        fmt = format_of(file, file_format.value if file_format else None)
        client = _client(url, api_key)
        to_stdout = file == "-"
        target = (
            nullcontext(sys.stdout)
            if to_stdout
            else open(  # noqa: SIM115
                file, "w", newline="", encoding="utf-8"
            )
        )
        with target as out, _progress(progress and not to_stdout) as bar:
            task = bar.add_task(f"exporting {kind.value}", total=None)
            result = export(
                client,
                data_kind,
                out,
                file_format=fmt,
                updated_after=updated_after,
                include_deleted=include_deleted,
                formula_escape=formula_escape,
                on_start=lambda total: bar.update(task, total=total),
                on_progress=lambda rows: bar.update(task, completed=rows),
            )
    # On stdout the data is the output: what was done goes to stderr.
    said = sys.stderr if to_stdout else sys.stdout
    print(
        f"{data_kind.plural(result.rows)} written to {'stdout' if to_stdout else file}", file=said
    )
    if result.newest_updated_at:
        print(f"next incremental export: --updated-after {result.newest_updated_at}", file=said)
    for notice in result.notices:
        print(f"notice: {notice}", file=sys.stderr)
