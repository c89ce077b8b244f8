"""What the store records about what happened outside digest: a feed's last fetches and each
bounce, complaint, auto-reply or unsubscribe request that came back; a fleet's batches. Plain values, re-exported by
digest.models (import them from there). No I/O here.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class FeedState:
    """What the last fetches of one feed left: its HTTP validators and its last outcome."""
    url: str
    etag: str | None = None
    modified: str | None = None
    checked_at: dt.datetime | None = None
    ok_at: dt.datetime | None = None
    last_error: str | None = None
    failures: int = 0
    entries: int = 0


@dataclass
class BounceRecord:
    """One bounce, complaint, auto-reply or unsubscribe request that came back, as recorded: what it
    said about one address, the delivery it was matched to (None: kept for the admin) and what was
    done about it."""
    id: int
    received_at: dt.datetime
    kind: str                      # hard, soft, complaint, auto-reply, unsubscribe, unknown
    address: str                   # the recipient the report names ("" when it names none)
    action_taken: str              # suppressed, counted, unsubscribed, ignored, kept, test copy, ...
    reason: str                    # one line: why this kind
    source: str                    # dsn, arf, address, flufl, headers, none
    via: str                       # serve, fetch, process
    status: str | None = None      # RFC 3463 enhanced status, e.g. "5.1.1"
    diagnostic: str | None = None
    sender: str | None = None      # the report's From
    report_message_id: str | None = None
    original_message_id: str | None = None
    delivery_id: int | None = None
    subscriber_id: int | None = None
    edition_id: int | None = None
    edition_key: str | None = None
    email: str | None = None       # the subscriber's address, when matched


@dataclass(frozen=True)
class BatchFence:
    """A worker's hold on one batch (digest worker, Postgres): every ledger write of the batch checks
    that its epoch is still this one, so a worker that lost the batch (stalled past its lease, taken
    over) writes nothing."""
    batch_id: int
    owner: str
    epoch: int


@dataclass
class Batch:
    """About 1,000 deliveries of one edition that one worker sends at a time: queued -> sending -> done."""
    id: int
    edition_id: int
    edition_key: str
    edition_date: dt.date
    status: str
    owner: str | None
    epoch: int
    lease_until: dt.datetime | None
    job_id: int | None
    seconds_left: float = 0.0      # of its lease, by the database's clock (0: expired or none)


@dataclass
class HeldBatch:
    """A batch a worker holds now (`digest editions show`): who, at which epoch, how long its lease has
    left by the database's clock, and how far it is (rows in a final state of all its rows)."""
    id: int
    status: str
    owner: str                     # host:pid:nonce:journal (digest.pipeline.lease.new_owner)
    epoch: int
    seconds_left: float
    done: int
    total: int


@dataclass
class EditionCounts:
    """One edition and its ledger rows by status (`digest editions list`)."""
    id: int
    key: str
    frequency: str
    date: dt.date
    title: str | None
    created_at: dt.datetime | None
    counts: dict[str, int]
