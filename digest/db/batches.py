"""Batches (Postgres only): an edition's deliveries cut into batches of about 1,000, each claimed by one
`digest worker` at a time with an owner, an epoch and a lease (digest.pipeline.batch_lease).

A claim is one statement: it takes a batch nobody holds (or whose lease ran out, or whose holder is
known dead) and bumps its epoch; whoever gets the epoch back holds the batch, and nobody else can.
Every ledger write of a batch runs in a transaction that first reads the batch row at that epoch
FOR SHARE (Deliveries.fenced): a takeover's UPDATE waits for it, and once it committed a stale
worker's check finds another epoch and writes nothing. Leases are in the server's time (now()), so
the hosts' clocks need not agree.
May import: clock, models, and .columns/.repository.
"""

from __future__ import annotations

import datetime as dt

from ..clock import now
from ..models import Batch, BatchFence, Delivery
from .columns import ts
from .repository import Repository, Row

NEW = "INSERT INTO batches (edition_id, status, epoch, created_at) VALUES (?, 'queued', 0, ?) RETURNING id"
# One ledger row, in its batch; planned twice (two `digest send` at once), the second is ignored.
INSERT = """INSERT INTO deliveries (edition_id, subscriber_id, status, mix, since, until, since_seq,
    until_seq, message_id, created_at, updated_at, batch_id)
    VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"""
DROP_EMPTY = "DELETE FROM batches b WHERE b.id = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE batch_id = b.id)"
# Two planners of one edition queue here, so one writes its rows and the other finds them written.
PLAN_LOCK = "SELECT pg_advisory_xact_lock(20, CAST(? AS integer))"
SELECT = """SELECT b.id, b.edition_id, e.key, e.date, b.status, b.owner, b.epoch, b.lease_until, b.job_id,
    greatest(0, coalesce(extract(epoch FROM b.lease_until - now()), 0)) AS seconds_left
    FROM batches b JOIN editions e ON e.id = b.edition_id"""
ONE = SELECT + " WHERE b.id = ?"
OF_EDITION = SELECT + " WHERE b.edition_id = ? ORDER BY b.id"
# A batch not done that has no job waiting or running in procrastinate's table (its queueing lock is
# batch-<id>): planned by a `digest send` that died before queueing, or let go with rows still due.
UNATTENDED = SELECT + """ WHERE b.status != 'done' AND (b.lease_until IS NULL OR b.lease_until < now())
    AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.queueing_lock = 'batch-' || b.id
                    AND j.status IN ('todo', 'doing')) ORDER BY b.id LIMIT ?"""
CLAIM = """UPDATE batches SET owner = ?, epoch = epoch + 1, status = 'sending',
    lease_until = now() + make_interval(secs => ?)
    WHERE id = ? AND status != 'done' AND (owner IS NULL OR lease_until < now() OR owner = ?) RETURNING epoch"""
RENEW = "UPDATE batches SET lease_until = now() + make_interval(secs => ?) WHERE id = ? AND owner = ? AND epoch = ?"
FINISH = "UPDATE batches SET status = ?, owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND epoch = ?"
SET_JOB = "UPDATE batches SET job_id = ? WHERE id = ?"
COUNTS = "SELECT status, count(*) FROM deliveries WHERE batch_id = ? GROUP BY status"
COUNT_DUE = """SELECT count(*) FROM deliveries WHERE batch_id = ? AND (status = 'pending' OR
    (status = 'deferred' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))"""
BATCH_OF = "SELECT DISTINCT batch_id FROM deliveries WHERE id = ANY(CAST(? AS bigint[])) AND batch_id IS NOT NULL"
# Left 'sending' by a holder that is gone, and not in this host's journal: the message may have
# reached the relay (uncertain, never resent blindly), or, when the holder's journal is ours, it never did.
ORPHANS_UNCERTAIN = """UPDATE deliveries SET status = 'uncertain', uncertain_reason = 'sender-died', last_reply = ?,
    updated_at = ? WHERE batch_id = ? AND status = 'sending'"""
ORPHANS_BACK = """UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END,
    updated_at = ? WHERE batch_id = ? AND status = 'sending'"""
# procrastinate's tables (digest.pipeline.fleet), applied once however many hosts start at once.
QUEUE_LOCK = "SELECT pg_advisory_xact_lock(21, 0)"
HAS_QUEUE = "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
WORKER_LOST = "worker-lost: the worker holding its batch stopped; the message may have reached the relay"


def batch_of(r: Row) -> Batch:
    return Batch(r[0], r[1], r[2], dt.date.fromisoformat(str(r[3])[:10]), r[4], r[5], r[6], r[7], r[8], float(r[9]))


class Batches(Repository):
    def plan(self, edition_id: int, rows: list[Delivery], size: int) -> tuple[int, list[int]]:
        """Write the rows in batches of `size`, in the caller's transaction: (rows written, batch ids).
        A batch all of whose rows were already planned is not kept."""
        stamp = ts(now())
        written, ids = 0, []
        with self.transaction():
            self.conn.execute(PLAN_LOCK, [edition_id])
            for start in range(0, len(rows), max(1, size)):
                bid = self.conn.execute(NEW, (edition_id, stamp)).fetchone()[0]
                n = self.conn.executemany(INSERT, [
                    (d.edition_id, d.subscriber_id, d.mix, ts(d.since), ts(d.until), d.since_seq, d.until_seq,
                     d.message_id, stamp, stamp, bid) for d in rows[start:start + size]]).rowcount
                if n:
                    written += n
                    ids.append(bid)
                else:
                    self.conn.execute(DROP_EMPTY, [bid])
        return written, ids

    def ensure_queue_schema(self, schema: str) -> bool:
        """Apply the job queue's schema (its SQL, given) unless it is there; True if it was applied now."""
        with self.transaction():
            self.conn.execute(QUEUE_LOCK)
            if self._value(HAS_QUEUE):
                return False
            self.conn.script(schema)        # type: ignore[attr-defined]  # Postgres' Connection has script()
            return True

    def get(self, batch_id: int) -> Batch | None:
        row = self._one(ONE, [batch_id])
        return batch_of(row) if row is not None else None

    def of_edition(self, edition_id: int) -> list[Batch]:
        return [batch_of(r) for r in self._all(OF_EDITION, [edition_id])]

    def unattended(self, limit: int = 100) -> list[Batch]:
        """Batches not done that no live worker holds and that may have no job: to be queued again."""
        return [batch_of(r) for r in self._all(UNATTENDED, [limit])]

    def set_job(self, batch_id: int, job_id: int) -> None:
        with self.transaction():
            self.conn.execute(SET_JOB, (job_id, batch_id))

    def claim(self, batch_id: int, owner: str, seconds: float, *, dead: str | None = None) -> int | None:
        """Take the batch for `seconds`: its new epoch, or None when another holds it (or it is done).
        `dead`: a holder known to be gone (a pid of this host no longer running), taken over at once."""
        with self.transaction():
            # No owner is "": without a dead holder, only a free or expired batch is taken.
            row = self.conn.execute(CLAIM, (owner, float(seconds), batch_id, dead or "")).fetchone()
        return row[0] if row is not None else None

    def renew(self, fence: BatchFence, seconds: float) -> bool:
        """Extend our lease; False when the batch is no longer ours at this epoch."""
        with self.transaction():
            return self.conn.execute(RENEW, (float(seconds), fence.batch_id, fence.owner, fence.epoch)).rowcount == 1

    def finish(self, fence: BatchFence, status: str) -> bool:
        """Let the batch go: 'done', or 'queued' again for another worker (rows still due)."""
        with self.transaction():
            return self.conn.execute(FINISH, (status, fence.batch_id, fence.owner, fence.epoch)).rowcount == 1

    def counts(self, batch_id: int) -> dict[str, int]:
        return {r[0]: r[1] for r in self._all(COUNTS, [batch_id])}

    def count_due(self, batch_id: int) -> int:
        return self._value(COUNT_DUE, (batch_id, ts(now())))

    def batches_of(self, delivery_ids: list[int]) -> list[int]:
        """The batches these deliveries belong to (a journal's)."""
        return [r[0] for r in self._all(BATCH_OF, ["{" + ",".join(str(int(i)) for i in delivery_ids) + "}"])]

    def settle_orphans(self, fence: BatchFence, *, back_to_queue: bool) -> int:
        """Rows the previous holder left 'sending' after its journal (if ours) was replayed: back in the
        queue when that journal was this host's (it proves they never reached a final dot), else uncertain."""
        stamp = ts(now())
        with self.db.deliveries.fenced(fence):      # type: ignore[attr-defined]
            if back_to_queue:
                return self.conn.execute(ORPHANS_BACK, (stamp, fence.batch_id)).rowcount
            return self.conn.execute(ORPHANS_UNCERTAIN, (WORKER_LOST, stamp, fence.batch_id)).rowcount
