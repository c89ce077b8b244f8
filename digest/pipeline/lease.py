"""The lease: one named row in the database that one process holds at a time, for a sender
("send:<edition>") and for the scheduler ("scheduler") alike.

A holder renews it while it works; a lease whose holder has expired is taken over, and one whose
holder process is gone (same host, pid not running: kill -9, an OOM) is taken over at once, so
nobody waits for it to expire. `valid()` is this process's own, conservative view (monotonic clock,
a tenth of the lease short of its expiry), so a sender's workers can stop before a final dot
without asking the database; every ledger write is also fenced with `fence` in the database.
`keep_alive()` renews from a thread of its own (the scheduler: its jobs may hold the database for
long), every third of the lease, and while it stands by tries every STANDBY_POLL seconds, so a
holder that died is replaced within STANDBY_POLL (same host) or the lease and STANDBY_POLL (another
host); `renew_if_due()` from the caller's loop (a sender).
May import: errors, and digest.db.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from ..db import Database
from ..errors import LeaseLost, LockedError

STANDBY_POLL = 2.0          # seconds between a standby's tries (one small UPDATE each)


def new_owner() -> str:
    """host:pid:nonce, so that a holder on this host can be checked for being alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str) -> bool:
    """Only provable on this host: the pid is not running any more."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """`Lease(db, "send:daily-2026-11-25", 60).acquire()`, or LockedError naming the holder."""

    def __init__(self, db: Database, name: str, seconds: float, *, owner: str | None = None,
                 log: logging.Logger | None = None):
        self.db, self.name, self.seconds = db, name, max(1.0, float(seconds))
        self.owner = owner or new_owner()
        self.fence = (name, self.owner)
        self.log = log
        self.held = False             # as of the last acquire or renewal
        self.lost = False             # it was ours, and another took it over
        self._renewed = 0.0
        self._valid_until = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _mark(self, started: float) -> None:
        self._renewed = started
        self._valid_until = started + self.seconds * 0.9

    def try_acquire(self) -> str | None:
        """Take (or renew) the lease; returns the other holder when it is not ours."""
        with self._lock:
            started = time.monotonic()
            holder = self.db.leases.acquire(self.name, self.owner, self.seconds)
            if holder and holder_is_dead(holder):
                if self.log:
                    self.log.warning("the %s lease of %s, whose process is gone, is taken over", self.name, holder)
                self.db.leases.release(self.name, holder)
                holder = self.db.leases.acquire(self.name, self.owner, self.seconds)
            was, self.held = self.held, holder is None
            if self.held:
                self._mark(started)
        if self.log and was and not self.held:
            self.log.error("lost the %s lease to %s; standing by", self.name, holder)
        elif self.log and not was and self.held and self._thread is not None:
            self.log.info("took over the %s lease", self.name)
        return holder

    def acquire(self) -> Lease:
        """A sender's: the lease, or LockedError naming the sender that holds it and until when."""
        holder = self.try_acquire()
        if holder:
            held = self.db.leases.holder(self.name)
            until = held.expires_at.strftime("%H:%M:%S UTC") if held else "soon"
            raise LockedError(f"Another `digest send` ({holder}) is sending {self.name.partition(':')[2]} "
                              f"right now; its lease runs until {until}.",
                              "Wait for it to finish. If that process died on another host, the lease "
                              "expires by itself and the next `digest send` resumes where it stopped.")
        return self

    def valid(self) -> bool:
        return not self.lost and time.monotonic() < self._valid_until

    def renew_if_due(self) -> None:
        """Renew from the caller's loop every third of the lease; LeaseLost if another took it."""
        if time.monotonic() - self._renewed < self.seconds / 3:
            return
        started = time.monotonic()
        if not self.db.leases.renew(self.name, self.owner, self.seconds):
            self.lost = True
            self.held = False
            held = self.db.leases.holder(self.name)
            raise LeaseLost(self.name, held.owner if held else None)
        self._mark(started)

    def keep_alive(self) -> None:
        """Renew (or take back, once free) from a thread of its own until release()."""
        def keep() -> None:
            while not self._stop.wait(self.seconds / 3 if self.held else min(self.seconds / 3, STANDBY_POLL)):
                try:
                    self.try_acquire()
                except Exception as exc:   # a locked or vanished database: try again, never die
                    if self.log:
                        self.log.warning("could not renew the %s lease: %s", self.name, exc)
        self._thread = threading.Thread(target=keep, name=f"digest-lease-{self.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self.held and not self.lost:
                self.db.leases.release(self.name, self.owner)
            self.held = False
