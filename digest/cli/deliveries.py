"""`digest deliveries list`: the delivery ledger, one row per (edition, subscriber).
May import: models, pipeline, and .app.
"""

from __future__ import annotations

import json

import click

from .. import pipeline
from ..models import DELIVERY_STATUSES
from .app import App, pass_app


@click.group(name="deliveries")
def deliveries_group() -> None:
    """The delivery ledger: who was sent which edition, and what the relay said.

    Example: digest deliveries list --status uncertain
    """


@deliveries_group.command(name="list")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), help="Only deliveries in this state.")
@click.option("--edition", "edition_key", metavar="KEY", help="Only this edition, e.g. daily-2026-11-25.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@pass_app
def deliveries_list(app: App, status: str | None, edition_key: str | None, as_json: bool) -> None:
    """List deliveries, newest edition first (streamed: fine for a list of 100,000).

    Example: digest deliveries list --status uncertain --json
    """
    rows = pipeline.deliveries(app.db, status=status, edition_key=edition_key)
    if as_json:
        # Streamed JSON array: one object per line, never the whole list in memory.
        click.echo("[", nl=False)
        for n, r in enumerate(rows):
            click.echo(("," if n else "") + "\n  " + json.dumps(r, ensure_ascii=False), nl=False)
        click.echo("\n]")
        return
    cols = ("edition", "email", "status", "attempts", "updated_at", "relay", "last_reply")
    click.echo("\t".join(cols))
    for r in rows:
        click.echo("\t".join("" if r[c] is None else str(r[c]) for c in cols))


def register(cli: click.Group) -> None:
    cli.add_command(deliveries_group)
