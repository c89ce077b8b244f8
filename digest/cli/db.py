"""`digest db ...`: the database as a whole; `digest db copy` moves a SQLite store into PostgreSQL.
May import: pipeline, plural, and .app.
"""

from __future__ import annotations

import click

from .. import pipeline
from ..plural import plural
from .app import Commands, say, table


@click.group(name="db", cls=Commands)
def db_group() -> None:
    """The database as a whole: copy a SQLite store into PostgreSQL.

    Example: digest db copy digest.db postgresql://digest@db.example.com/digest
    """


@db_group.command(name="copy")
@click.argument("sqlite_path", type=click.Path(dir_okay=False))
@click.argument("postgres_url")
def db_copy(sqlite_path: str, postgres_url: str) -> None:
    """Copy the whole SQLite store at SQLITE_PATH (articles, topics, subscribers, editions, the delivery
    ledger, bounces, feeds) into the empty PostgreSQL database at POSTGRES_URL, in one transaction.

    The schema is made first; a database that already holds rows is refused and left as it is. The
    row counts of every table are checked before the copy is committed. Then point DIGEST_DB at
    POSTGRES_URL. Stop `digest send` and the scheduler first: what they write after the copy starts
    stays in the SQLite file.

    Example: digest db copy digest.db postgresql://digest@db.example.com/digest
    """
    copied = pipeline.copy_store(sqlite_path, postgres_url)
    table(["table", "rows"], [[c.table, c.rows] for c in copied])
    total = sum(c.rows for c in copied)
    say(f"Copied {plural(total, 'row', 'rows')} in {plural(len(copied), 'table', 'tables')} into "
        f"{pipeline.safe_url(postgres_url)}; the row counts match. Set DIGEST_DB to that URL to use it.")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
