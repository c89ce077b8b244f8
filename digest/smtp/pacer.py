"""The pace of one relay: a rate limit that adapts, halved when the relay throttles us (421/454, or a
burst of recipient 4xx) and regained slowly as messages are accepted. Each relay of the pool has its
own, so throttling slows only the relay that throttles.
May import: .replies.
"""

from __future__ import annotations

import threading
import time

from .replies import BURST


class Pacer:
    """One relay's rate limit, shared by its connections: halved when the relay throttles us, regained
    slowly.

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

    @property
    def paced(self) -> bool:
        """Held to a rate (its own limit, or a throttle): the pool does not wait for such a relay."""
        return bool(self.rate)

    @property
    def next_in(self) -> float:
        """Seconds until its pace lets the next message go (0: now)."""
        with self._lock:
            return max(0.0, self._next - time.monotonic()) if self.rate else 0.0

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
