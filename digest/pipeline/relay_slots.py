"""A relay's `connections` and `rate` as limits for the whole fleet (Postgres, `digest worker`), not for
each worker: N workers must not multiply what a provider allows.

The database holds one slot per connection a relay allows (digest.db.relay_slots). Before a worker
sends a batch it claims what free slots it can (a worker of --concurrency n gives a batch at most
1/n of the relay's, rounded up, so that its batches' starts and ends overlap), and opens only that many connections, each paced at
its share of the relay's rate (rate / connections): holding k slots, its pool sends through k
connections at k x rate / connections. So the whole fleet never has more connections open to a relay
than it allows, nor sends faster than its rate. A worker that finds every slot held waits (bounded)
for one. A slot hands its pace on: released, it keeps the moment its holder's pacer would have sent
the next message (next_at), and the next holder sends nothing before it. The slots are leased with the batch (renewed with it, by the same owner) and let go when the
batch ends: a worker that dies frees its slots when the lease runs out, or at once for a process of
this host that is gone, as its batch is.

A relay is known to the fleet by its [[relay]] name (so every host names it alike to share its
limits), or by host:port for the one relay of DIGEST_SMTP_URL.
May import: config, db, errors, and .lease.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable

from ..config import RelaySettings
from ..db import Database
from ..errors import LeaseLost
from .lease import holder_is_dead

log = logging.getLogger("digest.worker")
POLL = 0.25         # seconds between two looks for a free slot, while every slot is held


def relay_key(relay: RelaySettings) -> str:
    """How the fleet names a relay: its [[relay]] name, or host:port (a name never holds a colon)."""
    return relay.smtp.relay or relay.smtp.name


def share(relay: RelaySettings, slots: int) -> RelaySettings:
    """The relay as a worker holding `slots` of its connections sends through it: that many, at their share of its rate."""
    rate = relay.rate * slots / relay.connection_count if relay.rate else relay.rate
    return dataclasses.replace(relay, connections=slots, rate=rate)


class FleetSlots:
    """The relay slots one batch's sender holds, as the holder of its batch claim and for as long as its lease."""

    def __init__(self, db: Database, owner: str, seconds: float, *, split: int = 1):
        self.db, self.owner, self.seconds = db, owner, seconds
        self.split = max(1, split)    # batches its worker sends at once: each claims its share of a relay
        self.held: dict[str, list[int]] = {}
        self.pace: dict[str, float] = {}      # per relay: seconds until our pace would let it send again
        self.ready_in = 0.0                   # seconds until the slots got may send (their last holder's pace)
        self._made: set[tuple[str, int]] = set()

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.held.values())

    def take(self, relays: list[RelaySettings], *, wait: float,
             keep_alive: Callable[[], None] = lambda: None) -> list[RelaySettings]:
        """The relays this sender may use now, each with the connections it got (see the module); waits up
        to `wait` seconds for a first slot, calling `keep_alive` (the batch lease's renewal) meanwhile.
        [] when every slot of every relay stayed held."""
        deadline = time.monotonic() + wait
        looked = 0.0
        while True:
            self._claim(relays, dead=False)
            if not self.count and time.monotonic() - looked >= 1.0:     # a holder gone from this host: once a second
                looked = time.monotonic()
                self._claim(relays, dead=True)
            if self.count or time.monotonic() >= deadline:
                break
            keep_alive()
            time.sleep(min(max(0.0, deadline - time.monotonic()), POLL * random.uniform(0.8, 1.2)))
        got = [share(r, len(self.held[relay_key(r)])) for r in relays if self.held.get(relay_key(r))]
        if got:
            log.debug("relay slots: %s", ", ".join(f"{relay_key(r)} {self.held[relay_key(r)]}" for r in got))
        ready = time.monotonic() + self.ready_in      # each slot sends no sooner than its pace allows
        while (left := ready - time.monotonic()) > 0:
            keep_alive()
            time.sleep(min(left, 1.0))
        return got

    def _claim(self, relays: list[RelaySettings], *, dead: bool) -> None:
        for r in relays:
            key, n = relay_key(r), r.connection_count
            want = min(n, -(-n // self.split)) - len(self.held.get(key, []))
            if want <= 0:
                continue
            gone = [h for h in self.db.relay_slots.holders(key) if holder_is_dead(h)] if dead else []
            if dead and not gone:
                continue
            if (key, n) not in self._made:
                self.db.relay_slots.ensure(key, n)
                self._made.add((key, n))
            slots = self.db.relay_slots.claim(key, n, self.owner, self.seconds, want=want, dead=gone)
            if slots:
                self.held.setdefault(key, []).extend(slot for slot, _ in slots)
                self.ready_in = max([self.ready_in] + [wait for _, wait in slots])

    def renew(self) -> None:
        """With the batch's lease: LeaseLost when a slot ran out meanwhile (another worker may have it now)."""
        if self.count and self.db.relay_slots.renew(self.owner, self.seconds) < self.count:
            raise LeaseLost(f"relay slots:the relay slots {self.held}", None)

    def release(self) -> None:
        """Let every slot go, for the next worker, with our pace (self.pace) for it to wait out."""
        if self.count:
            self.db.relay_slots.release(self.owner, {key: self.pace.get(key, 0.0) for key in self.held})
            self.held.clear()
