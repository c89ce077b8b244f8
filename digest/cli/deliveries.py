"""`digest deliveries list`: the delivery ledger, one row per (edition, subscriber).
May import: models, pipeline, and .app/.paging/.times.
"""

from __future__ import annotations

import datetime as dt

import click

from .. import pipeline
from ..models import DELIVERY_STATUSES, Delivery
from .app import App, Commands, pass_app, table
from .paging import echo_json_rows, paging_options, say_more
from .times import local_time, local_zone


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
    or time on. An aligned table with times in the newsroom's timezone, to the second, or --json
    (full ISO stamps); both are written as rows are read.

    A delivery the relay accepted whose hard bounce came back later is listed as bounced, with the
    time it was sent ("bounced (sent 07:00:03)"), and --status bounced lists it; the ledger row
    itself stays sent, so nothing is resent for it. In --json, `status` is the listed state,
    `ledger_status` the row's own and `bounced_at` when the bounce came back.

    Example: digest deliveries list --status uncertain --json
    """
    page = pipeline.delivery_listing(app.db, status=status, edition_key=edition_key, since=since, limit=limit)
    if as_json:
        echo_json_rows(pipeline.delivery_record(d) for d in page.rows)
    else:
        zone = local_zone(app.cfg.timezone)
        table(["edition", "email", "status", "attempts", f"updated ({app.cfg.timezone})", "relay", "last reply"],
              ([d.edition_key, d.email, status_cell(d, zone), d.attempts,
                local_time(d.bounced_at or d.updated_at, zone), d.relay or "", d.last_reply or ""]
               for d in page.rows))
    say_more(page, "deliveries")


def status_cell(d: Delivery, zone: dt.tzinfo) -> str:
    """The listed state; a later bounce says when the delivery went out first."""
    if d.bounced_at is None:
        return d.status
    sent = local_time(d.sent_at, zone, "%H:%M:%S") if d.sent_at else ""
    return f"bounced (sent {sent})" if sent else f"bounced (was {d.status})"


def register(cli: click.Group) -> None:
    cli.add_command(deliveries_group)
