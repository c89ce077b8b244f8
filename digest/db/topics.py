"""Topics and their aliases (the category labels ingest maps to them), and the articles filed
under each.
May import: errors, matching, models, clock, and .columns/.postgres/.repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..clock import now
from ..errors import DigestError, NotFound
from ..matching import suggest
from ..models import Topic, TopicUsage, slugify
from .columns import ts
from .postgres import or_ignore
from .repository import Repository

DEFAULT_TOPICS = {
    "Europe": ["Eastern Europe", "Western Europe", "European Union", "EU"],
    "Politics": ["Elections", "Government", "Parliament"],
    "World": ["International", "Global", "Middle East", "Africa", "Asia", "Americas"],
}

ALL_TOPICS = "SELECT id, name, slug FROM topics ORDER BY name"
ALL_ALIASES = "SELECT alias, topic_id FROM topic_aliases ORDER BY alias"
ALL_LABELS = "SELECT topic_id, language, label FROM topic_labels ORDER BY language"
SET_LABEL = ("INSERT INTO topic_labels (topic_id, language, label) VALUES (?, ?, ?)"
             " ON CONFLICT(topic_id, language) DO UPDATE SET label = excluded.label")
DROP_LABEL = "DELETE FROM topic_labels WHERE topic_id = ? AND language = ?"
TOPIC_ID_BY_NAME = "SELECT id FROM topics WHERE name = ?"
TOPIC_ID_BY_ANY_NAME = ("SELECT t.id FROM topics t WHERE t.name = ? OR t.slug = ?"
                        " UNION SELECT topic_id FROM topic_aliases WHERE alias = ?")
SLUG_TAKEN = "SELECT 1 FROM topics WHERE slug = ?"
INSERT_TOPIC = "INSERT INTO topics (name, slug, created_at) VALUES (?, ?, ?)"
INSERT_TOPIC_PG = INSERT_TOPIC + " RETURNING id"
ALIAS_HOLDER = "SELECT t.id, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id WHERE a.alias = ?"
SET_ALIAS = ("INSERT INTO topic_aliases (alias, topic_id) VALUES (?, ?)"
             " ON CONFLICT(alias) DO UPDATE SET topic_id = excluded.topic_id")
ALIASES_OF = "SELECT alias FROM topic_aliases WHERE topic_id = ?"
LIVE_ARTICLE_LABELS = "SELECT id, labels FROM articles WHERE removed_at IS NULL"
FILE_ARTICLE = "INSERT OR IGNORE INTO article_topics (article_id, topic_id) VALUES (?, ?)"
FILE_ARTICLE_PG = or_ignore(FILE_ARTICLE)
ALIAS_MAP = "SELECT a.alias, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
USAGE = """
    SELECT t.id,
      (SELECT count(*) FROM subscriptions WHERE topic_id = t.id) AS subscribers,
      (SELECT count(*) FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
        WHERE x.topic_id = t.id AND s.status = 'active') AS active,
      (SELECT count(*) FROM article_topics x JOIN articles a ON a.id = x.article_id
        WHERE x.topic_id = t.id AND a.removed_at IS NULL) AS articles
    FROM topics t WHERE (:id IS NULL OR t.id = :id)"""
NAME_CLASH = "SELECT name FROM topics WHERE (name = ? OR slug = ?) AND id != ?"
ALIAS_OF_OTHER = ("SELECT t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
                  " WHERE a.alias = ? AND t.id != ?")
RENAME = "UPDATE topics SET name = ?, slug = ? WHERE id = ?"
DELETE = "DELETE FROM topics WHERE id = ?"
EVERY_NAME = ("SELECT a.alias AS key, t.id, t.name FROM topic_aliases a JOIN topics t ON t.id = a.topic_id"
              " UNION ALL SELECT slug, id, name FROM topics UNION ALL SELECT name, id, name FROM topics")


def _clean(name: str) -> str:
    return " ".join(name.split())


class Topics(Repository):
    def ensure_defaults(self) -> None:
        with self.transaction():
            for name, aliases in DEFAULT_TOPICS.items():
                if self._one(TOPIC_ID_BY_NAME, [name]) is None:
                    self.add(name, aliases)

    def add(self, name: str, aliases: Iterable[str] = (), *, move: bool = False) -> tuple[Topic, list[tuple[str, str]]]:
        """Add a topic, or aliases to an existing one. An alias (or the new name) that already maps
        to another topic is refused, naming that topic, unless `move`; another topic's own name
        can never be taken. Returns the topic and the (alias, topic it came from) pairs moved."""
        name = _clean(name)
        if not name:
            raise DigestError("A topic needs a name.", "Example: digest topics add Science")
        moved: list[tuple[str, str]] = []
        with self.transaction():
            row = self._one(TOPIC_ID_BY_NAME, [name])
            if row is not None:
                topic_id = row["id"]
            else:
                slug = slugify(name)
                if self._one(SLUG_TAKEN, [slug]) is not None:
                    raise DigestError(f'A topic with the slug "{slug}" already exists.', "Pick another name.")
                topic_id = self.conn.execute(INSERT_TOPIC, (name, slug, ts(now()))).lastrowid
            for alias in [name, *aliases]:
                alias = _clean(alias)
                if not alias:
                    continue
                holder = self._one(ALIAS_HOLDER, [alias])
                if holder is not None and holder["id"] != topic_id:
                    other = holder["name"]
                    if other.lower() == alias.lower():
                        raise DigestError(f'"{alias}" is the name of the topic {other}; it cannot be an alias of '
                                          f"{name}.", f'Rename or remove the topic {other} first.')
                    if not move:
                        raise DigestError(f'The alias "{alias}" belongs to the topic {other}.',
                                          f'Pass --move to move it from {other} to {name}.')
                    moved.append((alias, other))
                self.conn.execute(SET_ALIAS, (alias, topic_id))
        return self.get(name), moved

    def file_articles(self, topic_id: int) -> int:
        """File under a topic the stored articles whose labels match one of its names (after a
        new topic or alias); returns how many were not filed there before."""
        keys = {r["alias"].lower() for r in self._all(ALIASES_OF, [topic_id])}
        ids = [(r["id"], topic_id) for r in self.conn.execute(LIVE_ARTICLE_LABELS)
               if any(str(label).lower() in keys for label in json.loads(r["labels"]))]
        with self.transaction():
            return self.conn.executemany(FILE_ARTICLE, ids).rowcount

    def all(self) -> list[Topic]:
        aliases: dict[int, list[str]] = {}
        for a in self._all(ALL_ALIASES):
            aliases.setdefault(a["topic_id"], []).append(a["alias"])
        labels: dict[int, dict[str, str]] = {}
        for row in self._all(ALL_LABELS):
            labels.setdefault(row["topic_id"], {})[row["language"]] = row["label"]
        return [Topic(r["id"], r["name"], r["slug"],
                      [a for a in aliases.get(r["id"], []) if a.lower() != r["name"].lower()], labels.get(r["id"], {}))
                for r in self._all(ALL_TOPICS)]

    def get(self, name: str) -> Topic:
        """Find a topic by name, slug or alias; the error lists the known topics."""
        name = _clean(name)
        row = self._one(TOPIC_ID_BY_ANY_NAME, [name, name.lower(), name])
        if row is None:
            names = [t.name for t in self.all()]
            raise NotFound(f'Topic "{name}" does not exist.{suggest(name, names)}'
                           f" Known topics: {', '.join(names) or '(none)'}.", "Add it with `digest topics add NAME`.")
        return next(t for t in self.all() if t.id == row[0])

    def alias_map(self) -> dict[str, str]:
        """Lower-cased label -> topic name."""
        return {r["alias"].lower(): r["name"] for r in self._all(ALIAS_MAP)}

    def ids(self) -> dict[str, tuple[int, str]]:
        """Every way to name a topic (name, slug, alias), lower-cased -> (id, name): for bulk lookups."""
        return {r["key"].lower(): (r["id"], r["name"]) for r in self._all(EVERY_NAME)}

    def usage(self, name: str) -> TopicUsage:
        """What removing a topic would touch: subscribers (all, active) and articles."""
        topic = self.get(name)
        r = self._one(USAGE, {"id": topic.id})
        assert r is not None, "an aggregate query returns one row"
        return TopicUsage(topic, r["subscribers"], r["active"], r["articles"])

    def usage_all(self) -> list[TopicUsage]:
        """Every topic, by name, with what it holds."""
        counts = {r["id"]: r for r in self._all(USAGE, {"id": None})}
        return [TopicUsage(t, counts[t.id]["subscribers"], counts[t.id]["active"], counts[t.id]["articles"])
                for t in self.all()]

    def rename(self, old: str, new: str) -> Topic:
        """Rename a topic; the old name stays an alias, so articles labelled with it still land here."""
        topic = self.get(old)
        new = _clean(new)
        if not new:
            raise DigestError("A topic needs a name.", "Example: digest topics rename World International")
        slug = slugify(new)
        clash = self._one(NAME_CLASH, [new, slug, topic.id])
        if clash is not None:
            raise DigestError(f'A topic named "{clash["name"]}" already exists (slug "{slug}").',
                              "Pick another name, or remove that topic first.")
        holder = self._one(ALIAS_OF_OTHER, [new, topic.id])
        if holder is not None:
            raise DigestError(f'"{new}" is an alias of the topic {holder["name"]}.',
                              f'Pick another name, or move the alias first: digest topics add "{topic.name}" '
                              f'--alias "{new}" --move')
        with self.transaction():
            self.conn.execute(RENAME, (new, slug, topic.id))
            self.conn.execute(SET_ALIAS, (new, topic.id))
        return self.get(new)

    def set_labels(self, topic_id: int, labels: dict[str, str]) -> None:
        """Set the topic's label in each language given; an empty label drops that language's."""
        with self.transaction():
            for language, label in labels.items():
                label = _clean(label)
                self.conn.execute(SET_LABEL if label else DROP_LABEL,
                                  (topic_id, language, label) if label else (topic_id, language))

    def remove(self, name: str) -> TopicUsage:
        """Delete a topic with its aliases, subscriptions and article links; returns its usage before."""
        usage = self.usage(name)
        with self.transaction():
            self.conn.execute(DELETE, (usage.topic.id,))
        return usage


# The Postgres twins of the statements above whose SQL differs (digest.db.postgres).
PG = {INSERT_TOPIC: INSERT_TOPIC_PG, FILE_ARTICLE: FILE_ARTICLE_PG}
