"""Subscribers, their subscriptions (topics), and whole lists at a time: an import's batches
written with a few executemany calls, an export streamed from one cursor. Writes only: which
address may be mailed is decided in digest.pipeline.audience.
May import: errors, models, page, clock, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..clock import now
from ..errors import NotFound
from ..models import ImportChange, OnFile, Subscriber
from ..page import Page
from .columns import chunks, email_key, ids_json, parse_ts, ts
from .postgres import IDS, json_list, or_ignore, twins
from .repository import Repository, Row

SELECT = """SELECT s.*, (SELECT group_concat(t.name, char(31)) FROM subscriptions x JOIN topics t ON t.id = x.topic_id
                         WHERE x.subscriber_id = s.id) AS topic_names FROM subscribers s"""
# Postgres: string_agg for group_concat (its order is unspecified on both; the reader sorts).
SELECT_PG = SELECT.replace("group_concat(t.name, char(31))", "string_agg(t.name, chr(31))")
BY_EMAIL = SELECT + " WHERE s.email = ?"
BY_ID = SELECT + " WHERE s.id = ?"
LISTED = SELECT + """ WHERE (:topic_id IS NULL OR s.id IN (SELECT subscriber_id FROM subscriptions WHERE topic_id = :topic_id))
    AND (:status IS NULL OR s.status = :status) ORDER BY s.email"""
# A listing's page, newest first: of one topic and status, added at or after :since.
LISTING = """ WHERE (:topic_id IS NULL OR s.id IN (SELECT subscriber_id FROM subscriptions WHERE topic_id = :topic_id))
    AND (:status IS NULL OR s.status = :status) AND (:since IS NULL OR s.created_at >= :since)"""
# The page's ids are picked first, so the topic names are read for those rows only.
PAGE = SELECT + " WHERE s.id IN (SELECT s.id FROM subscribers s" + LISTING + """
    ORDER BY s.created_at DESC, s.id DESC LIMIT :limit) ORDER BY s.created_at DESC, s.id DESC"""
EVERY = SELECT + LISTING + " ORDER BY s.created_at DESC, s.id DESC"
COUNT_PAGE = "SELECT count(*) FROM subscribers s" + LISTING
INSERT = ("INSERT INTO subscribers (email, name, status, frequency, timezone, send_at, language, created_at,"
          " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
MERGE = ("UPDATE subscribers SET name = coalesce(?, name), status = ?, frequency = coalesce(?, frequency),"
         " timezone = coalesce(?, timezone), language = coalesce(?, language), updated_at = ? WHERE id = ?")
# One statement for any subset of the fields: a flag per column says whether this row sets it.
SET_FIELDS = """UPDATE subscribers SET
    name = CASE WHEN :set_name THEN :name ELSE name END,
    status = CASE WHEN :set_status THEN :status ELSE status END,
    frequency = CASE WHEN :set_frequency THEN :frequency ELSE frequency END,
    timezone = CASE WHEN :set_timezone THEN :timezone ELSE timezone END,
    send_at = CASE WHEN :set_send_at THEN :send_at ELSE send_at END,
    language = CASE WHEN :set_language THEN :language ELSE language END,
    updated_at = :now WHERE id = :id"""
INSERT_PG = INSERT + " RETURNING id"
FIELDS = ("name", "status", "frequency", "timezone", "send_at", "language")
TOUCH = "UPDATE subscribers SET updated_at = ? WHERE id = ?"
UNSUBSCRIBE_ALL = "DELETE FROM subscriptions WHERE subscriber_id = ?"
SUBSCRIBE = "INSERT OR IGNORE INTO subscriptions (subscriber_id, topic_id) VALUES (?, ?)"
SUBSCRIBE_PG = or_ignore(SUBSCRIBE)
UNSUBSCRIBE = "DELETE FROM subscriptions WHERE subscriber_id = ? AND topic_id = ?"
TOPICS_LEFT = "SELECT count(*) FROM subscriptions WHERE subscriber_id = ?"
SET_STATUS = """UPDATE subscribers SET status = :status, updated_at = :now WHERE id = :id AND status != :status
    AND (:only_from IS NULL OR status IN (SELECT value FROM json_each(:only_from)))"""
ADD_SOFT_BOUNCE = "UPDATE subscribers SET soft_bounces = soft_bounces + 1, updated_at = ? WHERE id = ? RETURNING soft_bounces"
RESET_SOFT_BOUNCES = """UPDATE subscribers SET soft_bounces = 0 WHERE soft_bounces > 0
    AND id IN (SELECT subscriber_id FROM deliveries WHERE id IN (SELECT value FROM json_each(?)))"""
DELIVERIES_OF = "SELECT count(*) FROM deliveries WHERE subscriber_id = ?"
DELETE = "DELETE FROM subscribers WHERE id = ?"
SUPPRESS = "UPDATE subscribers SET status = 'suppressed', updated_at = ? WHERE email = ?"
INSERT_SUPPRESSED = "INSERT INTO subscribers (email, status, created_at, updated_at) VALUES (?, 'suppressed', ?, ?)"
ON_FILE = """SELECT s.id, s.email, s.status, s.name, s.frequency, s.timezone, s.send_at, s.language,
    (SELECT group_concat(topic_id) FROM subscriptions x WHERE x.subscriber_id = s.id) AS topic_ids
    FROM subscribers s WHERE s.email IN (SELECT value FROM json_each(?))"""
IDS_BY_EMAIL = "SELECT id, email FROM subscribers WHERE email IN (SELECT value FROM json_each(?))"
EXPORT = """SELECT s.*, (SELECT group_concat(t.name, char(31)) FROM subscriptions x JOIN topics t ON t.id = x.topic_id
                         WHERE x.subscriber_id = s.id) AS topic_names FROM subscribers s
    WHERE (:topic_id IS NULL OR s.id IN (SELECT subscriber_id FROM subscriptions WHERE topic_id = :topic_id))
      AND (:status IS NULL OR s.status = :status) ORDER BY s.email, s.id"""


def subscriber(r: Row, *, key: Callable[[str], Any] | None = None) -> Subscriber:
    """A subscriber from a row of SELECT (topics sorted by `key`)."""
    return Subscriber(
        id=r["id"], email=r["email"], name=r["name"], status=r["status"],
        topics=sorted(r["topic_names"].split("\x1f"), key=key) if r["topic_names"] else [],
        frequency=r["frequency"], timezone=r["timezone"], created_at=parse_ts(r["created_at"]), send_at=r["send_at"],
        language=r["language"])


class Subscribers(Repository):
    def find(self, email: str) -> Subscriber | None:
        row = self._one(BY_EMAIL, [email])
        return subscriber(row) if row is not None else None

    def get(self, email: str) -> Subscriber:
        found = self.find(email)
        if found is None:
            raise NotFound(f"Subscriber {email} does not exist.", "List them with `digest subscribers list`.")
        return found

    def by_id(self, subscriber_id: int) -> Subscriber:
        row = self._one(BY_ID, [subscriber_id])
        if row is None:
            raise NotFound(f"Subscriber #{subscriber_id} does not exist.")
        return subscriber(row)

    def listed(self, topic_id: int | None = None, status: str | None = None) -> list[Subscriber]:
        return [subscriber(r) for r in self._all(LISTED, {"topic_id": topic_id, "status": status})]

    def page(self, *, topic_id: int | None, status: str | None, since: dt.datetime | None,
             limit: int | None) -> Page[Subscriber]:
        """Subscribers, newest first, at most `limit` (None: all), read as they are iterated; the
        count says how many matched."""
        params = {"topic_id": topic_id, "status": status, "since": ts(since), "limit": -1 if limit is None else limit}
        total = self._value(COUNT_PAGE, params)
        return Page(map(subscriber, self.conn.execute(EVERY if limit is None else PAGE, params)), total, limit)

    def insert(self, email: str, *, name: str | None, status: str, frequency: str, timezone: str | None,
               language: str | None = None) -> int:
        stamp = ts(now())
        with self.transaction():
            row_id = self.conn.execute(INSERT, (email, name, status, frequency, timezone, None, language, stamp,
                                                stamp)).lastrowid
        assert row_id is not None, "an INSERT sets lastrowid"
        return row_id

    def merge(self, subscriber_id: int, *, name: str | None, status: str, frequency: str | None,
              timezone: str | None, language: str | None = None) -> None:
        """Set the status; fill in the name, frequency, timezone and language given (None keeps the one on file)."""
        with self.transaction():
            self.conn.execute(MERGE, (name, status, frequency, timezone, language, ts(now()), subscriber_id))

    def set_fields(self, subscriber_id: int, **fields: Any) -> None:
        """Set any of name, status, frequency, timezone, send_at, language (None clears it; absent keys are kept)."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown subscriber fields: {unknown}")
        if fields:
            with self.transaction():
                self.conn.execute(SET_FIELDS, self._fields(subscriber_id, fields, ts(now())))

    @staticmethod
    def _fields(subscriber_id: int | None, fields: dict, stamp: str) -> dict:
        return {"id": subscriber_id, "now": stamp, **{k: fields.get(k) for k in FIELDS},
                **{f"set_{k}": k in fields for k in FIELDS}}

    def subscribe(self, subscriber_id: int, topic_ids: Iterable[int], *, replace: bool = False) -> None:
        """Add topics to a subscription (or, with replace, make them the whole subscription)."""
        with self.transaction():
            if replace:
                self.conn.execute(UNSUBSCRIBE_ALL, (subscriber_id,))
            self.conn.executemany(SUBSCRIBE, [(subscriber_id, t) for t in topic_ids])
            self.conn.execute(TOUCH, (ts(now()), subscriber_id))

    def unsubscribe(self, subscriber_id: int, topic_ids: Iterable[int]) -> int:
        """Drop topics from a subscription; returns how many topics are left."""
        with self.transaction():
            self.conn.executemany(UNSUBSCRIBE, [(subscriber_id, t) for t in topic_ids])
            self.conn.execute(TOUCH, (ts(now()), subscriber_id))
            return self._value(TOPICS_LEFT, [subscriber_id])

    def set_status(self, subscriber_id: int, status: str, *, only_from: Iterable[str] | None = None) -> bool:
        """Change a subscriber's status (optionally only from the given statuses); True if it changed."""
        with self.transaction():
            return self.conn.execute(SET_STATUS, {"status": status, "now": ts(now()), "id": subscriber_id,
                                                  "only_from": None if only_from is None else ids_json(only_from)}
                                     ).rowcount > 0

    def add_soft_bounce(self, subscriber_id: int) -> int:
        """Count one soft bounce; returns the subscriber's count."""
        with self.transaction():
            row = self.conn.execute(ADD_SOFT_BOUNCE, (ts(now()), subscriber_id)).fetchone()
        return row[0] if row is not None else 0

    def reset_soft_bounces(self, delivery_ids: list[int]) -> None:
        """The soft-bounce count of the subscribers these deliveries reached goes back to zero."""
        with self.transaction():
            for chunk in chunks(delivery_ids, 5000):
                self.conn.execute(RESET_SOFT_BOUNCES, (ids_json(chunk),))

    def remove(self, subscriber_id: int) -> int:
        """Delete a subscriber with their subscriptions and delivery records; returns deliveries removed."""
        with self.transaction():
            n = self._value(DELIVERIES_OF, [subscriber_id])
            self.conn.execute(DELETE, (subscriber_id,))
        return n

    def suppress(self, email: str) -> str:
        """Mark the address suppressed, adding it if it is not on file; returns "updated" or "added"."""
        stamp = ts(now())
        with self.transaction():
            if self.conn.execute(SUPPRESS, (stamp, email)).rowcount:
                return "updated"
            self.conn.execute(INSERT_SUPPRESSED, (email, stamp, stamp))
            return "added"

    # ---- whole lists -----------------------------------------------------------------------------

    def on_file(self, emails: list[str]) -> dict[str, OnFile]:
        """What is on file for these addresses, keyed as columns.email_key folds them."""
        out: dict[str, OnFile] = {}
        for chunk in chunks(emails, 500):
            for r in self._all(ON_FILE, [ids_json(chunk)]):
                out[email_key(r["email"])] = OnFile(
                    r["id"], r["status"], r["name"], r["frequency"], r["timezone"], r["send_at"],
                    {int(t) for t in r["topic_ids"].split(",")} if r["topic_ids"] else set(), r["language"])
        return out

    def apply_import(self, changes: list[ImportChange]) -> None:
        """Write one batch of planned import changes with a handful of executemany calls, in one
        transaction (the caller's, when it holds one)."""
        stamp = ts(now())
        new = [c for c in changes if c.action == "add"]
        updates = [c for c in changes if c.action == "update"]
        with self.transaction():
            self.conn.executemany(INSERT, [(c.email, c.values["name"], c.values["status"], c.values["frequency"],
                                            c.values["timezone"], c.values["send_at"], c.values.get("language"),
                                            stamp, stamp) for c in new])
            self.conn.executemany(SET_FIELDS, [self._fields(c.subscriber_id, c.values, stamp)
                                               for c in updates if c.values])
            self.conn.executemany(UNSUBSCRIBE_ALL, [(c.subscriber_id,) for c in updates if c.replace_topics])
            added = self._ids_by_email([c.email for c in new])
            subs: list[tuple[int | None, int]] = [(added[email_key(c.email)], t) for c in new for t in c.topics]
            subs += [(c.subscriber_id, t) for c in updates for t in c.topics]
            self.conn.executemany(SUBSCRIBE, subs)
            self.conn.executemany(TOUCH, [(stamp, c.subscriber_id) for c in updates if c.topics and not c.values])

    def _ids_by_email(self, emails: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in chunks(emails, 500):
            out.update((email_key(r["email"]), r["id"]) for r in self._all(IDS_BY_EMAIL, [ids_json(chunk)]))
        return out

    def export(self, topic_id: int | None = None, status: str | None = None) -> Iterator[Subscriber]:
        """Every subscriber (of a topic, with a status) streamed from one cursor: a list of 100,000
        never sits in memory. Topics are in the order a reader sorts them."""
        for r in self.conn.execute(EXPORT, {"topic_id": topic_id, "status": status}):
            yield subscriber(r, key=str.lower)


# The Postgres twins of the statements above whose SQL differs (digest.db.postgres). Addresses compare as
# the email column does: citext.
EMAILS = ("SELECT value FROM json_each(?)", json_list("?", "citext"))
PG = {INSERT: INSERT_PG, SUBSCRIBE: SUBSCRIBE_PG,
      **twins((BY_EMAIL, BY_ID, LISTED, PAGE, EVERY), (SELECT, SELECT_PG)),
      **twins((EXPORT,), ("group_concat(t.name, char(31))", "string_agg(t.name, chr(31))")),
      **twins((SET_STATUS,), ("SELECT value FROM json_each(:only_from)", json_list(":only_from", "text"))),
      **twins((RESET_SOFT_BOUNCES,), IDS),
      **twins((ON_FILE,), ("group_concat(topic_id)", "string_agg(CAST(topic_id AS text), ',')"), EMAILS),
      **twins((IDS_BY_EMAIL,), EMAILS)}
