"""Editions and who is due one: the subscribers an edition still has to plan, the scheduler's
candidates, each subscriber's watermark (where their last digest ended), and the slots the
scheduler closed as empty.

Due subscribers are read in batches, each its own keyset query (id > the last id seen, LIMIT n)
rather than one cursor held open: the caller writes the batch's delivery rows between batches,
and a fresh query per batch never reads a half-written table through a statement that outlived
a COMMIT.
May import: models, clock, and .columns/.postgres/.repository/.subscribers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..clock import now
from ..models import Edition, Subscriber
from .columns import ids_json, parse_ts, ts
from .postgres import IDS, json_list, or_ignore, twins
from .repository import Repository, Row
from .subscribers import SELECT as SUBSCRIBERS
from .subscribers import SELECT_PG as SUBSCRIBERS_PG
from .subscribers import subscriber

ENSURE = "INSERT OR IGNORE INTO editions (key, frequency, date, created_at, title) VALUES (?, ?, ?, ?, ?)"
TITLE_OF = "SELECT title FROM editions WHERE key = ?"
ID_OF = "SELECT id FROM editions WHERE key = ?"
RECENT_KEYS = "SELECT key FROM editions ORDER BY date DESC LIMIT ?"
# Editions with deliveries still to finish: planned but never attempted (an interrupted send),
# deferred by the relay and awaiting a retry, or claimed by a sender that died. A special edition's
# are every send's: its subscribers wait for nothing else until they are finished.
WITH_LEFTOVERS = """SELECT e.id, e.key, e.frequency, e.date, e.title FROM editions e
    WHERE (:frequency IS NULL OR e.frequency IN (:frequency, 'special')) AND EXISTS (SELECT 1 FROM deliveries d
    WHERE d.edition_id = e.id AND d.status IN ('pending', 'deferred', 'sending')) ORDER BY e.date, e.id"""
SENT = """SELECT e.id, e.key, e.frequency, e.date, e.title, max(d.until) AS until, min(d.since_seq) AS since_seq,
    max(d.until_seq) AS until_seq FROM editions e
    JOIN deliveries d ON d.edition_id = e.id AND d.status = 'sent'
    WHERE (:key IS NULL OR e.key = :key) GROUP BY e.id ORDER BY e.date DESC, e.key DESC LIMIT :limit"""
# Due: active, with a topic, and no delivery still unfinished: two digests over the same window
# could both arrive. The next edition starts where that one ends (sent) or where the last sent
# one ended (failed).
DUE = SUBSCRIBERS + """ WHERE s.id > :after AND s.status = 'active'
    AND EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id)
    AND NOT EXISTS (SELECT 1 FROM deliveries u WHERE u.subscriber_id = s.id AND u.status IN ('pending', 'deferred', 'sending'))
    AND (:edition_id IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = :edition_id AND d.subscriber_id = s.id))
    AND (:frequency IS NULL OR s.frequency = :frequency)
    ORDER BY s.id LIMIT :limit"""
COUNT_DUE = """SELECT count(*) FROM subscribers s WHERE s.status = 'active'
    AND EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id)
    AND NOT EXISTS (SELECT 1 FROM deliveries u WHERE u.subscriber_id = s.id AND u.status IN ('pending', 'deferred', 'sending'))
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = :edition_id AND d.subscriber_id = s.id)
    AND (:frequency IS NULL OR s.frequency = :frequency)"""
# An uncertain delivery counts as sent (it most likely arrived, and it is resent only on request):
# otherwise the next edition would carry its window again, a second copy by another name.
WATERMARKS = """SELECT subscriber_id, max(until) FROM deliveries WHERE status IN ('sent', 'uncertain')
    AND subscriber_id IN (SELECT value FROM json_each(?)) GROUP BY subscriber_id"""
SEQ_WATERMARKS = """SELECT subscriber_id, max(until_seq) FROM deliveries WHERE status = 'sent'
    AND until_seq IS NOT NULL AND subscriber_id IN (SELECT value FROM json_each(?)) GROUP BY subscriber_id"""
# Where the newest sent digest of anyone ended, in ingest order: a story stored after it went out in no edition yet.
SENT_SEQ = "SELECT max(until_seq) FROM deliveries WHERE status IN ('sent', 'uncertain')"
HANDLED_SLOTS = """SELECT d.subscriber_id, e.key FROM deliveries d JOIN editions e ON e.id = d.edition_id
    WHERE d.subscriber_id IN (SELECT value FROM json_each(:ids)) AND e.key IN (SELECT value FROM json_each(:keys))
    UNION SELECT subscriber_id, edition_key FROM empty_slots
    WHERE subscriber_id IN (SELECT value FROM json_each(:ids)) AND edition_key IN (SELECT value FROM json_each(:keys))"""
CLOSE_EMPTY_SLOT = "INSERT OR IGNORE INTO empty_slots (subscriber_id, edition_key, checked_at) VALUES (?, ?, ?)"


def _edition(r: Row) -> Edition:
    return Edition(r["id"], r["key"], r["frequency"], dt.date.fromisoformat(r["date"]),
                   title=r["title"] if "title" in r.keys() else None)


class Editions(Repository):
    def ensure(self, key: str, frequency: str, date: dt.date, title: str | None = None) -> int:
        """The edition's id, created if it is new (a special edition with its title)."""
        with self.transaction():
            self.conn.execute(ENSURE, (key, frequency, date.isoformat(), ts(now()), title))
            return self._value(ID_OF, [key])

    def title_of(self, key: str) -> str | None:
        """A special edition's title; None for a regular edition (or none by that key)."""
        return self._value(TITLE_OF, [key])

    def id_of(self, key: str) -> int | None:
        return self._value(ID_OF, [key])

    def recent_keys(self, limit: int = 5) -> list[str]:
        return [r[0] for r in self._all(RECENT_KEYS, [limit])]

    def with_leftovers(self, frequency: str | None = None) -> list[Edition]:
        """Editions (of one frequency) with deliveries still to finish, oldest first: whatever the
        date, their send resumes them."""
        return [_edition(r) for r in self._all(WITH_LEFTOVERS, {"frequency": frequency})]

    def sent(self, key: str | None = None, limit: int = 100) -> list[Edition]:
        """Editions with at least one sent message, newest first, with the end of their windows."""
        out = []
        for r in self._all(SENT, {"key": key, "limit": limit}):
            edition = _edition(r)
            edition.until, edition.since_seq, edition.until_seq = parse_ts(r["until"]), r["since_seq"], r["until_seq"]
            out.append(edition)
        return out

    def due_subscribers(self, edition_id: int | None, frequency: str | None = None, *,
                        batch: int = 2000) -> Iterator[list[Subscriber]]:
        """Active subscribers with a topic, nothing unfinished, and no row yet in this edition
        (edition_id None: in any; the scheduler's candidates), in id order, `batch` at a time."""
        last = 0
        while True:
            rows = self._all(DUE, {"after": last, "edition_id": edition_id, "frequency": frequency, "limit": batch})
            if rows:
                yield [subscriber(r) for r in rows]
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    def count_due_subscribers(self, edition_id: int, frequency: str | None = None) -> int:
        """How many due_subscribers(...) would yield, without loading them."""
        return self._value(COUNT_DUE, {"edition_id": edition_id, "frequency": frequency})

    def watermark(self, subscriber_id: int) -> dt.datetime | None:
        """The end of the window of the last digest this subscriber was sent: the next one starts there."""
        return self.watermarks([subscriber_id]).get(subscriber_id)

    def watermarks(self, subscriber_ids: Iterable[int]) -> dict[int, dt.datetime]:
        """watermark() for a batch in one query; subscribers never sent anything are absent."""
        return {r[0]: parse_ts(r[1]) for r in self._all(WATERMARKS, [ids_json(subscriber_ids)])}

    def seq_watermarks(self, subscriber_ids: Iterable[int]) -> dict[int, int]:
        """The ingest sequence where each subscriber's last sent digest ended; never sent: absent."""
        return {r[0]: r[1] for r in self._all(SEQ_WATERMARKS, [ids_json(subscriber_ids)])}

    def sent_seq(self) -> int | None:
        """The ingest sequence up to which some digest has carried the stories (None: nothing sent yet)."""
        return self._value(SENT_SEQ)

    def handled_slots(self, subscriber_ids: Iterable[int], keys: Iterable[str]) -> set[tuple[int, str]]:
        """(subscriber, edition key) of these that already have a delivery, or were closed as empty."""
        return {(r[0], r[1]) for r in self._all(HANDLED_SLOTS, {"ids": ids_json(subscriber_ids),
                                                                "keys": ids_json(sorted(set(keys)))})}

    def close_empty_slots(self, subscriber_ids: Iterable[int], key: str, at: dt.datetime) -> None:
        with self.transaction():
            self.conn.executemany(CLOSE_EMPTY_SLOT, [(sid, key, ts(at)) for sid in subscriber_ids])


# The Postgres twins of the statements above whose SQL differs (digest.db.postgres).
ENSURE_PG = or_ignore(ENSURE)
CLOSE_EMPTY_SLOT_PG = or_ignore(CLOSE_EMPTY_SLOT)
PG = {ENSURE: ENSURE_PG, CLOSE_EMPTY_SLOT: CLOSE_EMPTY_SLOT_PG,
      **twins((DUE,), (SUBSCRIBERS, SUBSCRIBERS_PG)),
      **twins((WATERMARKS, SEQ_WATERMARKS), IDS),
      **twins((HANDLED_SLOTS,), ("SELECT value FROM json_each(:ids)", json_list(":ids", "bigint")),
              ("SELECT value FROM json_each(:keys)", json_list(":keys", "text")))}
