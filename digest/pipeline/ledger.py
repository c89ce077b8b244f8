"""Record stage: outcomes into the delivery ledger, and the ledger brought back to the truth after
whatever happened to the last run.

Exactly once, per recipient, is kept by three things together:

1. Claims. The sender marks rows 'sending' a batch at a time before it hands them to a connection.
   'sending' means "claimed by the lease holder", not "on the wire": most claimed rows are still
   waiting in memory.
2. The journal (digest.smtp.journal): each connection writes `D <id>` before the final dot and
   `R <id> ...` after the answer; outcomes reach the database in batches.
3. Replay (recover). At the start of a run, holding the lease, the journals of the edition are
   replayed onto the rows still 'sending': an `R` gives the row its recorded outcome; a `D` with no
   `R` after it is the message whose final dot may have reached the relay while its answer never
   reached us: 'uncertain'. A connection sends one message at a time, so there is at most one per
   connection. Every other 'sending' row never reached the final dot and goes back to the queue.

Replay only touches rows still 'sending', so running it twice is harmless; a journal file is
removed only once the database has committed everything it said (a ledger write that fails, a
locked database or a full disk, leaves it for the next run: LedgerError). Every write is fenced
with the lease, so a sender stalled past its lease (SIGSTOP, a paused VM) that wakes up after
another took over writes nothing: LeaseLost. Durability: kill -9 loses nothing. A power cut may
lose the last moments of the journal and of the WAL (synchronous=NORMAL), as any mail queue without
fsync per message would.
May import: clock, config, db, errors, smtp (and its journal), and .audience.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import now
from ..config import SendSettings
from ..db import Database, database_error
from ..errors import LedgerError
from ..smtp import uncertain_reason
from ..smtp.journal import UNCERTAIN_REPLY, journal_dir, read_journals
from . import audience


def record(db: Database, outcomes: list[tuple], *, soft_bounce_limit: int, from_status: str = "sending",
           attempt: int = 1, fence: Any = None) -> None:
    """Write SMTP outcomes (delivery id, status, reply, next_attempt_at, soft, relay, why uncertain) and what they mean
    for their subscribers (audience.settle), in one transaction fenced with the lease. `relay` is the
    name of the relay that answered, or None."""
    if not outcomes:
        return
    with db.transaction():
        settled = db.deliveries.record(outcomes, from_status=from_status, attempt=attempt, fence=fence)
        audience.settle(db, settled, soft_bounce_limit=soft_bounce_limit)


def expire(db: Database, edition_id: int, planned_before: dt.datetime, *, soft_bounce_limit: int,
           fence: Any = None) -> int:
    """Deferred rows planned before the cut-off have run out of time: failed, and a soft bounce."""
    rows = db.deliveries.expired(edition_id, planned_before)
    record(db, [(d.id, "failed", f"gave up after {d.attempts} attempts; last reply: {d.last_reply or '-'}", None, True,
                 None, None) for d in rows], soft_bounce_limit=soft_bounce_limit, from_status="deferred", attempt=0, fence=fence)
    return len(rows)


def outbox(db: Database) -> Path | None:
    """Where the journals of this database's sends are kept: `digest.db.outbox/` beside a SQLite file, this
    host's [worker] journal/send/ on PostgreSQL (pipeline.database)."""
    return db.journal if db.journal is not None else journal_dir(db.path)


@dataclass
class Recovery:
    replayed: int = 0          # outcomes recorded from the journal
    uncertain: int = 0         # messages that were in flight when a sender died
    released: int = 0          # claimed rows that never reached the relay, back in the queue
    expired: int = 0           # deferred past the deadline: failed
    requeued_uncertain: int = 0


def recover(db: Database, edition_id: int, *, soft_bounce_limit: int, deadline: float,
            resend_uncertain: bool | str = False, fence: Any = None) -> Recovery:
    """Bring the ledger of one edition back to the truth after whatever happened to the last run.

    Rows left 'sending' by any earlier holder, however long ago, are settled here: the holder of
    the lease (`fence`) is the only one that may have claims. `resend_uncertain`: True (or "all")
    puts every uncertain row back in the queue, a reason (smtp.UNCERTAIN_REASONS) only its rows."""
    rec = Recovery()
    rec.replayed, rec.uncertain, files = replay(db, outbox(db), edition_id, soft_bounce_limit=soft_bounce_limit,
                                                fence=fence)
    rec.released = db.deliveries.release_claims(edition_id, fence=fence)
    for path in files:      # the database now holds everything they said
        path.unlink(missing_ok=True)
    rec.expired = expire(db, edition_id, now() - dt.timedelta(seconds=deadline), soft_bounce_limit=soft_bounce_limit,
                         fence=fence)
    if resend_uncertain:
        reason = None if resend_uncertain in (True, "all") else str(resend_uncertain)
        rec.requeued_uncertain = db.deliveries.requeue_uncertain(edition_id, reason, fence=fence)
    return rec


def replay(db: Database, folder: Path | None, edition_id: int, *, soft_bounce_limit: int, tag: str = "",
           fence: Any = None) -> tuple[int, int, list[Path]]:
    """The journals in `folder` of the edition (of one worker batch: `tag`) onto its rows still 'sending':
    an R is the outcome it records, a D with no R after it uncertain. Returns (outcomes replayed,
    uncertain, the files read), the files for the caller to remove once this is committed."""
    events, files = read_journals(folder, edition_id, tag)
    outcomes: list[tuple] = []
    uncertain = 0
    for did, ev in events.items():
        if ev[0] == "D":
            outcomes.append((did, "uncertain", UNCERTAIN_REPLY, None, False, ev[1], "sender-died"))
            uncertain += 1
        else:
            why = (uncertain_reason(ev[2]) or "no-answer") if ev[1] == "uncertain" else None
            outcomes.append((did, ev[1], ev[2], now() if ev[1] == "deferred" else None, ev[3], ev[4], why))
    record(db, outcomes, soft_bounce_limit=soft_bounce_limit, fence=fence)
    return len(outcomes) - uncertain, uncertain, files


def ledger_error(db: Database, settings: SendSettings, exc: Exception) -> LedgerError:
    """A failed ledger write, said with what to do about it."""
    text = " ".join(str(exc).split()) if db.dialect == "sqlite" else database_error(exc, db.path).message.rstrip(".")
    if "locked" in text or "busy" in text or "lock timeout" in text:
        why = (f"Another process held the database's write lock for more than {settings.lock_timeout:g} s: "
               "let it finish (or stop it)")
    elif "full" in text:
        why = "The disk is full: free some space"
    elif db.dialect == "postgres":
        why = "Check that the PostgreSQL server is up and reachable"
    else:
        why = "Check the database file and its disk"
    return LedgerError(
        f"Could not write the delivery ledger in {db.path}: {text}. Sending stopped.",
        f"{why}, then run `digest send` again. What was sent is kept in {outbox(db)}/; the next "
        "run records it first, so nobody gets a second copy.")
