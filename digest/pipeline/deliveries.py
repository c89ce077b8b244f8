"""The delivery ledger as admins read it: every row (streamed, newest edition first) and one
subscriber's last deliveries, as plain records with timestamps in the ledger's own text form.
May import: db, errors, models.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..db import Database, ts
from ..errors import NotFound
from ..models import Delivery, Subscriber

LISTED = ("id", "edition", "email", "name", "status", "attempts", "last_reply", "message_id", "mix",
          "next_attempt_at", "created_at", "updated_at", "sent_at", "relay")
RECENT = ("edition_key", "status", "sent_at", "last_reply", "mix")


def record(d: Delivery, columns=LISTED) -> dict:
    """One row as `digest deliveries list` prints it (and --json writes it)."""
    values = {"edition": d.edition_key, **{k: getattr(d, k) for k in columns if k != "edition"}}
    return {k: ts(v) if k.endswith("_at") else v for k, v in ((k, values[k]) for k in columns)}


def deliveries(db: Database, *, status: str | None = None, edition_key: str | None = None) -> Iterator[dict]:
    """The ledger, newest edition first, streamed: a list of 100,000 never sits in memory."""
    if edition_key and db.editions.id_of(edition_key) is None:
        known = ", ".join(db.editions.recent_keys(5)) or "(none)"
        raise NotFound(f'Edition "{edition_key}" does not exist. Recent editions: {known}.')
    return (record(d) for d in db.deliveries.stream(status=status, edition_key=edition_key))


def subscriber_deliveries(db: Database, sub: Subscriber, last: int = 5) -> tuple[dict[str, int], list[dict]]:
    """A subscriber's deliveries by status, and their most recent ones."""
    counts, recent = db.deliveries.of_subscriber(sub.id, last)
    return counts, [record(d, RECENT) for d in recent]
