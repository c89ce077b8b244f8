"""The delivery ledger: one row per (edition, subscriber), written before anything is sent.

States: pending -> sending (claimed by the one lease holder) -> sent | deferred | bounced | failed |
uncertain. Every write is one transaction over a batch of rows. A write made on behalf of a lease
passes `fence` = (lease name, owner): under the write lock, the transaction checks that the lease
is still that owner's, and a sender that lost it (stalled past it, taken over) gets LeaseLost
having changed nothing. A takeover writes the lease row first, so every later write of the old
holder is refused. What an outcome means for the subscriber (a bounce) is decided by the caller.
May import: errors, models, page, clock, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..clock import now
from ..errors import LeaseLost
from ..models import BatchFence, Delivery, Edition, Settled, Window
from ..page import Page
from .columns import chunks, ids_json, parse_ts, ts
from .postgres import IDS, json_list, or_ignore, twins
from .repository import Connection, Repository, Row

INSERT = """INSERT OR IGNORE INTO deliveries (edition_id, subscriber_id, status, mix, since, until, since_seq,
    until_seq, message_id, created_at, updated_at)
    VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)"""
SELECT = """SELECT d.*, s.email, s.name, e.key AS edition_key FROM deliveries d
    JOIN subscribers s ON s.id = d.subscriber_id JOIN editions e ON e.id = d.edition_id"""
LISTED = SELECT + """ WHERE (:edition_id IS NULL OR d.edition_id = :edition_id)
    AND (:statuses IS NULL OR d.status IN (SELECT value FROM json_each(:statuses))) ORDER BY d.id"""
# A listing's page, newest edition first and newest row first within it: in one state, of one
# edition, written to the ledger at or after :since. A row the relay accepted (sent, or uncertain)
# whose hard bounce came back later is listed as bounced, when it came (hb.bounced_at): the row
# itself stays what it was, so resending and the tally read the ledger unchanged. The bounces are
# grouped once per query (a materialized subquery), not looked up per row.
LATER_BOUNCE = """ LEFT JOIN (SELECT delivery_id, min(received_at) AS bounced_at FROM bounces
    WHERE kind = 'hard' AND delivery_id IS NOT NULL GROUP BY delivery_id) hb
    ON hb.delivery_id = d.id AND d.status IN ('sent', 'uncertain')"""
LISTING = LATER_BOUNCE + """ WHERE (:status IS NULL
        OR (d.status = :status AND hb.bounced_at IS NULL)
        OR (:status = 'bounced' AND hb.bounced_at IS NOT NULL))
    AND (:key IS NULL OR e.key = :key) AND (:since IS NULL OR d.created_at >= :since)"""
PAGE = SELECT.replace("SELECT d.*,", "SELECT d.*, hb.bounced_at,") + LISTING + \
    " ORDER BY e.date DESC, d.edition_id DESC, d.id DESC LIMIT :limit"
COUNT_PAGE = "SELECT count(*) FROM deliveries d JOIN editions e ON e.id = d.edition_id" + LISTING
COUNTS = "SELECT status, count(*) AS n FROM deliveries WHERE edition_id = ? GROUP BY status"
COUNTS_OF_SUBSCRIBER = "SELECT status, count(*) AS n FROM deliveries WHERE subscriber_id = ? GROUP BY status"
RECENT_OF_SUBSCRIBER = SELECT + " WHERE d.subscriber_id = ? ORDER BY d.id DESC LIMIT ?"
LEASE_OWNER = "SELECT owner FROM leases WHERE name = ?"
# A worker's fence (digest.db.batches): its batch at its epoch, share-locked so a takeover waits for us.
BATCH_FENCE = "SELECT owner FROM batches WHERE id = ? AND owner = ? AND epoch = ? FOR SHARE"
BATCH_OWNER = "SELECT owner FROM batches WHERE id = ?"
# What a sender needs of a row it claims, in the order of _claimed (these run per batch of a send).
CLAIMED = """SELECT d.id, d.edition_id, d.subscriber_id, d.status, d.mix, d.since, d.until, d.message_id, d.since_seq,
    d.until_seq, d.attempts, d.last_reply, d.created_at, s.email, s.name
    FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"""
# (edition, status, after mix, after id, due, due, limit): the deliveries_claim index hands rows over
# by topic mix, then id, so that a mix's rows come together (its body is made once).
CLAIMABLE = CLAIMED + """ WHERE d.edition_id = ? AND d.status = ? AND (d.mix, d.id) > (?, ?)
    AND (? IS NULL OR d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) ORDER BY d.mix, d.id LIMIT ?"""
CLAIMABLE_IN_BATCH = CLAIMABLE.replace("WHERE d.edition_id = ?", "WHERE d.batch_id = ? AND d.edition_id = ?")
DEFERRED_AMONG = CLAIMED + " WHERE d.status = 'deferred' AND d.id IN (SELECT value FROM json_each(?))"
SET_SENDING = "UPDATE deliveries SET status = 'sending', updated_at = ? WHERE id IN (SELECT value FROM json_each(?))"
# Claimed but never handed to the relay: back to the queue, no attempt counted.
UNCLAIM = """UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END,
    updated_at = ? WHERE status = 'sending' AND id IN (SELECT value FROM json_each(?))"""
RELEASE_CLAIMS = """UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END,
    updated_at = ? WHERE edition_id = ? AND status = 'sending'"""
# (status, reply, now, attempt, next attempt, status, now, relay, id, from status): one row, only if still
# in from_status. The relay stays what it was when the outcome names none (an expiry, an old journal).
RECORD = """UPDATE deliveries SET status = ?, last_reply = ?, updated_at = ?, attempts = attempts + ?,
    next_attempt_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, relay = coalesce(?, relay),
    uncertain_reason = ? WHERE id = ? AND status = ?"""
SUBSCRIBER_OF = "SELECT subscriber_id FROM deliveries WHERE id = ?"
EXPIRED = CLAIMED + " WHERE d.edition_id = ? AND d.status = 'deferred' AND d.created_at < ?"
DUE_WINDOWS = """SELECT DISTINCT mix, since, until, since_seq, until_seq FROM deliveries WHERE edition_id = ?
    AND (status = 'pending' OR (status = 'deferred' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))
    ORDER BY mix, since, until LIMIT ?"""
COUNT_DUE = """SELECT count(*) FROM deliveries WHERE edition_id = ? AND (status = 'pending' OR
    (status = 'deferred' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))"""
# A failed delivery goes back to the queue only while the subscriber is active and no later delivery's
# window overlaps its own: a later digest that started from the same watermark already carries these
# stories, and sending both would show some twice. A later first digest (no watermark: the last day
# only) may start after this one ended; then the two are disjoint and this one is sent.
REQUEUEABLE = """EXISTS (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id AND s.status = 'active')
    AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE l.subscriber_id = d.subscriber_id AND l.id > d.id
                    AND coalesce(l.since_seq < d.until_seq, l.since IS NULL OR l.since < d.until))"""
REQUEUE_FAILED = """UPDATE deliveries AS d SET status = 'pending', next_attempt_at = NULL, created_at = :now,
    updated_at = :now, last_reply = 'requeued by --retry-failed; was: ' || coalesce(d.last_reply, '-')
    WHERE d.edition_id = :edition_id AND d.status = 'failed' AND """ + REQUEUEABLE
COUNT_FAILED = "SELECT count(*) FROM deliveries WHERE edition_id = ? AND status = 'failed'"
FAILED_BY_EDITION = """SELECT e.id, e.key, e.frequency, e.date, count(*) AS failed,
    sum(CASE WHEN """ + REQUEUEABLE + """ THEN 1 ELSE 0 END) AS requeueable
    FROM editions e JOIN deliveries d ON d.edition_id = e.id AND d.status = 'failed'
    WHERE (:key IS NULL OR e.key = :key) GROUP BY e.id ORDER BY e.date, e.id"""
REQUEUE_UNCERTAIN = """UPDATE deliveries SET status = 'pending', updated_at = ?, next_attempt_at = NULL,
    uncertain_reason = NULL WHERE edition_id = ? AND status = 'uncertain' AND (? IS NULL OR uncertain_reason = ?)"""
UNCERTAIN_BY_REASON = """SELECT coalesce(uncertain_reason, 'no-answer') AS reason, count(*) AS n FROM deliveries
    WHERE edition_id = ? AND status = 'uncertain' GROUP BY 1"""


Fence = tuple[str, str] | BatchFence | None     # a sender's lease (name, owner), or a worker's batch


def delivery_of(r: Row, edition_key: str | None = None) -> Delivery:
    return Delivery(
        id=r["id"], edition_id=r["edition_id"], subscriber_id=r["subscriber_id"], status=r["status"], mix=r["mix"],
        since=parse_ts(r["since"]), until=parse_ts(r["until"]), message_id=r["message_id"],
        since_seq=r["since_seq"], until_seq=r["until_seq"], attempts=r["attempts"], last_reply=r["last_reply"],
        next_attempt_at=parse_ts(r["next_attempt_at"]), created_at=parse_ts(r["created_at"]),
        updated_at=parse_ts(r["updated_at"]), sent_at=parse_ts(r["sent_at"]), email=r["email"], name=r["name"],
        edition_key=edition_key, relay=r["relay"])


def _claimed(r: Row) -> Delivery:
    """A row of CLAIMED, built by position: a send builds one per message."""
    return Delivery(r[0], r[1], r[2], r[3], r[4], parse_ts(r[5]), parse_ts(r[6]), r[7], r[8], r[9], r[10], r[11],
                    None, parse_ts(r[12]), None, None, r[13], r[14])


class Deliveries(Repository):
    def create(self, rows: list[Delivery]) -> int:
        """Write the ledger rows for one edition before anything is sent. Idempotent per (edition, subscriber)."""
        stamp = ts(now())
        with self.transaction():
            return self.conn.executemany(INSERT, [
                (d.edition_id, d.subscriber_id, d.mix, ts(d.since), ts(d.until), d.since_seq, d.until_seq,
                 d.message_id, stamp, stamp) for d in rows]).rowcount

    def listed(self, edition_id: int | None = None, status: str | Iterable[str] | None = None) -> list[Delivery]:
        """The rows (of an edition, in some states) with their subscriber's address, in id order."""
        statuses = None if not status else ids_json([status] if isinstance(status, str) else status)
        return [delivery_of(r, r["edition_key"]) for r in self._all(LISTED, {"edition_id": edition_id,
                                                                           "statuses": statuses})]

    def page(self, *, status: str | None, edition_key: str | None, since: dt.datetime | None,
             limit: int | None) -> Page[Delivery]:
        """The ledger, newest edition first, at most `limit` rows (None: all), each with the time
        a hard bounce came back for it (`bounced_at`), read as they are iterated (a list of
        100,000 never sits in memory); the count says how many matched."""
        params = {"status": status, "key": edition_key, "since": ts(since), "limit": -1 if limit is None else limit}
        total = self._value(COUNT_PAGE, params)
        return Page((replace(delivery_of(r, r["edition_key"]), bounced_at=parse_ts(r["bounced_at"]))
                     for r in self.conn.execute(PAGE, params)), total, limit)

    def counts(self, edition_id: int) -> dict[str, int]:
        """Rows of the edition by status."""
        return {r["status"]: r["n"] for r in self._all(COUNTS, [edition_id])}

    def of_subscriber(self, subscriber_id: int, last: int = 5) -> tuple[dict[str, int], list[Delivery]]:
        """A subscriber's rows by status, and their most recent deliveries."""
        counts = {r["status"]: r["n"] for r in self._all(COUNTS_OF_SUBSCRIBER, [subscriber_id])}
        return counts, [delivery_of(r, r["edition_key"]) for r in self._all(RECENT_OF_SUBSCRIBER, [subscriber_id, last])]

    # ---- the sender's writes, fenced with its lease ---------------------------------------------

    @contextlib.contextmanager
    def fenced(self, fence: tuple[str, str] | BatchFence | None) -> Iterator[Connection]:
        """A transaction that first checks, under the write lock, that the lease (a worker's: its batch at
        its epoch) is still ours."""
        with self.transaction() as conn:
            if isinstance(fence, BatchFence):
                if self._one(BATCH_FENCE, [fence.batch_id, fence.owner, fence.epoch]) is None:
                    raise LeaseLost(f"batch:{fence.batch_id}", self._value(BATCH_OWNER, [fence.batch_id]))
            elif fence is not None:
                owner = self._value(LEASE_OWNER, [fence[0]])
                if owner != fence[1]:
                    raise LeaseLost(fence[0], owner)
            yield conn

    def claim(self, edition_id: int, status: str, after: tuple[str, int] | int, limit: int,
              due: dt.datetime | None = None, *, fence: Fence = None) -> list[Delivery]:
        """Mark the next `limit` rows in `status` as 'sending' and return them: by topic mix, then by
        id, after `after` (the (mix, id) of the last row claimed; 0 or ("", 0) from the start).

        The deliveries_claim index hands them over in that order, so each batch costs its own size.
        For 'deferred', only rows whose next attempt is due by `due`.
        """
        mix, after_id = ("", 0) if isinstance(after, int) else after     # 0: from the start
        stamp = ts(due)
        # A worker claims only within its batch (its fence names it).
        sql, scope = (CLAIMABLE_IN_BATCH, (fence.batch_id,)) if isinstance(fence, BatchFence) else (CLAIMABLE, ())
        with self.fenced(fence):
            rows = [_claimed(r) for r in self._all(sql, (*scope, edition_id, status, mix, after_id, stamp, stamp, limit))]
            self._set_sending([d.id for d in rows])
        return rows

    def claim_deferred(self, ids: list[int], *, fence: Fence = None) -> list[Delivery]:
        """Claim deferred rows again for a retry within the run."""
        with self.fenced(fence):
            rows = [_claimed(r) for r in self._all(DEFERRED_AMONG, [ids_json(ids)])]
            self._set_sending([d.id for d in rows])
        return rows

    def _set_sending(self, ids: list[int]) -> None:
        if ids:
            self.conn.execute(SET_SENDING, (ts(now()), ids_json(ids)))

    def unclaim(self, ids: list[int], *, fence: Fence = None) -> None:
        """Claimed but never handed to the relay: back to the queue, no attempt counted."""
        for chunk in chunks(ids, 5000):
            with self.fenced(fence):
                self.conn.execute(UNCLAIM, (ts(now()), ids_json(chunk)))

    def release_claims(self, edition_id: int, *, fence: Fence = None) -> int:
        """After the journal is replayed, a row still 'sending' never reached the relay's final dot."""
        with self.fenced(fence):
            return self.conn.execute(RELEASE_CLAIMS, (ts(now()), edition_id)).rowcount

    def record(self, outcomes: list[tuple], *, from_status: str = "sending", attempt: int = 1,
               fence: Fence = None) -> list[Settled]:
        """Write SMTP outcomes in one transaction: (delivery id, status, reply, next_attempt_at, soft, relay,
        why uncertain or None).

        Only rows still in `from_status` change, so replaying a journal twice is harmless. Returns the
        rows that changed, for the caller to apply what each outcome means for its subscriber.
        """
        if not outcomes:
            return []
        stamp = ts(now())
        settled = []
        with self.fenced(fence):
            for did, status, reply, next_at, soft, relay, why in outcomes:
                if self.conn.execute(RECORD, (status, reply, stamp, attempt, ts(next_at), status, stamp, relay, why,
                                              did, from_status)).rowcount:
                    settled.append(Settled(did, status, soft))
        return settled

    def subscriber_of(self, delivery_id: int) -> int | None:
        return self._value(SUBSCRIBER_OF, [delivery_id])

    def expired(self, edition_id: int, planned_before: dt.datetime) -> list[Delivery]:
        """Deferred rows planned before the cut-off: they have run out of time."""
        return [_claimed(r) for r in self._all(EXPIRED, [edition_id, ts(planned_before)])]

    def due_windows(self, edition_id: int, due: dt.datetime, limit: int | None = None) -> list[Window]:
        """The first `limit` (default all) distinct bodies (mix, window) that the edition's due rows
        (count_due) need, in the order a send claims them."""
        return [Window(r["mix"], parse_ts(r["since"]), parse_ts(r["until"]), r["since_seq"], r["until_seq"])
                for r in self._all(DUE_WINDOWS, [edition_id, ts(due), -1 if limit is None else limit])]

    def count_due(self, edition_id: int, due: dt.datetime) -> int:
        return self._value(COUNT_DUE, [edition_id, ts(due)])

    def requeue_failed(self, edition_id: int) -> tuple[int, int]:
        """The operator asked (`send --retry-failed`): the edition's failed deliveries go back to the queue,
        with a fresh retry deadline. Returns (requeued, left failed)."""
        with self.transaction():
            requeued = self.conn.execute(REQUEUE_FAILED, {"now": ts(now()), "edition_id": edition_id}).rowcount
            return requeued, self._value(COUNT_FAILED, [edition_id])

    def failed_by_edition(self, edition_key: str | None = None) -> list[Edition]:
        """Editions with failed deliveries, with how many failed and how many requeue_failed would take."""
        return [Edition(r["id"], r["key"], r["frequency"], dt.date.fromisoformat(r["date"]), failed=r["failed"],
                        requeueable=r["requeueable"]) for r in self._all(FAILED_BY_EDITION, {"key": edition_key})]

    def requeue_uncertain(self, edition_id: int, reason: str | None = None, *,
                          fence: Fence = None) -> int:
        """The operator asked: uncertain deliveries (all, or those of one reason) go out again (the
        recipient may get two copies)."""
        with self.fenced(fence):
            return self.conn.execute(REQUEUE_UNCERTAIN, (ts(now()), edition_id, reason, reason)).rowcount

    def uncertain_by_reason(self, edition_id: int) -> dict[str, int]:
        """The edition's uncertain rows by reason (smtp.UNCERTAIN_REASONS)."""
        return {r["reason"]: r["n"] for r in self._all(UNCERTAIN_BY_REASON, [edition_id])}


# The Postgres twins of the statements above whose SQL differs (digest.db.postgres). No limit is
# LIMIT NULL there, not LIMIT -1.
INSERT_PG = or_ignore(INSERT)
# The fence: SQLite's write lock keeps a takeover out while a fenced transaction runs; on Postgres the
# lease row is share-locked instead, so a takeover's write of it waits for the transaction to end.
LEASE_OWNER_PG = LEASE_OWNER + " FOR SHARE"
PG = {INSERT: INSERT_PG, LEASE_OWNER: LEASE_OWNER_PG,
      **twins((LISTED,), ("SELECT value FROM json_each(:statuses)", json_list(":statuses", "text"))),
      **twins((PAGE,), ("LIMIT :limit", "LIMIT nullif(:limit, -1)")),
      **twins((DUE_WINDOWS,), ("LIMIT ?", "LIMIT nullif(?, -1)")),
      **twins((DEFERRED_AMONG, SET_SENDING, UNCLAIM), IDS)}
