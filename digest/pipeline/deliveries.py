"""The delivery ledger as admins read it: a page of it (newest edition first, read as it is
iterated) and one subscriber's last deliveries, as plain records with timestamps in the ledger's own text form.
May import: db, errors, models, page.
"""

from __future__ import annotations

import datetime as dt

from ..db import Database, ts
from ..errors import NotFound
from ..models import Delivery, Subscriber
from ..page import Page

LISTED = ("id", "edition", "email", "name", "status", "attempts", "last_reply", "message_id", "mix",
          "next_attempt_at", "created_at", "updated_at", "sent_at", "relay")
RECENT = ("edition_key", "status", "sent_at", "last_reply", "mix")


def record(d: Delivery, columns: tuple[str, ...] = LISTED) -> dict:
    """One row as `digest deliveries list` prints it (and --json writes it)."""
    values = {"edition": d.edition_key, **{k: getattr(d, k) for k in columns if k != "edition"}}
    return {k: ts(v) if k.endswith("_at") else v for k, v in ((k, values[k]) for k in columns)}


def delivery_listing(db: Database, *, status: str | None = None, edition_key: str | None = None,
                     since: dt.datetime | None = None, limit: int | None = 50) -> Page[dict]:
    """The newest `limit` rows of the ledger (None: all), newest edition first, in one state, of one
    edition, written at or after `since`; the rows are read as they are iterated."""
    if edition_key and db.editions.id_of(edition_key) is None:
        known = ", ".join(db.editions.recent_keys(5)) or "(none)"
        raise NotFound(f'Edition "{edition_key}" does not exist. Recent editions: {known}.')
    page = db.deliveries.page(status=status, edition_key=edition_key, since=since, limit=limit)
    return Page(map(record, page.rows), page.total, page.limit)


def subscriber_deliveries(db: Database, sub: Subscriber, last: int = 5) -> tuple[dict[str, int], list[dict]]:
    """A subscriber's deliveries by status, and their most recent ones."""
    counts, recent = db.deliveries.of_subscriber(sub.id, last)
    return counts, [record(d, RECENT) for d in recent]
