"""`digest editions list` and `digest editions show KEY`: how far each edition is, across every sender
and worker (README, Running on several hosts).
May import: pipeline, and .app/.paging/.times.
"""

from __future__ import annotations

import datetime as dt

import click

from .. import pipeline
from .app import App, Commands, echo_json, pass_app, table
from .paging import echo_json_rows, paging_options, say_more
from .times import local_time, local_zone

SHOWN = pipeline.PROGRESS_STATES
RELAY_STATES = tuple(s for s in SHOWN if s not in ("pending", "sending"))


@click.group(name="editions", cls=Commands)
def editions_group() -> None:
    """Editions and how far each one is: planned, sent, still due, and who is sending it.

    Example: digest editions show daily-2026-12-07
    """


@editions_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@paging_options
@pass_app
def editions_list(app: App, as_json: bool, limit: int | None, since: dt.datetime | None) -> None:
    """List editions, newest first (the newest 50 unless --limit N or --all), each with its ledger
    rows by status: planned (rows written), sent, sending, pending, deferred, bounced, failed and
    uncertain. --since keeps the editions created from that date or time on.

    Example: digest editions list --limit 5
    """
    page = pipeline.edition_listing(app.db, since=since, limit=limit)
    if as_json:
        echo_json_rows(pipeline.edition_record(e) for e in page.rows)
    else:
        zone = local_zone(app.cfg.timezone)
        table(["edition", f"created ({app.cfg.timezone})", "planned", *SHOWN],
              ([e.key, local_time(e.created_at, zone, "%Y-%m-%d %H:%M"), sum(e.counts.values()),
                *(e.counts.get(s, 0) for s in SHOWN)] for e in page.rows))
    say_more(page, "editions")


@editions_group.command(name="show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_app
def editions_show(app: App, key: str, as_json: bool) -> None:
    """Show how far the edition KEY is, across every sender and worker: its ledger rows by status,
    its batches and which worker holds which now (PostgreSQL: batch, holder host:pid, epoch, lease
    left, rows done of all), the `digest send` holding its lease, and each relay's share (the
    outcomes of the rows it answered for). Read only; run it as often as you like while it sends.

    Example: watch -n 5 digest editions show daily-2026-12-07
    """
    p = pipeline.edition_progress(app.db, key)
    if as_json:
        echo_json(pipeline.progress_record(p))
        return
    e = p.edition
    click.echo(f"Edition {e.key} ({e.frequency}, {e.date.isoformat()})" + (f": {e.title}" if e.title else ""))
    click.echo(f"planned {p.planned:,}: " + ", ".join(f"{s} {p.counts.get(s, 0):,}" for s in SHOWN))
    if p.sender is not None:
        until = local_time(p.sender.expires_at, local_zone(app.cfg.timezone), "%H:%M:%S")
        click.echo(f"digest send on {pipeline.holder(p.sender.owner)[0]} holds its lease (until {until})")
    _batches(p)
    relays = sorted((r, n) for r, n in p.relays.items() if r is not None)
    if relays:
        click.echo("")
        table(["relay", *RELAY_STATES], ([r, *(n.get(s, 0) for s in RELAY_STATES)] for r, n in relays))


def _batches(p: pipeline.EditionProgress) -> None:
    if not p.batches:
        click.echo("batches: none (SQLite: one host, one `digest send`)" if p.dialect == "sqlite" else
                   "batches: none (planned before batches)")
        return
    click.echo(f"batches {sum(p.batches.values()):,}: " +
               f"done {p.batches.get('done', 0):,}, held by a worker {p.batches.get('held', 0):,}, "
               f"waiting {p.batches.get('waiting', 0):,}")
    if not p.held:
        click.echo("no worker holds a batch now")
        return
    click.echo("")
    table(["batch", "worker", "epoch", "lease left", "rows done"],
          ([b.id, pipeline.holder(b.owner)[0], b.epoch, f"{b.seconds_left:.0f} s" if b.seconds_left else "expired",
            f"{b.done}/{b.total}"] for b in p.held))


def register(cli: click.Group) -> None:
    cli.add_command(editions_group)
