"""One run of one edition's send: claim rows in batches, feed the relays' pool, retry with back-off,
and record outcomes in batches, every ledger write fenced with the lease.

A relay that cannot be reached any more (its last connection could not be reopened), stops
answering (a timeout), refuses the sender or the account, or refuses us temporarily `relay_retries`
times in a row is taken out of rotation (outcomes.relay_out): what it had not started goes to the
others, never attempted, and what it had in flight is recorded as it ended (sent, deferred,
uncertain), as with one relay. The run stops only when no relay is left.
The first fault that must stop the run is kept in `error` and reported by send_edition after the
messages in flight are recorded: RelayError (no relay left), LedgerError (a ledger or journal write
failed: from then on nothing more is written, and the journal is kept), LeaseLost (another sender
took the edition over: nothing more is sent or written, at once). A message that cannot be built
is never the recipient's fault: its row goes back to the queue. May import: clock, config, db,
errors, compose.lint, compose.message, models, smtp, and .bodies/.editions/.lease/.ledger/.messages/.outcomes/.tally.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict

from ..clock import now
from ..compose import message
from ..compose.lint import CLIP_BYTES
from ..config import Config, RelaySettings
from ..db import Database, faults
from ..errors import DigestError, LeaseLost, LedgerError, RelayError
from ..models import Window
from ..smtp import AddressError, Job, Lane, Outcome, Pool, Relay, smtp_address
from ..smtp.journal import Journal
from . import ledger
from .bodies import Bodies
from .editions import Plan
from .lease import Lease
from .messages import Claimed, DateHeader, Group, fast_message, lint_size, prepare_group, return_paths
from .outcomes import OnMessage, OnProgress, StopCheck, again, attempted, claimed, relay_out, settle_outcome
from .tally import Tally


class EditionRun:
    GROUPS = 64       # groups kept: mixes are claimed one after the other (memory flat however many)

    def __init__(self, db: Database, cfg: Config, plan: Plan, lease: Lease, tally: Tally, *, force: bool = False,
                 should_stop: StopCheck | None = None, progress: OnProgress | None = None,
                 on_message: OnMessage | None = None):
        self.db, self.cfg, self.plan, self.s, self.lease, self.tally = db, cfg, plan, cfg.send, lease, tally
        self.should_stop, self.progress, self.on_message = should_stop, progress, on_message
        self.bodies = Bodies(db, cfg, plan.key, plan.date)
        self.groups: OrderedDict[Window, Group] = OrderedDict()
        self.buffer: list[tuple] = []
        self.unclaimed: list[int] = []
        self.retry: list[tuple[float, int, Claimed]] = []
        self.cursor: dict[str, tuple[str, int] | None] = {"deferred": ("", 0), "pending": ("", 0)}
        self.feed: list[Claimed] = []
        self.outstanding = self.done = self.total = 0
        self.last_flush = self.last_progress = time.monotonic()
        self.date = DateHeader()
        self.signer: message.Signer | None = None
        self.return_path = return_paths(cfg)     # each message's VERP envelope sender
        self.error: DigestError | None = None
        self.writable = True          # False once a ledger write failed or the lease was lost
        self.committed = False        # the final flush reached the database: the journal may go
        self.stopping = False
        self.pool: Pool | None = None
        self.gone: list[tuple[str, DigestError]] = []   # relays out of rotation, and why (in that order)
        self.unbuilt: list[Claimed] = []  # rows whose message could not be built: back to the queue
        self.force = force                # send digests Gmail would clip, rather than hold them back
        self.held: dict[str, list[int]] = {}    # mix -> [its largest HTML, rows held back] (clipped)

    def group(self, window: Window) -> Group:
        if (group := self.groups.get(window)) is None:
            group = self.groups[window] = prepare_group(self.cfg, self.bodies.body(window))
            report = lint_size(self.cfg, group.body)
            self.tally.lint_mix(window.mix, report)
            group.size, group.clipped = report.size_bytes, report.size_bytes >= CLIP_BYTES and not self.force
            if len(self.groups) > self.GROUPS:
                self.groups.popitem(last=False)
        self.groups.move_to_end(window)
        return group

    def _db(self, fn, *args, **kw):
        """A fenced ledger write. A failure stops the run and every later write (see the module)."""
        if not self.writable:
            raise self.error or RuntimeError("writes stopped without a fault kept (fail() keeps one)")
        t = time.perf_counter()
        try:
            return fn(*args, fence=self.lease.fence, **kw)
        except LeaseLost as exc:
            self.lease.lost = True
            self.fail(exc)
            raise
        except faults() as exc:
            raise self.fail(ledger.ledger_error(self.db, self.s, exc)) from None
        finally:
            self.tally.bookkeeping += time.perf_counter() - t

    def fail(self, exc: DigestError) -> DigestError:
        """A fault after which nothing more may be written: keep the first, stop sending; the one kept."""
        self.writable = False
        self.stopping = True
        if not isinstance(self.error, (LedgerError, LeaseLost)):
            self.error = exc
        return self.error

    def stop(self, exc: DigestError) -> None:
        self.stopping = True
        self.error = self.error or exc

    def _claim(self) -> bool:
        """Refill the feed with the next batch (due deferred rows first); each row's body is made
        when it is submitted, so only the groups in flight are alive, however many mixes a batch holds."""
        status = next((s for s in ("deferred", "pending") if self.cursor[s] is not None), None)
        while status is not None:
            rows = self._db(self.db.deliveries.claim, self.plan.edition_id, status, self.cursor[status],
                            self.s.batch, due=now() if status == "deferred" else None)
            if not rows:
                self.cursor[status] = None
                return self._claim()
            self.cursor[status] = (rows[-1].mix, rows[-1].id)
            self.feed.extend(Claimed(d) for d in rows)
            self.feed.reverse()          # popped from the end, so sent in claim order
            return True
        return False

    def _grouped(self, row: Claimed) -> bool:
        """Give the row its group; False when its digest would be clipped (then the row is held:
        back to the queue, and reported)."""
        if row.group is None:
            try:
                row.group = self.group(row.window)
            except BaseException:
                # A body that cannot be rendered (a template edited mid-run): this row was never tried;
                # the rest of the feed goes back to the queue as the run ends.
                self.unclaimed.append(row.id)
                raise
        if row.group.clipped:
            self.unclaimed.append(row.id)
            mine = self.held.setdefault(row.group.body.mix, [0, 0])
            mine[0], mine[1] = max(mine[0], row.group.size), mine[1] + 1
            return False
        return True

    def _job(self, row: Claimed, rcpt: str) -> Job:
        cfg, group, date, signer, edition_id = self.cfg, row.group, self.date, self.signer, self.plan.edition_id
        assert group is not None, "submit gives a row its group before its job is made"
        return_path = self.return_path

        def build() -> bytes:
            try:
                # The envelope sender names this delivery, so a bounce that comes back later finds it (VERP).
                job.mail_from = return_path(edition_id, row.subscriber_id)
                return fast_message(cfg, group, subscriber_id=row.subscriber_id, email=rcpt, name=row.name,
                                    message_id=row.message_id, date=date(), signer=signer, edition_id=edition_id)
            except Exception as exc:
                row.unbuilt = exc      # read by settle_outcome: whatever the pool reports, it is our fault
                raise
        job = Job(row, rcpt, build)
        return job

    def submit(self, pool: Pool, row: Claimed) -> None:
        if not self._grouped(row):
            return
        try:
            rcpt = smtp_address(row.email)
        except AddressError as exc:     # cannot go in an envelope: failed, with the reason
            settle_outcome(self, row, Outcome("failed", 0, str(exc), stage="rcpt"))
            return
        if pool.submit(self._job(row, rcpt)) is None:
            self.unclaimed.append(row.id)       # no relay left: back to the queue, never attempted
            return
        self.outstanding += 1

    def lane(self, name: str) -> Lane | None:
        """The relay of the pool by that name (None for an outcome no relay gave)."""
        return self.pool.lane(name) if self.pool is not None and name else None

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

    def _feed(self, pool: Pool) -> None:
        t = time.monotonic()
        due: list[Claimed] = []
        room = sum(lane.room for lane in pool.rotation)
        while self.retry and self.retry[0][0] <= t and len(due) < room:
            due.append(heapq.heappop(self.retry)[2])
        if due:
            self.flush(force=True)     # their 'deferred' must be written before they are claimed again
            claimed = {d.id for d in self._db(self.db.deliveries.claim_deferred, [r.id for r in due])}
            for row in due:
                if row.id in claimed:
                    self.tally.retried += 1
                    self.submit(pool, row)
        while not self.stopping and pool.has_room() and (self.feed or self._claim()):
            self.submit(pool, self.feed.pop())

    def run(self, relays: list[tuple[RelaySettings, Relay]], journal: Journal) -> None:
        """Send through `relays`, each with a connection already open."""
        self.pool = pool = Pool(relays, journal, mail_from=self.cfg.sender_address, local_hostname=self.cfg.domain,
                                may_send=lambda: self.lease.valid() and self.writable)
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
            self.tally.pacing(pool.lanes)
            self._report(final=True)

    def _loop(self, pool: Pool, journal: Journal) -> None:
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
                self._feed(pool)
            if self.outstanding == 0 and (self.stopping or not self.retry):
                return
            self._renew()
            self._report()
            wait = 0.2 if self.outstanding else max(0.0, min(0.2, self.retry[0][0] - time.monotonic()))
            r = pool.result(timeout=wait)
            if r is None:
                self.flush()
                continue
            lane = r.lane
            if r.job is None:       # a worker stopped: its connection could not be reopened, or the pool closed
                if lane.alive == 0 and lane.out is None:
                    relay_out(self, lane, lane.failure or RelayError(
                        f"Every connection to SMTP relay {lane.label} was lost.", "Check that the relay is running."))
                continue
            self.outstanding -= 1
            if r.error is not None:     # this worker's connection could not be reopened: not attempted
                lane.failure = lane.failure or r.error
                again(self, claimed(r.job))
                continue
            if r.outcome is not None and r.outcome.timed_out:     # it stopped answering: nothing more goes to it
                smtp = lane.settings.smtp
                relay_out(self, lane, RelayError(f"SMTP relay {smtp.label} stopped answering (no reply within "
                                                 f"{smtp.timeout:g} s).", f"Check the relay; ?timeout= in "
                                                 f"{smtp.where} sets how long digest waits."))
            settle_outcome(self, *attempted(r))
            self.flush()

    def _renew(self) -> None:
        try:
            self.lease.renew_if_due()
        except LeaseLost as exc:
            self.fail(exc)
            raise
        except faults() as exc:
            raise self.fail(ledger.ledger_error(self.db, self.s, exc)) from None

    def _return_unstarted(self, pool: Pool) -> None:
        jobs = pool.take_unstarted()
        self.outstanding -= len(jobs)
        self.unclaimed.extend(claimed(j).id for j in jobs)

    def _drain(self, pool: Pool) -> None:
        """Wait for the messages still in flight (the relays' timeout bounds this) and record them."""
        deadline = time.monotonic() + max(lane.settings.smtp.timeout for lane in pool.lanes) + 5
        self.stopping = True
        while self.outstanding > 0 and time.monotonic() < deadline:
            r = pool.result(timeout=0.5)
            if r is None or r.job is None:
                continue
            self.outstanding -= 1
            if r.error is not None:
                self.unclaimed.append(claimed(r.job).id)
            else:
                settle_outcome(self, *attempted(r))

    def _report(self, final: bool = False) -> None:
        if self.progress and (final or time.monotonic() - self.last_progress > 0.1):
            self.progress(self.done, self.total)
            self.last_progress = time.monotonic()
