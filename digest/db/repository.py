"""The base of every repository in digest.db: one connection, the database's transaction, and
the three ways a query is read. A repository's queries are named constants at the top of its
module; its methods hand back dataclasses from digest.models, never rows.

The connection is SQLite's (sqlite3) or PostgreSQL's (digest.db.postgres.Connection, which runs a
statement's Postgres twin when its module names one in its PG map): both take `?` and `:name`
parameters and give rows read as r["col"] and r[0].
May import: nothing from digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = Any       # a sqlite3.Row or a digest.db.postgres.Row: read as r["col"] and r[0]


class Connection(Protocol):
    """What a repository calls on its connection (sqlite3.Connection, digest.db.postgres.Connection)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, parameters: Any, /) -> Any: ...
    @property
    def in_transaction(self) -> bool: ...


class Store(Protocol):
    """What a repository needs of the database it sits on (db.database.Database is one): its
    connection and its transaction. Named here, so the repositories never import the module that
    imports them all."""

    conn: Connection
    dialect: str

    def transaction(self) -> AbstractContextManager[Any]: ...


class Repository:
    def __init__(self, db: Store):
        self.db = db

    @property
    def conn(self) -> Connection:
        return self.db.conn

    def transaction(self):
        return self.db.transaction()

    def _all(self, sql: str, params: Iterable | dict = ()) -> list[Row]:
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable | dict = ()) -> Row | None:
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params)).fetchone()

    def _value(self, sql: str, params: Iterable | dict = ()) -> Any:
        row = self._one(sql, params)
        return row[0] if row is not None else None
