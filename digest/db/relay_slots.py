"""Relay slots (Postgres only): a relay's `connections` and `rate` held for the whole fleet of
`digest worker` processes. A relay has one row per connection it allows (0 .. connections - 1); a
worker holds a slot with an owner and a lease before it opens that connection (digest.pipeline.relay_slots).

A claim is one statement: it takes free slots (no owner, an expired lease, or a holder known dead),
skipping the ones another claim has locked at that moment, so two workers never get the same slot and
neither waits for the other. Leases are in the server's time (now()), so the hosts' clocks need not agree.
May import: .repository.
"""

from __future__ import annotations

from collections.abc import Sequence

from .repository import Repository

# A relay's rows, made by the first worker that uses it; a worker configured with more connections adds
# the rows it lacks (rows are never removed: a worker with fewer connections only claims slots below its own).
ENSURE = "INSERT INTO relay_slots (relay, slot) SELECT ?, generate_series(0, ? - 1) ON CONFLICT DO NOTHING"
CLAIM = """UPDATE relay_slots SET owner = ?, lease_until = now() + make_interval(secs => ?)
    WHERE (relay, slot) IN (SELECT relay, slot FROM relay_slots WHERE relay = ? AND slot < ?
        AND (owner IS NULL OR lease_until < now() OR owner = ANY(?))
        ORDER BY slot LIMIT ? FOR UPDATE SKIP LOCKED)
    RETURNING slot, greatest(0, coalesce(extract(epoch FROM next_at - now()), 0))"""
RENEW = """UPDATE relay_slots SET lease_until = now() + make_interval(secs => ?)
    WHERE owner = ? AND lease_until >= now()"""
RELEASE = """UPDATE relay_slots SET owner = NULL, lease_until = NULL, next_at = now() + make_interval(secs => ?)
    WHERE owner = ? AND relay = ?"""
HOLDERS = "SELECT DISTINCT owner FROM relay_slots WHERE relay = ? AND owner IS NOT NULL AND lease_until >= now()"
HELD = """SELECT relay, slot, owner, greatest(0, extract(epoch FROM lease_until - now())) FROM relay_slots
    WHERE owner IS NOT NULL AND lease_until >= now() ORDER BY relay, slot"""


class RelaySlots(Repository):
    def claim(self, relay: str, connections: int, owner: str, seconds: float, *, want: int,
              dead: Sequence[str] = ()) -> list[tuple[int, float]]:
        """Up to `want` free slots of the relay's first `connections` (made by `ensure`), for `seconds`, held
        by `owner`: each slot got, with the seconds until its pace lets it send (none when the others hold
        them all). `dead`: holders known gone, taken over at once."""
        with self.transaction():
            rows = self.conn.execute(CLAIM, (owner, float(seconds), relay, connections, list(dead), want)).fetchall()
        return sorted((r[0], float(r[1])) for r in rows)

    def ensure(self, relay: str, connections: int) -> None:
        """The relay's rows 0 .. connections - 1, made by whichever worker comes first."""
        with self.transaction():
            self.conn.execute(ENSURE, (relay, connections))

    def holders(self, relay: str) -> list[str]:
        """Who holds a slot of the relay now (to find the ones whose process is gone)."""
        return [r[0] for r in self._all(HOLDERS, [relay])]

    def renew(self, owner: str, seconds: float) -> int:
        """Extend the owner's slots still in lease; how many (fewer than it holds: some ran out and may be taken)."""
        with self.transaction():
            return self.conn.execute(RENEW, (float(seconds), owner)).rowcount

    def release(self, owner: str, pace: dict[str, float]) -> int:
        """Let the owner's slots go, at once, for the next worker; `pace`: per relay, the seconds until its
        holder's pace would have let it send again (its successor waits them out)."""
        with self.transaction():
            return sum(self.conn.execute(RELEASE, (float(wait), owner, relay)).rowcount for relay, wait in pace.items())

    def held(self) -> list[tuple[str, int, str, float]]:
        """Every slot held now: (relay, slot, owner, seconds left)."""
        return [(r[0], r[1], r[2], float(r[3])) for r in self._all(HELD)]
