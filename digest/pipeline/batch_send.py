"""One batch of an edition sent by a `digest worker` (Postgres), through this host's relays, with the
edition sender (sender.EditionRun) fenced with the batch's epoch instead of the edition's lease.

Before it sends, the new holder settles what the previous one left 'sending': this host's journal of
the batch is replayed (an R is its outcome, a D without R uncertain); what is still 'sending' after
that goes back to the queue when the previous holder wrote its journal here (so the journal proves
those never reached a final dot), and is 'uncertain' otherwise (a worker on another host that died or
stalled: its messages may have reached the relay; never resent blindly, `--resend-uncertain` is the
admin's choice). At most one message per connection, plus the rows it had claimed (one claim of
[send] batch rows), can be uncertain per dead worker.
Only as many connections are opened to a relay as the slots of it this worker holds (relay_slots), so
the relay's `connections` and `rate` are the whole fleet's. A batch whose rows are all sent or waiting
out a back-off ends there instead of holding those connections idle; its deferred rows keep their time,
and the worker's sweep queues the batch again for them.
May import: config, db, errors, models, smtp, and .batch_lease/.editions/.ledger/.messages/.outcomes/.relay_slots/.render_state/.send_edition/.tally.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, RelaySettings
from ..db import Database, faults
from ..errors import LeaseLost, LedgerError
from ..models import Batch
from ..smtp.journal import Journal
from . import ledger
from .batch_lease import BatchLease
from .editions import Plan
from .messages import signer_for
from .outcomes import OnProgress
from .relay_slots import FleetSlots, relay_key
from .render_state import CachedRun
from .send_edition import open_relays
from .tally import Tally

log = logging.getLogger("digest.worker")


@dataclass
class BatchRun:
    batch_id: int
    tally: Tally
    replayed: int = 0          # outcomes from this host's journal of the batch's previous holder
    uncertain: int = 0         # rows the previous holder may have sent: uncertain
    released: int = 0          # rows the previous holder claimed and provably never sent: queued again
    status: str = "done"       # what the batch became: done, or queued (rows still due; another job takes it)
    no_slot: bool = False      # not sent: other workers held every connection its relays allow (relay_slots)


def journal_of(owner: str | None) -> str | None:
    """The journal folder a worker's owner string names (host:pid:nonce:folder)."""
    parts = (owner or "").split(":", 3)
    return parts[3] if len(parts) == 4 else None


def claim(db: Database, batch: Batch, owner: str, seconds: float, *, wait: float) -> BatchLease | None:
    """The batch's lease, waiting up to `wait` seconds for another holder's to run out; None when the
    batch is done, or still held by a live worker after `wait` (it carries on: nothing to do here)."""
    lease = BatchLease(db, batch, owner, seconds)
    deadline = time.monotonic() + wait
    while True:
        if lease.try_claim():
            return lease
        held = db.batches.get(batch.id)
        if held is None or held.status == "done" or time.monotonic() >= deadline:
            return None
        time.sleep(min(1.0, max(0.05, held.seconds_left), max(0.05, deadline - time.monotonic())))


def settle_previous(db: Database, cfg: Config, lease: BatchLease, journal: Path, run: BatchRun) -> None:
    """Bring the batch's rows back to the truth after its previous holder (see the module)."""
    batch, fence = lease.batch, lease.fence
    run.replayed, run.uncertain, files = ledger.replay(db, journal, batch.edition_id, tag=f"b{batch.id}-",
                                                       soft_bounce_limit=cfg.send.soft_bounce_limit, fence=fence)
    ours = lease.previous is not None and journal_of(lease.previous) == str(journal)
    settled = db.batches.settle_orphans(fence, back_to_queue=ours)
    if ours:
        run.released = settled
    else:
        run.uncertain += settled
    for path in files:          # the database now holds everything they said
        path.unlink(missing_ok=True)


def send_batch(db: Database, cfg: Config, lease: BatchLease, relays: list[RelaySettings], journal: Path, *,
               jobs: int = 1, progress: OnProgress | None = None) -> BatchRun:
    """Send the due rows of the claimed batch and let it go: 'done' when none is left to send, else
    'queued' (deferred rows, or relays that refused: a later job sends them). LeaseLost when the batch
    was taken over meanwhile (nothing more was written); LedgerError when a ledger write failed. `jobs`:
    how many batches this worker sends at once (--concurrency): each takes its share of a relay's slots.
    `progress(done, total)` is told a few times a second while it sends. Logs one line when it ends."""
    batch = lease.batch
    run = BatchRun(batch.id, Tally())
    settle_previous(db, cfg, lease, journal, run)
    plan = Plan(batch.edition_id, batch.edition_key, batch.edition_date)
    started = time.monotonic()
    if db.batches.count_due(batch.id):
        slots = FleetSlots(db, lease.owner, lease.seconds, split=jobs)
        lease.renew_too.append(slots.renew)
        try:
            # Bounded, so that a worker asked to stop is not held up for long by a batch that waits.
            mine = slots.take(relays, wait=cfg.worker.lease_seconds / 4, keep_alive=lease.renew_if_due)
            if mine:
                _send(db, cfg, lease, plan, mine, journal, run, slots, progress)
            else:
                run.no_slot = True
        finally:
            lease.renew_too.remove(slots.renew)
            try:
                slots.release()     # after every connection of the batch closed (_send joins them)
            except faults():
                pass                # their lease runs out by itself
    counts = db.batches.counts(batch.id)
    run.tally.uncertain = counts.get("uncertain", 0)
    run.tally.elapsed = time.monotonic() - started
    left = sum(counts.get(s, 0) for s in ("pending", "deferred", "sending"))
    run.status = "queued" if left else "done"
    if not lease.finish(run.status):
        raise LeaseLost(f"batch:{batch.id}", None)
    if run.no_slot:
        log.info("batch %d of %s: every connection its relays allow is held by other workers; queued again",
                 batch.id, batch.edition_key)
    else:
        log.info("%s", batch_line(batch, run, counts))
    return run


def batch_line(batch: Batch, run: BatchRun, counts: dict[str, int]) -> str:
    """The worker's one line per batch: which, what became of its rows this run, how long and how fast,
    and what the batch is now ("queued": rows still due, a later job sends them)."""
    t, seconds = run.tally, max(run.tally.elapsed, 1e-6)
    rate = f"{t.sent / seconds:,.0f} msgs/s" if t.sent else "nothing sent"
    extra = "".join(f", {what} {n}" for what, n in (("replayed", run.replayed), ("queued again", run.released)) if n)
    return (f"batch {batch.id} of {batch.edition_key}: sent {t.sent}, deferred {counts.get('deferred', 0)}, "
            f"failed {counts.get('failed', 0)}, uncertain {counts.get('uncertain', 0)}{extra} in "
            f"{t.elapsed:.1f} s ({rate}); {run.status}")


def _send(db: Database, cfg: Config, lease: BatchLease, plan: Plan, relays: list[RelaySettings], journal: Path,
          run: BatchRun, slots: FleetSlots, progress: OnProgress | None = None) -> None:
    """The batch's due rows through `relays` (each with the connections of the slots held); returns once
    every connection is closed, so the slots may go to another worker (with each relay's pace)."""
    batch = lease.batch

    def only_retries_left() -> bool:
        """Every row sent or waiting out a back-off: rather than hold the fleet's connections idle until
        then, the batch ends; its deferred rows keep their time and a later job sends them (the sweep)."""
        return (sender.outstanding == 0 and not sender.feed and all(c is None for c in sender.cursor.values())
                and bool(sender.retry) and sender.retry[0][0] > time.monotonic() + 1.0)
    # BatchLease has the Lease face EditionRun needs; the process keeps the edition's renders (render_state).
    sender = CachedRun(db, cfg, plan, lease, run.tally,  # type: ignore[arg-type]
                        should_stop=only_retries_left, progress=progress)
    sender.signer = signer_for(cfg)
    opened = open_relays(sender, cfg, relays)
    sender.total = db.batches.count_due(batch.id)
    names = [r.name for r, _ in opened for _ in range(r.connection_count)]      # one journal file each
    journal.mkdir(parents=True, exist_ok=True)
    files = Journal(journal, plan.edition_id, names, tag=f"b{batch.id}-")
    try:
        sender.run(opened, files)
    finally:
        files.close(remove=sender.committed)
        if sender.pool is not None:
            sender.pool.join(max(r.smtp.timeout for r in relays) + 5)
            slots.pace = {relay_key(lane.settings): lane.pacer.next_in for lane in sender.pool.lanes}
    if isinstance(sender.error, (LedgerError, LeaseLost)):
        raise sender.error
