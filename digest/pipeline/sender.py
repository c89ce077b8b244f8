"""One run of one edition's send: claim rows in batches, feed the connection pool, retry with
back-off, and record outcomes in batches, every ledger write fenced with the lease.

The first fault that must stop the run is kept in `error` and reported by send_edition after the
messages in flight are recorded: RelayError (the relay refused us, or was lost), LedgerError (a
ledger or journal write failed: from then on nothing more is written, and the journal is kept),
LeaseLost (another sender took the edition over: nothing more is sent or written, at once).
A message that cannot be built is never the recipient's fault: its row goes back to the queue.
May import: clock, config, db, errors, journal, message, models, smtp, and .bodies/.ledger/
.messages/.outcomes/.tally.
"""

from __future__ import annotations

import heapq
import queue
import sqlite3
import time
from collections.abc import Callable

from .. import message
from ..clock import now
from ..config import Config
from ..db import Database
from ..errors import DigestError, LeaseLost, LedgerError, RelayError
from ..journal import Journal
from ..models import Delivery, Window
from ..smtp import AddressError, Job, Outcome, Pacer, Pool, Relay, smtp_address
from . import ledger
from .bodies import render_group
from .editions import Plan
from .lease import Lease
from .messages import DateHeader, Group, fast_message, prepare_group, return_path
from .outcomes import settle_outcome
from .tally import Tally


class Claimed:
    """One claimed delivery on its way through the pool."""
    __slots__ = ("id", "subscriber_id", "email", "name", "message_id", "attempts", "created_at", "group", "tries",
                 "requeues", "unbuilt")

    def __init__(self, d: Delivery, group: Group):
        self.id, self.subscriber_id, self.email, self.name = d.id, d.subscriber_id, d.email, d.name
        self.message_id, self.attempts, self.created_at = d.message_id, d.attempts, d.created_at
        self.group, self.tries, self.requeues = group, 0, 0
        self.unbuilt: BaseException | None = None   # set by the worker when building this message raised


class EditionRun:
    def __init__(self, db: Database, cfg: Config, plan: Plan, lease: Lease, tally: Tally, *,
                 should_stop=None, progress=None, on_message=None):
        self.db, self.cfg, self.plan, self.s, self.lease, self.tally = db, cfg, plan, cfg.send, lease, tally
        self.should_stop, self.progress, self.on_message = should_stop, progress, on_message
        self.groups: dict[Window, Group] = {}
        self.buffer: list[tuple] = []
        self.unclaimed: list[int] = []
        self.retry: list[tuple[float, int, Claimed]] = []
        self.cursor = {"deferred": 0, "pending": 0}
        self.feed: list[Claimed] = []
        self.outstanding = self.done = self.total = 0
        self.last_flush = self.last_progress = time.monotonic()
        self.date = DateHeader()
        self.signer: message.Signer | None = None
        self.error: DigestError | None = None
        self.writable = True          # False once a ledger write failed or the lease was lost
        self.committed = False        # the final flush reached the database: the journal may go
        self.refusals = 0             # requeues about us in a row, nothing sent between
        self.stopping = False
        self.unbuilt: list[Claimed] = []  # rows whose message could not be built: back to the queue

    def group(self, window: Window) -> Group:
        if window not in self.groups:
            body = render_group(self.db, self.cfg, self.plan.key, self.plan.date, window)
            self.groups[window] = prepare_group(self.cfg, body)
        return self.groups[window]

    def _db(self, fn, *args, **kw):
        """A fenced ledger write. A failure stops the run and every later write (see the module)."""
        if not self.writable:
            raise self.error
        t = time.perf_counter()
        try:
            return fn(*args, fence=self.lease.fence, **kw)
        except LeaseLost as exc:
            self.lease.lost = True
            self.fail(exc)
            raise
        except sqlite3.Error as exc:
            self.fail(ledger.ledger_error(self.db, self.s, exc))
            raise self.error from None
        finally:
            self.tally.bookkeeping += time.perf_counter() - t

    def fail(self, exc: DigestError) -> None:
        """A fault after which nothing more may be written: keep the first, stop sending."""
        self.writable = False
        self.stopping = True
        if not isinstance(self.error, (LedgerError, LeaseLost)):
            self.error = exc

    def stop(self, exc: DigestError) -> None:
        self.stopping = True
        self.error = self.error or exc

    def _claim(self) -> bool:
        """Refill the in-memory feed with the next batch: due deferred rows first, then pending ones."""
        for status in ("deferred", "pending"):
            if self.cursor[status] is None:
                continue
            rows = self._db(self.db.deliveries.claim, self.plan.edition_id, status, self.cursor[status],
                            self.s.batch, due=now() if status == "deferred" else None)
            if not rows:
                self.cursor[status] = None
                continue
            self.cursor[status] = rows[-1].id
            try:
                claimed = [Claimed(d, self.group(d.window)) for d in rows]
            except BaseException:
                # A body that cannot be rendered (a template edited mid-run): this batch was never tried.
                self._db(self.db.deliveries.unclaim, [d.id for d in rows])
                raise
            self.feed.extend(claimed)
            self.feed.reverse()          # popped from the end, so sent in id order
            return True
        return False

    def _job(self, row: Claimed, rcpt: str) -> Job:
        cfg, group, date, signer, edition_id = self.cfg, row.group, self.date, self.signer, self.plan.edition_id

        def build() -> bytes:
            try:
                # The envelope sender names this delivery, so a bounce that comes back later finds it (VERP).
                job.mail_from = return_path(cfg, edition_id, row.subscriber_id)
                return fast_message(cfg, group, subscriber_id=row.subscriber_id, email=rcpt, name=row.name,
                                    message_id=row.message_id, date=date(), signer=signer, edition_id=edition_id)
            except Exception as exc:
                row.unbuilt = exc      # read by settle_outcome: whatever the pool reports, it is our fault
                raise
        job = Job(row, rcpt, build)
        return job

    def submit(self, pool: Pool, row: Claimed) -> None:
        try:
            rcpt = smtp_address(row.email)
        except AddressError as exc:     # cannot go in an envelope: failed, with the reason
            settle_outcome(self, row, Outcome("failed", 0, str(exc), stage="rcpt"))
            return
        pool.submit(self._job(row, rcpt))
        self.outstanding += 1

    def flush(self, force: bool = False) -> None:
        if not force and len(self.buffer) < self.s.batch and time.monotonic() - self.last_flush < 0.5:
            return
        if self.buffer:
            self._db(ledger.record, self.db, self.buffer, soft_bounce_limit=self.s.soft_bounce_limit)
            self.buffer = []
        if self.unclaimed:
            self._db(self.db.deliveries.unclaim, self.unclaimed)
            self.unclaimed = []
        self.last_flush = time.monotonic()

    def _feed(self, pool: Pool, window: int) -> None:
        t = time.monotonic()
        due = []
        while self.retry and self.retry[0][0] <= t and self.outstanding + len(due) < window:
            due.append(heapq.heappop(self.retry)[2])
        if due:
            self.flush(force=True)     # their 'deferred' must be written before they are claimed again
            claimed = {d.id for d in self._db(self.db.deliveries.claim_deferred, [r.id for r in due])}
            for row in due:
                if row.id in claimed:
                    self.tally.retried += 1
                    self.submit(pool, row)
        while self.outstanding < window and not self.stopping and (self.feed or self._claim()):
            self.submit(pool, self.feed.pop())

    def run(self, first_relay: Relay, relay_factory: Callable[[], Relay], journal: Journal, pacer: Pacer) -> None:
        pool = Pool(relay_factory, self.s.connections, self.cfg.sender_address, pacer, journal,
                    first=first_relay, may_send=lambda: self.lease.valid() and self.writable)
        try:
            self._loop(pool, journal)
        except (LedgerError, LeaseLost):
            pass            # kept in self.error; the messages in flight are still collected below
        finally:
            self._return_unstarted(pool)
            pool.close()
            self._drain(pool)
            self.unclaimed.extend(r.id for r in self.feed)
            self.feed = []
            if self.writable:
                try:
                    self.flush(force=True)
                    self.committed = self.outstanding == 0
                except (LedgerError, LeaseLost):
                    pass
            self.tally.throttles, self.tally.slowest_rate = pacer.throttles, pacer.lowest
            self._report(final=True)

    def _loop(self, pool: Pool, journal: Journal) -> None:
        alive = self.s.connections
        window = self.s.connections * 4
        while True:
            if not self.stopping and self.should_stop and self.should_stop():
                self.stopping = self.tally.stopped = True
            if journal.broken is not None and not self.stopping:
                self.stop(LedgerError(
                    f"Cannot write the send journal in {ledger.outbox(self.db)}: {journal.broken.strerror}.",
                    "Sending stopped; what was sent is recorded. Free the disk and run `digest send` again."))
            if self.stopping:
                self._return_unstarted(pool)
            else:
                self._feed(pool, window)
            if self.outstanding == 0 and (self.stopping or not self.retry):
                return
            self._renew()
            self._report()
            wait = 0.2 if self.outstanding else max(0.0, min(0.2, self.retry[0][0] - time.monotonic()))
            try:
                job, outcome, err = pool.results.get(timeout=wait)
            except queue.Empty:
                self.flush()
                continue
            if job == "exit":
                alive -= 1
                if alive == 0:
                    self.stop(RelayError("Every connection to the SMTP relay was lost.",
                                         "Check that the relay is running."))
                continue
            self.outstanding -= 1
            if err is not None:     # this worker's connection could not be reopened: not attempted
                self.error = self.error or err
                if alive > 1 and not self.stopping:
                    self.submit(pool, job.item)
                else:
                    self.unclaimed.append(job.item.id)
                continue
            settle_outcome(self, job.item, outcome)
            self.flush()

    def _renew(self) -> None:
        try:
            self.lease.renew_if_due()
        except LeaseLost as exc:
            self.fail(exc)
            raise
        except sqlite3.Error as exc:
            self.fail(ledger.ledger_error(self.db, self.s, exc))
            raise self.error from None

    def _return_unstarted(self, pool: Pool) -> None:
        jobs = pool.take_unstarted()
        self.outstanding -= len(jobs)
        self.unclaimed.extend(j.item.id for j in jobs)

    def _drain(self, pool: Pool) -> None:
        """Wait for the messages still in flight (the relay's timeout bounds this) and record them."""
        deadline = time.monotonic() + (self.cfg.smtp().timeout if self.cfg.smtp() else 30) + 5
        self.stopping = True
        while self.outstanding > 0 and time.monotonic() < deadline:
            try:
                job, outcome, err = pool.results.get(timeout=0.5)
            except queue.Empty:
                continue
            if job == "exit":
                continue
            self.outstanding -= 1
            if err is not None:
                self.unclaimed.append(job.item.id)
            else:
                settle_outcome(self, job.item, outcome)

    def _report(self, final: bool = False) -> None:
        if self.progress and (final or time.monotonic() - self.last_progress > 0.1):
            self.progress(self.done, self.total)
            self.last_progress = time.monotonic()
