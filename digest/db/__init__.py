"""digest.db: every SQL statement digest runs, filed by table group.

`Database` opens the file, migrates it and runs transactions; each table group has one
repository on it (db.topics, db.articles, db.subscribers, db.editions, db.deliveries, db.leases,
db.feeds, db.bounces, db.corpus, db.staging) whose named queries sit at the top of its module and whose methods hand back
dataclasses from digest.models (db.staging's StagedRow is its own). Only digest.pipeline imports this package.
May import: errors, models, clock.
"""

from .columns import email_key, parse_ts, ts
from .database import Database
from .file_errors import database_error
from .migrations import schema_version
from .pg_errors import faults
from .staging import StagedRow

__all__ = ["Database", "StagedRow", "database_error", "email_key", "faults", "parse_ts", "schema_version", "ts"]
