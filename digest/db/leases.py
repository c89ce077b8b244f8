"""Leases: a named row that one process holds until it expires, so that a second sender (or
scheduler) keeps off the work another is doing. Who may take over a lease is decided by the
caller (digest.pipeline.lease).

On SQLite a take is read-then-write inside BEGIN IMMEDIATE, which holds the file's write lock, so two
takers queue. Postgres has no such lock: two hosts reading "expired" at once would both write and both
believe they hold it. There a take is one statement that only overwrites an expired (or our own) row
and returns the owner it wrote; whoever gets a row back holds the lease, and nobody else can.
May import: models, clock, and .columns/.repository.
"""

from __future__ import annotations

import datetime as dt

from ..clock import now
from ..models import LeaseHolder
from .columns import parse_ts, ts
from .repository import Repository

HOLDER = "SELECT owner, expires_at FROM leases WHERE name = ?"
TAKE = ("INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at")
# Postgres: the conflicting row is locked and its WHERE re-read at its latest version, so of N racing
# takers exactly one sees it expired and gets a row back.
TAKE_PG = ("INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)"
           " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"
           " WHERE leases.expires_at <= ? OR leases.owner = excluded.owner RETURNING owner")
RENEW = "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?"
RELEASE = "DELETE FROM leases WHERE name = ? AND owner = ?"


class Leases(Repository):
    def acquire(self, name: str, owner: str, seconds: float) -> str | None:
        """Take the named lease unless someone else holds an unexpired one; returns that holder, or None."""
        stamp = now()
        if self.db.dialect == "postgres":
            return self._take_pg(name, owner, stamp, seconds)
        with self.transaction():
            held = self.holder(name)
            if held is not None and held.owner != owner and held.expires_at > stamp:
                return held.owner
            self.conn.execute(TAKE, (name, owner, ts(stamp + dt.timedelta(seconds=seconds))))
        return None

    def _take_pg(self, name: str, owner: str, stamp: dt.datetime, seconds: float) -> str | None:
        until = ts(stamp + dt.timedelta(seconds=seconds))
        for _ in range(3):
            with self.transaction():
                if self.conn.execute(TAKE_PG, (name, owner, until, ts(stamp))).fetchone() is not None:
                    return None
                held = self.holder(name)
            if held is not None:
                return held.owner
            # Released between our take and our read: the row is free again, so try once more.
        return "(another holder)"

    def renew(self, name: str, owner: str, seconds: float) -> bool:
        """Extend our lease; False if it is no longer ours (it expired and someone else took it)."""
        with self.transaction():
            return self.conn.execute(RENEW, (ts(now() + dt.timedelta(seconds=seconds)), name, owner)).rowcount == 1

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, or remove a dead holder's (compare-and-delete: only that owner's)."""
        with self.transaction():
            self.conn.execute(RELEASE, (name, owner))

    def holder(self, name: str) -> LeaseHolder | None:
        row = self._one(HOLDER, [name])
        return LeaseHolder(row["owner"], parse_ts(row["expires_at"])) if row is not None else None
