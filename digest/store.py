"""The store: every SQL statement digest runs lives in this module.

It hands back dataclasses from digest.models and raises digest.errors. Schema changes are
sqlite-utils migrations, each applied in its own transaction. The database runs in WAL mode so
that a sender, the scheduler and the web app can share it.
May import: models, errors. Nothing else from digest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlite_utils

from .errors import DigestError, NotFound
from .models import Article, ParsedArticle, Subscriber, Topic

migrations = sqlite_utils.Migrations("digest")

DEFAULT_TOPICS = {
    "Europe": ["Eastern Europe", "Western Europe", "European Union", "EU"],
    "Politics": ["Elections", "Government", "Parliament"],
    "World": ["International", "Global", "Middle East", "Africa", "Asia", "Americas"],
}

SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced", "suppressed")
DELIVERY_STATUSES = ("pending", "sending", "sent", "deferred", "bounced", "failed", "uncertain")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def ts(value: dt.datetime | None) -> str | None:
    """One timestamp format everywhere (UTC, microseconds) so SQL can compare them as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "topic"


# ---- schema --------------------------------------------------------------------------------


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript("""
    CREATE TABLE topics (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        slug TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE topic_aliases (
        alias TEXT PRIMARY KEY COLLATE NOCASE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        guid TEXT NOT NULL UNIQUE,
        checksum TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        caption TEXT, sources TEXT, author TEXT, bio TEXT,
        url TEXT, source TEXT, published TEXT, origin TEXT,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        headline TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        summary_sentences TEXT NOT NULL DEFAULT '[]',
        headline_override TEXT,
        summary_override TEXT,
        cluster_id INTEGER
    );
    CREATE INDEX articles_ingested ON articles(ingested_at);
    CREATE TABLE article_topics (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (article_id, topic_id)
    );
    CREATE INDEX article_topics_topic ON article_topics(topic_id, article_id);
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT,
        status TEXT NOT NULL DEFAULT 'active',
        frequency TEXT NOT NULL DEFAULT 'daily',
        timezone TEXT,
        soft_bounces INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (subscriber_id, topic_id)
    );
    CREATE INDEX subscriptions_topic ON subscriptions(topic_id);
    CREATE TABLE editions (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        frequency TEXT NOT NULL,
        date TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        edition_id INTEGER NOT NULL REFERENCES editions(id),
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending',
        mix TEXT NOT NULL,
        since TEXT,
        until TEXT NOT NULL,
        message_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (edition_id, subscriber_id)
    );
    CREATE INDEX deliveries_status ON deliveries(edition_id, status);
    CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id, status);
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """)


# ---- the store -----------------------------------------------------------------------------


class Store:
    """A digest database. Open with Store.open(path); `init()` creates or migrates it."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "Store":
        path = str(path)
        if not create and path != ":memory:" and not Path(path).exists():
            raise NotFound(f"Database {path} does not exist.", "Run `digest init` first.")
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def init(self) -> list[str]:
        """Apply pending migrations; returns their names."""
        pending = [m.name for m in migrations.pending(self.db)]
        migrations.apply(self.db)
        return pending

    def needs_migration(self) -> bool:
        return bool(migrations.pending(self.db))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: takes the write lock up front, so two writers queue instead of deadlocking."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def q(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    # ---- topics -------------------------------------------------------------------------

    def ensure_default_topics(self) -> None:
        with self.transaction():
            for name, aliases in DEFAULT_TOPICS.items():
                if not self.q("SELECT 1 FROM topics WHERE name = ?", [name]):
                    self.add_topic(name, aliases)

    def add_topic(self, name: str, aliases: Iterable[str] = ()) -> Topic:
        name = " ".join(name.split())
        if not name:
            raise DigestError("A topic needs a name.", "Example: digest topics add Science")
        with self.transaction():
            row = self.q("SELECT id FROM topics WHERE name = ?", [name])
            if row:
                topic_id = row[0]["id"]
            else:
                slug = slugify(name)
                if self.q("SELECT 1 FROM topics WHERE slug = ?", [slug]):
                    raise DigestError(f'A topic with the slug "{slug}" already exists.', "Pick another name.")
                topic_id = self.conn.execute(
                    "INSERT INTO topics (name, slug, created_at) VALUES (?, ?, ?)", (name, slug, ts(now()))
                ).lastrowid
            for alias in [name, *aliases]:
                alias = " ".join(alias.split())
                if alias:
                    self.conn.execute(
                        "INSERT INTO topic_aliases (alias, topic_id) VALUES (?, ?)"
                        " ON CONFLICT(alias) DO UPDATE SET topic_id = excluded.topic_id",
                        (alias, topic_id),
                    )
        return self.topic(name)

    def topics(self) -> list[Topic]:
        rows = self.q("SELECT id, name, slug FROM topics ORDER BY name")
        aliases: dict[int, list[str]] = {}
        for a in self.q("SELECT alias, topic_id FROM topic_aliases ORDER BY alias"):
            aliases.setdefault(a["topic_id"], []).append(a["alias"])
        return [
            Topic(r["id"], r["name"], r["slug"], [a for a in aliases.get(r["id"], []) if a.lower() != r["name"].lower()])
            for r in rows
        ]

    def topic(self, name: str) -> Topic:
        """Find a topic by name, slug or alias; the error lists the known topics."""
        name = " ".join(name.split())
        rows = self.q(
            "SELECT t.id FROM topics t WHERE t.name = ? OR t.slug = ?"
            " UNION SELECT topic_id FROM topic_aliases WHERE alias = ?",
            [name, name.lower(), name],
        )
        if not rows:
            known = ", ".join(t.name for t in self.topics()) or "(none)"
            raise NotFound(f'Topic "{name}" does not exist. Known topics: {known}.',
                           "Add it with `digest topics add NAME`.")
        tid = rows[0][0]
        return next(t for t in self.topics() if t.id == tid)

    def alias_map(self) -> dict[str, str]:
        """Lower-cased label -> topic name."""
        rows = self.q("SELECT a.alias, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id")
        return {r["alias"].lower(): r["name"] for r in rows}

    def topic_counts(self) -> dict[str, tuple[int, int]]:
        """topic name -> (active subscribers, articles)."""
        rows = self.q("""
            SELECT t.name,
              (SELECT count(*) FROM subscriptions s JOIN subscribers u ON u.id = s.subscriber_id
                WHERE s.topic_id = t.id AND u.status = 'active') AS subs,
              (SELECT count(*) FROM article_topics a WHERE a.topic_id = t.id) AS arts
            FROM topics t""")
        return {r["name"]: (r["subs"], r["arts"]) for r in rows}

    # ---- articles -----------------------------------------------------------------------

    def upsert_article(self, art: ParsedArticle, *, guid: str, checksum: str, topics: list[str],
                       headline: str, summary: str, sentences: list[int], at: dt.datetime | None = None) -> tuple[int, str]:
        """Insert or update one article by guid. Returns (id, "added" | "updated" | "unchanged").

        An edited re-ingest keeps its id and first ingest time, so it is neither a second article
        nor a second appearance in a digest.
        """
        stamp = ts(at or now())
        with self.transaction():
            row = self.q("SELECT id, checksum FROM articles WHERE guid = ?", [guid])
            values = dict(
                checksum=checksum, title=art.title, body=art.body, labels=json.dumps(art.labels),
                caption=art.caption, sources=art.sources, author=art.author, bio=art.bio, url=art.url,
                source=art.source, published=ts(art.published), origin=art.origin, updated_at=stamp,
                headline=headline, summary=summary, summary_sentences=json.dumps(sentences),
            )
            if row and row[0]["checksum"] == checksum:
                return row[0]["id"], "unchanged"
            if row:
                article_id, outcome = row[0]["id"], "updated"
                sets = ", ".join(f"{k} = :{k}" for k in values)
                self.conn.execute(f"UPDATE articles SET {sets} WHERE id = :id", {**values, "id": article_id})
                self.conn.execute("DELETE FROM article_topics WHERE article_id = ?", (article_id,))
            else:
                outcome = "added"
                values.update(guid=guid, ingested_at=stamp)
                cols = ", ".join(values)
                article_id = self.conn.execute(
                    f"INSERT INTO articles ({cols}) VALUES ({', '.join(':' + k for k in values)})", values
                ).lastrowid
            for name in topics:
                self.conn.execute(
                    "INSERT OR IGNORE INTO article_topics (article_id, topic_id) SELECT ?, id FROM topics WHERE name = ?",
                    (article_id, name),
                )
        return article_id, outcome

    _ARTICLE_SQL = """
        SELECT a.*, (SELECT group_concat(t.name, char(31)) FROM article_topics x JOIN topics t ON t.id = x.topic_id
                     WHERE x.article_id = a.id) AS topic_names
        FROM articles a"""

    @staticmethod
    def _article(r: sqlite3.Row) -> Article:
        return Article(
            id=r["id"], title=r["title"], body=r["body"],
            topics=sorted((r["topic_names"] or "").split("\x1f")) if r["topic_names"] else [],
            labels=json.loads(r["labels"]),
            headline=r["headline_override"] or r["headline"], summary=r["summary_override"] or r["summary"],
            url=r["url"], source=r["source"], published=parse_ts(r["published"]),
            ingested_at=parse_ts(r["ingested_at"]), caption=r["caption"], sources=r["sources"],
            author=r["author"], bio=r["bio"], cluster_id=r["cluster_id"],
            headline_override=r["headline_override"], summary_override=r["summary_override"],
        )

    def article(self, article_id: int) -> Article:
        rows = self.q(self._ARTICLE_SQL + " WHERE a.id = ?", [article_id])
        if not rows:
            raise NotFound(f"Article {article_id} does not exist.", "List them with `digest articles list`.")
        return self._article(rows[0])

    def article_sentences(self, article_id: int) -> list[int]:
        rows = self.q("SELECT summary_sentences FROM articles WHERE id = ?", [article_id])
        return json.loads(rows[0][0]) if rows else []

    def articles(self, topic: str | None = None) -> list[Article]:
        if topic:
            tid = self.topic(topic).id
            rows = self.q(self._ARTICLE_SQL + " WHERE a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ?)"
                          " ORDER BY a.ingested_at, a.id", [tid])
        else:
            rows = self.q(self._ARTICLE_SQL + " ORDER BY a.ingested_at, a.id")
        return [self._article(r) for r in rows]

    def articles_between(self, topics: list[str], since: dt.datetime | None, until: dt.datetime) -> list[Article]:
        """Articles in any of `topics` that entered the store in (since, until]: the selection window."""
        marks = ", ".join("?" for _ in topics)
        rows = self.q(
            self._ARTICLE_SQL + f""" WHERE a.id IN (
                SELECT x.article_id FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE t.name IN ({marks}))
              AND a.ingested_at > ? AND a.ingested_at <= ?
            ORDER BY a.ingested_at, a.id""",
            [*topics, ts(since) or "", ts(until)],
        )
        return [self._article(r) for r in rows]

    def all_bodies(self) -> Iterator[str]:
        for r in self.conn.execute("SELECT body FROM articles"):
            yield r[0]

    def set_summary(self, article_id: int, headline: str, summary: str, sentences: list[int]) -> None:
        with self.transaction():
            self.conn.execute("UPDATE articles SET headline = ?, summary = ?, summary_sentences = ? WHERE id = ?",
                              (headline, summary, json.dumps(sentences), article_id))

    def set_override(self, article_id: int, *, headline: str | None, summary: str | None) -> None:
        self.article(article_id)
        with self.transaction():
            if headline is not None:
                self.conn.execute("UPDATE articles SET headline_override = ? WHERE id = ?", (headline or None, article_id))
            if summary is not None:
                self.conn.execute("UPDATE articles SET summary_override = ? WHERE id = ?", (summary or None, article_id))

    def set_clusters(self, assignments: dict[int, int | None]) -> None:
        with self.transaction():
            self.conn.executemany("UPDATE articles SET cluster_id = ? WHERE id = ?",
                                  [(c, a) for a, c in assignments.items()])

    # ---- subscribers --------------------------------------------------------------------

    _SUB_SQL = """
        SELECT s.*, (SELECT group_concat(t.name, char(31)) FROM subscriptions x JOIN topics t ON t.id = x.topic_id
                     WHERE x.subscriber_id = s.id) AS topic_names
        FROM subscribers s"""

    @staticmethod
    def _subscriber(r: sqlite3.Row) -> Subscriber:
        return Subscriber(
            id=r["id"], email=r["email"], name=r["name"], status=r["status"],
            topics=sorted(r["topic_names"].split("\x1f")) if r["topic_names"] else [],
            frequency=r["frequency"], timezone=r["timezone"], created_at=parse_ts(r["created_at"]),
        )

    def subscriber(self, email: str) -> Subscriber:
        rows = self.q(self._SUB_SQL + " WHERE s.email = ?", [email])
        if not rows:
            raise NotFound(f"Subscriber {email} does not exist.", "List them with `digest subscribers list`.")
        return self._subscriber(rows[0])

    def subscriber_by_id(self, subscriber_id: int) -> Subscriber:
        rows = self.q(self._SUB_SQL + " WHERE s.id = ?", [subscriber_id])
        if not rows:
            raise NotFound(f"Subscriber #{subscriber_id} does not exist.")
        return self._subscriber(rows[0])

    def subscribers(self, topic: str | None = None, status: str | None = None) -> list[Subscriber]:
        where, params = [], []
        if topic:
            where.append("s.id IN (SELECT subscriber_id FROM subscriptions WHERE topic_id = ?)")
            params.append(self.topic(topic).id)
        if status:
            where.append("s.status = ?")
            params.append(status)
        sql = self._SUB_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.email"
        return [self._subscriber(r) for r in self.q(sql, params)]

    def upsert_subscriber(self, email: str, *, name: str | None, topics: list[str], status: str = "active",
                          frequency: str | None = None, timezone: str | None = None,
                          resubscribe: bool = True) -> str:
        """Add a subscriber or merge topics into an existing one. Returns "added", "updated" or "skipped".

        With resubscribe=False (bulk import) an address that unsubscribed, bounced or was suppressed
        is left alone: a list import must never undo someone's unsubscribe.
        """
        stamp = ts(now())
        topic_ids = [self.topic(t).id for t in topics]
        with self.transaction():
            row = self.q("SELECT id, status FROM subscribers WHERE email = ?", [email])
            if row:
                sid, current = row[0]["id"], row[0]["status"]
                if current in ("unsubscribed", "bounced", "suppressed") and not resubscribe:
                    return "skipped"
                new_status = status if current != "active" or status == "active" else current
                self.conn.execute(
                    "UPDATE subscribers SET name = coalesce(?, name), status = ?, frequency = coalesce(?, frequency),"
                    " timezone = coalesce(?, timezone), updated_at = ? WHERE id = ?",
                    (name, new_status, frequency, timezone, stamp, sid))
                outcome = "updated"
            else:
                sid = self.conn.execute(
                    "INSERT INTO subscribers (email, name, status, frequency, timezone, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (email, name, status, frequency or "daily", timezone, stamp, stamp)).lastrowid
                outcome = "added"
            self.conn.executemany("INSERT OR IGNORE INTO subscriptions (subscriber_id, topic_id) VALUES (?, ?)",
                                  [(sid, t) for t in topic_ids])
        return outcome

    def set_subscriber_status(self, email: str, status: str) -> None:
        sub = self.subscriber(email)
        with self.transaction():
            self.conn.execute("UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?",
                              (status, ts(now()), sub.id))

    # ---- editions and deliveries -----------------------------------------------------------

    def edition(self, key: str, frequency: str, date: dt.date) -> int:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO editions (key, frequency, date, created_at) VALUES (?, ?, ?, ?)",
                              (key, frequency, date.isoformat(), ts(now())))
            return self.q("SELECT id FROM editions WHERE key = ?", [key])[0]["id"]

    def watermark(self, subscriber_id: int) -> dt.datetime | None:
        """The end of the window of the last digest this subscriber was sent: the next one starts there."""
        row = self.q("SELECT max(until) FROM deliveries WHERE subscriber_id = ? AND status = 'sent'", [subscriber_id])
        return parse_ts(row[0][0]) if row else None

    def due_subscribers(self, edition_id: int, frequency: str | None = None) -> list[Subscriber]:
        """Active subscribers with at least one topic and no delivery row yet in this edition."""
        sql = self._SUB_SQL + """ WHERE s.status = 'active'
              AND EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = ? AND d.subscriber_id = s.id)"""
        params: list = [edition_id]
        if frequency:
            sql += " AND s.frequency = ?"
            params.append(frequency)
        return [self._subscriber(r) for r in self.q(sql + " ORDER BY s.id", params)]

    def create_deliveries(self, rows: list[dict]) -> int:
        """Write the ledger rows for one edition before anything is sent. Idempotent per (edition, subscriber)."""
        stamp = ts(now())
        with self.transaction():
            cur = self.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (edition_id, subscriber_id, status, mix, since, until, message_id,"
                " created_at, updated_at) VALUES (:edition_id, :subscriber_id, 'pending', :mix, :since, :until,"
                " :message_id, :now, :now)",
                [{**r, "since": ts(r["since"]), "until": ts(r["until"]), "now": stamp} for r in rows])
            return cur.rowcount

    def deliveries(self, edition_id: int | None = None, status: str | Iterable[str] | None = None) -> list[sqlite3.Row]:
        where, params = [], []
        if edition_id is not None:
            where.append("d.edition_id = ?")
            params.append(edition_id)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"d.status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        return self.q(
            "SELECT d.*, s.email, s.name, e.key AS edition_key FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber_id JOIN editions e ON e.id = d.edition_id"
            + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.id", params)

    def mark_deliveries(self, updates: list[tuple[int, str, str | None]]) -> None:
        """Record SMTP outcomes in one transaction: (delivery id, status, last reply)."""
        stamp = ts(now())
        with self.transaction():
            self.conn.executemany(
                "UPDATE deliveries SET status = ?, last_reply = ?, updated_at = ?, attempts = attempts + 1,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                [(status, reply, stamp, status, stamp, did) for did, status, reply in updates])

    def delivery_counts(self, edition_id: int) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.q(
            "SELECT status, count(*) AS n FROM deliveries WHERE edition_id = ? GROUP BY status", [edition_id])}

    # ---- leases --------------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, seconds: int) -> str | None:
        """Take the named lease unless someone else holds an unexpired one; returns that holder, or None."""
        stamp = now()
        with self.transaction():
            row = self.q("SELECT owner, expires_at FROM leases WHERE name = ?", [name])
            if row and row[0]["owner"] != owner and parse_ts(row[0]["expires_at"]) > stamp:
                return row[0]["owner"]
            self.conn.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                (name, owner, ts(stamp + dt.timedelta(seconds=seconds))))
        return None

    def release_lease(self, name: str, owner: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
