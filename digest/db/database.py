"""The database: open it (PRAGMAs, the schema check), migrate it, and run transactions. Every
table group has its repository here, reached as `db.topics`, `db.articles`, `db.subscribers`,
`db.editing` (what an editor changes), `db.editions`, `db.deliveries`, `db.leases`, `db.feeds`, `db.bounces`, `db.corpus`, `db.staging`
(an import's rows between reading and writing) and `db.progress` (editions across the fleet, read only).

WAL mode, so a sender, the scheduler and the web app share the file; every write transaction is
BEGIN IMMEDIATE, so two writers queue instead of deadlocking. A postgresql:// URL instead of a path
opens PostgreSQL (digest.db.postgres): the same repositories, their queries' Postgres twins, and the
migrations of digest.db.pg_migrations; a transaction there is a plain BEGIN ... COMMIT.
May import: errors, models, clock, and the modules of digest.db.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from ..errors import DigestError
from . import (
    articles,
    bounces,
    corpus,
    deliveries,
    editions,
    feeds,
    migrations,
    pg_migrations,
    postgres,
    progress,
    staging,
    subscribers,
    topics,
)
from .articles import Articles
from .batches import Batches
from .bounces import Bounces
from .corpus import Corpus
from .deliveries import Deliveries
from .editing import Editing
from .editions import Editions
from .feeds import Feeds
from .file_errors import check_path, database_error
from .leases import Leases
from .pg_errors import faults
from .progress import Progress
from .relay_slots import RelaySlots
from .staging import Staging
from .subscribers import Subscribers
from .topics import Topics

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
           "PRAGMA busy_timeout=30000")
USER_VERSION = "PRAGMA user_version"
OTHER_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
# Every statement that has a Postgres twin, mapped to it (each module's PG map names them).
TWINS = {**topics.PG, **articles.PG, **subscribers.PG, **editions.PG, **deliveries.PG, **corpus.PG, **feeds.PG,
         **bounces.PG, **staging.PG, **progress.PG}


class Database:
    """A digest database. Open with Database.open(path); `init()` creates or migrates it."""

    def __init__(self, conn: sqlite3.Connection | postgres.Connection, path: str):
        self.conn: Any = conn
        self.path = path
        self.dialect = "postgres" if isinstance(conn, postgres.Connection) else "sqlite"
        if isinstance(conn, sqlite3.Connection):
            self.sqlite = sqlite_utils.Database(conn)      # migrations and bulk writes
        self.topics = Topics(self)
        self.articles = Articles(self)
        self.editing = Editing(self, self.articles)
        self.subscribers = Subscribers(self)
        self.editions = Editions(self)
        self.deliveries = Deliveries(self)
        self.leases = Leases(self)
        self.batches = Batches(self)       # Postgres only: digest worker's
        self.relay_slots = RelaySlots(self)   # Postgres only: a relay's connections for the whole fleet
        self.feeds = Feeds(self)
        self.bounces = Bounces(self)
        self.corpus = Corpus(self)
        self.staging = Staging(self)
        self.progress = Progress(self)     # what `digest editions` reads
        # Where a `digest send` journals, when not beside the file: on PostgreSQL there is no file, and the
        # journal is this host's ([worker] journal/send/, set by digest.pipeline.database).
        self.journal: Path | None = None

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Database:
        """Open (with create, also make) the database at `path`. Every way this can fail (a missing
        folder, a folder, a file that is not SQLite, a read-only or full disk, a newer schema)
        raises a DigestError naming the file, never a bare sqlite3 error."""
        path = str(path)
        if postgres.is_url(path):
            db = cls(postgres.connect(path, TWINS), postgres.safe_url(path))
            try:
                db.check_schema()
            except BaseException:
                db.close()
                raise
            return db
        if path != ":memory:":
            check_path(Path(path), create=create)
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except faults() as exc:
            raise database_error(exc, path) from None
        try:
            conn.row_factory = sqlite3.Row
            for pragma in PRAGMAS:
                conn.execute(pragma)
            db = cls(conn, path)
            db.check_schema()
        except faults() as exc:
            conn.close()
            raise database_error(exc, path) from None
        except DigestError:
            conn.close()
            raise
        return db

    def check_schema(self) -> None:
        """Refuse a database written by a newer digest: its migrations are ones we do not know, and
        running ours over it (or writing rows it does not expect) could damage it. A database that
        recorded migrations under their old names has those records renamed."""
        if self.dialect == "postgres":
            pg_migrations.check(self.conn, self.path)
            return
        ours = migrations.schema_version()
        theirs = self.conn.execute(USER_VERSION).fetchone()[0]
        known = set(migrations.names()) | set(migrations.RENAMED)
        applied = migrations.applied(self.sqlite)
        unknown = [name for name in applied if name not in known]
        if theirs > ours or unknown:
            raise DigestError(
                f"Database {self.path} has schema version {theirs or len(applied)}"
                + (f" (with migration {', '.join(unknown)})" if unknown else "")
                + f", newer than this digest understands ({ours}); it was left untouched.",
                "Upgrade digest to the version that wrote it, or point DIGEST_DB at a database made by this one.")
        renames = migrations.old_names(self.sqlite)
        if renames:
            with self.transaction():
                self.conn.executemany(migrations.RENAME_RECORD, renames)

    def close(self) -> None:
        self.conn.close()

    def init(self) -> list[str]:
        """Apply pending migrations; returns their names. A SQLite file that holds another
        program's tables is refused rather than filled with ours."""
        if self.dialect == "postgres":
            return pg_migrations.migrate(self.conn, self.path)
        if not migrations.applied(self.sqlite):
            theirs = [r[0] for r in self.conn.execute(OTHER_TABLES)]
            if theirs:
                raise DigestError(f"Database {self.path} is a SQLite file of another program (tables: "
                                  f"{', '.join(theirs[:5])}{', ...' if len(theirs) > 5 else ''}); it was left alone.",
                                  "Set DIGEST_DB to a new file for digest.")
        pending = migrations.pending(self.sqlite)
        migrations.apply(self.sqlite)
        # The schema's version number, so an older digest opening this file knows it is newer.
        self.conn.execute(f"{USER_VERSION} = {migrations.schema_version():d}")
        return pending

    def needs_migration(self) -> bool:
        if self.dialect == "postgres":
            return bool(pg_migrations.pending(self.conn))
        return bool(migrations.pending(self.sqlite))

    @contextlib.contextmanager
    def checkpoint_every(self, pages: int) -> Iterator[None]:
        """Fold the WAL into the database every `pages` pages, not every 1,000, for the length of the
        block: a bulk write of many small transactions then waits for the disk ten times less often.
        Postgres has no WAL checkpoint of ours to move."""
        if self.dialect == "postgres":
            yield
            return
        before = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self.conn.execute(f"PRAGMA wal_autocheckpoint={int(pages):d}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA wal_autocheckpoint={int(before):d}")

    def set_lock_timeout(self, seconds: float) -> None:
        """How long a write waits for another connection's write lock before 'database is locked'."""
        if self.dialect == "postgres":
            self.conn.execute(f"SET lock_timeout = {max(0, int(seconds * 1000)):d}")
            return
        self.conn.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000)):d}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE ... COMMIT: takes the write lock up front, so two writers queue instead of deadlocking
        (on Postgres, a plain BEGIN: rows are locked as they are written). Nested calls join the outer transaction."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back on its own (a full disk, an I/O error); a second
            # ROLLBACK would then raise and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
