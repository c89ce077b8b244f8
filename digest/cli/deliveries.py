"""`digest deliveries list`: the delivery ledger, one row per (edition, subscriber).
May import: models, pipeline, and .app/.paging.
"""

from __future__ import annotations

import datetime as dt

import click

from .. import pipeline
from ..models import DELIVERY_STATUSES
from .app import App, Commands, pass_app
from .paging import echo_json_rows, paging_options, say_more


@click.group(name="deliveries", cls=Commands)
def deliveries_group() -> None:
    """The delivery ledger: who was sent which edition, and what the relay said.

    Example: digest deliveries list --status uncertain
    """


@deliveries_group.command(name="list")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), help="Only deliveries in this state.")
@click.option("--edition", "edition_key", metavar="KEY", help="Only this edition, e.g. daily-2026-11-25.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@paging_options
@pass_app
def deliveries_list(app: App, status: str | None, edition_key: str | None, as_json: bool, limit: int | None,
                    since: dt.datetime | None) -> None:
    """List deliveries, newest edition first and newest first within it: the newest 50 unless
    --limit N or --all, and how many more. --since keeps those written to the ledger from that date
    or time on. Tab-separated, or --json; both are written as rows are read.

    Example: digest deliveries list --status uncertain --json
    """
    page = pipeline.delivery_listing(app.db, status=status, edition_key=edition_key, since=since, limit=limit)
    if as_json:
        echo_json_rows(page.rows)
    else:
        cols = ("edition", "email", "status", "attempts", "updated_at", "relay", "last_reply")
        click.echo("\t".join(cols))
        for r in page.rows:
            click.echo("\t".join("" if r[c] is None else str(r[c]) for c in cols))
    say_more(page, "deliveries")


def register(cli: click.Group) -> None:
    cli.add_command(deliveries_group)
