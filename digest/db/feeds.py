"""Feeds: per feed URL, the HTTP validators (ETag, Last-Modified) that make an unchanged feed cost
a 304, and the last outcome, so `digest schedule list` can show a feed that keeps failing.
May import: models, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from ..models import FeedState
from .columns import parse_ts, ts
from .postgres import or_ignore
from .repository import Repository

ONE = "SELECT * FROM feeds WHERE url = ?"
ALL = "SELECT * FROM feeds ORDER BY url"
ENSURE = "INSERT OR IGNORE INTO feeds (url) VALUES (?)"
FAILED = "UPDATE feeds SET checked_at = ?, last_error = ?, failures = failures + 1 WHERE url = ?"
UNCHANGED = "UPDATE feeds SET checked_at = ?, ok_at = ?, last_error = NULL, failures = 0 WHERE url = ?"
FETCHED = ("UPDATE feeds SET checked_at = ?, ok_at = ?, last_error = NULL, failures = 0,"
           " etag = ?, modified = ?, entries = ? WHERE url = ?")


def _state(r: sqlite3.Row) -> FeedState:
    return FeedState(r["url"], r["etag"], r["modified"], parse_ts(r["checked_at"]), parse_ts(r["ok_at"]),
                     r["last_error"], r["failures"], r["entries"])


class Feeds(Repository):
    def state(self, url: str) -> FeedState | None:
        row = self._one(ONE, [url])
        return _state(row) if row is not None else None

    def all(self) -> list[FeedState]:
        return [_state(r) for r in self._all(ALL)]

    def record(self, url: str, *, at: dt.datetime, error: str | None = None, etag: str | None = None,
               modified: str | None = None, entries: int = 0, keep_validators: bool = False) -> None:
        """Write down one fetch: its validators on success (kept on a 304 or an error), or its error."""
        stamp = ts(at)
        with self.transaction():
            self.conn.execute(ENSURE, (url,))
            if error is not None:
                self.conn.execute(FAILED, (stamp, error, url))
            elif keep_validators:
                self.conn.execute(UNCHANGED, (stamp, stamp, url))
            else:
                self.conn.execute(FETCHED, (stamp, stamp, etag, modified, entries, url))


# The Postgres twins (digest.db.postgres).
PG = {ENSURE: or_ignore(ENSURE)}
