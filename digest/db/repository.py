"""The base of every repository in digest.db: one connection, the database's transaction, and
the three ways a query is read. A repository's queries are named constants at the top of its
module; its methods hand back dataclasses from digest.models, never rows.
May import: nothing from digest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Store(Protocol):
    """What a repository needs of the database it sits on (db.database.Database is one): its
    connection and its transaction. Named here, so the repositories never import the module that
    imports them all."""

    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[Any]: ...


class Repository:
    def __init__(self, db: Store):
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
