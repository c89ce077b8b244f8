"""Record stage: the delivery ledger's crash safety. A per-connection journal, replay, and the send lease.

Exactly once, per recipient, is kept by three things together:

1. Claims. The sender marks rows 'sending' a batch at a time (one transaction per few hundred
   rows) before it hands them to a connection. 'sending' means "claimed by the lease holder", not
   "on the wire": most claimed rows are still waiting in memory.
2. The journal. Each connection appends to its own file (O_APPEND, one write() per event, no
   user-space buffer, so a SIGKILL loses nothing already written): `D <id>` after the message
   content is written and before the final dot, `R <id> <status> <soft> <reply>` right after the
   relay answers. That is two small syscalls a message instead of a database commit; outcomes
   reach the database in batches of `batch` rows or every half second.
3. Replay. At the start of a run, holding the lease, the journals of the edition are replayed onto
   the rows still 'sending': an `R` gives the row its recorded outcome; a `D` with no `R` after it
   is the message whose final dot may have reached the relay while its answer never reached us:
   'uncertain'. A connection sends one message at a time, so there is at most one per connection.
   Every other 'sending' row never reached the final dot and goes back to the queue.

Replay only touches rows still 'sending', so running it twice is harmless; a journal file is
removed only once the database has committed everything it said (a ledger write that fails, a
locked database or a full disk, leaves it for the next run: LedgerError). `R` lines of outcomes
about us (requeue, stop: never sent) are not outcomes of the recipient and replay skips them.

The lease (a row in `leases`, renewed while sending) keeps a second `digest send` off the edition;
a lease whose holder process is gone (same host, pid not running) or has expired is taken over.
Every ledger write is fenced with the lease (store: `fence`), and the holder stops sending as soon
as its own clock says the lease may have lapsed (`Lease.valid`, checked before each message and
again right after its `D` line, before the final dot). So a sender stalled past its lease (SIGSTOP,
a paused VM) that wakes up after another took over sends no further message and writes nothing:
LeaseLost. Its last in-flight message, if any, was in its journal for the new holder to find.
Durability: kill -9 loses nothing. A power cut may lose the last moments of the journal and of the
WAL (synchronous=NORMAL), as any mail queue without fsync per message would.
May import: store, errors, send.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import DigestError, LockedError
from .send import ABOUT_US, Abort, Hooks, Outcome
from .store import LeaseLost, Store, now

__all__ = ["Journal", "Lease", "LeaseLost", "LedgerError", "Recovery", "journal_dir", "read_journals", "recover"]


class LedgerError(DigestError):
    """A ledger write or a journal write failed mid-send (database locked, disk full): sending stopped.
    What was sent is in the journal, which is kept for the next run to record."""

UNCERTAIN_REPLY = "the sender stopped after the final dot, before the relay answered: delivered or not, unknown"


def journal_dir(store: Store) -> Path | None:
    """Beside the database (`digest.db.outbox/`); None for an in-memory database."""
    if store.path in ("", ":memory:"):
        return None
    return Path(store.path + ".outbox")


class Journal(Hooks):
    """One append-only file per connection for one run of one edition.

    A write that fails (disk full, I/O error) sets `broken`: the message about to be sent is not
    (Abort before its final dot), and the sender stops."""

    def __init__(self, folder: Path | None, edition_id: int, connections: int):
        self.paths: list[Path] = []
        self.fds: list[int] = []
        self.broken: OSError | None = None
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        run = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for slot in range(connections):
            path = folder / f"e{edition_id}-{run}-{slot}.log"
            self.paths.append(path)
            self.fds.append(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))

    def in_flight(self, slot: int, item) -> None:
        if self.broken is not None:
            raise Abort(f"the send journal cannot be written ({self.broken.strerror})")
        if self.fds:
            try:
                os.write(self.fds[slot], b"D %d\n" % item.id)
            except OSError as exc:
                self.broken = exc
                raise Abort(f"the send journal cannot be written ({exc.strerror})") from None

    def answered(self, slot: int, item, outcome: Outcome) -> None:
        if self.fds:
            soft = 1 if outcome.soft else 0
            line = f"R {item.id} {outcome.status} {soft} {' '.join(outcome.text.split())}\n"
            try:
                os.write(self.fds[slot], line.encode("utf-8", "replace"))
            except OSError as exc:    # the outcome still reaches the database; the run stops after it
                self.broken = exc

    def close(self, *, remove: bool) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        if remove:
            for path in self.paths:
                path.unlink(missing_ok=True)


def read_journals(folder: Path | None, edition_id: int) -> tuple[dict[int, tuple], list[Path]]:
    """delivery id -> ("D",) or ("R", status, reply, soft): what the journals say happened to it.

    Within one file (one connection, one thread) the last event wins. Across files there is no
    order: a message deferred on one connection may be retried and sent on another. So the files'
    verdicts are merged by what they prove: an outcome the relay gave (sent, bounced, failed,
    uncertain) over a D still waiting for its reply, and both over a deferral, which only ever
    precedes a later attempt."""
    events: dict[int, tuple] = {}
    files = sorted(folder.glob(f"e{edition_id}-*.log")) if folder and folder.is_dir() else []
    for path in files:
        last: dict[int, tuple] = {}
        # A line without its newline is a write() that never completed: for a D, the final dot was
        # never sent (it goes out after the write returns); a torn R leaves its D standing: uncertain.
        for line in path.read_bytes().decode("utf-8", "replace").split("\n")[:-1]:
            parts = line.split(" ", 4)
            try:
                did = int(parts[1])
            except (IndexError, ValueError):
                continue
            if parts[0] == "D":
                last[did] = ("D",)
            elif parts[0] == "R" and len(parts) >= 4 and parts[2] in ABOUT_US:
                last.pop(did, None)         # dropped before its final dot, or refused before it: never sent
            elif parts[0] == "R" and len(parts) >= 4:
                last[did] = ("R", parts[2], parts[4] if len(parts) > 4 else "", parts[3] == "1")
        for did, ev in last.items():
            if did not in events or _weight(ev) > _weight(events[did]):
                events[did] = ev
    return events, files


def _weight(ev: tuple) -> int:
    if ev[0] == "D":
        return 2
    return 1 if ev[1] == "deferred" else 3


@dataclass
class Recovery:
    replayed: int = 0          # outcomes recorded from the journal
    uncertain: int = 0         # messages that were in flight when a sender died
    released: int = 0          # claimed rows that never reached the relay, back in the queue
    expired: int = 0           # deferred past the deadline: failed
    requeued_uncertain: int = 0


def recover(store: Store, edition_id: int, folder: Path | None, *, soft_bounce_limit: int,
            deadline: float, resend_uncertain: bool = False, fence: tuple[str, str] | None = None) -> Recovery:
    """Bring the ledger of one edition back to the truth after whatever happened to the last run.

    Rows left 'sending' by any earlier holder, however long ago, are settled here: the holder of
    the lease (`fence`) is the only one that may have claims."""
    rec = Recovery()
    events, files = read_journals(folder, edition_id)
    outcomes = []
    for did, ev in events.items():
        if ev[0] == "D":
            outcomes.append((did, "uncertain", UNCERTAIN_REPLY, None, False))
            rec.uncertain += 1
        else:
            outcomes.append((did, ev[1], ev[2], now() if ev[1] == "deferred" else None, ev[3]))
    rec.replayed = len(outcomes) - rec.uncertain
    store.record_outcomes(outcomes, soft_bounce_limit=soft_bounce_limit, fence=fence)
    rec.released = store.release_claims(edition_id, fence=fence)
    for path in files:      # the database now holds everything they said
        path.unlink(missing_ok=True)
    rec.expired = store.expire_deferred(edition_id, now() - dt.timedelta(seconds=deadline),
                                        soft_bounce_limit=soft_bounce_limit, fence=fence)
    if resend_uncertain:
        rec.requeued_uncertain = store.requeue_uncertain(edition_id, fence=fence)
    return rec


# ---- the lease ------------------------------------------------------------------------------

def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_dead(owner: str) -> bool:
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
    """`with Lease(store, "send:daily-2026-11-25", 60):` or LockedError naming the holder.

    `fence` goes with every ledger write; `valid()` is this process's own, conservative view of
    whether the lease still holds (monotonic clock, a tenth of the lease short of its expiry), so
    the workers can stop before a final dot without asking the database."""

    def __init__(self, store: Store, name: str, seconds: float):
        self.store, self.name, self.seconds = store, name, max(1.0, float(seconds))
        self.owner = _owner()
        self.fence = (name, self.owner)
        self._renewed = 0.0
        self._valid_until = 0.0
        self.lost = False

    def _mark(self, started: float) -> None:
        self._renewed = started
        self._valid_until = started + self.seconds * 0.9

    def acquire(self) -> "Lease":
        started = time.monotonic()
        holder = self.store.acquire_lease(self.name, self.owner, self.seconds)
        if holder and _holder_is_dead(holder):
            self.store.break_lease(self.name, holder)
            holder = self.store.acquire_lease(self.name, self.owner, self.seconds)
        if holder:
            held = self.store.lease_holder(self.name)
            until = held[1].strftime("%H:%M:%S UTC") if held else "soon"
            raise LockedError(f"Another `digest send` ({holder}) is sending {self.name.partition(':')[2]} "
                              f"right now; its lease runs until {until}.",
                              "Wait for it to finish. If that process died on another host, the lease "
                              "expires by itself and the next `digest send` resumes where it stopped.")
        self._mark(started)
        return self

    def valid(self) -> bool:
        return not self.lost and time.monotonic() < self._valid_until

    def renew_if_due(self) -> None:
        if time.monotonic() - self._renewed < self.seconds / 3:
            return
        started = time.monotonic()
        if not self.store.renew_lease(self.name, self.owner, self.seconds):
            self.lost = True
            held = self.store.lease_holder(self.name)
            raise LeaseLost(self.name, held[0] if held else None)
        self._mark(started)

    def release(self) -> None:
        if not self.lost:
            self.store.release_lease(self.name, self.owner)

    def __enter__(self) -> "Lease":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
