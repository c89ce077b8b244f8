"""An import's rows between reading and writing: a temporary table (in SQLite's temp file, gone
when the connection closes) holding one merged row per address, keyed by the line it first
appears on. The file is read once into it and written from it in batches, so a list of a million
rows is never held in memory. Nothing here touches the subscribers tables.
May import: nothing from digest, and .columns/.postgres/.repository. StagedRow is defined here, not in
digest.models: only an import and this table use it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from .columns import ids_json
from .postgres import json_list, twins
from .repository import Repository

COLUMNS = ("line", "key", "email", "name", "topic_ids", "frequency", "timezone", "send_at", "status", "language")
CREATE = """CREATE TEMP TABLE import_rows (line INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    name TEXT, topic_ids TEXT NOT NULL, frequency TEXT, timezone TEXT, send_at TEXT, status TEXT NOT NULL,
    language TEXT)"""
DROP = "DROP TABLE IF EXISTS temp.import_rows"
INSERT = f"INSERT INTO temp.import_rows ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
UPDATE = """UPDATE temp.import_rows SET name = ?, topic_ids = ?, frequency = ?, timezone = ?, send_at = ?,
    status = ?, language = ? WHERE line = ?"""
BY_KEY = f"SELECT {', '.join(COLUMNS)} FROM temp.import_rows WHERE key IN (SELECT value FROM json_each(?))"
AFTER = f"SELECT {', '.join(COLUMNS)} FROM temp.import_rows WHERE line > ? ORDER BY line LIMIT ?"


@dataclass
class StagedRow:
    """One address of an import, its repeated rows merged, between reading the file and writing."""
    line: int                                 # the first line the address is on
    key: str                                  # the address as the email column compares it
    email: str
    name: str | None
    topic_ids: dict[int, None]                # ordered as the file names them
    frequency: str | None
    timezone: str | None
    send_at: str | None
    status: str
    language: str | None = None


class Staging(Repository):

    @contextlib.contextmanager
    def table(self) -> Iterator[None]:
        """A fresh staging table for the length of the block."""
        self.conn.execute(DROP)
        self.conn.execute(CREATE)
        try:
            yield
        finally:
            self.conn.execute(DROP)

    def by_key(self, keys: list[str]) -> dict[str, StagedRow]:
        return {r["key"]: _row(r) for r in self._all(BY_KEY, [ids_json(keys)])}

    def write(self, new: list[StagedRow], changed: list[StagedRow]) -> None:
        """Add `new` rows and store `changed` ones (merged with a later row), in one transaction of
        the temp database only: the main database is not locked."""
        begun = not self.conn.in_transaction
        if begun:
            self.conn.execute("BEGIN")
        try:
            self.conn.executemany(INSERT, [(r.line, r.key, r.email, r.name, _ids(r), r.frequency, r.timezone,
                                            r.send_at, r.status, r.language) for r in new])
            self.conn.executemany(UPDATE, [(r.name, _ids(r), r.frequency, r.timezone, r.send_at, r.status,
                                            r.language, r.line) for r in changed])
        except BaseException:
            if begun and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        if begun:
            self.conn.execute("COMMIT")

    def batches(self, size: int) -> Iterator[list[StagedRow]]:
        """Every staged row in the order of the file, `size` at a time (by key range, so the caller
        may commit between batches)."""
        last = 0
        while rows := self._all(AFTER, [last, size]):
            last = rows[-1]["line"]
            yield [_row(r) for r in rows]


def _ids(row: StagedRow) -> str:
    return ",".join(map(str, row.topic_ids))


def _row(r: sqlite3.Row) -> StagedRow:
    ids = dict.fromkeys(map(int, r["topic_ids"].split(","))) if r["topic_ids"] else {}
    return StagedRow(r["line"], r["key"], r["email"], r["name"], ids, r["frequency"], r["timezone"], r["send_at"],
                     r["status"], r["language"])


# The Postgres twins (digest.db.postgres): a temporary table lives in pg_temp there.
PG = {**twins((DROP, INSERT, UPDATE, AFTER), ("temp.import_rows", "pg_temp.import_rows")),
      **twins((BY_KEY,), ("temp.import_rows", "pg_temp.import_rows"),
              ("SELECT value FROM json_each(?)", json_list("?", "text")))}
