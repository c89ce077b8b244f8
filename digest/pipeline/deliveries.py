"""The delivery ledger as admins read it: a page of it (newest edition first, read as it is
iterated; a delivery whose hard bounce came back later is listed as bounced) and one subscriber's
last deliveries, as plain records with timestamps in the ledger's own text form.
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


def listed_status(d: Delivery) -> str:
    """The state a listing shows: the ledger's, except that a row the relay accepted whose hard
    bounce came back later is "bounced" (the row itself stays sent: nothing is resent for it)."""
    return "bounced" if d.bounced_at is not None else d.status


def delivery_record(d: Delivery, columns: tuple[str, ...] = LISTED) -> dict:
    """One row as `digest deliveries list --json` writes it: `status` as listed, `ledger_status`
    the row's own, `bounced_at` when a hard bounce came back for it after the relay accepted it."""
    values = {"edition": d.edition_key, **{k: getattr(d, k) for k in columns if k != "edition"}}
    out = {k: ts(v) if k.endswith("_at") else v for k, v in ((k, values[k]) for k in columns)}
    if columns is LISTED:
        out.update(status=listed_status(d), ledger_status=d.status, bounced_at=ts(d.bounced_at))
    return out


def delivery_listing(db: Database, *, status: str | None = None, edition_key: str | None = None,
                     since: dt.datetime | None = None, limit: int | None = 50) -> Page[Delivery]:
    """The newest `limit` rows of the ledger (None: all), newest edition first, in one state as
    listed (`listed_status`: "bounced" takes in the rows whose hard bounce came back later), of one
    edition, written at or after `since`; the rows are read as they are iterated
    (`delivery_record` makes each the JSON one)."""
    if edition_key and db.editions.id_of(edition_key) is None:
        known = ", ".join(db.editions.recent_keys(5)) or "(none)"
        raise NotFound(f'Edition "{edition_key}" does not exist. Recent editions: {known}.')
    return db.deliveries.page(status=status, edition_key=edition_key, since=since, limit=limit)


def subscriber_deliveries(db: Database, sub: Subscriber, last: int = 5) -> tuple[dict[str, int], list[dict]]:
    """A subscriber's deliveries by status, and their most recent ones."""
    counts, recent = db.deliveries.of_subscriber(sub.id, last)
    return counts, [delivery_record(d, RECENT) for d in recent]
