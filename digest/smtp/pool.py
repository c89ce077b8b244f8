"""One or more relays, each with its own connections (worker threads), its own pace and its share.

A Lane is one relay of the pool: `connections` worker threads reading the lane's own inbox, its own
Pacer, and its weight. `submit` hands each job to a lane by smooth weighted round robin (as nginx
spreads requests over upstreams), so the deliveries follow the weights. When the lane whose turn it
is has no room, the pool waits for it, unless that lane is paced (its own `rate`, or a throttle):
then the others take its turn, so a relay that throttles slows only itself.

Each worker builds the message (CPU, while other workers wait on the network), waits for its lane's
Pacer, and sends; the caller's hooks run in the worker right before the final dot (`in_flight`) and
right after the reply (`answered`), which is where the record stage journals them. The window
between those two calls is the only one SMTP cannot settle. `in_flight` may raise Abort: the
connection is dropped before the dot, so the relay discards the message. Every job gets exactly one
Result, whatever is raised: a worker thread never dies of it.

Only the caller's thread submits, reads results and takes a lane out of rotation (`take_out`); the
workers only report. A lane taken out sends nothing more after the message each of its workers has
in hand, and the jobs it had not started are handed back, never attempted.
May import: config, errors, and .pacer/.relay/.replies.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import RelaySettings
from ..errors import DigestError, RelayError
from .pacer import Pacer
from .relay import Abort, Relay
from .replies import Outcome

WINDOW = 4      # jobs handed to a lane (in flight or waiting in its inbox) per connection


class Hooks:
    """What the pool calls in a worker thread; the record stage implements it (journal writes)."""

    def in_flight(self, slot: int, item: object) -> None: ...

    def answered(self, slot: int, item: object, outcome: Outcome) -> None: ...


@dataclass
class Job:
    item: object                        # the caller's row; opaque here
    rcpt: str
    build: Callable[[], bytes]
    mail_from: str | None = None        # this message's envelope sender (a VERP address); None: the pool's


class Lane:
    """One relay of the pool: its connections' inbox and pace, its weight, and whether it is in rotation."""

    def __init__(self, settings: RelaySettings, first_slot: int, local_hostname: str | None):
        self.settings, self.local_hostname = settings, local_hostname
        self.name, self.weight = settings.name, settings.weight
        self.pacer = Pacer(settings.rate or 0.0)
        self.inbox: queue.Queue = queue.Queue()
        self.connections = settings.connection_count
        self.slots = range(first_slot, first_slot + self.connections)
        self.window = WINDOW * self.connections
        self.outstanding = 0            # jobs handed over whose result has not been read yet
        self.current = 0.0              # smooth weighted round robin
        self.alive = self.connections
        self.out: DigestError | None = None    # why it was taken out of rotation
        self.failure: RelayError | None = None  # the first of its connections that could not be reopened
        self.stop = threading.Event()   # set when taken out, or when the pool closes
        self.refusals = 0               # the caller's count of temporary refusals of us in a row

    @property
    def label(self) -> str:
        return self.settings.smtp.label

    @property
    def room(self) -> int:
        """Jobs it may still be handed. A paced relay gets only what its connections hold: a queue in
        front of a slow relay would keep the others waiting for it at the end of the run."""
        return (self.connections if self.pacer.paced else self.window) - self.outstanding

    def relay(self) -> Relay:
        return Relay(self.settings.smtp, local_hostname=self.local_hostname)


@dataclass
class Result:
    lane: Lane
    job: Job | None                     # None: a worker of the lane stopped
    outcome: Outcome | None = None
    error: RelayError | None = None     # the connection could not be (re)opened: the job was never attempted


def open_all(relays: list[RelaySettings], local_hostname: str | None = None) -> list[tuple[RelaySettings, Relay | RelayError]]:
    """One connection to each relay, opened side by side (two relays that time out cost one timeout):
    the open Relay, or why it could not be opened."""
    out: list = [None] * len(relays)

    def one(i: int, settings: RelaySettings) -> None:
        try:
            out[i] = (settings, Relay(settings.smtp, local_hostname=local_hostname).open())
        except RelayError as exc:
            out[i] = (settings, exc)
        except Exception as exc:    # noqa: BLE001 -- whatever it is, this relay cannot be used now
            out[i] = (settings, RelayError(f"Cannot open SMTP relay {settings.smtp.label}: {exc!r}."))
    threads = [threading.Thread(target=one, args=(i, r), daemon=True) for i, r in enumerate(relays)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


class Pool:
    """Lanes of worker threads. `submit` jobs; `result()` hands back each job's Result.

    `relays` pairs each relay with a connection already open (from open_all) or None. `may_send` is
    asked before each message and again right before its final dot: when it says no (the sender's
    lease has lapsed), the message goes back unsent as a `requeue`.
    """

    def __init__(self, relays: Sequence[tuple[RelaySettings, Relay | None]], hooks: Hooks, *, mail_from: str,
                 local_hostname: str | None = None, may_send: Callable[[], bool] = lambda: True):
        self.results: queue.Queue = queue.Queue()
        self.mail_from, self.hooks, self.may_send = mail_from, hooks, may_send
        self.lanes: list[Lane] = []
        self.threads: list[threading.Thread] = []
        slot = 0
        for settings, first in relays:
            lane = Lane(settings, slot, local_hostname)
            slot += lane.connections
            self.lanes.append(lane)
            self.threads += [threading.Thread(target=self._work, args=(lane, s, first if s == lane.slots[0] else None),
                                              name=f"digest-send-{lane.name}-{s}", daemon=True) for s in lane.slots]
        for t in self.threads:
            t.start()

    @property
    def slots(self) -> list[str]:
        """The relay of each connection slot, in slot order (the journal keeps one file per slot)."""
        return [lane.name for lane in self.lanes for _ in lane.slots]

    @property
    def rotation(self) -> list[Lane]:
        return [lane for lane in self.lanes if lane.out is None]

    def lane(self, name: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.name == name), None)

    # ---- handing out work (the caller's thread) ----------------------------------------------

    def _pick(self, commit: bool, room: bool = True) -> Lane | None:
        """Smooth weighted round robin over the lanes in rotation. With `room`, a paced lane that is
        full sits this turn out, and an unpaced one that is full is waited for (None)."""
        lanes = [lane for lane in self.lanes if lane.out is None and (not room or lane.room > 0 or not lane.pacer.paced)]
        if not lanes:
            return None
        best = max(lanes, key=lambda lane: lane.current + lane.weight)
        if room and best.room <= 0:
            return None
        if commit:
            for lane in lanes:
                lane.current += lane.weight
            best.current -= sum(lane.weight for lane in lanes)
        return best

    def has_room(self) -> bool:
        return self._pick(commit=False) is not None

    def submit(self, job: Job) -> Lane | None:
        """Hand the job to the lane whose turn it is (past its window if need be, for a retry that is due);
        None when no lane is left in rotation."""
        lane = self._pick(commit=True) or self._pick(commit=True, room=False)
        if lane is not None:
            lane.outstanding += 1
            lane.inbox.put(job)
        return lane

    def result(self, timeout: float) -> Result | None:
        try:
            r = self.results.get(timeout=timeout)
        except queue.Empty:
            return None
        if r.job is None:
            r.lane.alive -= 1
        else:
            r.lane.outstanding -= 1
        return r

    def take_out(self, lane: Lane, why: DigestError) -> list[Job]:
        """Out of rotation for the rest of the run: its workers stop after the message in hand, and
        the jobs it had not started come back (never attempted) for the other lanes."""
        lane.out = why
        lane.stop.set()
        jobs = self._unstarted(lane)
        for _ in lane.slots:
            lane.inbox.put(None)
        return jobs

    def _unstarted(self, lane: Lane) -> list[Job]:
        jobs = []
        while True:
            try:
                job = lane.inbox.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                jobs.append(job)
        lane.outstanding -= len(jobs)
        return jobs

    def take_unstarted(self) -> list[Job]:
        """Jobs no worker has picked up yet: they go back to the ledger as not attempted."""
        return [job for lane in self.lanes for job in self._unstarted(lane)]

    def close(self) -> None:
        for lane in self.lanes:
            lane.stop.set()
            for _ in lane.slots:
                lane.inbox.put(None)

    def join(self, timeout: float) -> None:
        """After close: wait (up to `timeout` seconds in all) until every connection is closed."""
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))

    # ---- the workers -------------------------------------------------------------------------

    def _work(self, lane: Lane, slot: int, relay: Relay | None) -> None:
        relay = relay or lane.relay()
        try:
            while True:
                job = lane.inbox.get()
                if job is None:
                    return
                try:
                    outcome = self._one(lane, slot, relay, job)
                except RelayError as exc:
                    self.results.put(Result(lane, job, error=exc))
                    return
                except Exception as exc:    # a bug of ours: still this job's outcome, and the worker goes on
                    outcome = Outcome("failed", 0, f"internal error while sending: {type(exc).__name__}: {exc}")
                self.results.put(Result(lane, job, outcome))
        finally:
            relay.close()
            self.results.put(Result(lane, None))

    def _one(self, lane: Lane, slot: int, relay: Relay, job: Job) -> Outcome:
        try:
            data = job.build()
        except Exception as exc:   # a bad row must not stop the run; it is recorded as failed
            return Outcome("failed", 0, f"could not build the message: {exc!r}")
        if not self.may_send():
            return Outcome("requeue", 0, "not sent: the send lease lapsed")
        lane.pacer.wait(lane.stop)
        if lane.stop.is_set():
            return Outcome("requeue", 0, f"not sent: relay {lane.name} stopped sending", relay=lane.name)

        def in_flight() -> None:
            self.hooks.in_flight(slot, job.item)        # journaled first: a stop after this is seen
            if not self.may_send():
                raise Abort("the send lease lapsed before the final dot")
        outcome = relay.send(job.mail_from or self.mail_from, job.rcpt, data, in_flight=in_flight)
        outcome.relay = lane.name
        if outcome.timed_out:
            lane.stop.set()     # no connection of a relay that stopped answering starts another message
        self.hooks.answered(slot, job.item, outcome)
        if outcome.throttled:
            lane.pacer.throttled()
        elif outcome.status == "deferred":
            lane.pacer.tempfailed()
        elif outcome.status == "sent":
            lane.pacer.accepted()
        return outcome
