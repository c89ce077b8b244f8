"""N connections to the relay, each in its own worker thread, paced together.

`Pool` runs one worker thread per connection. Each worker builds the message (CPU, while other
workers wait on the network), waits for the Pacer, and sends; the caller's hooks run in the worker
right before the final dot (`in_flight`) and right after the reply (`answered`), which is where the
record stage journals them. The window between those two calls is the only one SMTP cannot settle.
`in_flight` may raise Abort: the connection is dropped before the dot, so the relay discards the
message. Every job gets exactly one result, whatever is raised: a worker thread never dies of it.
May import: errors, and .replies/.relay.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import RelayError
from .relay import Abort, Relay
from .replies import BURST, Outcome


class Pacer:
    """A shared rate limit that adapts: halved when the relay throttles us, regained slowly.

    `limit` is the configured ceiling (0 = none). Until the relay first throttles, an unlimited
    pacer never waits.
    """

    def __init__(self, limit: float = 0.0):
        self.limit = limit
        self.rate = limit or 0.0        # current messages per second, 0 = unlimited
        self.lowest = self.rate
        self.throttles = 0
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._times: list[float] = []   # recent send times, to know our pace when first throttled
        self._tempfails = 0             # recipient 4xx in a row, with no message accepted between

    def wait(self, stop: threading.Event | None = None) -> None:
        with self._lock:
            t = time.monotonic()
            self._times.append(t)
            if len(self._times) > 200:
                del self._times[:100]
            if not self.rate:
                return
            slot = max(t, self._next)
            self._next = slot + 1.0 / self.rate
        delay = slot - t
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)

    def throttled(self) -> None:
        with self._lock:
            self.throttles += 1
            current = self.rate
            if not current:
                window = self._times[-50:]
                span = window[-1] - window[0] if len(window) > 1 else 0
                current = (len(window) - 1) / span if span > 0 else 10.0
            self.rate = max(0.2, current / 2)
            self.lowest = self.rate if not self.lowest else min(self.lowest, self.rate)

    def tempfailed(self) -> None:
        """A recipient's own 4xx (greylisting, a full mailbox) is no reason to slow down; BURST of them
        in a row, with nothing accepted between, is the relay throttling us in other words."""
        with self._lock:
            self._tempfails += 1
            burst = self._tempfails >= BURST
            if burst:
                self._tempfails = 0
        if burst:
            self.throttled()

    def accepted(self) -> None:
        """Additive increase: each accepted message gains back 1% of the rate, up to the limit."""
        with self._lock:
            self._tempfails = 0
            if self.rate and (not self.limit or self.rate < self.limit):
                self.rate *= 1.01
                if self.limit and self.rate > self.limit:
                    self.rate = self.limit


# ---- the worker pool ------------------------------------------------------------------------

class Hooks:
    """What the pool calls in a worker thread; the record stage implements it (journal writes)."""

    def in_flight(self, slot: int, item) -> None: ...

    def answered(self, slot: int, item, outcome: Outcome) -> None: ...


@dataclass
class Job:
    item: object                        # the caller's row; opaque here
    rcpt: str
    build: Callable[[], bytes]
    mail_from: str | None = None        # this message's envelope sender (VERP; `build` may set it); None: the pool's


class Pool:
    """N connections, each in its own thread. `submit` jobs; `results` yields (job, outcome|None, error).

    Every job gets exactly one result. A worker whose connection cannot be (re)opened hands its job
    back with the RelayError and stops; the caller decides whether the others carry on. `may_send`
    is asked before each message and again right before its final dot: when it says no (the
    sender's lease has lapsed), the message goes back unsent as a `requeue`.
    """

    def __init__(self, relay_factory: Callable[[], Relay], connections: int, mail_from: str, pacer: Pacer,
                 hooks: Hooks, first: Relay | None = None, may_send: Callable[[], bool] = lambda: True):
        self.inbox: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.mail_from, self.pacer, self.hooks, self.may_send = mail_from, pacer, hooks, may_send
        self.alive = connections
        self.threads = [threading.Thread(target=self._work, args=(slot, relay_factory, first if slot == 0 else None),
                                         name=f"digest-send-{slot}", daemon=True)
                        for slot in range(connections)]
        for t in self.threads:
            t.start()

    def submit(self, job: Job) -> None:
        self.inbox.put(job)

    def _work(self, slot: int, relay_factory: Callable[[], Relay], relay: Relay | None) -> None:
        try:
            relay = relay or relay_factory()
            while True:
                job = self.inbox.get()
                if job is None:
                    return
                try:
                    outcome = self._one(slot, relay, job)
                except RelayError as exc:
                    self.results.put((job, None, exc))
                    return
                except Exception as exc:    # a bug of ours: still this job's outcome, and the worker goes on
                    outcome = Outcome("failed", 0, f"internal error while sending: {type(exc).__name__}: {exc}")
                self.results.put((job, outcome, None))
        finally:
            if relay is not None:
                relay.close()
            self.results.put(("exit", slot, None))

    def _one(self, slot: int, relay: Relay, job: Job) -> Outcome:
        try:
            data = job.build()
        except Exception as exc:   # a bad row must not stop the run; it is recorded as failed
            return Outcome("failed", 0, f"could not build the message: {exc!r}")
        if not self.may_send():
            return Outcome("requeue", 0, "not sent: the send lease lapsed")
        self.pacer.wait(self.stop_event)

        def in_flight() -> None:
            self.hooks.in_flight(slot, job.item)        # journaled first: a stop after this is seen
            if not self.may_send():
                raise Abort("the send lease lapsed before the final dot")
        outcome = relay.send(job.mail_from or self.mail_from, job.rcpt, data, in_flight=in_flight)
        self.hooks.answered(slot, job.item, outcome)
        if outcome.throttled:
            self.pacer.throttled()
        elif outcome.status == "deferred":
            self.pacer.tempfailed()
        elif outcome.status == "sent":
            self.pacer.accepted()
        return outcome

    def take_unstarted(self) -> list[Job]:
        """Jobs no worker has picked up yet: they go back to the ledger as not attempted."""
        jobs = []
        while True:
            try:
                job = self.inbox.get_nowait()
            except queue.Empty:
                return jobs
            if job is not None:
                jobs.append(job)

    def close(self) -> None:
        self.stop_event.set()
        for _ in self.threads:
            self.inbox.put(None)
