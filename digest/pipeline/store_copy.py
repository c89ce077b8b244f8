"""Moving up: `digest db copy SQLITE_PATH postgresql://...` copies a whole SQLite store (articles, topics
and their aliases, subscribers and their topics, editions, the delivery ledger, bounces, feeds, and every
other table the migrations make) into an empty PostgreSQL database, so an admin who outgrows one machine
loses nothing.

The target must be empty: a database that holds rows of its own is refused before anything is written
(two stores merged would mix up their ids). Its schema is made by the Postgres migrations, then every row
is copied in one transaction, read from one snapshot of the SQLite file (a sender may still be writing to
it); the row counts of every table are compared before that transaction commits, and each identity
sequence is set past the copied ids, so the next subscriber or edition gets an id of its own.
May import: errors, and db.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..db import Database, transfer
from ..db.postgres import is_url, safe_url  # noqa: F401  (safe_url: the faces name the target with it)
from ..errors import DigestError


@dataclass(frozen=True)
class CopiedTable:
    table: str
    rows: int


def copy_store(source: str, target: str, progress: Callable[[str, int], None] | None = None) -> list[CopiedTable]:
    """Copy the SQLite store at `source` into the empty Postgres database at `target`; what was copied, per table.
    `progress(table, rows)` is told of each table as it is done."""
    if is_url(source):
        raise DigestError(f"{safe_url(source)} is not a SQLite file: `digest db copy` reads a SQLite store.",
                          "Example: digest db copy digest.db postgresql://digest@db.example.com/digest")
    if not is_url(target):
        raise DigestError(f"{target} is not a PostgreSQL URL: `digest db copy` writes into PostgreSQL.",
                          "Give it as postgresql://user@host:port/dbname.")
    src = Database.open(source, create=False)
    try:
        if src.needs_migration():
            raise DigestError(f"The SQLite store {source} is older than this digest (it needs migrating); nothing "
                              "was copied.", f"Migrate it first: DIGEST_DB={source} digest init")
        dst = Database.open(target)
        try:
            return _copy(src, dst, progress)
        finally:
            dst.close()
    finally:
        src.close()


def _copy(src: Database, dst: Database, progress: Callable[[str, int], None] | None) -> list[CopiedTable]:
    used = transfer.in_use(dst)
    if used:
        listed = ", ".join(f"{t} ({n})" for t, n in sorted(used.items()))
        raise DigestError(f"The PostgreSQL database {dst.path} is not empty (rows in {listed}); nothing was copied.",
                          "Copy into a new, empty database: CREATE DATABASE digest TEMPLATE template0 ENCODING "
                          "'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    dst.init()          # the schema (refuses another program's tables, or a collation other than C)
    order = transfer.tables(dst)
    missing = sorted(set(transfer.sqlite_tables(src)) - set(order))
    if missing:
        raise DigestError(f"The SQLite store {src.path} has tables PostgreSQL's schema lacks ({', '.join(missing)});"
                          " nothing was copied.", "Use the digest that wrote that store, or report it.")
    copied = []
    with transfer.snapshot(src), dst.transaction():       # one snapshot of the SQLite file, however long it takes
        for table in order:
            cols = transfer.columns(dst, table)
            n = transfer.write(dst, table, cols, transfer.rows(src, table, cols))
            copied.append(CopiedTable(table, n))
            if progress:
                progress(table, n)
        _check_counts(src, dst, copied)
        transfer.set_identities(dst)
    return copied


def _check_counts(src: Database, dst: Database, copied: list[CopiedTable]) -> None:
    """Every table holds, on Postgres, what it holds in the SQLite snapshot; else the copy is rolled back."""
    wrong = [(c.table, transfer.count(src, c.table), transfer.count(dst, c.table)) for c in copied]
    wrong = [w for w in wrong if w[1] != w[2]]
    if wrong:
        said = "; ".join(f"{t}: {a} in SQLite, {b} in PostgreSQL" for t, a, b in wrong)
        raise DigestError(f"The copy does not match its source ({said}); it was rolled back, nothing was kept.",
                          "Run it again with -v, and report it if it happens again.")
