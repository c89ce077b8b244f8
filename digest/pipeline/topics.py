"""Topics as admins manage them: listed with what they hold, added (with the stored articles whose
labels match filed under them), renamed, labelled in each language of the frame (labels_in: what
a reader of one language sees), removed only when asked twice.
May import: config, db, errors, models, plural.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..config import checked_language
from ..db import Database
from ..errors import ConfigError, DigestError
from ..models import Topic, TopicUsage
from ..plural import plural


def topics(db: Database) -> list[Topic]:
    """Every topic, by name, with its aliases."""
    return db.topics.all()


def topics_in_use(db: Database) -> list[TopicUsage]:
    """Every topic, by name, with its subscribers (all, active) and articles."""
    return db.topics.usage_all()


def topic_usage(db: Database, name: str) -> TopicUsage:
    return db.topics.usage(name)


def add_topic(db: Database, name: str, aliases: Iterable[str] = (), *,
              move: bool = False) -> tuple[Topic, list[tuple[str, str]], int]:
    """Add a topic (or aliases to one) and file under it the stored articles whose labels match,
    together; returns the topic, the aliases moved from another topic, and the articles filed."""
    with db.transaction():
        topic, moved = db.topics.add(name, aliases, move=move)
        filed = db.topics.file_articles(topic.id)
    return topic, moved, filed


def rename_topic(db: Database, old: str, new: str) -> tuple[str, Topic, int]:
    """Rename a topic; the old name stays an alias. Returns the old name, the topic and the articles
    now filed under it."""
    before = db.topics.get(old).name
    with db.transaction():
        topic = db.topics.rename(old, new)
        filed = db.topics.file_articles(topic.id)
    return before, topic, filed


def parse_labels(pairs: Iterable[str]) -> dict[str, str]:
    """`de=Politik` pairs as {language: label}; the language checked as [digest] language is, and an
    empty label (`de=`) kept empty: it drops that language's label."""
    labels = {}
    for pair in pairs:
        language, sep, label = pair.partition("=")
        if not sep:
            raise DigestError(f'--label "{pair}" is not LANGUAGE=LABEL.', "Example: --label de=Politik --label fr=Politique")
        try:
            labels[checked_language(language, f"--label {language.strip()}")] = label.strip()
        except ConfigError as exc:
            raise DigestError(exc.message, exc.hint) from None
    return labels


def label_topic(db: Database, name: str, labels: dict[str, str]) -> Topic:
    """Set a topic's label in each language given ({"de": "Politik"}; "" drops one)."""
    topic = db.topics.get(name)
    db.topics.set_labels(topic.id, labels)
    return db.topics.get(topic.name)


def labels_in(db: Database, language: str) -> dict[str, str]:
    """Each topic's name -> its name for a reader of `language` (its label there, else its own)."""
    return {t.name: t.label(language) for t in db.topics.all()}


def remove_topic(db: Database, name: str, *, yes: bool = False) -> TopicUsage:
    """Remove a topic with its aliases; its subscribers lose it. Refused, saying what it holds,
    unless `yes` (or it holds nothing)."""
    held = db.topics.usage(name)
    if not yes and (held.subscribers or held.articles):
        t = held.topic
        raise DigestError(f"Topic {t.name} has {plural(held.subscribers, 'subscriber', 'subscribers')} "
                          f"({held.active} active) who would lose it, and "
                          f"{plural(held.articles, 'article', 'articles')} filed under it.",
                          "A topic that holds no subscriber and no article is removed without --yes; this one "
                          f'needs it: digest topics remove "{t.name}" --yes')
    return db.topics.remove(held.topic.name)
