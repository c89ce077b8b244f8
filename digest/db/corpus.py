"""Corpus counts: over the articles not removed, how many contain each paragraph (by its
fingerprint, see digest.selection.cluster) and each summarizer term, and how many articles there are. Kept
up to date inside the transactions that store, replace and remove articles (digest.db.articles),
so boilerplate and document frequencies are known without reading the archive's bodies.
May import: models, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..models import BodyIndex
from .columns import chunks
from .postgres import json_list, twins
from .repository import Repository

LIVE = "SELECT value FROM counters WHERE name = 'live_articles'"
ADD_LIVE = "UPDATE counters SET value = value + ? WHERE name = 'live_articles'"
ADD_PARAGRAPH = ("INSERT INTO corpus_paragraphs (fingerprint, docs) VALUES (?, ?)"
                 " ON CONFLICT (fingerprint) DO UPDATE SET docs = docs + excluded.docs")
ADD_TERM = ("INSERT INTO corpus_terms (term, docs) VALUES (?, ?)"
            " ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs")
DROP_PARAGRAPH = "DELETE FROM corpus_paragraphs WHERE fingerprint = ? AND docs <= 0"
DROP_TERM = "DELETE FROM corpus_terms WHERE term = ? AND docs <= 0"
COMMON = ("SELECT fingerprint FROM corpus_paragraphs WHERE docs >= ?"
          " AND fingerprint IN (SELECT value FROM json_each(?))")
TERMS = "SELECT term, docs FROM corpus_terms WHERE term IN (SELECT value FROM json_each(?))"
ALL_TERMS = "SELECT term, docs FROM corpus_terms"


class Corpus(Repository):
    def count(self, index: BodyIndex, sign: int = 1) -> None:
        """Count one article's body in (sign 1) or out (-1: replaced or removed); joins the
        caller's transaction, so the counts change with the article or not at all."""
        with self.transaction():
            self.conn.execute(ADD_LIVE, (sign,))
            self.conn.executemany(ADD_PARAGRAPH, [(f, sign) for f in index.fingerprints])
            self.conn.executemany(ADD_TERM, [(t, sign) for t in index.terms])
            if sign < 0:
                self.conn.executemany(DROP_PARAGRAPH, [(f,) for f in index.fingerprints])
                self.conn.executemany(DROP_TERM, [(t,) for t in index.terms])

    def live(self) -> int:
        """How many articles are counted: those not removed."""
        return self._value(LIVE) or 0

    def common(self, fingerprints: Iterable[int], min_docs: int) -> set[int]:
        """Those of `fingerprints` found in at least `min_docs` articles."""
        found: set[int] = set()
        for chunk in chunks(sorted(set(fingerprints)), 50_000):
            found |= {r[0] for r in self._all(COMMON, [min_docs, json.dumps(chunk)])}
        return found

    def doc_freq(self, terms: Iterable[str] | None = None) -> dict[str, int]:
        """How many articles contain each of `terms` (absent: none); every term when None."""
        if terms is None:
            return {r[0]: r[1] for r in self._all(ALL_TERMS)}
        return {r[0]: r[1] for r in self._all(TERMS, [json.dumps(sorted(set(terms)))])}


# The Postgres twins (digest.db.postgres): an upsert names the row it adds to, a JSON list is read by type.
PG = {**twins((ADD_PARAGRAPH, ADD_TERM), ("SET docs = docs +", "SET docs = EXCLUDED.docs +")),
      **twins((COMMON,), ("SELECT value FROM json_each(?)", json_list("?", "bigint"))),
      **twins((TERMS,), ("SELECT value FROM json_each(?)", json_list("?", "text")))}
