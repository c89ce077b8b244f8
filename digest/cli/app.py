"""Shared state for one CLI invocation: the configuration and, lazily, the database (opened through
digest.pipeline), the ways a command writes to the terminal, and the command groups' guess at a mistyped command.
May import: config, errors, pipeline.
"""

from __future__ import annotations

import difflib
import itertools
import json
import sys
from collections.abc import Iterable
from typing import Any

import click

from .. import config, pipeline


class Commands(click.Group):
    """A group that answers a mistyped command with one guess, in our quotes:
    `No such command "sned". Did you mean "send"?` (click's own says it in its own words)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            known = self.list_commands(ctx)
            guesses = difflib.get_close_matches(name.lower(), known, n=2, cutoff=0.6)
            quoted = " or ".join(f'"{g}"' for g in guesses)
            ctx.fail(f'No such command "{name}".' + (f" Did you mean {quoted}?" if guesses else
                                                      f" Commands: {', '.join(known)}."))
        return super().resolve_command(ctx, args)


class App:
    def __init__(self, config_path: str | None, verbose: bool):
        self.config_path = config_path
        self.verbose = verbose
        self._cfg: config.Config | None = None
        self._db: pipeline.Database | None = None

    @property
    def cfg(self) -> config.Config:
        if self._cfg is None:
            self._cfg = config.load(self.config_path)
        return self._cfg

    @property
    def db(self) -> pipeline.Database:
        """The database; it must have been created (and migrated) by `digest init`."""
        if self._db is None:
            self._db = pipeline.open_database(self.cfg)
        return self._db

    def init_db(self) -> list[str]:
        """Create or migrate the database (a new one gets the default topics); the migrations applied."""
        self._db, applied = pipeline.init_database(self.cfg)
        return applied


pass_app = click.make_pass_decorator(App)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def say(message: str) -> None:
    """Chatter goes to stderr so stdout stays data."""
    click.echo(message, err=True)


def table(headers: list[str], rows: Iterable[list], *, measure: int = 1000) -> None:
    """A plain aligned table on stdout, written as rows come: columns are as wide as the widest
    cell of the first `measure` rows (a longer cell later only pushes its line out)."""
    it = iter(rows)
    head = [[str(c) for c in r] for r in itertools.islice(it, measure)]
    cells = [[str(c) for c in headers]] + head
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> None:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())

    for n, r in enumerate(cells):
        line(r)
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    for r in it:
        line([str(c) for c in r])
    sys.stdout.flush()


def finish(errors: list, summary: str) -> None:
    """The end of a command that processes many rows: one `Error:` line per bad row, then the
    summary; exit 1 if any row failed (the good ones were processed all the same)."""
    for err in errors:
        click.echo(f"Error: {err.message}", err=True)
    say(summary)
    if errors:
        sys.exit(1)
