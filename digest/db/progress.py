"""Progress of editions across every sender and worker, as `digest editions show` and `list` read it:
an edition's ledger rows by status, by relay (the relay each outcome came from, as the ledger records
it), its batches by status and the ones a worker holds now, with their rows done of all.

Read only, and each a single aggregate over the edition's rows (the deliveries_status and
deliveries_batch indexes), so it can be run every few seconds while an edition of millions goes out.
May import: models, page, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..models import Edition, EditionCounts, HeldBatch
from ..page import Page
from .columns import parse_ts, ts
from .postgres import twins
from .repository import Repository

EDITION = "SELECT id, key, frequency, date, title FROM editions WHERE key = ?"
# An outcome names its relay (a [[relay]] name, or host:port for DIGEST_SMTP_URL); a row not yet
# attempted has none.
BY_RELAY = "SELECT relay, status, count(*) FROM deliveries WHERE edition_id = ? GROUP BY relay, status"
# A batch by what its rows say, not its status column (a plain `digest send` sends a batch's rows
# without claiming it): held by a worker now, done (no row left to finish), or waiting (rows still due).
BATCHES = """SELECT CASE WHEN b.owner IS NOT NULL THEN 'held' WHEN EXISTS (SELECT 1 FROM deliveries d
        WHERE d.batch_id = b.id AND d.status IN ('pending', 'deferred', 'sending')) THEN 'waiting' ELSE 'done' END,
    count(*) FROM batches b WHERE b.edition_id = ? GROUP BY 1"""
# A batch is held while it has an owner (claimed, lease running or run out and not yet taken over).
HELD = """SELECT b.id, b.status, b.owner, b.epoch,
    max(0, coalesce((julianday(b.lease_until) - julianday('now')) * 86400.0, 0)) AS seconds_left,
    (SELECT count(*) FROM deliveries d WHERE d.batch_id = b.id
        AND d.status IN ('sent', 'bounced', 'failed', 'uncertain')) AS done,
    (SELECT count(*) FROM deliveries d WHERE d.batch_id = b.id) AS total
    FROM batches b WHERE b.edition_id = ? AND b.owner IS NOT NULL ORDER BY b.id"""
# The newest editions first (as every listing pages: digest.cli.paging), their rows counted after the
# page is chosen, so a long history costs only the page's own rows.
PAGE = """SELECT e.id, e.key, e.frequency, e.date, e.title, e.created_at, d.status, count(d.id) AS n
    FROM (SELECT * FROM editions WHERE (:since IS NULL OR created_at >= :since)
          ORDER BY date DESC, id DESC LIMIT :limit) e
    LEFT JOIN deliveries d ON d.edition_id = e.id
    GROUP BY e.id, e.key, e.frequency, e.date, e.title, e.created_at, d.status ORDER BY e.date DESC, e.id DESC"""
COUNT = "SELECT count(*) FROM editions WHERE (:since IS NULL OR created_at >= :since)"


class Progress(Repository):
    def edition(self, key: str) -> Edition | None:
        r = self._one(EDITION, [key])
        return Edition(r[0], r[1], r[2], dt.date.fromisoformat(str(r[3])[:10]), title=r[4]) if r else None

    def by_relay(self, edition_id: int) -> dict[str | None, dict[str, int]]:
        """The edition's rows by the relay their outcome came from (None: not attempted yet), then status."""
        out: dict[str | None, dict[str, int]] = defaultdict(dict)
        for relay, status, n in self._all(BY_RELAY, [edition_id]):
            out[relay][status] = n
        return dict(out)

    def batches(self, edition_id: int) -> dict[str, int]:
        """The edition's batches as held, waiting or done (none on SQLite, nor for an edition planned before batches)."""
        return {r[0]: r[1] for r in self._all(BATCHES, [edition_id])}

    def held(self, edition_id: int) -> list[HeldBatch]:
        return [HeldBatch(r[0], r[1], r[2], r[3], float(r[4]), r[5], r[6]) for r in self._all(HELD, [edition_id])]

    def page(self, *, since: dt.datetime | None, limit: int | None) -> Page[EditionCounts]:
        """The newest `limit` editions (None: all), each with its rows by status; the count says how many matched."""
        params = {"since": ts(since), "limit": -1 if limit is None else limit}
        total = self._value(COUNT, params)
        editions: dict[int, EditionCounts] = {}
        for r in self._all(PAGE, params):
            e = editions.get(r[0])
            if e is None:
                e = editions[r[0]] = EditionCounts(r[0], r[1], r[2], dt.date.fromisoformat(str(r[3])[:10]), r[4],
                                                   parse_ts(r[5]), {})
            if r[6] is not None:
                e.counts[r[6]] = r[7]
        return Page(iter(editions.values()), total, limit)


# The Postgres twins (digest.db.postgres): the lease is timestamptz, in the server's clock.
PG = {**twins((HELD,), ("max(0, coalesce((julianday(b.lease_until) - julianday('now')) * 86400.0, 0))",
                        "greatest(0, coalesce(extract(epoch FROM b.lease_until - now()), 0))")),
      **twins((PAGE,), ("LIMIT :limit", "LIMIT nullif(:limit, -1)"))}
