"""Leases: a named row that one process holds until it expires, so that a second sender (or
scheduler) keeps off the work another is doing. Who may take over a lease is decided by the
caller (digest.pipeline.lease).
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
RENEW = "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?"
RELEASE = "DELETE FROM leases WHERE name = ? AND owner = ?"


class Leases(Repository):
    def acquire(self, name: str, owner: str, seconds: float) -> str | None:
        """Take the named lease unless someone else holds an unexpired one; returns that holder, or None."""
        stamp = now()
        with self.transaction():
            held = self.holder(name)
            if held is not None and held.owner != owner and held.expires_at > stamp:
                return held.owner
            self.conn.execute(TAKE, (name, owner, ts(stamp + dt.timedelta(seconds=seconds))))
        return None

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
