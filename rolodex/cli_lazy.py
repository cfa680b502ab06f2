"""Sub-commands imported only when they run.

``rolodex --help`` lists every command with a one-line help, and ``rolodex serve`` needs
none of the data commands' modules: each sub-command kept in a module of its own is
listed here with the line the root help shows, and its module is imported when the
command (or its ``--help``) runs. tests/cli/test_cli.py checks that each line matches
what the loaded command says about itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import typer
from typer.core import TyperCommand


@dataclass(frozen=True)
class Lazy:
    """A sub-command: its name, the line the root help shows, and how to load it (a
    function answering the loaded click command)."""

    name: str
    help: str
    load: Callable[[], Any]


class LazyCommand(TyperCommand):
    """Stands in for a sub-command in the root group: listed with its help line, and
    replaced by the loaded command as soon as it is run."""

    def __init__(self, lazy: Lazy) -> None:
        super().__init__(name=lazy.name, help=lazy.help, short_help=lazy.help)
        self.lazy = lazy

    @cached_property
    def loaded(self) -> Any:
        """The real command (imported on first use)."""
        command = self.lazy.load()
        command.name = self.lazy.name
        return command

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        # The context is the loaded command's, so the group then invokes that command.
        return self.loaded.make_context(info_name, args, parent=parent, **extra)


def command_of(app: typer.Typer) -> Any:
    """The click command (or group) a Typer app stands for, as the root command."""
    return typer.main.get_command(app)


def group_of(app: typer.Typer, name: str) -> Any:
    """The click group a Typer app stands for as the sub-command ``name`` (so without
    the root's options, such as shell completion)."""
    holder = typer.Typer(add_completion=False)
    holder.add_typer(app, name=name)
    return command_of(holder).commands[name]


def single(name: str, function: Callable[..., Any]) -> Any:
    """The click command of one Typer command function."""
    holder = typer.Typer(add_completion=False)
    holder.command(name)(function)
    holder.command("-")(lambda: None)  # two commands: the holder is a group, not `name`
    return command_of(holder).commands[name]


def install(group: Any, lazies: list[Lazy], order: list[str]) -> Any:
    """``group`` with a stand-in for each of ``lazies``, its commands in ``order``."""
    for lazy in lazies:
        group.add_command(LazyCommand(lazy))
    missing = set(group.commands) ^ set(order)
    if missing:
        raise RuntimeError(f"the command order misses or invents {sorted(missing)}")
    group.commands = {name: group.commands[name] for name in order}
    return group
