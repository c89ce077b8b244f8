"""The SQL of `digest db copy`: a whole SQLite store moved into a PostgreSQL one. Which tables the
migrations made (in an order their foreign keys allow), their columns, how many rows each holds, the rows
themselves (read from SQLite, written with COPY), and the identity sequences set past the copied ids so
the next INSERT gets a fresh one. Table and column names come from Postgres' own catalog, quoted.
May import: errors, and .database/.pg_migrations/.postgres.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import DigestError
from . import pg_migrations
from .database import Database

TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
          " AND table_type = 'BASE TABLE' AND table_name != 'digest_migrations' ORDER BY table_name")
REFERENCES = ("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
              " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace")
COLUMNS = ("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
           " AND table_name = %s ORDER BY ordinal_position")
SQLITE_TABLES = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                 " AND name != '_sqlite_migrations' ORDER BY name")
IDENTITIES = ("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
              " AND is_identity = 'YES' ORDER BY table_name")
# Tables the migrations fill themselves (counters: ingest_seq, live_articles): not a sign that a database
# is in use, and replaced by the source's rows when copied.
SEEDED = ("counters",)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(pg: Database) -> list[str]:
    """Every table of digest's schema on Postgres, each after the tables it references."""
    names = [r[0] for r in pg.conn.raw.execute(TABLES)]
    needs: dict[str, set[str]] = {n: set() for n in names}
    for table, referenced in pg.conn.raw.execute(REFERENCES):
        if table in needs and referenced in needs and referenced != table:
            needs[table].add(referenced)
    ordered: list[str] = []
    while needs:
        ready = sorted(n for n, deps in needs.items() if not deps - set(ordered))
        if not ready:
            raise DigestError(f"The tables {', '.join(sorted(needs))} reference each other in a circle; "
                              "they cannot be copied one after another.")
        ordered += ready
        for n in ready:
            del needs[n]
    return ordered


def sqlite_tables(sqlite: Database) -> list[str]:
    """The tables of a SQLite store, without sqlite-utils' record of its migrations."""
    return [r[0] for r in sqlite.conn.execute(SQLITE_TABLES)]


def columns(pg: Database, table: str) -> list[str]:
    return [r[0] for r in pg.conn.raw.execute(COLUMNS, (table,))]


def count(db: Database, table: str) -> int:
    """The rows of a table, on either database."""
    return int(db.conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])


def in_use(pg: Database) -> dict[str, int]:
    """The tables of a Postgres database that already hold rows of their own (none: it is empty)."""
    if not pg_migrations.applied(pg.conn):
        return {}
    found = {t: count(pg, t) for t in tables(pg) if t not in SEEDED}
    return {t: n for t, n in found.items() if n}


@contextlib.contextmanager
def snapshot(sqlite: Database) -> Iterator[None]:
    """One read transaction on the SQLite file: every read inside sees the same store, even while a
    sender writes to it (WAL)."""
    sqlite.conn.execute("BEGIN")
    try:
        yield
    finally:
        sqlite.conn.execute("COMMIT")


def rows(sqlite: Database, table: str, cols: list[str]) -> Iterator[tuple[Any, ...]]:
    """A SQLite table's rows, the columns in the order given, read as they are stored."""
    sql = f"SELECT {', '.join(_quote(c) for c in cols)} FROM {_quote(table)}"
    for row in sqlite.conn.execute(sql):
        yield tuple(row)


def write(pg: Database, table: str, cols: list[str], values: Iterable[tuple[Any, ...]]) -> int:
    """COPY the rows into the table (inside the caller's transaction); returns how many."""
    if table in SEEDED:
        pg.conn.raw.execute(f"DELETE FROM {_quote(table)}")
    n = 0
    cur = pg.conn.raw.cursor()
    with cur.copy(f"COPY {_quote(table)} ({', '.join(_quote(c) for c in cols)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)
            n += 1
    return n


def set_identities(pg: Database) -> list[tuple[str, int]]:
    """Each identity column's sequence set past the largest id copied; (table, next id) for each."""
    done = []
    for table, column in pg.conn.raw.execute(IDENTITIES).fetchall():
        q, c = _quote(table), _quote(column)
        row = pg.conn.raw.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({c}), 0) + 1, false)"
                                  f" FROM {q}", (q, column)).fetchone()
        done.append((table, int(row[0])))
    return done
