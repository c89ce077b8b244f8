"""PostgreSQL, the second database (DIGEST_DB=postgresql://user@host/dbname): a psycopg 3 connection
that the repositories use exactly as they use a sqlite3 one (`execute`, `executemany`, rows read as
`r["col"]` and `r[0]`, `rowcount`, `lastrowid`, `in_transaction`).

The repositories keep one set of named queries. A statement whose SQL differs on Postgres has a twin
named next to it (FILE_UNDER_PG beside FILE_UNDER), listed in its module's PG map; every statement is
then turned from SQLite's parameter style (`?`, `:name`) into psycopg's (`%s`, `%(name)s`), once.
Parameters are bound on the client (psycopg's ClientCursor), as literals: `? IS NULL` and `CASE WHEN ?`
then mean what they mean on SQLite, whatever the value's type.
May import: errors, and .pg_errors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .pg_errors import pg_error

# A quoted literal (left alone), or a parameter: `?`, or `:name` that is not half of a `::` cast.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


def json_list(param: str, type_: str) -> str:
    """Postgres' `SELECT value FROM json_each(param)`: the items of a JSON list bound as one parameter
    (digest.db.columns.ids_json), as `type_` (bigint, text, or citext where the column folds case)."""
    return f"SELECT CAST(value AS {type_}) FROM jsonb_array_elements_text(CAST({param} AS jsonb)) AS value"


IDS = ("SELECT value FROM json_each(?)", json_list("?", "bigint"))      # the commonest swap: a list of ids


def or_ignore(sql: str) -> str:
    """SQLite's INSERT OR IGNORE, as Postgres says it: INSERT ... ON CONFLICT DO NOTHING."""
    assert sql.startswith("INSERT OR IGNORE "), sql
    return "INSERT " + sql.removeprefix("INSERT OR IGNORE ") + " ON CONFLICT DO NOTHING"


def twins(statements: Iterable[str], *swaps: tuple[str, str]) -> dict[str, str]:
    """Each statement mapped to its Postgres twin: the same SQL with each (SQLite, Postgres) fragment swapped."""
    out = {}
    for sql in statements:
        twin = sql
        for old, new in swaps:
            twin = twin.replace(old, new)
        assert twin != sql, f"no fragment to swap in {sql[:60]!r}"
        out[sql] = twin
    return out


def is_url(target: str) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


@functools.lru_cache(maxsize=1024)
def to_pg(sql: str) -> str:
    """SQLite's parameter style in psycopg's: `?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%`."""
    def sub(m: re.Match) -> str:
        token = m.group(0)
        if token.startswith("'"):
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({m.group(1)})s"
    return _TOKEN.sub(sub, sql)


class Row(tuple):
    """A row read by position (r[0]) or by column name (r["col"]), like sqlite3.Row."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def row_factory(cursor: Any) -> Any:
    """psycopg's row factory: one Row class per result, knowing its column names."""
    if cursor.description is None:
        return tuple
    cls = type("Row", (Row,), {"names": {c.name: i for i, c in enumerate(cursor.description)}})
    return lambda values: cls(values)


class Cursor:
    """What a repository reads of an executed statement."""

    def __init__(self, cur: Any, lastrowid: int | None = None):
        self.cur = cur
        self.rowcount = cur.rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self.cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cur.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.cur)


class Connection:
    """A psycopg connection in autocommit mode: a transaction is an explicit BEGIN ... COMMIT, as on SQLite."""

    def __init__(self, conn: Any, twins: dict[str, str]):
        self.raw = conn
        self.twins = twins

    def _sql(self, sql: str) -> tuple[str, bool]:
        twin = self.twins.get(sql, sql)
        # An INSERT whose twin returns its id: what sqlite3 gives as lastrowid.
        returns_id = twin is not sql and twin.rstrip().endswith("RETURNING id") and "RETURNING" not in sql
        return to_pg(twin), returns_id

    def execute(self, sql: str, params: Sequence | dict = ()) -> Cursor:
        query, returns_id = self._sql(sql)
        cur = self.raw.cursor()
        cur.execute(query, params if isinstance(params, dict) else tuple(params))
        lastrowid = None
        if returns_id:
            row = cur.fetchone()
            lastrowid = row[0] if row is not None else None
        return Cursor(cur, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence | dict]) -> Cursor:
        """One statement per row; rowcount is their sum, as sqlite3 gives it."""
        query, _ = self._sql(sql)
        cur = self.raw.cursor()
        total = 0
        for params in rows:
            cur.execute(query, params if isinstance(params, dict) else tuple(params))
            total += max(cur.rowcount, 0)
        result = Cursor(cur)
        result.rowcount = total
        return result

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def script(self, sql: str) -> None:
        """Several statements without parameters (a migration's)."""
        self.raw.execute(sql)

    def close(self) -> None:
        self.raw.close()


def connect(url: str, twins: dict[str, str]) -> Connection:
    """Connect to the Postgres database of `url`; a failure is a DigestError of one line that names the
    server and the database, without the password (digest.db.pg_errors)."""
    import psycopg
    try:
        conn = psycopg.connect(url, autocommit=True, row_factory=row_factory, cursor_factory=psycopg.ClientCursor)
    except psycopg.Error as exc:
        raise pg_error(exc, url) from None
    return Connection(conn, twins)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)
