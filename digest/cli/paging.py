"""How every listing pages: the newest 50 by default, `--limit N`, `--all`, `--since`, a closing
line on stderr saying how many rows were left out, and JSON written row by row as rows are read.
May import: .app.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from typing import Any, Protocol

import click

from .app import say

DEFAULT_LIMIT = 50


class IsoTime(click.ParamType):
    """An ISO date (midnight UTC) or time; a time without an offset is UTC, as stored."""
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            at = dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or time (e.g. 2026-03-01 or 2026-03-01T08:00:00Z).",
                      param, ctx)
        return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def paging_options(command):
    """Add --limit, --all and --since; the command gets `limit` (None with --all) and `since`."""
    @click.option("--limit", type=click.IntRange(min=1), help=f"Show the newest N (default {DEFAULT_LIMIT}).")
    @click.option("--all", "show_all", is_flag=True, help="Show every row.")
    @click.option("--since", type=IsoTime(), help="Only rows from this ISO date or time on (UTC unless it says).")
    @functools.wraps(command)
    def wrapper(*args: Any, limit: int | None, show_all: bool, **kwargs: Any) -> Any:
        if show_all and limit is not None:
            raise click.UsageError("--all and --limit exclude each other.")
        return command(*args, limit=None if show_all else (limit or DEFAULT_LIMIT), **kwargs)
    return wrapper


def echo_json_rows(rows: Iterable[dict]) -> None:
    """A JSON list written as its rows come: the same text as `echo_json(list(rows))`, without
    holding the list."""
    first = True
    for row in rows:
        text = json.dumps(row, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  ")
        click.echo(("[\n  " if first else ",\n  ") + text, nl=False)
        first = False
    click.echo("[]" if first else "\n]")


class _Paged(Protocol):
    """What say_more reads of a pipeline listing (a digest.page.Page)."""
    @property
    def more(self) -> int: ...


def say_more(page: _Paged, what: str) -> None:
    """The closing line of a page that left rows out (stderr, so stdout stays data)."""
    if page.more:
        say(f"… {page.more:,} more {what}; --all to list them, --limit N for more")
