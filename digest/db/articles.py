"""Articles: stored by guid with the ingest sequence that orders them, read by topic and window,
and re-summarized, clustered into stories or removed (what an editor changes: .editing).
May import: errors, models, page, clock, and .columns/.corpus/.postgres/.repository.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable

from ..clock import now
from ..errors import NotFound
from ..models import Article, ArticleText, BodyIndex, MachineSummary, ParsedArticle, Removal, StoryRef
from ..page import Page
from .columns import chunks, ids_json, parse_ts, ts
from .corpus import Corpus
from .postgres import IDS, json_list, or_ignore, twins
from .repository import Repository, Row, Store

FIND_BY_GUID = "SELECT id, checksum, removed_at, body FROM articles WHERE guid = ?"
UPDATE = """UPDATE articles SET checksum = :checksum, title = :title, body = :body, labels = :labels,
    caption = :caption, sources = :sources, author = :author, bio = :bio, url = :url, source = :source,
    published = :published, origin = :origin, updated_at = :updated_at, headline = :headline, summary = :summary,
    summary_sentences = :summary_sentences, description = :description, removed = :removed,
    summary_source = :summary_source, language = :language WHERE id = :id"""
NEXT_SEQ = "UPDATE counters SET value = value + 1 WHERE name = 'ingest_seq' RETURNING value"
INSERT = """INSERT INTO articles (guid, checksum, title, body, labels, caption, sources, author, bio, url, source,
    published, origin, ingested_at, updated_at, headline, summary, summary_sentences, seq, description, removed,
    summary_source, language)
    VALUES (:guid, :checksum, :title, :body, :labels, :caption, :sources, :author, :bio, :url, :source,
    :published, :origin, :updated_at, :updated_at, :headline, :summary, :summary_sentences, :seq, :description,
    :removed, :summary_source, :language)"""
UNFILE = "DELETE FROM article_topics WHERE article_id = ?"
HAS_TOPIC = "SELECT 1 FROM article_topics WHERE article_id = ? LIMIT 1"
FILE_UNDER = "INSERT OR IGNORE INTO article_topics (article_id, topic_id) SELECT ?, id FROM topics WHERE name = ?"

SELECT = """SELECT a.*, (SELECT group_concat(t.name, char(31)) FROM article_topics x JOIN topics t ON t.id = x.topic_id
                         WHERE x.article_id = a.id) AS topic_names FROM articles a"""
BY_ID = SELECT + " WHERE a.id = ?"
LIVE = SELECT + " WHERE a.removed_at IS NULL AND (:topic_id IS NULL OR a.id IN" \
                " (SELECT article_id FROM article_topics WHERE topic_id = :topic_id)) ORDER BY a.ingested_at, a.id"
# A listing's page, newest first: not removed, of one topic or of none, ingested at or after :since.
LISTING = """ WHERE a.removed_at IS NULL AND (:topic_id IS NULL OR a.id IN
        (SELECT article_id FROM article_topics WHERE topic_id = :topic_id))
      AND (NOT :no_topic OR NOT EXISTS (SELECT 1 FROM article_topics x WHERE x.article_id = a.id))
      AND (:since IS NULL OR a.ingested_at >= :since)"""
# The page's ids are picked first, so the topic names are read for those rows only.
PAGE = SELECT + " WHERE a.id IN (SELECT a.id FROM articles a" + LISTING + """
    ORDER BY a.ingested_at DESC, a.id DESC LIMIT :limit) ORDER BY a.ingested_at DESC, a.id DESC"""
EVERY = SELECT + LISTING + " ORDER BY a.ingested_at DESC, a.id DESC"
COUNT_PAGE = "SELECT count(*) FROM articles a" + LISTING
# The window: after since_seq up to until_seq in ingest order when the delivery fixed them, else in
# (since, until] of ingest time; and not removed by `until`.
IN_WINDOW = """ WHERE a.id IN (SELECT x.article_id FROM article_topics x JOIN topics t ON t.id = x.topic_id
                               WHERE t.name IN (SELECT value FROM json_each(:topics)))
      AND (:since_seq IS NULL OR a.seq > :since_seq) AND (:since_seq IS NOT NULL OR a.ingested_at > :since)
      AND (:until_seq IS NULL OR a.seq <= :until_seq) AND (:until_seq IS NOT NULL OR a.ingested_at <= :until)
      AND (a.removed_at IS NULL OR a.removed_at > :until)
      AND (:fresh IS NULL OR coalesce(a.published, a.ingested_at) >= :fresh)"""
BETWEEN = SELECT + IN_WINDOW + " ORDER BY a.ingested_at, a.id"
# How many articles of the window carry each set of topics: planning counts every mix from these.
TOPIC_SETS_BETWEEN = "SELECT topic_names, count(*) FROM (" + SELECT + IN_WINDOW + ") AS w GROUP BY topic_names"
LAST_SEQ = "SELECT value FROM counters WHERE name = 'ingest_seq'"
FIRST_SEQ_AFTER = "SELECT min(seq) FROM articles WHERE ingested_at > ?"
SET_SUMMARY = "UPDATE articles SET headline = ?, summary = ?, summary_sentences = ?, summary_source = ? WHERE id = ?"
SET_CLUSTER = "UPDATE articles SET cluster_id = ? WHERE id = ?"
MACHINE = """SELECT id, title, body, source, headline, summary, summary_sentences, description, summary_source,
    language, (headline_override IS NOT NULL OR summary_override IS NOT NULL) AS has_override FROM articles
    WHERE removed_at IS NULL AND (:ids IS NULL OR id IN (SELECT value FROM json_each(:ids))) ORDER BY id"""
TEXTS_OF = ("SELECT id, title, body, published, ingested_at, cluster_id FROM articles"
            " WHERE id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL")
# Clustering's neighbourhood: ingested after :since, published (else ingested) in [:lo, :hi].
NEAR = ("SELECT id, cluster_id FROM articles WHERE ingested_at > :since AND removed_at IS NULL"
        " AND coalesce(published, ingested_at) BETWEEN :lo AND :hi")
CLUSTER_MATES = ("SELECT id FROM articles WHERE ingested_at > ? AND removed_at IS NULL"
                 " AND cluster_id IN (SELECT value FROM json_each(?))")
LIVE_BODIES_OF = "SELECT body FROM articles WHERE removed_at IS NULL AND id IN (SELECT value FROM json_each(?))"
CLUSTER = SELECT + " WHERE a.cluster_id = ? AND a.removed_at IS NULL ORDER BY a.id"
REMOVAL_STATE = ("SELECT id, title, ingested_at, removed_at FROM articles"
                 " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
# The distinct (edition, mix, window) of the sent deliveries: an article was sent in an edition when
# it entered the store inside a window and one of its topics is in the mix.
SENT_WINDOWS = ("SELECT DISTINCT e.key, d.mix, d.since, d.until FROM deliveries d"
                " JOIN editions e ON e.id = d.edition_id WHERE d.status = 'sent'")
TOPIC_NAMES = "SELECT t.name FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE x.article_id = ?"
REMOVE = ("UPDATE articles SET removed_at = ? WHERE removed_at IS NULL"
          " AND id IN (SELECT value FROM json_each(?))")


def _article(r: Row) -> Article:
    return Article(
        id=r["id"], title=r["title"], body=r["body"],
        topics=sorted(r["topic_names"].split("\x1f")) if r["topic_names"] else [],
        labels=json.loads(r["labels"]),
        headline=r["headline_override"] or r["headline"], summary=r["summary_override"] or r["summary"],
        url=r["url"], source=r["source"], published=parse_ts(r["published"]),
        ingested_at=parse_ts(r["ingested_at"]), caption=r["caption"], sources=r["sources"],
        author=r["author"], bio=r["bio"], cluster_id=r["cluster_id"],
        headline_override=r["headline_override"], summary_override=r["summary_override"],
        description=r["description"], removed=json.loads(r["removed"] or "[]"), summary_source=r["summary_source"],
        priority=r["priority"], lead=bool(r["lead"]), language=r["language"],
    )


def _text(r: Row) -> ArticleText:
    return ArticleText(r["id"], r["title"], r["body"], parse_ts(r["published"]), parse_ts(r["ingested_at"]),
                       r["cluster_id"])


def _missing(wanted: list[int], found: Iterable[int], hint: str) -> None:
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFound(f"Article {', '.join(map(str, missing))} does not exist.", hint)


class Articles(Repository):
    def __init__(self, db: Store):
        super().__init__(db)
        self.corpus = Corpus(db)     # the counts an article's body changes, in the same transaction

    def upsert(self, art: ParsedArticle, *, guid: str, checksum: str, topics: list[str], headline: str,
               summary: str, sentences: list[int], at: dt.datetime | None = None,
               summary_source: str = "lede", index_of: Callable[[str], BodyIndex] | None = None) -> tuple[int, str]:
        """Insert or update one article by guid. Returns (id, "added" | "updated" | "unchanged" |
        "removed"): an article an admin removed is not brought back by ingesting it again.
        `index_of` says what of a body the corpus counts (ingest always gives it): the new body is
        counted in and a replaced one out, in the same transaction. `art.language` is stored as ingest settled it.

        An edited re-ingest keeps its id, first ingest time and place in the ingest sequence, so it
        is neither a second article nor a second appearance in a digest.
        """
        values = dict(checksum=checksum, title=art.title, body=art.body, labels=json.dumps(art.labels),
                      caption=art.caption, sources=art.sources, author=art.author, bio=art.bio, url=art.url,
                      source=art.source, published=ts(art.published), origin=art.origin, updated_at=ts(at or now()),
                      headline=headline, summary=summary, summary_sentences=json.dumps(sentences),
                      description=art.description, summary_source=summary_source, language=art.language,
                      removed=json.dumps([{"kind": r.kind, "text": r.text, "why": r.why} for r in art.removed]))
        with self.transaction():
            row = self._one(FIND_BY_GUID, [guid])
            if row is not None and row["removed_at"]:
                return row["id"], "removed"
            if row is not None and row["checksum"] == checksum:
                # Unchanged, but ingested again with a default topic (`--topic`) after it was filed under none.
                if topics and self._one(HAS_TOPIC, [row["id"]]) is None:
                    self.conn.executemany(FILE_UNDER, [(row["id"], name) for name in topics])
                return row["id"], "unchanged"
            if row is not None:
                article_id, outcome = row["id"], "updated"
                self.conn.execute(UPDATE, {**values, "id": article_id})
                self.conn.execute(UNFILE, (article_id,))
                if index_of:
                    self.corpus.count(index_of(row["body"]), -1)
            else:
                seq = self.conn.execute(NEXT_SEQ).fetchone()[0]
                article_id, outcome = self.conn.execute(INSERT, {**values, "guid": guid, "seq": seq}).lastrowid, "added"
            if index_of:
                self.corpus.count(index_of(art.body))
            self.conn.executemany(FILE_UNDER, [(article_id, name) for name in topics])
        return article_id, outcome

    def get(self, article_id: int) -> Article:
        row = self._one(BY_ID, [article_id])
        if row is None:
            raise NotFound(f"Article {article_id} does not exist.", "List them with `digest articles list`.")
        if row["removed_at"]:
            raise NotFound(f"Article {article_id} was removed on {row['removed_at'][:10]}.",
                           "List the others with `digest articles list`.")
        return _article(row)

    def live(self, topic_id: int | None = None) -> list[Article]:
        """Every article not removed (of one topic), oldest first."""
        return [_article(r) for r in self._all(LIVE, {"topic_id": topic_id})]

    def page(self, *, topic_id: int | None, no_topic: bool, since: dt.datetime | None,
             limit: int | None) -> Page[Article]:
        """Articles not removed, newest first, at most `limit` (None: all), read as they are
        iterated; the count says how many matched."""
        params = {"topic_id": topic_id, "no_topic": no_topic, "since": ts(since), "limit": -1 if limit is None else limit}
        total = self._value(COUNT_PAGE, params)
        return Page(map(_article, self.conn.execute(EVERY if limit is None else PAGE, params)), total, limit)

    @staticmethod
    def _window(topics: list[str], since: dt.datetime | None, until: dt.datetime, since_seq: int | None,
                until_seq: int | None, fresh: dt.datetime | None = None) -> dict:
        return {"topics": json.dumps(list(topics)), "since": ts(since) or "", "until": ts(until),
                "since_seq": since_seq, "until_seq": until_seq, "fresh": ts(fresh) if fresh else None}

    def between(self, topics: list[str], since: dt.datetime | None, until: dt.datetime, *,
                since_seq: int | None = None, until_seq: int | None = None) -> list[Article]:
        """Articles in any of `topics` that entered the store in the window: after `since_seq` up to
        `until_seq` in ingest order when given, else in (since, until] of ingest time, and not removed
        by `until`: an article removed after an edition's cutoff stays in that edition (its archive shows
        what was sent); every later window leaves it out."""
        return [_article(r) for r in self._all(BETWEEN, self._window(topics, since, until, since_seq, until_seq))]

    def topic_sets_between(self, topics: list[str], since: dt.datetime | None, until: dt.datetime, *,
                           since_seq: int | None = None, until_seq: int | None = None,
                           fresh_after: dt.datetime | None = None) -> list[tuple[list[str], int]]:
        """How many of between(...)'s articles carry each set of topics: a mix's count is the sum over
        the sets it meets; with `fresh_after`, of those published (else ingested) then or later."""
        rows = self._all(TOPIC_SETS_BETWEEN, self._window(topics, since, until, since_seq, until_seq, fresh_after))
        return [(r[0].split("\x1f"), r[1]) for r in rows if r[0]]

    def last_seq(self) -> int:
        """The sequence number of the last article stored: a window cut now ends here."""
        return self._value(LAST_SEQ)

    def seq_after(self, at: dt.datetime) -> int:
        """The window start (exclusive) that takes every article ingested after `at`: a first digest's."""
        first = self._value(FIRST_SEQ_AFTER, [ts(at)])
        return (first if first is not None else self.last_seq() + 1) - 1

    def machine_summaries(self, ids: Iterable[int] | None = None) -> list[MachineSummary]:
        """What the machine wrote of the articles not removed, in id order (all when `ids` is None).
        An unknown or removed id is an error naming it (and when it was removed), before anything is read."""
        wanted = None if ids is None else sorted(set(ids))
        rows = self._all(MACHINE, {"ids": None if wanted is None else ids_json(wanted)})
        for absent in sorted(set(wanted or ()) - {r["id"] for r in rows}):
            self.get(absent)        # raises: "does not exist", or "was removed on <date>"
        return [MachineSummary(r["id"], r["title"], r["body"], r["source"], r["headline"], r["summary"],
                               json.loads(r["summary_sentences"]), bool(r["has_override"]), r["description"],
                               r["summary_source"], r["language"]) for r in rows]

    def set_summaries(self, rows: list[tuple]) -> None:
        """(id, headline, summary, sentences[, source]) written in one transaction; editor overrides
        are separate columns and stay as they are."""
        with self.transaction():
            self.conn.executemany(SET_SUMMARY, [(r[1], r[2], json.dumps(r[3]), r[4] if len(r) > 4 else "lede", r[0])
                                                for r in rows])

    def file_under(self, article_id: int, topic: str) -> None:
        """File one article under one more topic (an editor's `articles edit --topic`)."""
        self.get(article_id)
        with self.transaction():
            self.conn.execute(FILE_UNDER, (article_id, topic))

    def texts_of(self, ids: Iterable[int]) -> list[ArticleText]:
        """The articles of `ids` not removed, in id order."""
        return [_text(r) for r in sorted(self._all(TEXTS_OF, [ids_json(sorted(set(ids)))]), key=lambda r: r["id"])]

    def near(self, since: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> list[StoryRef]:
        """(id, cluster id) of the articles ingested after `since` and published (else ingested)
        between `lo` and `hi`: where clustering looks for other reports of a new batch's stories."""
        return [StoryRef(r["id"], r["cluster_id"])
                for r in self._all(NEAR, {"since": ts(since), "lo": ts(lo), "hi": ts(hi)})]

    def cluster_mates(self, since: dt.datetime, cluster_ids: Iterable[int]) -> list[int]:
        """Ids of the articles ingested after `since` that are in one of these clusters."""
        return [r[0] for r in self._all(CLUSTER_MATES, [ts(since), ids_json(sorted(set(cluster_ids)))])]

    def live_bodies_of(self, ids: Iterable[int]) -> list[str]:
        """The bodies of those of `ids` not removed."""
        return [r[0] for r in self._all(LIVE_BODIES_OF, [ids_json(sorted(set(ids)))])]

    def set_clusters(self, assignments: dict[int, int | None]) -> None:
        with self.transaction():
            self.conn.executemany(SET_CLUSTER, [(c, a) for a, c in assignments.items()])

    def cluster(self, cluster_id: int) -> list[Article]:
        """Every article in one cluster, in id order."""
        return [_article(r) for r in self._all(CLUSTER, [cluster_id])]

    def removal_preview(self, ids: Iterable[int]) -> list[Removal]:
        """Per article, in id order: when it was removed already and the sent editions that carried
        it. An unknown id is an error naming it, before anything is changed."""
        wanted = sorted(set(ids))
        rows = self._all(REMOVAL_STATE, [ids_json(wanted)])
        _missing(wanted, (r["id"] for r in rows), "List them with `digest articles list`; nothing was removed.")
        windows = self._all(SENT_WINDOWS)
        out = []
        for r in rows:
            topics = {t[0] for t in self._all(TOPIC_NAMES, [r["id"]])}
            sent = sorted({w["key"] for w in windows
                           if (w["since"] or "") < r["ingested_at"] <= w["until"] and topics & set(w["mix"].split("+"))})
            out.append(Removal(r["id"], r["title"], parse_ts(r["removed_at"]), sent))
        return out

    def remove(self, ids: Iterable[int], at: dt.datetime | None = None, *,
               index_of: Callable[[str], BodyIndex] | None = None) -> int:
        """Hide articles from every later digest and listing, in one transaction; returns how many
        were not removed already. The rows stay: a sent edition's archive still shows them, and
        ingesting one again does not bring it back. With `index_of`, their bodies are counted out
        of the corpus in the same transaction."""
        with self.transaction():
            if index_of:
                for body in self.live_bodies_of(ids):
                    self.corpus.count(index_of(body), -1)
            return sum(self.conn.execute(REMOVE, [ts(at or now()), ids_json(chunk)]).rowcount
                       for chunk in chunks(sorted(set(ids)), 500))


# Postgres twins (digest.db.postgres): names compare as citext; topics joined in name order, one group per set.
SELECT_PG = SELECT.replace("group_concat(t.name, char(31))", "string_agg(t.name, chr(31) ORDER BY t.name)")
FILE_UNDER_PG = or_ignore(FILE_UNDER)
PG = {FILE_UNDER: FILE_UNDER_PG, INSERT: INSERT + " RETURNING id",
      **twins((BY_ID, LIVE, PAGE, EVERY, BETWEEN, TOPIC_SETS_BETWEEN, CLUSTER), (SELECT, SELECT_PG),
              ("SELECT value FROM json_each(:topics)", json_list(":topics", "citext"))),
      **twins((TEXTS_OF, CLUSTER_MATES, LIVE_BODIES_OF, REMOVAL_STATE, REMOVE), IDS),
      **twins((MACHINE,), ("SELECT value FROM json_each(:ids)", json_list(":ids", "bigint")))}
