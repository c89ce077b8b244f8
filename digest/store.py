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
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlite_utils

from .errors import DigestError, LockedError, NotFound
from .models import Article, ParsedArticle, Subscriber, Topic

from .db import migrations as _schema
from .db.migrations import m007_outlets_not_authors, migrations, schema_version  # noqa: F401
from .errors import LeaseLost  # noqa: F401

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


def _check_path(path: Path, *, create: bool) -> None:
    """The mistakes in DIGEST_DB that sqlite3 reports only as "unable to open database file"."""
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DigestError(f"Cannot open database {path}: {exc.strerror}.",
                          "Check that you may read and write the file and its folders.") from None
    if path.is_dir():
        raise DigestError(f"Database {path} is a folder, not a database file.",
                          f"Set DIGEST_DB (or `db` in digest.toml) to a file, e.g. {path / 'digest.db'}.")
    if not path.exists():
        if not path.parent.is_dir():
            raise DigestError(f"Database {path} cannot be {'created' if create else 'found'}: the folder "
                              f"{path.parent} does not exist.",
                              "Create the folder first, or set DIGEST_DB to a path in an existing folder.")
        if not create:
            raise NotFound(f"Database {path} does not exist.", "Run `digest init` first.")


def database_error(exc: sqlite3.Error, path: str) -> DigestError:
    """One sentence for a fault of the database file itself (the CLI prints it as one `Error:` line).

    A statement that fails this way was inside a transaction that SQLite rolled back, so the
    database holds what the last completed step wrote and nothing of the failed one.
    """
    code = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    folder = Path(path).resolve().parent
    if code.startswith("SQLITE_READONLY") or "readonly database" in text:
        return DigestError(f"Database {path} is read-only ({text}); nothing was changed.",
                           f"digest needs to write the file and the -wal and -shm files beside it in {folder}: "
                           "check the permissions, or that the disk is not mounted read-only.")
    if code == "SQLITE_FULL" or "disk is full" in text:
        return DigestError(f"Database {path}: the disk is full ({text}); the step that failed wrote nothing.",
                           f"Free space on the disk that holds {folder}, then run the command again.")
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
        return DigestError(f"Database {path} is not a digest database, or it is damaged ({text}).",
                           "Check DIGEST_DB; restore a backup, or try `sqlite3 FILE .recover` on a copy.")
    if code == "SQLITE_CANTOPEN" or "unable to open" in text:
        if _read_only_folder(folder):
            return DigestError(f"Cannot open database {path}: the file system of {folder} is read-only ({text}).",
                               "digest writes the -wal and -shm files beside the database: move it to a "
                               "writable disk.")
        return DigestError(f"Cannot open database {path} ({text}).",
                           f"Check that {folder} exists and that you may read and write in it.")
    if code == "SQLITE_BUSY" or "locked" in text:
        return DigestError(f"Database {path} is locked by another process ({text}); nothing was changed.",
                           "Wait for the other digest command to finish and try again.")
    if code == "SQLITE_IOERR" or "disk I/O error" in text:
        return DigestError(f"Database {path}: a disk I/O error ({text}); the step that failed wrote nothing.",
                           "Check the disk (space, permissions, hardware) and run the command again.")
    return DigestError(f"Database {path}: {text}.", "Run again with -v for the details.")


def _read_only_folder(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False


# ---- the store -----------------------------------------------------------------------------


class Store:
    """A digest database. Open with Store.open(path); `init()` creates or migrates it."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.db = self.sqlite = sqlite_utils.Database(conn)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> "Store":
        """Open (with create, also make) the database at `path`. Every way this can fail (a missing
        folder, a folder, a file that is not SQLite, a read-only or full disk, a newer schema)
        raises a DigestError naming the file, never a bare sqlite3 error."""
        path = str(path)
        if path != ":memory:":
            _check_path(Path(path), create=create)
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise database_error(exc, path) from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            store = cls(conn, path)
            store.check_schema()
        except sqlite3.Error as exc:
            conn.close()
            raise database_error(exc, path) from None
        except DigestError:
            conn.close()
            raise
        return store

    def check_schema(self) -> None:
        from .db import Database
        Database.check_schema(self)

    def close(self) -> None:
        self.conn.close()

    def init(self) -> list[str]:
        """Apply pending migrations; returns their names. A SQLite file that holds another
        program's tables is refused rather than filled with ours."""
        if not migrations.applied(self.db):
            theirs = [r[0] for r in self.q("SELECT name FROM sqlite_master WHERE type = 'table'"
                                           " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            if theirs:
                raise DigestError(f"Database {self.path} is a SQLite file of another program (tables: "
                                  f"{', '.join(theirs[:5])}{', ...' if len(theirs) > 5 else ''}); it was left alone.",
                                  "Set DIGEST_DB to a new file for digest.")
        pending = [m.name for m in migrations.pending(self.db)]
        migrations.apply(self.db)
        # The schema's version number, so an older digest opening this file knows it is newer.
        self.conn.execute(f"PRAGMA user_version = {schema_version()}")
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
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back on its own (a full disk, an I/O error); a second
            # ROLLBACK would then raise and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def q(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    # ---- topics -------------------------------------------------------------------------

    def ensure_default_topics(self) -> None:
        with self.transaction():
            for name, aliases in DEFAULT_TOPICS.items():
                if not self.q("SELECT 1 FROM topics WHERE name = ?", [name]):
                    self.add_topic(name, aliases)

    def add_topic(self, name: str, aliases: Iterable[str] = (), *,
                  move: bool = False) -> tuple[Topic, list[tuple[str, str]]]:
        """Add a topic, or aliases to an existing one. An alias (or the new name) that already maps
        to another topic is refused, naming that topic, unless `move`; another topic's own name
        can never be taken. Returns the topic and the (alias, topic it came from) pairs moved."""
        name = " ".join(name.split())
        if not name:
            raise DigestError("A topic needs a name.", "Example: digest topics add Science")
        moved: list[tuple[str, str]] = []
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
                if not alias:
                    continue
                holder = self.q("SELECT t.id, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
                                " WHERE a.alias = ?", [alias])
                if holder and holder[0]["id"] != topic_id:
                    other = holder[0]["name"]
                    if other.lower() == alias.lower():
                        raise DigestError(f'"{alias}" is the name of the topic {other}; it cannot be an alias of '
                                          f"{name}.", f'Rename or remove the topic {other} first.')
                    if not move:
                        raise DigestError(f'The alias "{alias}" belongs to the topic {other}.',
                                          f'Pass --move to move it from {other} to {name}.')
                    moved.append((alias, other))
                self.conn.execute(
                    "INSERT INTO topic_aliases (alias, topic_id) VALUES (?, ?)"
                    " ON CONFLICT(alias) DO UPDATE SET topic_id = excluded.topic_id",
                    (alias, topic_id),
                )
        return self.topic(name), moved

    def file_articles(self, topic_id: int) -> int:
        """File under a topic the stored articles whose labels match one of its names (after a
        new topic or alias); returns how many were not filed there before."""
        keys = {a["alias"].lower() for a in self.q("SELECT alias FROM topic_aliases WHERE topic_id = ?", [topic_id])}
        ids = [(r["id"], topic_id) for r in self.conn.execute("SELECT id, labels FROM articles WHERE removed_at IS NULL")
               if any(str(label).lower() in keys for label in json.loads(r["labels"]))]
        with self.transaction():
            return self.conn.executemany(
                "INSERT OR IGNORE INTO article_topics (article_id, topic_id) VALUES (?, ?)", ids).rowcount

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
              (SELECT count(*) FROM article_topics a JOIN articles r ON r.id = a.article_id
                WHERE a.topic_id = t.id AND r.removed_at IS NULL) AS arts
            FROM topics t""")
        return {r["name"]: (r["subs"], r["arts"]) for r in rows}

    # ---- articles -----------------------------------------------------------------------

    def upsert_article(self, art: ParsedArticle, *, guid: str, checksum: str, topics: list[str],
                       headline: str, summary: str, sentences: list[int], at: dt.datetime | None = None) -> tuple[int, str]:
        """Insert or update one article by guid. Returns (id, "added" | "updated" | "unchanged" |
        "removed"): an article an admin removed is not brought back by ingesting it again.

        An edited re-ingest keeps its id and first ingest time, so it is neither a second article
        nor a second appearance in a digest.
        """
        stamp = ts(at or now())
        with self.transaction():
            row = self.q("SELECT id, checksum, removed_at FROM articles WHERE guid = ?", [guid])
            if row and row[0]["removed_at"]:
                return row[0]["id"], "removed"
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
                seq = self.conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'ingest_seq'"
                                        " RETURNING value").fetchone()[0]
                values.update(guid=guid, ingested_at=stamp, seq=seq)
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
        if rows[0]["removed_at"]:
            raise NotFound(f"Article {article_id} was removed on {rows[0]['removed_at'][:10]}.",
                           "List the others with `digest articles list`.")
        return self._article(rows[0])

    def article_sentences(self, article_id: int) -> list[int]:
        rows = self.q("SELECT summary_sentences FROM articles WHERE id = ?", [article_id])
        return json.loads(rows[0][0]) if rows else []

    def articles(self, topic: str | None = None) -> list[Article]:
        if topic:
            tid = self.topic(topic).id
            rows = self.q(self._ARTICLE_SQL + " WHERE a.id IN (SELECT article_id FROM article_topics WHERE topic_id = ?)"
                          " AND a.removed_at IS NULL ORDER BY a.ingested_at, a.id", [tid])
        else:
            rows = self.q(self._ARTICLE_SQL + " WHERE a.removed_at IS NULL ORDER BY a.ingested_at, a.id")
        return [self._article(r) for r in rows]

    @staticmethod
    def _window(since: dt.datetime | None, until: dt.datetime, since_seq: int | None,
                until_seq: int | None) -> tuple[str, list]:
        """The selection window as SQL: by ingest sequence where the delivery fixed one (every window
        planned since m005), else by ingest time (the archive, a topic mix's preview)."""
        lo = ("a.seq > ?", [since_seq]) if since_seq is not None else ("a.ingested_at > ?", [ts(since) or ""])
        hi = ("a.seq <= ?", [until_seq]) if until_seq is not None else ("a.ingested_at <= ?", [ts(until)])
        return f"{lo[0]} AND {hi[0]}", lo[1] + hi[1]

    def articles_between(self, topics: list[str], since: dt.datetime | None, until: dt.datetime, *,
                         since_seq: int | None = None, until_seq: int | None = None) -> list[Article]:
        """Articles in any of `topics` that entered the store in the window: after `since_seq` up to
        `until_seq` in ingest order when given, else in (since, until] of ingest time, and not removed
        by `until`: an article removed after an edition's cutoff stays in that edition (its archive shows
        what was sent); every later window leaves it out."""
        marks = ", ".join("?" for _ in topics)
        window, params = self._window(since, until, since_seq, until_seq)
        rows = self.q(
            self._ARTICLE_SQL + f""" WHERE a.id IN (
                SELECT x.article_id FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE t.name IN ({marks}))
              AND {window} AND (a.removed_at IS NULL OR a.removed_at > ?)
            ORDER BY a.ingested_at, a.id""",
            [*topics, *params, ts(until)],
        )
        return [self._article(r) for r in rows]

    def ingest_seq(self) -> int:
        """The sequence number of the last article stored: a window cut now ends here."""
        return self.q("SELECT value FROM counters WHERE name = 'ingest_seq'")[0][0]

    def seq_after(self, at: dt.datetime) -> int:
        """The window start (exclusive) that takes every article ingested after `at`: a first digest's."""
        row = self.q("SELECT min(seq) FROM articles WHERE ingested_at > ?", [ts(at)])[0][0]
        return (row if row is not None else self.ingest_seq() + 1) - 1

    def all_bodies(self) -> Iterator[str]:
        for r in self.conn.execute("SELECT body FROM articles WHERE removed_at IS NULL"):
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

    # ---- editors, re-summarizing and clusters (issue 3: `digest articles edit/resummarize/show`) ----

    def machine_summaries(self, ids: Iterable[int] | None = None) -> list[dict]:
        """id, title, body, source, what the machine wrote (headline, summary, sentences) and whether an
        editor overrode it (has_override), in id order; all articles when `ids` is None.
        An unknown id is an error naming it, before anything is read."""
        sql = ("SELECT id, title, body, source, headline, summary, summary_sentences,"
               " (headline_override IS NOT NULL OR summary_override IS NOT NULL) AS has_override FROM articles")
        if ids is None:
            rows = self.q(sql + " ORDER BY id")
        else:
            wanted = sorted(set(ids))
            rows = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i:i + 500]
                rows += self.q(sql + f" WHERE id IN ({', '.join('?' * len(chunk))}) ORDER BY id", chunk)
            missing = sorted(set(wanted) - {r["id"] for r in rows})
            if missing:
                raise NotFound(f"Article {', '.join(map(str, missing))} does not exist.",
                               "List them with `digest articles list`.")
        return [{**dict(r), "sentences": json.loads(r["summary_sentences"]), "has_override": bool(r["has_override"])}
                for r in rows]

    def set_summaries(self, rows: list[tuple[int, str, str, list[int]]]) -> None:
        """(id, headline, summary, sentences) written in one transaction; editor overrides are separate
        columns and stay as they are."""
        with self.transaction():
            self.conn.executemany("UPDATE articles SET headline = ?, summary = ?, summary_sentences = ? WHERE id = ?",
                                  [(h, s, json.dumps(sent), i) for i, h, s, sent in rows])

    def cluster_candidates(self, since: dt.datetime, ids: Iterable[int] = ()) -> list[dict]:
        """id, title, body, published and ingested_at (datetimes) of the articles ingested after
        `since`, plus the given ids (an edited re-ingest keeps its first ingest time), in id order."""
        cols = "id, title, body, published, ingested_at"
        rows = {r["id"]: r for r in self.q(f"SELECT {cols} FROM articles WHERE ingested_at > ?"
                                           " AND removed_at IS NULL", [ts(since)])}
        older = sorted(set(ids) - set(rows))
        for i in range(0, len(older), 500):
            chunk = older[i:i + 500]
            rows.update((r["id"], r) for r in self.q(
                f"SELECT {cols} FROM articles WHERE id IN ({', '.join('?' * len(chunk))})"
                " AND removed_at IS NULL", chunk))
        return [{**dict(rows[k]), "published": parse_ts(rows[k]["published"]),
                 "ingested_at": parse_ts(rows[k]["ingested_at"])} for k in sorted(rows)]

    def cluster_members(self, cluster_id: int) -> list[Article]:
        """Every article in one cluster, in id order."""
        return [self._article(r) for r in self.q(self._ARTICLE_SQL + " WHERE a.cluster_id = ?"
                                                 " AND a.removed_at IS NULL ORDER BY a.id", [cluster_id])]

    # ---- removing articles (`digest articles remove`) ------------------------------------------

    def removal_preview(self, ids: Iterable[int]) -> list[dict]:
        """id, title, removed_at and the keys of the sent editions that carried it, per article,
        in id order. An unknown id is an error naming it, before anything is changed."""
        wanted = sorted(set(ids))
        rows = []
        for chunk in _chunks(wanted, 500):
            rows += self.q(f"SELECT id, title, ingested_at, removed_at FROM articles WHERE id IN ({_marks(chunk)})"
                           " ORDER BY id", chunk)
        missing = sorted(set(wanted) - {r["id"] for r in rows})
        if missing:
            raise NotFound(f"Article {', '.join(map(str, missing))} does not exist.",
                           "List them with `digest articles list`; nothing was removed.")
        # The distinct (edition, mix, window) of the sent deliveries: an article was sent in an
        # edition when it entered the store inside a window and one of its topics is in the mix.
        windows = self.q("SELECT DISTINCT e.key, d.mix, d.since, d.until FROM deliveries d"
                         " JOIN editions e ON e.id = d.edition_id WHERE d.status = 'sent'")
        out = []
        for r in rows:
            topics = set(self.article_topic_names(r["id"]))
            sent = sorted({w["key"] for w in windows
                           if (w["since"] or "") < r["ingested_at"] <= w["until"] and topics & set(w["mix"].split("+"))})
            out.append({"id": r["id"], "title": r["title"], "removed_at": r["removed_at"], "editions": sent})
        return out

    def article_topic_names(self, article_id: int) -> list[str]:
        return [r[0] for r in self.q("SELECT t.name FROM article_topics x JOIN topics t ON t.id = x.topic_id"
                                     " WHERE x.article_id = ?", [article_id])]

    def remove_articles(self, ids: Iterable[int], at: dt.datetime | None = None) -> int:
        """Hide articles from every later digest and listing, in one transaction; returns how many
        were not removed already. The rows stay: a sent edition's archive still shows them, and
        ingesting one again does not bring it back."""
        ids = sorted(set(ids))
        with self.transaction():
            return sum(self.conn.execute(f"UPDATE articles SET removed_at = ? WHERE removed_at IS NULL"
                                         f" AND id IN ({_marks(chunk)})", [ts(at or now()), *chunk]).rowcount
                       for chunk in _chunks(ids, 500))

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
        """The end of the window of the last digest this subscriber was sent: the next one starts there.

        An uncertain delivery counts as sent (it most likely arrived, and it is resent only on request):
        otherwise the next edition would carry its window again, a second copy by another name."""
        row = self.q("SELECT max(until) FROM deliveries WHERE subscriber_id = ? AND status IN ('sent', 'uncertain')",
                     [subscriber_id])
        return parse_ts(row[0][0]) if row else None

    def seq_watermarks(self, subscriber_ids: Iterable[int]) -> dict[int, int]:
        """The ingest sequence where each subscriber's last sent digest ended; never sent: absent."""
        rows = self.q("SELECT subscriber_id, max(until_seq) FROM deliveries WHERE status = 'sent'"
                      " AND until_seq IS NOT NULL AND subscriber_id IN (SELECT value FROM json_each(?))"
                      " GROUP BY subscriber_id", [json.dumps(list(subscriber_ids))])
        return {r[0]: r[1] for r in rows}

    def due_subscribers(self, edition_id: int, frequency: str | None = None) -> list[Subscriber]:
        """Active subscribers with at least one topic and no delivery row yet in this edition.

        All of them in one list: for small lists and tests. Planning uses iter_due_subscribers."""
        return [sub for batch in self.iter_due_subscribers(edition_id, frequency) for sub in batch]

    def create_deliveries(self, rows: list[dict]) -> int:
        """Write the ledger rows for one edition before anything is sent. Idempotent per (edition, subscriber)."""
        stamp = ts(now())
        with self.transaction():
            cur = self.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (edition_id, subscriber_id, status, mix, since, until, since_seq,"
                " until_seq, message_id, created_at, updated_at) VALUES (:edition_id, :subscriber_id, 'pending', :mix,"
                " :since, :until, :since_seq, :until_seq, :message_id, :now, :now)",
                [{"since_seq": None, "until_seq": None, **r, "since": ts(r["since"]), "until": ts(r["until"]),
                  "now": stamp} for r in rows])
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

    def acquire_lease(self, name: str, owner: str, seconds: float) -> str | None:
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

    # ---- sending: delivery ledger, claims, leases, bounces (owner: sending, issue 5) -------------
    # States: pending -> sending (claimed by the one lease holder) -> sent | deferred | bounced |
    # failed | uncertain. Every method here is one transaction over a batch of rows.
    # Fencing: a write made on behalf of a lease passes `fence` = (lease name, owner). The transaction
    # checks, under the write lock, that the lease is still that owner's; a sender that lost its
    # lease (stalled past it, taken over) gets LeaseLost and has changed nothing. A takeover writes
    # the lease row first, so every write of the old holder after it is refused.

    _CLAIM_SQL = """
        SELECT d.id, d.subscriber_id, d.mix, d.since, d.until, d.since_seq, d.until_seq, d.message_id, d.attempts,
               d.created_at,
               s.email, s.name
        FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"""

    @contextlib.contextmanager
    def _fenced(self, fence: tuple[str, str] | None) -> Iterator[sqlite3.Connection]:
        with self.transaction() as conn:
            if fence is not None:
                row = self.q("SELECT owner FROM leases WHERE name = ?", [fence[0]])
                if not row or row[0]["owner"] != fence[1]:
                    raise LeaseLost(fence[0], row[0]["owner"] if row else None)
            yield conn

    def set_lock_timeout(self, seconds: float) -> None:
        """How long a write waits for another connection's write lock before 'database is locked'."""
        self.conn.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000))}")

    def claim_deliveries(self, edition_id: int, status: str, after_id: int, limit: int,
                         due: dt.datetime | None = None, *, fence: tuple[str, str] | None = None) -> list[sqlite3.Row]:
        """Mark the next `limit` rows (by id, after `after_id`) in `status` as 'sending' and return them.

        The (edition_id, status) index hands them over in id order, so each batch costs its own size.
        For 'deferred', only rows whose next attempt is due by `due`.
        """
        sql = self._CLAIM_SQL + " WHERE d.edition_id = ? AND d.status = ? AND d.id > ?"
        params: list = [edition_id, status, after_id]
        if due is not None:
            sql += " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
            params.append(ts(due))
        with self._fenced(fence):
            rows = self.q(sql + " ORDER BY d.id LIMIT ?", [*params, limit])
            self._set_sending([r["id"] for r in rows])
        return rows

    def claim_ids(self, ids: list[int], *, fence: tuple[str, str] | None = None) -> list[sqlite3.Row]:
        """Claim deferred rows again for a retry within the run."""
        with self._fenced(fence):
            rows = self.q(self._CLAIM_SQL + f" WHERE d.status = 'deferred' AND d.id IN ({_marks(ids)})", ids)
            self._set_sending([r["id"] for r in rows])
        return rows

    def _set_sending(self, ids: list[int]) -> None:
        if ids:
            self.conn.execute(f"UPDATE deliveries SET status = 'sending', updated_at = ? WHERE id IN ({_marks(ids)})",
                              [ts(now()), *ids])

    def unclaim(self, ids: list[int], *, fence: tuple[str, str] | None = None) -> None:
        """Claimed but never handed to the relay: back to the queue, no attempt counted."""
        for chunk in _chunks(ids, 5000):
            with self._fenced(fence):
                self.conn.execute(
                    "UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END,"
                    f" updated_at = ? WHERE status = 'sending' AND id IN ({_marks(chunk)})", [ts(now()), *chunk])

    def release_claims(self, edition_id: int, *, fence: tuple[str, str] | None = None) -> int:
        """After the journal is replayed, a row still 'sending' never reached the relay's final dot."""
        with self._fenced(fence):
            return self.conn.execute(
                "UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END,"
                " updated_at = ? WHERE edition_id = ? AND status = 'sending'", (ts(now()), edition_id)).rowcount

    def record_outcomes(self, outcomes: list[tuple], *, soft_bounce_limit: int = 3, from_status: str = "sending",
                        attempt: int = 1, fence: tuple[str, str] | None = None) -> None:
        """Write SMTP outcomes in one transaction: (delivery id, status, reply, next_attempt_at, soft).

        Only rows still 'sending' change, so replaying a journal twice is harmless. A bounce marks the
        subscriber 'bounced'; a soft bounce (temporary failures until the deadline, a full mailbox)
        counts on subscribers.soft_bounces and suppresses them at `soft_bounce_limit`; a delivery
        resets the count.
        """
        if not outcomes:
            return
        stamp = ts(now())
        with self._fenced(fence):
            changed = []
            for did, status, reply, next_at, soft in outcomes:
                n = self.conn.execute(
                    "UPDATE deliveries SET status = ?, last_reply = ?, updated_at = ?, attempts = attempts + ?,"
                    " next_attempt_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                    " WHERE id = ? AND status = ?",
                    (status, reply, stamp, attempt, ts(next_at), status, stamp, did, from_status)).rowcount
                if n:
                    changed.append((did, status, soft))
            sent = [d for d, s, _ in changed if s == "sent"]
            for chunk in _chunks(sent, 5000):
                self.conn.execute(
                    "UPDATE subscribers SET soft_bounces = 0 WHERE soft_bounces > 0 AND id IN"
                    f" (SELECT subscriber_id FROM deliveries WHERE id IN ({_marks(chunk)}))", chunk)
            for did, status, soft in changed:
                if status == "bounced":
                    self.conn.execute(
                        "UPDATE subscribers SET status = 'bounced', updated_at = ? WHERE status = 'active'"
                        " AND id = (SELECT subscriber_id FROM deliveries WHERE id = ?)", (stamp, did))
                elif soft:
                    self.conn.execute(
                        "UPDATE subscribers SET soft_bounces = soft_bounces + 1, updated_at = ?,"
                        " status = CASE WHEN status = 'active' AND soft_bounces + 1 >= ? THEN 'suppressed'"
                        " ELSE status END WHERE id = (SELECT subscriber_id FROM deliveries WHERE id = ?)",
                        (stamp, soft_bounce_limit, did))

    def expire_deferred(self, edition_id: int, planned_before: dt.datetime, *, soft_bounce_limit: int = 3,
                        fence: tuple[str, str] | None = None) -> int:
        """Deferred rows planned before the cut-off have run out of time: failed, and a soft bounce."""
        rows = self.q("SELECT id, last_reply, attempts FROM deliveries WHERE edition_id = ? AND status = 'deferred'"
                      " AND created_at < ?", [edition_id, ts(planned_before)])
        self.record_outcomes([(r["id"], "failed", f"gave up after {r['attempts']} attempts; last reply: "
                               f"{r['last_reply'] or '-'}", None, True) for r in rows],
                             soft_bounce_limit=soft_bounce_limit, from_status="deferred", attempt=0, fence=fence)
        return len(rows)

    def due_groups(self, edition_id: int, due: dt.datetime) -> list[sqlite3.Row]:
        """The distinct bodies (mix, window) that the edition's due rows (count_due) need."""
        return self.q("SELECT DISTINCT mix, since, until, since_seq, until_seq FROM deliveries WHERE edition_id = ?"
                      " AND (status = 'pending' OR (status = 'deferred' AND (next_attempt_at IS NULL"
                      " OR next_attempt_at <= ?))) ORDER BY mix, since, until", [edition_id, ts(due)])

    # A failed delivery goes back to the queue only while the subscriber is active and no later delivery's
    # window overlaps its own: a later digest that started from the same watermark already carries these
    # stories, and sending both would show some twice. A later first digest (no watermark: the last day
    # only) may start after this one ended; then the two are disjoint and this one is sent.
    _REQUEUEABLE = """EXISTS (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id AND s.status = 'active')
              AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE l.subscriber_id = d.subscriber_id AND l.id > d.id
                              AND coalesce(l.since_seq < d.until_seq, l.since IS NULL OR l.since < d.until))"""

    def requeue_failed(self, edition_id: int) -> tuple[int, int]:
        """The operator asked (`send --retry-failed`): the edition's failed deliveries go back to the queue,
        with a fresh retry deadline. Returns (requeued, left failed)."""
        stamp = ts(now())
        with self.transaction():
            requeued = self.conn.execute(
                "UPDATE deliveries AS d SET status = 'pending', next_attempt_at = NULL, created_at = ?, updated_at = ?,"
                " last_reply = 'requeued by --retry-failed; was: ' || coalesce(d.last_reply, '-')"
                " WHERE d.edition_id = ? AND d.status = 'failed' AND " + self._REQUEUEABLE,
                (stamp, stamp, edition_id)).rowcount
            left = self.q("SELECT count(*) FROM deliveries WHERE edition_id = ? AND status = 'failed'",
                          [edition_id])[0][0]
        return requeued, left

    def failed_counts(self, edition_key: str | None = None) -> list[sqlite3.Row]:
        """Editions with failed deliveries: key, frequency, date, failed, requeueable (see requeue_failed)."""
        return self.q(
            "SELECT e.id, e.key, e.frequency, e.date, count(*) AS failed,"
            f" sum(CASE WHEN {self._REQUEUEABLE} THEN 1 ELSE 0 END) AS requeueable"
            " FROM editions e JOIN deliveries d ON d.edition_id = e.id AND d.status = 'failed'"
            + (" WHERE e.key = ?" if edition_key else "") + " GROUP BY e.id ORDER BY e.date, e.id",
            [edition_key] if edition_key else [])

    def requeue_uncertain(self, edition_id: int, *, fence: tuple[str, str] | None = None) -> int:
        """The operator asked: uncertain deliveries go out again (the recipient may get two copies)."""
        with self._fenced(fence):
            return self.conn.execute(
                "UPDATE deliveries SET status = 'pending', updated_at = ?, next_attempt_at = NULL"
                " WHERE edition_id = ? AND status = 'uncertain'", (ts(now()), edition_id)).rowcount

    def count_due(self, edition_id: int, due: dt.datetime) -> int:
        return self.q("SELECT count(*) FROM deliveries WHERE edition_id = ? AND (status = 'pending' OR"
                      " (status = 'deferred' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))",
                      [edition_id, ts(due)])[0][0]

    def edition_id(self, key: str) -> int | None:
        rows = self.q("SELECT id FROM editions WHERE key = ?", [key])
        return rows[0]["id"] if rows else None

    def iter_deliveries(self, *, status: str | None = None, edition_key: str | None = None,
                        batch: int = 1000) -> Iterator[sqlite3.Row]:
        """The ledger, newest edition first, streamed in batches (a list of 100,000 never sits in memory)."""
        where, params = [], []
        if status:
            where.append("d.status = ?")
            params.append(status)
        if edition_key:
            where.append("e.key = ?")
            params.append(edition_key)
        sql = ("SELECT d.id, e.key AS edition, s.email, s.name, d.status, d.attempts, d.last_reply, d.message_id,"
               " d.mix, d.next_attempt_at, d.created_at, d.updated_at, d.sent_at FROM deliveries d"
               " JOIN subscribers s ON s.id = d.subscriber_id JOIN editions e ON e.id = d.edition_id"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.date DESC, d.id")
        cur = self.conn.execute(sql, params)
        while rows := cur.fetchmany(batch):
            yield from rows

    def renew_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Extend our lease; False if it is no longer ours (it expired and someone else took it)."""
        with self.transaction():
            return self.conn.execute("UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
                                     (ts(now() + dt.timedelta(seconds=seconds)), name, owner)).rowcount == 1

    def lease_holder(self, name: str) -> tuple[str, dt.datetime] | None:
        rows = self.q("SELECT owner, expires_at FROM leases WHERE name = ?", [name])
        return (rows[0]["owner"], parse_ts(rows[0]["expires_at"])) if rows else None

    def break_lease(self, name: str, owner: str) -> None:
        """Remove a lease whose holder is known to be dead (compare-and-delete: only that holder's)."""
        self.release_lease(name, owner)

    # ---- end of the sending block ----------------------------------------------------------------

    # ---- list admin and subscriber self-service (issue 6: topics/subscribers CLI, web app) ------

    def topic_usage(self, name: str) -> dict:
        """What removing a topic would touch: subscribers (all, active) and articles."""
        topic = self.topic(name)
        row = self.conn.execute("""
            SELECT (SELECT count(*) FROM subscriptions WHERE topic_id = :t) AS subscribers,
                   (SELECT count(*) FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
                     WHERE x.topic_id = :t AND s.status = 'active') AS active,
                   (SELECT count(*) FROM article_topics x JOIN articles a ON a.id = x.article_id
                     WHERE x.topic_id = :t AND a.removed_at IS NULL) AS articles""",
            {"t": topic.id}).fetchone()
        return {"topic": topic, "subscribers": row["subscribers"], "active": row["active"], "articles": row["articles"]}

    def rename_topic(self, old: str, new: str) -> Topic:
        """Rename a topic; the old name stays an alias, so articles labelled with it still land here."""
        topic = self.topic(old)
        new = " ".join(new.split())
        if not new:
            raise DigestError("A topic needs a name.", "Example: digest topics rename World International")
        slug = slugify(new)
        clash = self.q("SELECT name FROM topics WHERE (name = ? OR slug = ?) AND id != ?", [new, slug, topic.id])
        if clash:
            raise DigestError(f'A topic named "{clash[0]["name"]}" already exists (slug "{slug}").',
                              "Pick another name, or remove that topic first.")
        holder = self.q("SELECT t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
                        " WHERE a.alias = ? AND t.id != ?", [new, topic.id])
        if holder:
            raise DigestError(f'"{new}" is an alias of the topic {holder[0]["name"]}.',
                              f'Pick another name, or move the alias first: digest topics add "{topic.name}" '
                              f'--alias "{new}" --move')
        with self.transaction():
            self.conn.execute("UPDATE topics SET name = ?, slug = ? WHERE id = ?", (new, slug, topic.id))
            self.conn.execute("INSERT INTO topic_aliases (alias, topic_id) VALUES (?, ?)"
                              " ON CONFLICT(alias) DO UPDATE SET topic_id = excluded.topic_id", (new, topic.id))
        return self.topic(new)

    def remove_topic(self, name: str) -> dict:
        """Delete a topic with its aliases, subscriptions and article links; returns its usage before."""
        usage = self.topic_usage(name)
        with self.transaction():
            self.conn.execute("DELETE FROM topics WHERE id = ?", (usage["topic"].id,))
        return usage

    def topic_ids(self) -> dict[str, tuple[int, str]]:
        """Every way to name a topic (name, slug, alias), lower-cased -> (id, name): for bulk lookups."""
        out: dict[str, tuple[int, str]] = {}
        for r in self.q("SELECT a.alias AS key, t.id, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
                        " UNION ALL SELECT slug, id, name FROM topics UNION ALL SELECT name, id, name FROM topics"):
            out[r["key"].lower()] = (r["id"], r["name"])
        return out

    def set_subscriber_fields(self, subscriber_id: int, **fields) -> None:
        """Set any of name, frequency, timezone, send_at (a value of None clears it; absent keys are kept)."""
        allowed = {"name", "frequency", "timezone", "send_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown subscriber fields: {unknown}")
        if not fields:
            return
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        with self.transaction():
            self.conn.execute(f"UPDATE subscribers SET {sets}, updated_at = :now WHERE id = :id",
                              {**fields, "now": ts(now()), "id": subscriber_id})

    def subscribe_topics(self, subscriber_id: int, topic_ids: Iterable[int], *, replace: bool = False) -> None:
        """Add topics to a subscription (or, with replace, make them the whole subscription)."""
        with self.transaction():
            if replace:
                self.conn.execute("DELETE FROM subscriptions WHERE subscriber_id = ?", (subscriber_id,))
            self.conn.executemany("INSERT OR IGNORE INTO subscriptions (subscriber_id, topic_id) VALUES (?, ?)",
                                  [(subscriber_id, t) for t in topic_ids])
            self.conn.execute("UPDATE subscribers SET updated_at = ? WHERE id = ?", (ts(now()), subscriber_id))

    def unsubscribe_topics(self, subscriber_id: int, topic_ids: Iterable[int]) -> int:
        """Drop topics from a subscription; returns how many topics are left."""
        with self.transaction():
            self.conn.executemany("DELETE FROM subscriptions WHERE subscriber_id = ? AND topic_id = ?",
                                  [(subscriber_id, t) for t in topic_ids])
            self.conn.execute("UPDATE subscribers SET updated_at = ? WHERE id = ?", (ts(now()), subscriber_id))
            return self.q("SELECT count(*) FROM subscriptions WHERE subscriber_id = ?", [subscriber_id])[0][0]

    def set_status(self, subscriber_id: int, status: str, *, only_from: Iterable[str] | None = None) -> bool:
        """Change a subscriber's status (optionally only from the given statuses); True if it changed."""
        if status not in SUBSCRIBER_STATUSES:
            raise ValueError(status)
        sql = "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ? AND status != ?"
        params: list = [status, ts(now()), subscriber_id, status]
        if only_from is not None:
            froms = list(only_from)
            sql += f" AND status IN ({', '.join('?' for _ in froms)})"
            params += froms
        with self.transaction():
            return self.conn.execute(sql, params).rowcount > 0

    def remove_subscriber(self, subscriber_id: int) -> int:
        """Delete a subscriber with their subscriptions and delivery records; returns deliveries removed."""
        with self.transaction():
            n = self.q("SELECT count(*) FROM deliveries WHERE subscriber_id = ?", [subscriber_id])[0][0]
            self.conn.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
        return n

    def suppress_address(self, email: str) -> str:
        """Never mail this address again, even one not on any list yet (an import will skip it)."""
        stamp = ts(now())
        with self.transaction():
            cur = self.conn.execute("UPDATE subscribers SET status = 'suppressed', updated_at = ? WHERE email = ?",
                                    (stamp, email))
            if cur.rowcount:
                return "updated"
            self.conn.execute("INSERT INTO subscribers (email, status, created_at, updated_at)"
                              " VALUES (?, 'suppressed', ?, ?)", (email, stamp, stamp))
            return "added"

    def send_at(self, subscriber_id: int) -> str | None:
        rows = self.q("SELECT send_at FROM subscribers WHERE id = ?", [subscriber_id])
        return rows[0]["send_at"] if rows else None

    def subscriber_deliveries(self, subscriber_id: int, last: int = 5) -> tuple[dict[str, int], list[sqlite3.Row]]:
        """Delivery counts by status and the most recent deliveries (edition key, status, sent_at, reply)."""
        counts = {r["status"]: r["n"] for r in self.q(
            "SELECT status, count(*) AS n FROM deliveries WHERE subscriber_id = ? GROUP BY status", [subscriber_id])}
        recent = self.q(
            "SELECT e.key AS edition_key, d.status, d.sent_at, d.last_reply, d.mix FROM deliveries d"
            " JOIN editions e ON e.id = d.edition_id WHERE d.subscriber_id = ? ORDER BY d.id DESC LIMIT ?",
            [subscriber_id, last])
        return counts, recent

    def export_rows(self, topic_id: int | None = None, status: str | None = None) -> Iterator[dict]:
        """Every subscriber as a CSV row dict (every field an admin or subscriber can set), streamed
        from one cursor (no list in memory)."""
        where, params = [], []
        if topic_id is not None:
            where.append("s.id IN (SELECT subscriber_id FROM subscriptions WHERE topic_id = ?)")
            params.append(topic_id)
        if status:
            where.append("s.status = ?")
            params.append(status)
        cur = self.conn.execute(
            "SELECT s.email, s.name, s.status, s.frequency, s.timezone, s.send_at,"
            " (SELECT group_concat(t.name, char(31)) FROM subscriptions x JOIN topics t ON t.id = x.topic_id"
            "   WHERE x.subscriber_id = s.id) AS topic_names FROM subscribers s"
            + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.email, s.id", params)
        for r in cur:
            topics = sorted(r["topic_names"].split("\x1f"), key=str.lower) if r["topic_names"] else []
            yield {"email": r["email"], "name": r["name"], "topics": ";".join(topics), "frequency": r["frequency"],
                   "timezone": r["timezone"], "send_at": r["send_at"], "status": r["status"]}

    OPTED_OUT = ("unsubscribed", "bounced", "suppressed")

    def import_state(self, emails: list[str]) -> dict[str, dict]:
        """What is on file for these addresses (keyed as _email_key folds them): id, status, name,
        frequency, timezone, send_at and topic_ids (a set). Addresses not on file are absent."""
        out: dict[str, dict] = {}
        for chunk in _chunks(emails, 500):
            for r in self.q(
                    "SELECT s.id, s.email, s.status, s.name, s.frequency, s.timezone, s.send_at,"
                    " (SELECT group_concat(topic_id) FROM subscriptions x WHERE x.subscriber_id = s.id) AS topic_ids"
                    f" FROM subscribers s WHERE s.email IN ({_marks(chunk)})", chunk):
                out[_email_key(r["email"])] = {
                    **{k: r[k] for k in ("id", "status", "name", "frequency", "timezone", "send_at")},
                    "topic_ids": {int(t) for t in r["topic_ids"].split(",")} if r["topic_ids"] else set()}
        return out

    def apply_import(self, changes: list) -> None:
        """Write one batch of planned import changes (digest.subscribers.Change) with a handful of
        executemany calls, in one transaction (the caller's, when it holds one)."""
        stamp = ts(now())
        new = [c for c in changes if c.action == "add"]
        updates = [c for c in changes if c.action == "update"]
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO subscribers (email, name, status, frequency, timezone, send_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.email, c.values["name"], c.values["status"], c.values["frequency"], c.values["timezone"],
                  c.values["send_at"], stamp, stamp) for c in new])
            # One statement for every update: a flag per column says whether this row sets it.
            cols = ("name", "status", "frequency", "timezone", "send_at")
            self.conn.executemany(
                "UPDATE subscribers SET " + ", ".join(f"{k} = CASE WHEN :set_{k} THEN :{k} ELSE {k} END" for k in cols)
                + ", updated_at = :now WHERE id = :id",
                [{"id": c.subscriber_id, "now": stamp,
                  **{k: c.values.get(k) for k in cols}, **{f"set_{k}": k in c.values for k in cols}}
                 for c in updates if c.values])
            self.conn.executemany("DELETE FROM subscriptions WHERE subscriber_id = ?",
                                  [(c.subscriber_id,) for c in updates if c.replace_topics])
            added = self._ids_by_email([c.email for c in new])
            subs = [(added[_email_key(c.email)][0], t) for c in new for t in c.topics]
            subs += [(c.subscriber_id, t) for c in updates for t in c.topics]
            self.conn.executemany("INSERT OR IGNORE INTO subscriptions (subscriber_id, topic_id) VALUES (?, ?)", subs)
            self.conn.executemany("UPDATE subscribers SET updated_at = ? WHERE id = ?",
                                  [(stamp, c.subscriber_id) for c in updates if c.topics and not c.values])

    def _ids_by_email(self, emails: list[str]) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for i in range(0, len(emails), 500):
            chunk = emails[i:i + 500]
            for r in self.q(f"SELECT id, email, status FROM subscribers WHERE email IN ({', '.join('?' * len(chunk))})",
                            chunk):
                out[_email_key(r["email"])] = (r["id"], r["status"])
        return out

    def sent_editions(self, key: str | None = None, limit: int = 100) -> list[sqlite3.Row]:
        """Editions with at least one sent message, newest first: id, key, frequency, date, until (window end)."""
        return self.q(
            "SELECT e.id, e.key, e.frequency, e.date, max(d.until) AS until FROM editions e"
            " JOIN deliveries d ON d.edition_id = e.id AND d.status = 'sent'"
            + (" WHERE e.key = ?" if key else "") + " GROUP BY e.id ORDER BY e.date DESC, e.key DESC LIMIT ?",
            [key, limit] if key else [limit])

    # ---- scheduler and feeds (issue 7: digest/scheduler.py, digest/feeds.py) ---------------------

    def subscriber_columns(self) -> set[str]:
        return {r["name"] for r in self.q("PRAGMA table_info(subscribers)")}

    def close_empty_slots(self, subscriber_ids: Iterable[int], key: str, at: dt.datetime) -> None:
        with self.transaction():
            self.conn.executemany("INSERT OR IGNORE INTO empty_slots (subscriber_id, edition_key, checked_at)"
                                  " VALUES (?, ?, ?)", [(sid, key, ts(at)) for sid in subscriber_ids])

    def editions_with_pending(self) -> list[sqlite3.Row]:
        """Editions with deliveries still to finish: planned but never attempted (an interrupted send),
        deferred by the relay and awaiting a retry, or claimed by a sender that died (rows left
        'sending': its send resumes them, whatever the date). id, key, frequency, date."""
        return self.q("SELECT e.id, e.key, e.frequency, e.date FROM editions e WHERE EXISTS"
                      " (SELECT 1 FROM deliveries d WHERE d.edition_id = e.id"
                      " AND d.status IN ('pending', 'deferred', 'sending')) ORDER BY e.date, e.id")

    def feed_state(self, url: str) -> sqlite3.Row | None:
        rows = self.q("SELECT * FROM feeds WHERE url = ?", [url])
        return rows[0] if rows else None

    def feed_states(self) -> list[sqlite3.Row]:
        return self.q("SELECT * FROM feeds ORDER BY url")

    def record_feed(self, url: str, *, at: dt.datetime, error: str | None = None, etag: str | None = None,
                    modified: str | None = None, entries: int = 0, keep_validators: bool = False) -> None:
        """Write down one fetch: its validators on success (kept on a 304 or an error), or its error."""
        stamp = ts(at)
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO feeds (url) VALUES (?)", (url,))
            if error is not None:
                self.conn.execute("UPDATE feeds SET checked_at = ?, last_error = ?, failures = failures + 1"
                                  " WHERE url = ?", (stamp, error, url))
            elif keep_validators:
                self.conn.execute("UPDATE feeds SET checked_at = ?, ok_at = ?, last_error = NULL, failures = 0"
                                  " WHERE url = ?", (stamp, stamp, url))
            else:
                self.conn.execute("UPDATE feeds SET checked_at = ?, ok_at = ?, last_error = NULL, failures = 0,"
                                  " etag = ?, modified = ?, entries = ? WHERE url = ?",
                                  (stamp, stamp, etag, modified, entries, url))

    # ---- planning in bounded memory (issue 5: 100,000 subscribers, never all in memory) -------
    # Each batch is its own keyset query (id > the last id seen, LIMIT n) rather than one cursor held
    # open: the caller writes the batch's delivery rows between batches, and a fresh query per batch
    # never reads a half-written table through a statement that outlived a COMMIT.

    # A subscriber with a delivery still pending or deferred (awaiting a retry) is not planned into a
    # new edition: two digests over the same window could both arrive. The next edition starts
    # where that one ends (sent) or where the last sent one ended (failed).
    _DUE_WHERE = """ WHERE s.id > ? AND s.status = 'active'
              AND EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM deliveries u WHERE u.subscriber_id = s.id
                              AND u.status IN ('pending', 'deferred', 'sending'))"""

    def iter_due_subscribers(self, edition_id: int, frequency: str | None = None, *,
                             batch: int = 2000) -> Iterator[list[Subscriber]]:
        """due_subscribers in id order, `batch` at a time."""
        sql = self._SUB_SQL + self._DUE_WHERE + \
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = ? AND d.subscriber_id = s.id)"
        if frequency:
            sql += " AND s.frequency = ?"
        last = 0
        while True:
            rows = self.q(sql + " ORDER BY s.id LIMIT ?",
                          [last, edition_id, *([frequency] if frequency else []), batch])
            if rows:
                yield [self._subscriber(r) for r in rows]
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    def count_due_subscribers(self, edition_id: int, frequency: str | None = None) -> int:
        """len(due_subscribers(...)) without loading them."""
        sql = "SELECT count(*) FROM subscribers s" + self._DUE_WHERE + \
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = ? AND d.subscriber_id = s.id)"
        return self.q(sql + (" AND s.frequency = ?" if frequency else ""),
                      [0, edition_id, *([frequency] if frequency else [])])[0][0]

    def iter_schedule_candidates(self, *, batch: int = 2000) -> Iterator[list[tuple[Subscriber, str | None]]]:
        """schedule_candidates in id order, `batch` at a time."""
        send_at = "s.send_at" if "send_at" in self.subscriber_columns() else "NULL"
        sql = self._SUB_SQL.replace("SELECT s.*,", f"SELECT s.*, {send_at} AS pref_send_at,", 1)
        last = 0
        while True:
            rows = self.q(sql + self._DUE_WHERE + " ORDER BY s.id LIMIT ?", [last, batch])
            if rows:
                yield [(self._subscriber(r), r["pref_send_at"]) for r in rows]
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    def watermarks(self, subscriber_ids: Iterable[int]) -> dict[int, dt.datetime]:
        """watermark() for a batch in one query; subscribers never sent anything are absent."""
        rows = self.q("SELECT subscriber_id, max(until) FROM deliveries WHERE status IN ('sent', 'uncertain')"
                      " AND subscriber_id IN (SELECT value FROM json_each(?)) GROUP BY subscriber_id",
                      [json.dumps(list(subscriber_ids))])
        return {r[0]: parse_ts(r[1]) for r in rows}

    def count_articles_between(self, topics: list[str], since: dt.datetime | None, until: dt.datetime, *,
                               since_seq: int | None = None, until_seq: int | None = None) -> int:
        """len(articles_between(...)) without loading the articles."""
        window, params = self._window(since, until, since_seq, until_seq)
        rows = self.q(
            f"""SELECT count(*) FROM articles a WHERE a.id IN (
                SELECT x.article_id FROM article_topics x JOIN topics t ON t.id = x.topic_id WHERE t.name IN
                ({_marks(topics)})) AND {window}
                AND (a.removed_at IS NULL OR a.removed_at > ?)""",
            [*topics, *params, ts(until)])
        return rows[0][0]

    def handled_slots_among(self, subscriber_ids: Iterable[int], keys: Iterable[str]) -> set[tuple[int, str]]:
        """handled_slots restricted to these subscribers: what a batch of candidates needs, not the whole list."""
        ids, keys = json.dumps(list(subscriber_ids)), json.dumps(sorted(set(keys)))
        return {(r[0], r[1]) for r in self.q(
            "SELECT d.subscriber_id, e.key FROM deliveries d JOIN editions e ON e.id = d.edition_id"
            " WHERE d.subscriber_id IN (SELECT value FROM json_each(?)) AND e.key IN (SELECT value FROM json_each(?))"
            " UNION SELECT subscriber_id, edition_key FROM empty_slots"
            " WHERE subscriber_id IN (SELECT value FROM json_each(?)) AND edition_key IN (SELECT value FROM json_each(?))",
            [ids, keys, ids, keys])}

    def plan_batch(self, rows: list[dict], *, empty_ids: Iterable[int] = (), empty_key: str | None = None,
                   at: dt.datetime | None = None) -> int:
        """One batch of planning in one transaction: its delivery rows (create_deliveries) and, for the
        scheduler, its empty slots closed (close_empty_slots). Returns the rows created."""
        with self.transaction():
            created = self.create_deliveries(rows) if rows else 0
            empty_ids = list(empty_ids)
            if empty_key and empty_ids:
                self.close_empty_slots(empty_ids, empty_key, at or now())
        return created


def _email_key(email: str) -> str:
    """The address as the email column compares it (COLLATE NOCASE folds ASCII letters only)."""
    return email.encode("utf-8", "surrogateescape").lower().decode("utf-8", "surrogateescape")


def _marks(values) -> str:
    return ", ".join("?" for _ in values)


def _chunks(values: list, size: int):
    for i in range(0, len(values), size):
        yield values[i:i + size]
