"""The base of every repository in digest.db: one connection, the database's transaction, and
the three ways a query is read. A repository's queries are named constants at the top of its
module; its methods hand back dataclasses from digest.models, never rows.
May import: nothing from digest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .database import Database


class Repository:
    def __init__(self, db: Database):
        self.db = db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def transaction(self):
        return self.db.transaction()

    def _all(self, sql: str, params: Iterable | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable | dict = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params)).fetchone()

    def _value(self, sql: str, params: Iterable | dict = ()) -> Any:
        row = self._one(sql, params)
        return row[0] if row is not None else None
