"""Workers on several hosts (Postgres): planning queues one procrastinate job per batch, and
`digest worker` runs procrastinate's worker, whose one task claims its batch and sends it
(batch_send). procrastinate is the job queue only (jobs claimed with SKIP LOCKED, a worker's heartbeat,
stalled jobs found); fencing is ours (batch_lease), since procrastinate lets a paused worker finish a
job another has taken since.

procrastinate's schema lives in the same database, applied by `digest worker` and by the first
planning that queues (ensure_schema), under an advisory lock so two hosts starting at once apply it
once. A worker, before it claims anything, replays its host's journal (replay_journal). While it runs,
every stalled_after / 2 seconds it retries the jobs of workers that stopped sending heartbeats, and
queues a job for any batch that has none (planned by a `digest send` that died before queueing).
May import: config, db, errors, and .batch_send/.lease/.relays/.tally.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Protocol

from ..config import Config
from ..db import Database
from ..errors import DigestError, LeaseLost
from .batch_send import BatchRun, claim, send_batch, settle_previous
from .lease import new_owner
from .relays import relays_for
from .tally import Tally

log = logging.getLogger("digest.worker")
TASK = "digest.send_batch"
QUEUE = "digest"
JOURNAL_FILE = re.compile(r"e(\d+)-b(\d+)-")


def queue_app(url: str) -> Any:
    """procrastinate's App on the database of `url` (its password included: the connector needs it)."""
    import procrastinate
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))


def ensure_schema(db: Database) -> None:
    """procrastinate's tables, once per database (see the module)."""
    from procrastinate.schema import SchemaManager
    db.batches.ensure_queue_schema(SchemaManager.get_schema())


def queue_batches(db: Database, cfg: Config, batch_ids: list[int]) -> int:
    """One job per batch (a batch that has a job waiting gets no second: procrastinate's queueing lock);
    returns how many were queued. A batch whose job could not be queued is found by a worker's sweep."""
    if not batch_ids:
        return 0
    from procrastinate.exceptions import AlreadyEnqueued
    ensure_schema(db)
    queued = 0
    app_ = queue_app(cfg.db)
    with app_.open():
        for bid in batch_ids:
            try:
                job = app_.configure_task(TASK, queue=QUEUE, queueing_lock=f"batch-{bid}").defer(batch_id=bid)
            except AlreadyEnqueued:
                continue
            db.batches.set_job(bid, job)
            queued += 1
    return queued


class BatchProgress(Protocol):
    """What a face shows of the batches a worker sends (a bar per batch, in a terminal); called from the
    job's thread, a few times a second per batch."""
    def update(self, batch_id: int, edition_key: str, done: int, total: int) -> None: ...
    def end(self, batch_id: int) -> None: ...


class Worker:
    """`digest worker`: this host's relays and journal, one procrastinate worker of `concurrency` jobs."""

    def __init__(self, cfg: Config, *, concurrency: int = 1, progress: BatchProgress | None = None):
        self.cfg, self.concurrency, self.progress = cfg, max(1, concurrency), progress
        self.journal = cfg.worker.journal.resolve()
        self.relays = relays_for(cfg)
        self.owner = f"{new_owner()}:{self.journal}"     # the worker's name; each claim has an owner of its own
        self.totals = Tally()

    def holder(self) -> str:
        """Who holds a claim (host:pid:nonce:journal), new for every claim, so that two jobs of one batch in
        this process (a retried job, a second `digest send`) never both hold it."""
        return f"{new_owner()}:{self.journal}"

    def open(self) -> Database:
        return Database.open(self.cfg.db, create=False)

    def send(self, batch_id: int) -> str:
        """The task: claim the batch (waiting out another holder's lease) and send it."""
        db = self.open()
        try:
            batch = db.batches.get(batch_id)
            if batch is None or batch.status == "done":
                return "done already"
            w = self.cfg.worker
            lease = claim(db, batch, self.holder(), w.lease_seconds, wait=2 * w.lease_seconds)
            if lease is None:
                return "held by another worker, or done"
            shown = self.progress
            told = None if shown is None else (lambda done, total: shown.update(batch_id, batch.edition_key,
                                                                                done, total))
            try:
                run = send_batch(db, self.cfg, lease, self.relays, self.journal, jobs=self.concurrency,
                                 progress=told)
            except LeaseLost as exc:
                log.error("batch %d: %s; stopped, nothing more written", batch_id, exc.message)
                return "lost"
            finally:
                if shown is not None:
                    shown.end(batch_id)
            self.totals.merge(run.tally)
            if run.no_slot:       # a job of its own again (this one still runs, so the queueing lock allows it)
                queue_batches(db, self.cfg, [batch_id])
            return run.status
        finally:
            db.close()

    def replay_journal(self) -> int:
        """Before claiming anything: every batch this host's journal names is claimed once it is free (a
        dead holder's pid, or an expired lease), its journal replayed and the batch let go; returns how many."""
        found = {int(m.group(2)) for p in self.journal.glob("e*-b*-*.log") if (m := JOURNAL_FILE.match(p.name))}
        db = self.open()
        done = 0
        try:
            for bid in sorted(found):
                batch = db.batches.get(bid)
                if batch is None or batch.status == "done":
                    for path in self.journal.glob(f"e{batch.edition_id if batch else '*'}-b{bid}-*.log"):
                        path.unlink(missing_ok=True)
                    continue
                lease = claim(db, batch, self.holder(), self.cfg.worker.lease_seconds,
                              wait=2 * self.cfg.worker.lease_seconds)
                if lease is None:
                    continue
                run = BatchRun(bid, Tally())
                settle_previous(db, self.cfg, lease, self.journal, run)
                lease.finish("queued" if db.batches.count_due(bid) else "done")
                log.info("batch %d: replayed %d outcomes from this host's journal, %d uncertain, %d queued again",
                         bid, run.replayed, run.uncertain, run.released)
                done += 1
        finally:
            db.close()
        return done

    async def retry_stalled(self, app_: Any) -> None:
        """Retry the jobs of workers that stopped (their heartbeats did): the retry waits out the lease."""
        for job in await app_.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.cfg.worker.stalled_after):
            log.warning("job %s (batch %s) stalled: its worker stopped; retried", job.id, job.task_kwargs)
            await app_.job_manager.retry_job(job)

    def requeue_unattended(self) -> None:
        db = self.open()
        try:
            ids = [b.id for b in db.batches.unattended()]
            if ids:
                queue_batches(db, self.cfg, ids)
        finally:
            db.close()

    def run(self) -> None:
        """Replay, then work until SIGINT or SIGTERM (procrastinate's handlers finish the jobs in flight)."""
        db = self.open()
        try:
            if db.dialect != "postgres":
                raise DigestError(f"digest worker needs PostgreSQL; DIGEST_DB is the SQLite file {db.path}.",
                                  "On one host `digest send` sends by itself. For several, move the store with "
                                  "`digest db copy` and set DIGEST_DB=postgresql://... (README, Running on several hosts).")
            ensure_schema(db)
        finally:
            db.close()
        self.journal.mkdir(parents=True, exist_ok=True)
        self.replay_journal()
        app_ = queue_app(self.cfg.db)
        app_.task(name=TASK, queue=QUEUE)(self.send)
        log.info("worker %s: %d at a time, journal %s", self.owner.rsplit(":", 1)[0], self.concurrency, self.journal)
        asyncio.run(self._main(app_))

    async def _main(self, app_: Any) -> None:
        w = self.cfg.worker
        async with app_.open_async():
            sweeper = asyncio.create_task(self._sweep_loop(app_))
            try:
                await app_.run_worker_async(queues=[QUEUE], concurrency=self.concurrency, name=self.owner[:60],
                                            update_heartbeat_interval=max(0.2, w.stalled_after / 4),
                                            stalled_worker_timeout=w.stalled_after, wait=True)
            finally:
                sweeper.cancel()

    async def _sweep_loop(self, app_: Any) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.cfg.worker.stalled_after / 2))
            try:
                await self.retry_stalled(app_)
                await asyncio.to_thread(self.requeue_unattended)
            except (DigestError, OSError, RuntimeError) as exc:
                log.warning("sweep: %s", exc)
            except Exception as exc:        # a database hiccup must not stop the worker
                log.warning("sweep: %s: %s", type(exc).__name__, exc)


def run_worker(cfg: Config, *, concurrency: int = 1, progress: BatchProgress | None = None) -> None:
    """`digest worker`: this host's worker, until SIGINT or SIGTERM; `progress` is told how each batch goes."""
    Worker(cfg, concurrency=concurrency, progress=progress).run()
