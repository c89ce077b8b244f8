"""Send and record stages (owner: sending, issue 5; design in digest/ledger.py and digest/send.py):
send an edition's deliveries exactly once over parallel connections and record every outcome,
send one test message, and build each subscriber's message from its group's prepared body.

A message that cannot be built is never the recipient's fault (issue 12): its row goes back to the
queue, nothing is marked failed, and the run ends with one BuildError. Every topic mix is linted
before the relay is opened; a digest Gmail would clip is refused (ClippedError) unless forced.

May import send, ledger, message, lint, render, tokens, config/errors/models/store, and .editions and
.bodies; not preview, lists or schedule.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import heapq
import queue
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

from .. import ledger   # the record stage's journal, replay and lease (issue 5)
from .. import lint as lint_mod
from .. import message, render, tokens
from .. import send as send_mod
from ..config import Config
from ..errors import ConfigError, DigestError, NotFound, RelayError
from ..models import PLACEHOLDERS
from ..send import Outcome, Relay
from ..store import Store, now, parse_ts
from .bodies import Body, groups_for_preview, personal_message, render_group
from .editions import Plan

FAILURE_SAMPLE = 5      # failed deliveries the tally names, with their reason
ROW_REQUEUES = 2        # a refusal about the relay that keeps coming back for one row is that row's deferral


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0             # already sent before this run
    deferred: int = 0            # left for a later run (temporary failures, or not reached before a stop)
    bounced: int = 0
    failed: int = 0
    uncertain: int = 0           # in flight when a sender died; see `digest deliveries list --status uncertain`
    by_mix: dict[str, dict] = field(default_factory=dict)
    retried: int = 0             # retries within this run
    throttles: int = 0           # times the relay asked us to slow down
    slowest_rate: float = 0.0    # the lowest rate the pacer fell to (msgs/s), 0 = never throttled
    recovered: int = 0           # outcomes replayed from a previous run's journal
    stopped: bool = False        # should_stop() ended the run early
    requeued: int = 0            # failed deliveries put back in the queue by retry_failed
    not_requeued: int = 0        # failed deliveries left alone: a later digest covers them, or the address left
    lint: dict[str, lint_mod.LintReport] = field(default_factory=dict)   # per topic mix, its largest body
    reasons: dict[str, int] = field(default_factory=dict)                # failed and bounced: reply -> count
    elapsed: float = 0.0         # seconds in the send loop
    bookkeeping: float = 0.0     # of which, seconds in ledger transactions (claims and outcomes)
    failures: list[tuple[str, str]] = field(default_factory=list)   # (email, reason): the first FAILURE_SAMPLE

    @property
    def ok(self) -> bool:
        return not (self.deferred or self.bounced or self.failed or self.uncertain)


class BuildError(DigestError):
    """Messages could not be built: our fault, not the recipients'. Their rows wait in the queue."""


class ClippedError(DigestError):
    """A digest is too large for Gmail, which would clip it (and hide the unsubscribe link)."""


class _Row:
    """One claimed delivery on its way through the pool."""
    __slots__ = ("id", "subscriber_id", "email", "name", "message_id", "attempts", "created_at", "group", "tries",
                 "requeues", "unbuilt")

    def __init__(self, r, group):
        self.id, self.subscriber_id, self.email, self.name = r["id"], r["subscriber_id"], r["email"], r["name"]
        self.message_id, self.attempts, self.created_at = r["message_id"], r["attempts"], parse_ts(r["created_at"])
        self.group, self.tries, self.requeues = group, 0, 0
        self.unbuilt: BaseException | None = None   # set by the worker when building this message raised


@dataclass
class _Group:
    body: Body
    prepared: message.Prepared


class _DateHeader:
    """format_datetime once a second, not once a message."""

    def __init__(self):
        self.second, self.value = -1, ""

    def __call__(self) -> str:
        t = int(time.time())
        if t != self.second:
            self.value = format_datetime(dt.datetime.fromtimestamp(t, dt.timezone.utc))
            self.second = t
        return self.value


def prepare_group(cfg: Config, body: Body, *, test: bool = False) -> message.Prepared:
    return message.prepare(sender=cfg.sender, subject=body.rendered.subject, list_id=cfg.list_id,
                           html=body.rendered.html, text=body.rendered.text, markers=list(PLACEHOLDERS.values()),
                           unsubscribe_mailto=cfg.unsubscribe_mailto, test=test)


def fast_message(cfg: Config, group: _Group, *, subscriber_id: int, email: str, name: str | None, message_id: str,
                 date: str, signer: message.Signer | None = None, test: bool = False) -> bytes:
    """One subscriber's message from the group's prepared body; the stdlib builds the rare one it cannot."""
    unsub = tokens.url(cfg.base_url, cfg.secret, "unsubscribe", subscriber_id)
    prefs = tokens.url(cfg.base_url, cfg.secret, "preferences", subscriber_id)
    values = {PLACEHOLDERS["unsubscribe_url"]: unsub, PLACEHOLDERS["preferences_url"]: prefs,
              PLACEHOLDERS["email"]: email, PLACEHOLDERS["name"]: name or ""}
    data = group.prepared.build(to_email=email, to_name=name, message_id=message_id, date=date,
                                unsubscribe_url=unsub, values=values)
    if data is None:
        data = personal_message(cfg, group.body, subscriber_id=subscriber_id, email=email, name=name,
                                message_id=message_id, test=test)
    return signer.sign(data) if signer else data


def signer_for(cfg: Config) -> message.Signer | None:
    """A DKIM signer when DIGEST_DKIM_KEY names a key, else None."""
    if not cfg.dkim_key:
        return None
    hint = "Point DIGEST_DKIM_KEY at a PEM RSA private key (`openssl genrsa 2048`), or unset it to send unsigned."
    try:
        key = Path(cfg.dkim_key).read_bytes()
    except OSError as exc:
        raise ConfigError(f"DKIM key {cfg.dkim_key} (DIGEST_DKIM_KEY): {exc.strerror}.", hint) from None
    try:
        return message.Signer(key, cfg.dkim_selector, cfg.dkim_domain or cfg.domain)
    except ValueError as exc:
        raise ConfigError(f"DKIM key {cfg.dkim_key} (DIGEST_DKIM_KEY) is {exc}.", hint) from None


class _EditionSender:
    """One run of send_edition: claims rows in batches, feeds the pool, retries, records in batches.

    Every ledger write goes through `_db`, fenced with the lease. The first fault that must stop the
    run is kept in `error` and raised by send_edition after the messages in flight are recorded:
    RelayError (the relay refused us, or was lost), LedgerError (a ledger or journal write failed:
    from then on nothing more is written, and the journal is kept), LeaseLost (another sender took
    the edition over: nothing more is sent or written, at once).
    """

    def __init__(self, store: Store, cfg: Config, plan: Plan, settings: send_mod.SendSettings, lease: ledger.Lease,
                 tally: Tally, should_stop, progress, on_message):
        self.store, self.cfg, self.plan, self.s, self.lease, self.tally = store, cfg, plan, settings, lease, tally
        self.should_stop, self.progress, self.on_message = should_stop, progress, on_message
        self.groups: dict[tuple, _Group] = {}
        self.buffer: list[tuple] = []
        self.unclaimed: list[int] = []
        self.retry: list[tuple[float, int, _Row]] = []
        self.cursor = {"deferred": 0, "pending": 0}
        self.feed: list[_Row] = []
        self.outstanding = 0
        self.done = 0
        self.last_flush = self.last_progress = time.monotonic()
        self.date = _DateHeader()
        self.signer: message.Signer | None = None
        self.error: DigestError | None = None
        self.writable = True          # False once a ledger write failed or the lease was lost
        self.committed = False        # the final flush reached the database: the journal may go
        self.refusals = 0             # requeues about us in a row, nothing sent between
        self.stopping = False
        self.unbuilt: list[_Row] = []  # rows whose message could not be built: back to the queue

    def _group(self, r) -> _Group:
        key = (r["mix"], r["since"], r["until"], r["since_seq"], r["until_seq"])
        if key not in self.groups:
            body = render_group(self.store, self.cfg, self.plan.key, self.plan.date, r["mix"],
                                parse_ts(r["since"]), parse_ts(r["until"]), since_seq=r["since_seq"],
                                until_seq=r["until_seq"])
            self.groups[key] = _Group(body, prepare_group(self.cfg, body))
        return self.groups[key]

    def _db(self, fn, *args, **kw):
        """A fenced ledger write. A failure stops the run and every later write (see the class)."""
        if not self.writable:
            raise self.error
        t = time.perf_counter()
        try:
            return fn(*args, fence=self.lease.fence, **kw)
        except ledger.LeaseLost as exc:
            self.lease.lost = True
            self._fail(exc)
            raise
        except sqlite3.Error as exc:
            self._fail(ledger_error(self.store, self.s, exc))
            raise self.error from None
        finally:
            self.tally.bookkeeping += time.perf_counter() - t

    def _fail(self, exc: DigestError) -> None:
        """A fault after which nothing more may be written: keep the first, stop sending."""
        self.writable = False
        self.stopping = True
        if not isinstance(self.error, (ledger.LedgerError, ledger.LeaseLost)):
            self.error = exc

    def _stop(self, exc: DigestError) -> None:
        self.stopping = True
        self.error = self.error or exc

    def _claim(self) -> bool:
        """Refill the in-memory feed with the next batch: due deferred rows first, then pending ones."""
        for status in ("deferred", "pending"):
            if self.cursor[status] is None:
                continue
            rows = self._db(self.store.claim_deliveries, self.plan.edition_id, status, self.cursor[status],
                            self.s.batch, due=now() if status == "deferred" else None)
            if not rows:
                self.cursor[status] = None
                continue
            self.cursor[status] = rows[-1]["id"]
            try:
                claimed = [_Row(r, self._group(r)) for r in rows]
            except BaseException:
                # A body that cannot be rendered (a template edited mid-run): this batch was never tried.
                self._db(self.store.unclaim, [r["id"] for r in rows])
                raise
            self.feed.extend(claimed)
            self.feed.reverse()          # popped from the end, so sent in id order
            return True
        return False

    def _job(self, row: _Row, rcpt: str) -> send_mod.Job:
        cfg, group, date, signer = self.cfg, row.group, self.date, self.signer

        def build() -> bytes:
            try:
                return fast_message(cfg, group, subscriber_id=row.subscriber_id, email=rcpt, name=row.name,
                                    message_id=row.message_id, date=date(), signer=signer)
            except Exception as exc:
                row.unbuilt = exc      # read by _outcome: whatever the pool reports, it is our fault
                raise
        return send_mod.Job(row, rcpt, build)

    def _submit(self, pool: send_mod.Pool, row: _Row) -> None:
        try:
            rcpt = send_mod.smtp_address(row.email)
        except send_mod.AddressError as exc:     # cannot go in an envelope: failed, with the reason
            self._outcome(row, Outcome("failed", 0, str(exc), stage="rcpt"))
            return
        pool.submit(self._job(row, rcpt))
        self.outstanding += 1

    def _flush(self, force: bool = False) -> None:
        if not force and len(self.buffer) < self.s.batch and time.monotonic() - self.last_flush < 0.5:
            return
        if self.buffer:
            self._db(self.store.record_outcomes, self.buffer, soft_bounce_limit=self.s.soft_bounce_limit)
            self.buffer = []
        if self.unclaimed:
            self._db(self.store.unclaim, self.unclaimed)
            self.unclaimed = []
        self.last_flush = time.monotonic()

    def _feed(self, pool: send_mod.Pool, window: int) -> None:
        t = time.monotonic()
        due = []
        while self.retry and self.retry[0][0] <= t and self.outstanding + len(due) < window:
            due.append(heapq.heappop(self.retry)[2])
        if due:
            self._flush(force=True)     # their 'deferred' must be written before they are claimed again
            claimed = {r["id"] for r in self._db(self.store.claim_ids, [r.id for r in due])}
            for row in due:
                if row.id in claimed:
                    self.tally.retried += 1
                    self._submit(pool, row)
        while self.outstanding < window and not self.stopping and (self.feed or self._claim()):
            self._submit(pool, self.feed.pop())

    def _outcome(self, row: _Row, outcome: send_mod.Outcome) -> None:
        t = self.tally
        if row.unbuilt is not None:
            if not isinstance(row.unbuilt, email.errors.MessageDefect):
                # Our fault (configuration, templates, a bug), not the recipient's: back to the queue,
                # no attempt counted, and the run ends with a BuildError.
                self.unclaimed.append(row.id)
                self.unbuilt.append(row)
                return
            # The stdlib refused the recipient's own address (a non-ASCII local part): theirs.
            outcome = Outcome("failed", 0, f"the address {row.email} cannot be written in a message: {row.unbuilt}")
        status, soft, next_at = outcome.status, outcome.soft, None
        reply = outcome.text
        if status == "requeue" and outcome.throttled:
            row.requeues += 1
            if row.requeues > ROW_REQUEUES:     # always this one, while others go through: its own 4xx after all
                status = "deferred"
        if status == "requeue":         # about the relay or our lease, not the recipient: again later, unattempted
            self.feed.insert(0, row)
            if outcome.throttled:
                self.refusals += 1
                if self.refusals >= self.s.relay_retries:
                    self._stop(RelayError(
                        f"SMTP relay {self.cfg.smtp().name} refused us temporarily {self.refusals} times in a row, "
                        f"last: {reply}. Nothing was marked for those deliveries: they stay pending.",
                        "Run `digest send` again later; check DIGEST_FROM and the relay's limits if it persists."))
            return
        if status == "stop":            # the relay refuses the sender or the account: stop, blame nobody
            self.unclaimed.append(row.id)
            self._stop(send_mod.refusal(outcome, self.cfg.smtp().name, self.cfg.sender_address))
            return
        if status == "sent":
            self.refusals = 0
        if status == "deferred":
            row.tries += 1
            delay = self.s.backoff(row.attempts + row.tries)
            next_at = now() + dt.timedelta(seconds=delay)
            if next_at > row.created_at + dt.timedelta(seconds=self.s.retry_deadline):
                status, soft, next_at = "failed", True, None
                reply = f"gave up after {row.attempts + row.tries} attempts; last reply: {reply}"
            elif row.tries < self.s.retry_attempts and not self.stopping:
                heapq.heappush(self.retry, (time.monotonic() + delay, row.id, row))
                self.buffer.append((row.id, status, reply, next_at, False))
                return
        self.buffer.append((row.id, status, reply, next_at, soft))
        self.done += 1
        if status != "deferred":
            setattr(t, status, getattr(t, status) + 1)
        if status in ("failed", "bounced"):
            t.reasons[reply] = t.reasons.get(reply, 0) + 1
        if status == "failed" and len(t.failures) < FAILURE_SAMPLE:
            t.failures.append((row.email, reply))
        stats = t.by_mix.setdefault(row.group.body.mix, {"articles": len(row.group.body.articles),
                                                         "recipients": 0, "sent": 0})
        stats["recipients"] += 1
        stats["sent"] += status == "sent"
        if self.on_message:
            self.on_message(outcome)

    def run(self, first_relay: send_mod.Relay, relay_factory: Callable[[], Relay], journal: ledger.Journal,
            pacer: send_mod.Pacer) -> None:
        pool = send_mod.Pool(relay_factory, self.s.connections, self.cfg.sender_address, pacer, journal,
                             first=first_relay, may_send=lambda: self.lease.valid() and self.writable)
        try:
            self._loop(pool, journal)
        except (ledger.LedgerError, ledger.LeaseLost):
            pass            # kept in self.error; the messages in flight are still collected below
        finally:
            self._return_unstarted(pool)
            pool.close()
            self._drain(pool)
            self.unclaimed.extend(r.id for r in self.feed)
            self.feed = []
            if self.writable:
                try:
                    self._flush(force=True)
                    self.committed = self.outstanding == 0
                except (ledger.LedgerError, ledger.LeaseLost):
                    pass
            self.tally.throttles, self.tally.slowest_rate = pacer.throttles, pacer.lowest
            self._report(final=True)

    def _loop(self, pool: send_mod.Pool, journal: ledger.Journal) -> None:
        alive = self.s.connections
        window = self.s.connections * 4
        while True:
            if not self.stopping and self.should_stop and self.should_stop():
                self.stopping = self.tally.stopped = True
            if journal.broken is not None and not self.stopping:
                self._stop(ledger.LedgerError(
                    f"Cannot write the send journal in {ledger.journal_dir(self.store)}: {journal.broken.strerror}.",
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
                self._flush()
                continue
            if job == "exit":
                alive -= 1
                if alive == 0:
                    self._stop(RelayError("Every connection to the SMTP relay was lost.",
                                          "Check that the relay is running."))
                continue
            self.outstanding -= 1
            if err is not None:     # this worker's connection could not be reopened: not attempted
                self.error = self.error or err
                if alive > 1 and not self.stopping:
                    self._submit(pool, job.item)
                else:
                    self.unclaimed.append(job.item.id)
                continue
            self._outcome(job.item, outcome)
            self._flush()

    def _renew(self) -> None:
        try:
            self.lease.renew_if_due()
        except ledger.LeaseLost as exc:
            self._fail(exc)
            raise
        except sqlite3.Error as exc:
            self._fail(ledger_error(self.store, self.s, exc))
            raise self.error from None

    def _return_unstarted(self, pool: send_mod.Pool) -> None:
        jobs = pool.take_unstarted()
        self.outstanding -= len(jobs)
        self.unclaimed.extend(j.item.id for j in jobs)

    def _drain(self, pool: send_mod.Pool) -> None:
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
                self._outcome(job.item, outcome)

    def _report(self, final: bool = False) -> None:
        if self.progress and (final or time.monotonic() - self.last_progress > 0.1):
            self.progress(self.done, self.total)
            self.last_progress = time.monotonic()


def ledger_error(store: Store, settings: send_mod.SendSettings, exc: Exception) -> ledger.LedgerError:
    """A failed ledger write, said with what to do about it."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        why = (f"Another process held the database's write lock for more than {settings.lock_timeout:g} s: "
               "let it finish (or stop it)")
    elif "full" in text:
        why = "The disk is full: free some space"
    else:
        why = "Check the database file and its disk"
    return ledger.LedgerError(
        f"Could not write the delivery ledger in {store.path}: {text}. Sending stopped.",
        f"{why}, then run `digest send` again. What was sent is kept in {ledger.journal_dir(store)}/; the next "
        "run records it first, so nobody gets a second copy.")


def send_edition(store: Store, cfg: Config, plan: Plan, relay_factory: Callable[[], Relay], *,
                 should_stop: Callable[[], bool] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 resend_uncertain: bool = False, settings: send_mod.SendSettings | None = None,
                 on_message: Callable[[Outcome], None] | None = None,
                 retry_failed: bool = False, force: bool = False) -> Tally:
    """Send every due delivery of the edition exactly once and record each outcome.

    Holds the edition's lease (LockedError if another sender has it), first replays what a killed
    run left behind (digest/ledger.py), then sends over `connections` parallel connections. A row is
    marked sent only after the relay accepted the message. `should_stop` is checked between messages:
    when it returns True the messages in flight are finished and recorded and the rest stay queued.
    `progress(done, total)` is called a few times a second. A relay that cannot be reached raises
    RelayError before anything is claimed; one lost for good, or refusing the sender, mid-run raises
    it after recording. A ledger write that fails raises LedgerError (the journal is kept for the
    next run); a lease lost to another sender raises LeaseLost, having written nothing more.

    retry_failed: the edition's failed deliveries go back to the queue first, once (store.requeue_failed).
    Every topic mix is rendered and linted before the relay is opened (Tally.lint); a body Gmail would
    clip raises ClippedError, nothing claimed, unless `force`. Messages that cannot be built go back to
    the queue and raise BuildError after the rest were sent and recorded.
    """
    s = settings or send_mod.SendSettings.from_config(cfg)
    tally = Tally()
    started = time.monotonic()
    store.set_lock_timeout(s.lock_timeout)
    try:
        lease = ledger.Lease(store, f"send:{plan.key}", s.lease_seconds).acquire()
    except sqlite3.Error as exc:
        raise ledger_error(store, s, exc) from None
    sender = None
    try:
        folder = ledger.journal_dir(store)
        rec = ledger.recover(store, plan.edition_id, folder, soft_bounce_limit=s.soft_bounce_limit,
                             deadline=s.retry_deadline, resend_uncertain=resend_uncertain, fence=lease.fence)
        tally.recovered = rec.replayed + rec.uncertain
        tally.failed += rec.expired         # ran out of time since the last run: this run's news
        if retry_failed:
            tally.requeued, tally.not_requeued = store.requeue_failed(plan.edition_id)
        tally.skipped = store.delivery_counts(plan.edition_id).get("sent", 0)
        total = store.count_due(plan.edition_id, now())
        if total:
            sender = _EditionSender(store, cfg, plan, s, lease, tally, should_stop, progress, on_message)
            _lint(sender, force)                # ClippedError here: nothing claimed, nothing marked
            sender.signer = signer_for(cfg)
            first = relay_factory().open()      # RelayError here: nothing claimed, nothing marked
            sender.total = total
            journal = ledger.Journal(folder, plan.edition_id, s.connections)
            pacer = send_mod.Pacer(s.rate)
            try:
                sender.run(first, relay_factory, journal, pacer)
            finally:
                # Only once the database holds every outcome it says: never after a failed write, a
                # lost lease, or with a message whose reply never came (the next run needs its D line).
                journal.close(remove=sender.committed)
            if isinstance(sender.error, (ledger.LedgerError, ledger.LeaseLost)):
                raise sender.error
            error = None
            if sender.error and (sender.outstanding or store.count_due(plan.edition_id, now())):
                error = sender.error
            elif sender.unbuilt:
                error = _build_error(plan, sender.unbuilt)
            if error is not None:
                _finish(tally, store.delivery_counts(plan.edition_id), started)
                error.tally = tally
                raise error
        _finish(tally, store.delivery_counts(plan.edition_id), started)
    except ledger.LeaseLost:
        lease.lost = True
        raise
    except sqlite3.Error as exc:
        raise ledger_error(store, s, exc) from None
    finally:
        if sender is None or sender.writable:
            try:
                lease.release()
            except sqlite3.Error:
                pass        # it expires by itself, and a dead holder's is taken over at once
    return tally


def lint_body(cfg: Config, body: Body) -> lint_mod.LintReport:
    """The lint report of one body as a subscriber's client would get it: the markers filled in with
    links as long as real ones (a signed token is about 40 characters), so the size is what Gmail sees."""
    token = "x" * 40
    html, text = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/u/{token}",
                                    preferences_url=f"{cfg.base_url}/p/{token}", email=f"reader@{cfg.domain}",
                                    name=None)
    return lint_mod.lint(html, text)


def _lint(sender: "_EditionSender", force: bool) -> None:
    """Render every body the due rows need (kept for the run) and lint it; refuse a clipped one unless forced."""
    clipped = []
    for r in sender.store.due_groups(sender.plan.edition_id, now()):
        group = sender._group(r)
        report = lint_body(sender.cfg, group.body)
        mine = sender.tally.lint.get(group.body.mix)
        if mine is None or report.size_bytes > mine.size_bytes:
            sender.tally.lint[group.body.mix] = report
        if report.size_bytes >= lint_mod.CLIP_BYTES:
            clipped.append((group.body.mix, report.size_bytes))
    if clipped and not force:
        mix, size = max(clipped, key=lambda c: c[1])
        err = ClippedError(f"Edition {sender.plan.key}: the digest for {mix} is {size / 1024:.1f} KiB of HTML "
                           f"({len(clipped)} topic mix(es) too large); Gmail clips a message at 102 KiB and hides "
                           "the rest, unsubscribe link included.",
                           "Nothing was sent. Send fewer stories, trim the templates, or pass --force to send "
                           "it anyway.")
        err.tally = sender.tally
        raise err


def _build_error(plan: Plan, unbuilt: list[_Row]) -> BuildError:
    first = unbuilt[0].unbuilt
    reason = f"{type(first).__name__}: {first}" if str(first) else type(first).__name__
    err = BuildError(f"Edition {plan.key}: {len(unbuilt)} message(s) could not be built ({reason}), first for "
                     f"{unbuilt[0].email}. They are still queued; nothing was marked failed.",
                     "Fix the cause (`digest -v send` shows the traceback) and run `digest send` again.")
    err.__cause__ = first
    return err


def _finish(tally: Tally, counts: dict[str, int], started: float) -> None:
    tally.deferred = counts.get("deferred", 0) + counts.get("pending", 0) + counts.get("sending", 0)
    tally.uncertain = counts.get("uncertain", 0)
    tally.elapsed = time.monotonic() - started


def send_test(store: Store, cfg: Config, relay_factory: Callable[[], Relay], to: str, *,
              topics: list[str] | None = None, frequency: str = "daily",
              force: bool = False) -> tuple[Outcome, lint_mod.LintReport]:
    """Send the edition due now (for `topics`, or every topic) to one address, marked as a test.

    Nothing is recorded: no delivery row, no watermark, no lease. The links in it point at the
    subscriber with that address if there is one, else at nobody (subscriber 0). Linted first, as
    send_edition does: a body Gmail would clip raises ClippedError unless `force`.
    """
    body, _ = groups_for_preview(store, cfg, topics=topics, frequency=frequency)
    report = lint_body(cfg, body)
    if report.size_bytes >= lint_mod.CLIP_BYTES and not force:
        raise ClippedError(f"The test copy for {body.mix} is {report.size_bytes / 1024:.1f} KiB of HTML; Gmail clips "
                           "a message at 102 KiB and hides the rest, unsubscribe link included.",
                           "Nothing was sent. Send fewer stories, trim the templates, or pass --force.")
    try:
        sid = store.subscriber(to).id
    except NotFound:
        sid = 0
    try:
        rcpt = send_mod.smtp_address(to)
    except send_mod.AddressError as exc:
        raise DigestError(f"Cannot send a test copy to {to}: {exc}.") from None
    group = _Group(body, prepare_group(cfg, body, test=True))
    mid = message.message_id(f"{body.view.edition_key}-test-{uuid.uuid4().hex[:8]}", sid, cfg.domain)
    data = fast_message(cfg, group, subscriber_id=sid, email=rcpt, name=None, message_id=mid,
                        date=_DateHeader()(), signer=signer_for(cfg), test=True)
    relay = relay_factory().open()
    try:
        return relay.send(cfg.sender_address, rcpt, data), report
    finally:
        relay.close()


def relay_for(cfg: Config) -> Callable[[], Relay]:
    settings = cfg.smtp()
    if settings is None:
        raise DigestError("No SMTP relay is configured.",
                          "Set DIGEST_SMTP_URL, e.g. smtp://user:pass@mail.example.com:587?starttls=true.")
    return lambda: Relay(settings, local_hostname=cfg.domain)
