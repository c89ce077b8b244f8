"""Bounces, complaints, auto-replies and mailto unsubscribes as recorded, and the deliveries a report
can be matched to: the one a VERP token names, or one actually sent (sent or uncertain) to an
address or with a Message-ID. What a bounce means for the subscriber is decided in
digest.pipeline.audience.
May import: models, page, clock, and .columns/.deliveries/.postgres/.repository.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable

from ..models import BounceRecord, Delivery
from ..page import Page
from .columns import parse_ts, ts
from .deliveries import SELECT as DELIVERY
from .deliveries import delivery_of
from .postgres import or_ignore, twins
from .repository import Repository

COLUMNS = ("dedup_key", "address", "kind", "status", "diagnostic", "reason", "source", "via", "action_taken",
           "sender", "report_message_id", "original_message_id", "delivery_id", "subscriber_id", "edition_id",
           "received_at", "raw")
INSERT = (f"INSERT OR IGNORE INTO bounces ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join(':' + c for c in COLUMNS)})")
SEEN = "SELECT 1 FROM bounces WHERE dedup_key = ? LIMIT 1"
# Newest first: those kept for the admin (matched to no delivery), of one subscriber, received at
# or after :since.
WHERE = """ WHERE (:kept = 0 OR b.action_taken LIKE 'kept%') AND (:subscriber_id IS NULL OR b.subscriber_id = :subscriber_id)
    AND (:since IS NULL OR b.received_at >= :since)"""
LISTED = """SELECT b.id, b.received_at, b.kind, b.address, b.action_taken, b.reason, b.source, b.via, b.status,
    b.diagnostic, b.sender, b.report_message_id, b.original_message_id, b.delivery_id, b.subscriber_id,
    b.edition_id, e.key AS edition_key, s.email
    FROM bounces b LEFT JOIN subscribers s ON s.id = b.subscriber_id LEFT JOIN editions e ON e.id = b.edition_id""" + WHERE + """
    ORDER BY b.id DESC LIMIT :limit"""
COUNT = "SELECT count(*) FROM bounces b" + WHERE
RAW = "SELECT raw FROM bounces WHERE id = ?"
# Soft bounces of distinct deliveries, the one being recorded (:also) included: a "delayed" warning
# and the final failure of one message count once.
SOFT_SINCE = """SELECT count(DISTINCT d) FROM (SELECT coalesce(delivery_id, -id) AS d FROM bounces
    WHERE subscriber_id = :subscriber_id AND kind = 'soft' AND received_at >= :since UNION ALL SELECT :also) AS soft"""
SENT = "('sent', 'uncertain')"       # handed to the relay: only those can come back
OF_PAIR = DELIVERY + " WHERE d.edition_id = ? AND d.subscriber_id = ?"
SENT_WITH_MESSAGE_ID = DELIVERY + f" WHERE d.message_id = ? AND d.status IN {SENT} ORDER BY d.id DESC LIMIT 1"
LAST_SENT_TO = DELIVERY + f" WHERE s.email = ? AND d.status IN {SENT} ORDER BY d.id DESC LIMIT 1"


def _record(r: sqlite3.Row) -> BounceRecord:
    return BounceRecord(
        id=r["id"], received_at=parse_ts(r["received_at"]), kind=r["kind"], address=r["address"],
        action_taken=r["action_taken"], reason=r["reason"], source=r["source"], via=r["via"], status=r["status"],
        diagnostic=r["diagnostic"], sender=r["sender"], report_message_id=r["report_message_id"],
        original_message_id=r["original_message_id"], delivery_id=r["delivery_id"],
        subscriber_id=r["subscriber_id"], edition_id=r["edition_id"], edition_key=r["edition_key"], email=r["email"])


class Bounces(Repository):
    def seen(self, dedup_key: str) -> bool:
        """A report with this key was recorded already (the same message read twice)."""
        return self._one(SEEN, [dedup_key]) is not None

    def record(self, rows: Iterable[dict], received_at: dt.datetime) -> int:
        """Write one report's rows (a dict per address, keys of COLUMNS but received_at); returns how
        many were new. The caller's transaction, when it holds one."""
        stamp = ts(received_at)
        with self.transaction():
            return sum(self.conn.execute(INSERT, {**{c: None for c in COLUMNS}, **row, "received_at": stamp}).rowcount
                       for row in rows)

    def listed(self, *, kept_only: bool = False, subscriber_id: int | None = None,
               limit: int = 100) -> list[BounceRecord]:
        """The newest first; `kept_only`: those no delivery could be matched to."""
        return [_record(r) for r in self._all(LISTED, {"kept": int(kept_only), "subscriber_id": subscriber_id,
                                                        "since": None, "limit": limit})]

    def page(self, *, kept_only: bool = False, subscriber_id: int | None = None, since: dt.datetime | None = None,
             limit: int | None) -> Page[BounceRecord]:
        """The newest first, at most `limit` (None: all), read as they are iterated; the count says
        how many matched. `kept_only`: those no delivery could be matched to."""
        params = {"kept": int(kept_only), "subscriber_id": subscriber_id, "since": ts(since),
                  "limit": -1 if limit is None else limit}
        total = self._value(COUNT, params)
        return Page(map(_record, self.conn.execute(LISTED, params)), total, limit)

    def raw(self, bounce_id: int) -> bytes | None:
        return self._value(RAW, [bounce_id])

    def soft_since(self, subscriber_id: int, since: dt.datetime, *, also: int | None = None) -> int:
        """Deliveries of this subscriber that soft-bounced since `since`, counting delivery `also`
        (the one about to be recorded; None: a bounce matched to no delivery, counted on its own)."""
        return self._value(SOFT_SINCE, {"subscriber_id": subscriber_id, "since": ts(since),
                                        "also": also if also is not None else -(2**62)}) or 0

    # ---- the deliveries a report can name ------------------------------------------------------

    def delivery(self, edition_id: int, subscriber_id: int) -> Delivery | None:
        """The delivery a (proven) VERP token names, whatever its state."""
        row = self._one(OF_PAIR, [edition_id, subscriber_id])
        return delivery_of(row, row["edition_key"]) if row is not None else None

    def sent_with_message_id(self, message_id: str) -> Delivery | None:
        row = self._one(SENT_WITH_MESSAGE_ID, [message_id])
        return delivery_of(row, row["edition_key"]) if row is not None else None

    def last_sent_to(self, address: str) -> Delivery | None:
        """The newest delivery handed to the relay for this address (compared ignoring case)."""
        row = self._one(LAST_SENT_TO, [address])
        return delivery_of(row, row["edition_key"]) if row is not None else None


# The Postgres twins (digest.db.postgres): no limit is LIMIT NULL there.
PG = {INSERT: or_ignore(INSERT), **twins((LISTED,), ("LIMIT :limit", "LIMIT nullif(:limit, -1)"))}
