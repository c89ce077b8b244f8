"""A worker's hold on one batch (Postgres): claimed with an owner and a new epoch, renewed every third
of its length from the sender's loop, and the fence of every ledger write of the batch
(digest.db.batches). The same face as digest.pipeline.lease.Lease (`fence`, `valid()`,
`renew_if_due()`, `lost`), so the edition sender (sender.EditionRun) sends a batch unchanged. The
batch's relay slots (relay_slots) are renewed with it, right after it.

`valid()` is this process's own view (monotonic clock, a tenth short of the lease): a worker that
was stopped (SIGSTOP, a paused VM) past its lease sends no further message when it wakes, before it
has even asked the database, and its next write finds its epoch gone.
May import: errors, models, digest.db, and .lease.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..db import Database
from ..errors import LeaseLost
from ..models import Batch, BatchFence
from .lease import holder_is_dead


class BatchLease:
    def __init__(self, db: Database, batch: Batch, owner: str, seconds: float):
        self.db, self.batch, self.owner, self.seconds = db, batch, owner, max(1.0, float(seconds))
        self.fence = BatchFence(batch.id, owner, 0)
        self.previous = batch.owner       # who held it before us (their journal may be ours)
        self.lost = False
        self.renew_too: list[Callable[[], None]] = []    # leases held with this one (the batch's relay slots)
        self._renewed = self._valid_until = 0.0

    def try_claim(self) -> bool:
        """Take the batch if nobody holds it, its lease ran out, or its holder is a dead pid of this host."""
        started = time.monotonic()
        held = self.db.batches.get(self.batch.id)
        if held is None or held.status == "done":
            return False
        dead = held.owner if held.owner and holder_is_dead(held.owner) else None
        epoch = self.db.batches.claim(self.batch.id, self.owner, self.seconds, dead=dead)
        if epoch is None:
            return False
        self.previous, self.batch = held.owner, held
        self.fence = BatchFence(self.batch.id, self.owner, epoch)
        self._mark(started)
        return True

    def _mark(self, started: float) -> None:
        self._renewed = started
        self._valid_until = started + self.seconds * 0.9

    def valid(self) -> bool:
        return not self.lost and time.monotonic() < self._valid_until

    def renew_if_due(self) -> None:
        if time.monotonic() - self._renewed < self.seconds / 3:
            return
        started = time.monotonic()
        if not self.db.batches.renew(self.fence, self.seconds):
            self.lost = True
            held = self.db.batches.get(self.batch.id)
            raise LeaseLost(f"batch:{self.batch.id}", held.owner if held else None)
        for renew in self.renew_too:        # after the batch's: theirs never run out before it
            renew()
        self._mark(started)

    def finish(self, status: str) -> bool:
        """Let the batch go ('done', or 'queued' for another worker); False if it was no longer ours."""
        return not self.lost and self.db.batches.finish(self.fence, status)
