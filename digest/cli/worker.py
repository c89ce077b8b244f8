"""`digest worker`: this host's worker of a fleet on PostgreSQL (README, Running on several hosts), with
one line per batch in its log and, in a terminal, a bar per batch in flight.
May import: pipeline, and .app.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING

import click

from .. import pipeline
from .app import App, pass_app

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID


@click.command(name="worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Batches this worker sends at once (each over the relays' `connections`).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars (there are none unless stderr is a terminal).")
@pass_app
def worker_command(app: App, concurrency: int, quiet: bool) -> None:
    """Send the batches that `digest send` queued ([worker] queue = true), on PostgreSQL, through this
    host's relays, until stopped (SIGINT or SIGTERM finish the batches in flight).

    Before it claims anything it replays this host's journal ([worker] journal, DIGEST_JOURNAL_DIR), as
    `digest send` does after a crash. A worker that dies leaves its batch to another once its lease
    ([worker] lease_seconds) runs out; the messages it may have sent are `uncertain`, never resent blindly.

    It logs one line per batch on stderr (sent, deferred, failed, uncertain, seconds, messages a second;
    -v adds more), and in a terminal shows a bar for each batch it is sending.
    `digest editions show KEY` shows every worker's batches from any host.

    Example: DIGEST_JOURNAL_DIR=/var/lib/digest/journal digest worker --concurrency 4
    """
    logging.getLogger("digest").setLevel(logging.DEBUG if app.verbose else logging.INFO)
    if quiet or not sys.stderr.isatty():
        pipeline.run_worker(app.cfg, concurrency=concurrency)
        return
    with Bars() as bars:
        pipeline.run_worker(app.cfg, concurrency=concurrency, progress=bars)


class Bars:
    """pipeline.BatchProgress as rich bars on stderr, one per batch in flight, with the log lines printed
    above them (through the same console, so a line never lands inside a bar)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=self.console)
        self.tasks: dict[int, TaskID] = {}
        self.lock = threading.Lock()
        self.handlers: list[logging.Handler] = []

    def update(self, batch_id: int, edition_key: str, done: int, total: int) -> None:
        with self.lock:
            task = self.tasks.get(batch_id)
            if task is None:
                task = self.tasks[batch_id] = self.bar.add_task(f"batch {batch_id} of {edition_key}", total=total,
                                                                rate="")
            speed = next(t.speed for t in self.bar.tasks if t.id == task)
            self.bar.update(task, completed=done, total=total, rate=f"{speed:,.0f} msgs/s" if speed else "")

    def end(self, batch_id: int) -> None:
        with self.lock:
            task = self.tasks.pop(batch_id, None)
            if task is not None:
                self.bar.remove_task(task)

    def __enter__(self) -> Bars:
        root = logging.getLogger()
        self.handlers = root.handlers[:]
        shown = _Above(self.console)
        shown.setFormatter(self.handlers[0].formatter if self.handlers else None)
        root.handlers = [shown]
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()
        logging.getLogger().handlers = self.handlers


class _Above(logging.Handler):
    """Log lines as they are without a terminal, printed above the bars."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:       # a log line must never stop the worker
            self.handleError(record)


def register(cli: click.Group) -> None:
    cli.add_command(worker_command)
