"""The database a configuration names, opened for the faces: created and migrated by `digest init`
(with the default topics on a new one), opened as it is by every other command.
May import: config, db, errors.
"""

from __future__ import annotations

from ..config import Config
from ..db import Database, database_error, faults  # noqa: F401  (database_error, faults: faults met mid-command)
from ..errors import NotFound


def open_database(cfg: Config) -> Database:
    """The configured database; it must have been created (and migrated) by `digest init`."""
    db = Database.open(cfg.db, create=False)
    if db.needs_migration():
        db.close()
        raise NotFound(f"Database {cfg.db} needs migrating.", "Run `digest init`.")
    return with_journal(db, cfg)


def with_journal(db: Database, cfg: Config) -> Database:
    """On PostgreSQL a send journals in this host's folder ([worker] journal/send/, DIGEST_JOURNAL_DIR),
    not beside a database file there is none of (on SQLite: `digest.db.outbox/`)."""
    if db.dialect == "postgres":
        db.journal = cfg.worker.journal.resolve() / "send"
    return db


def init_database(cfg: Config) -> tuple[Database, list[str]]:
    """Create or migrate the database; a new one gets the default topics. Returns the migrations applied."""
    db = with_journal(Database.open(cfg.db), cfg)
    applied = db.init()
    if applied and "m001_initial" in applied:
        db.topics.ensure_defaults()
    return db, applied
