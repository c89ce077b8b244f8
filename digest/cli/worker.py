"""`digest worker`: this host's worker of a fleet on PostgreSQL (README, Running on several hosts).
May import: pipeline, and .app.
"""

from __future__ import annotations

import click

from .. import pipeline
from .app import App, pass_app


@click.command(name="worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Batches this worker sends at once (each over the relays' `connections`).")
@pass_app
def worker_command(app: App, concurrency: int) -> None:
    """Send the batches that `digest send` queued ([worker] queue = true), on PostgreSQL, through this
    host's relays, until stopped (SIGINT or SIGTERM finish the batches in flight).

    Before it claims anything it replays this host's journal ([worker] journal, DIGEST_JOURNAL_DIR), as
    `digest send` does after a crash. A worker that dies leaves its batch to another once its lease
    ([worker] lease_seconds) runs out; the messages it may have sent are `uncertain`, never resent blindly.

    Example: DIGEST_JOURNAL_DIR=/var/lib/digest/journal digest worker --concurrency 4
    """
    pipeline.run_worker(app.cfg, concurrency=concurrency)


def register(cli: click.Group) -> None:
    cli.add_command(worker_command)
