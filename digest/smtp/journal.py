"""The send journal: one append-only file per SMTP connection, so that a sender killed at any moment
leaves behind exactly what it did. No database here.

Each connection appends (O_APPEND, one write() per event, no user-space buffer, so a SIGKILL loses
nothing already written) `D <id>` after the message content is written and before the final dot,
and `R <id> <status> <soft> <reply>` right after the relay answers. A connection belongs to one
relay, named once at the top of its file (`H <relay>`), so a replayed outcome keeps its relay. That is two small syscalls a
message instead of a database commit; the ledger records outcomes in batches, and the next run
replays whatever a killed one left (digest.pipeline.ledger). `R` lines of outcomes about us
(requeue, stop: never sent) are not outcomes of the recipient, and reading skips them.
May import: smtp.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from . import ABOUT_US, Abort, Hooks, Outcome

# The sender died between the final dot and the answer: the relay most likely kept the message.
UNCERTAIN_REPLY = "sender-died: the sender stopped after the final dot, before the relay answered"


def journal_dir(db_path: str) -> Path | None:
    """Beside the database (`digest.db.outbox/`); None for an in-memory database."""
    if db_path in ("", ":memory:"):
        return None
    return Path(db_path + ".outbox")


class Journal(Hooks):
    """One append-only file per connection for one run of one edition.

    A write that fails (disk full, I/O error) sets `broken`: the message about to be sent is not
    (Abort before its final dot), and the sender stops."""

    def __init__(self, folder: Path | None, edition_id: int, relays: list[str], tag: str = ""):
        """`relays`: the relay of each connection slot, in slot order; `tag` ("b12-": a worker's batch)
        names the files of one part of the edition, replayed on their own."""
        self.paths: list[Path] = []
        self.fds: list[int] = []
        self.broken: OSError | None = None
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        run = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for slot, relay in enumerate(relays):
            path = folder / f"e{edition_id}-{tag}{run}-{slot}.log"
            self.paths.append(path)
            self.fds.append(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            os.write(self.fds[-1], f"H {' '.join(relay.split())}\n".encode("utf-8", "replace"))

    def in_flight(self, slot: int, item: Any) -> None:     # a Claimed: anything with an id
        if self.broken is not None:
            raise Abort(f"the send journal cannot be written ({self.broken.strerror})")
        if self.fds:
            try:
                os.write(self.fds[slot], b"D %d\n" % item.id)
            except OSError as exc:
                self.broken = exc
                raise Abort(f"the send journal cannot be written ({exc.strerror})") from None

    def answered(self, slot: int, item: Any, outcome: Outcome) -> None:
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


def read_journals(folder: Path | None, edition_id: int, tag: str = "") -> tuple[dict[int, tuple], list[Path]]:
    """delivery id -> ("D", relay) or ("R", status, reply, soft, relay): what the journals say happened
    to it, and on which relay (None in a file written before relays were named).

    Within one file (one connection, one thread) the last event wins. Across files there is no
    order: a message deferred on one connection may be retried and sent on another. So the files'
    verdicts are merged by what they prove: an outcome the relay gave (sent, bounced, failed,
    uncertain) over a D still waiting for its reply, and both over a deferral, which only ever
    precedes a later attempt."""
    events: dict[int, tuple] = {}
    files = sorted(folder.glob(f"e{edition_id}-{tag}*.log")) if folder and folder.is_dir() else []
    for path in files:
        last: dict[int, tuple] = {}
        relay = None
        # A line without its newline is a write() that never completed: for a D, the final dot was
        # never sent (it goes out after the write returns); a torn R leaves its D standing: uncertain.
        for line in path.read_bytes().decode("utf-8", "replace").split("\n")[:-1]:
            if line.startswith("H "):
                relay = line[2:] or None
                continue
            parts = line.split(" ", 4)
            try:
                did = int(parts[1])
            except (IndexError, ValueError):
                continue
            if parts[0] == "D":
                last[did] = ("D", relay)
            elif parts[0] == "R" and len(parts) >= 4 and parts[2] in ABOUT_US:
                last.pop(did, None)         # dropped before its final dot, or refused before it: never sent
            elif parts[0] == "R" and len(parts) >= 4:
                last[did] = ("R", parts[2], parts[4] if len(parts) > 4 else "", parts[3] == "1", relay)
        for did, ev in last.items():
            if did not in events or _weight(ev) > _weight(events[did]):
                events[did] = ev
    return events, files


def _weight(ev: tuple) -> int:
    if ev[0] == "D":
        return 2
    return 1 if ev[1] == "deferred" else 3
