"""How far an edition is, across every sender and worker (`digest editions show`, `digest editions list`):
its ledger rows by status, by the relay that answered each, its batches and which worker holds which
now (Postgres), and the `digest send` holding its lease, as plain values and as the records --json writes.

What a number means: every ledger row is one subscriber's copy, so `planned` is the rows written and
`sent` the ones a relay accepted. The ledger records the relay of each outcome, not the worker that
sent it, so what a worker did is read from the batches it holds now, never guessed after the fact.
May import: clock, db, errors, models, page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..clock import now
from ..db import Database, ts
from ..errors import NotFound
from ..models import DELIVERY_STATUSES, Edition, EditionCounts, HeldBatch, LeaseHolder
from ..page import Page

# Every delivery state, in the ledger's own order (pending -> sending -> sent, then the rest).
SHOWN = DELIVERY_STATUSES
BATCH_STATES = ("done", "held", "waiting")       # db.progress: a batch by what its rows say


@dataclass
class EditionProgress:
    edition: Edition
    dialect: str                              # sqlite: one host sends; postgres: maybe a fleet
    counts: dict[str, int]                    # ledger rows by status
    relays: dict[str | None, dict[str, int]]  # by the relay that answered (None: not attempted yet), then status
    batches: dict[str, int]                   # batches: held (by a worker), waiting, done (none on SQLite)
    held: list[HeldBatch]                     # the batches a worker holds now
    sender: LeaseHolder | None                # a `digest send` holding the edition's lease now

    @property
    def planned(self) -> int:
        return sum(self.counts.values())


def holder(owner: str) -> tuple[str, str | None]:
    """A claim's owner (host:pid:nonce[:journal]) as the admin reads it: (host:pid, journal folder)."""
    parts = owner.split(":", 3)
    return ":".join(parts[:2]), parts[3] if len(parts) == 4 else None


def unknown_edition(db: Database, key: str) -> NotFound:
    known = ", ".join(db.editions.recent_keys(5)) or "none yet"
    return NotFound(f'Edition "{key}" does not exist. Recent editions: {known}.',
                    "`digest editions list` lists them.")


def edition_progress(db: Database, key: str) -> EditionProgress:
    """The edition's progress now; NotFound (naming the recent keys) when there is no such edition."""
    edition = db.progress.edition(key)
    if edition is None:
        raise unknown_edition(db, key)
    lease = db.leases.holder(f"send:{key}")
    live = lease if lease is not None and lease.expires_at > now() else None
    return EditionProgress(edition, db.dialect, db.deliveries.counts(edition.id), db.progress.by_relay(edition.id),
                           db.progress.batches(edition.id), db.progress.held(edition.id), live)


def progress_record(p: EditionProgress) -> dict:
    """`digest editions show --json`: one object."""
    workers: dict[str, dict] = {}
    for b in p.held:
        name, journal = holder(b.owner)
        workers.setdefault(name, {"worker": name, "journal": journal, "batches": []})["batches"].append(b.id)
    return {
        "edition": p.edition.key, "frequency": p.edition.frequency, "date": p.edition.date.isoformat(),
        "title": p.edition.title, "database": p.dialect, "planned": p.planned,
        **{s: p.counts.get(s, 0) for s in SHOWN},
        "relays": [{"relay": relay, **{s: n.get(s, 0) for s in SHOWN if s not in ("pending", "sending")}}
                   for relay, n in sorted(p.relays.items(), key=lambda kv: kv[0] or "") if relay is not None],
        "batches": {s: p.batches.get(s, 0) for s in BATCH_STATES},
        "held": [{"batch": b.id, "status": b.status, "worker": holder(b.owner)[0], "journal": holder(b.owner)[1],
                  "epoch": b.epoch, "lease_seconds_left": round(b.seconds_left, 1), "done": b.done, "total": b.total}
                 for b in p.held],
        "workers": list(workers.values()),
        "sender": None if p.sender is None else {"owner": holder(p.sender.owner)[0],
                                                 "lease_until": ts(p.sender.expires_at)},
    }


def edition_listing(db: Database, *, since: dt.datetime | None = None, limit: int | None = 50) -> Page[EditionCounts]:
    """The newest `limit` editions (None: all), newest first, each with its ledger rows by status."""
    return db.progress.page(since=since, limit=limit)


def edition_record(e: EditionCounts) -> dict:
    """One row of `digest editions list --json`."""
    return {"edition": e.key, "frequency": e.frequency, "date": e.date.isoformat(), "title": e.title,
            "created_at": ts(e.created_at), "planned": sum(e.counts.values()), **{s: e.counts.get(s, 0) for s in SHOWN}}
