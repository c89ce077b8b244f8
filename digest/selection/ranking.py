"""The order of stories in an edition, and why: the story an editor pinned as the lead comes first,
then the stories an editor gave a priority (1 before 2), then every other story by the machine's
score, best first. The first story leads the edition (its Subject and preheader); each section
shows its stories in the same order.

The machine's score weighs what an editor would: how many outlets carry the story (its cluster),
how long the article is, how much its lede says (a lede of a few words, "Here we go again.", tells
a reader nothing), and how fresh it is. Pure functions over plain values.
May import: models, plural, summarize.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..models import Article
from ..plural import plural
from ..summarize import split_sentences
from ..summarize.words import STOPWORDS

FULL_LENGTH = 800          # words: an article this long counts as fully substantial
FULL_LEDE = 12             # content words (not stopwords) a lede needs to count as saying something
HALF_LIFE_HOURS = 48.0     # a day-old story keeps 71% of its score: within a digest, size beats minutes
UNRANKED = 10 ** 6         # the priority of a story no editor ranked: after every ranked one


def score(*, age_hours: float, words: int, lede_words: int, sources: int) -> float:
    """The machine's score of one story: reach (log2 of 1 + its outlets) times recency (halved every
    HALF_LIFE_HOURS) times substance (0.3, plus up to 0.4 for the article's length and up to 0.3 for
    its lede's content words, both with diminishing returns)."""
    reach = math.log2(1 + max(sources, 1))
    recency = 0.5 ** (max(age_hours, 0.0) / HALF_LIFE_HOURS)
    length = min(math.log1p(max(words, 0)) / math.log1p(FULL_LENGTH), 1.0)
    lede = min(max(lede_words, 0) / FULL_LEDE, 1.0)
    return reach * recency * (0.3 + 0.4 * length + 0.3 * lede)


@functools.lru_cache(maxsize=8192)
def words_of(body: str) -> int:
    return len(body.split())


@functools.lru_cache(maxsize=8192)
def lede_words(summary: str, language: str | None = None) -> int:
    """Content words in the blurb's first sentence: how much the reader learns from the lede."""
    sentences = split_sentences(summary or "", language or "en")
    first = sentences[0] if sentences else (summary or "")
    return sum(1 for w in first.split() if len(w.strip(".,;:!?\"'“”‘’()")) > 2
               and w.strip(".,;:!?\"'“”‘’()").lower() not in STOPWORDS)


def age_hours(a: Article, at: dt.datetime) -> float:
    return max(0.0, (at - (a.published or a.ingested_at or at)).total_seconds() / 3600)


def article_score(a: Article, at: dt.datetime, sources: int) -> float:
    return score(age_hours=age_hours(a, at), words=words_of(a.body), lede_words=lede_words(a.summary, a.language),
                 sources=sources)


def order_key(a: Article, machine_score: float) -> tuple:
    """Sort key: pinned lead, then an editor's priority, then the machine's score, then the id."""
    return (0 if a.lead else 1, a.priority if a.priority is not None else UNRANKED, -machine_score, a.id)


@dataclass(frozen=True)
class Ranked:
    """One story as the edition orders it: its lead article, the other versions, and its score."""
    lead: Article
    others: list[Article]
    score: float

    @property
    def key(self) -> tuple:
        return order_key(self.lead, self.score)


def stories(articles: list[Article], at: dt.datetime,
            scored: Callable[[Article, dt.datetime, int], float] = article_score) -> list[Ranked]:
    """One Ranked per story, best first: the articles of one cluster become one story, led by its
    pinned or prioritised member, else its best-scored one; the score counts every outlet carrying it."""
    groups: dict[object, list[Article]] = {}
    found = []
    for a in articles:
        if a.cluster_id is None:
            found.append(Ranked(a, [], scored(a, at, 1)))
        else:
            groups.setdefault(a.cluster_id, []).append(a)
    for members in groups.values():
        n = len(members)
        ranked = sorted(members, key=lambda a: order_key(a, scored(a, at, n)))
        found.append(Ranked(ranked[0], ranked[1:], scored(ranked[0], at, n)))
    return sorted(found, key=lambda s: s.key)


def why(story: Ranked, at: dt.datetime) -> str:
    """One line an editor reads: what put this story where it is."""
    a = story.lead
    outlets = 1 + len(story.others)
    hours = age_hours(a, at)
    age = f"{hours:.0f} h old" if hours < 48 else f"{hours / 24:.0f} days old"
    machine = (f"score {story.score:.3g}: {plural(outlets, 'report', 'reports')}, "
               f"{words_of(a.body)} words, a {lede_words(a.summary, a.language)}-word lede, {age}")
    if a.lead:
        return f"lead (pinned by an editor); {machine}"
    if a.priority is not None:
        return f"priority {a.priority} (set by an editor); {machine}"
    return machine
