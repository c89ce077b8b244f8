"""Select: which articles a subscriber's digest covers, and how subscribers share one body.

A subscriber's window runs from the end of the last digest they were sent (their watermark, on
ingest order, so a story that arrives late with an old date is still caught) to the edition's
cutoff. A new subscriber's first window is the last day (daily) or week (weekly). The times here
name the window; the planner fixes it as ingest sequence numbers (db.articles.last_seq), which a
clock stepped back cannot reorder. Subscribers
with the same topic mix, language and window share one rendered body: a Group.

A mix key names the language too when the subscriber reads another than the newsletter's
("Europe+World@de"; "Europe+World" is the newsletter's language): a delivery's `mix` column is
then what every stage groups by, so one edition is planned, rendered and claimed per (topic mix,
language) with no other key. mix_topics() gives the topics only, mix_language() the language.
Pure functions over plain values. May import: models.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..models import Article, Subscriber

FIRST_WINDOW = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}


def mix_key(topics: list[str], language: str | None = None) -> str:
    """A topic mix as a stable string: "Europe+World", or "Europe+World@de" in a language of its own."""
    return "+".join(sorted(topics, key=str.lower)) + (f"@{language}" if language else "")


# A language suffix is a locale name ("de", "pt_BR"); a topic name may hold an "@" of its own.
_LANGUAGE = re.compile(r"@([a-z]{2,3}(?:_[A-Za-z]{2,4})?)$")


def mix_topics(mix: str) -> list[str]:
    """The topics of a mix key, without its language."""
    mix = _LANGUAGE.sub("", mix)
    return mix.split("+") if mix else []


def mix_language(mix: str) -> str | None:
    """The language a mix key names, or None: the newsletter's."""
    m = _LANGUAGE.search(mix)
    return m.group(1) if m else None


def subscriber_mix(sub: Subscriber, newsletter_language: str) -> str:
    """The mix key of a subscriber's digest: their topics, and their language when it is not the newsletter's."""
    language = sub.language if sub.language and sub.language != newsletter_language else None
    return mix_key(sub.topics, language)


def window(sub: Subscriber, watermark: dt.datetime | None, until: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    since = watermark or until - FIRST_WINDOW.get(sub.frequency, FIRST_WINDOW["daily"])
    return since, until


@dataclass
class Group:
    mix: str
    since: dt.datetime | None
    until: dt.datetime
    articles: list[Article] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.mix, self.since.isoformat() if self.since else "", self.until.isoformat())


def sections(mix: str, articles: list[Article]) -> list[tuple[str, list[Article]]]:
    """Place each article once, in the first topic of the mix that it carries, in the mix's order."""
    topics = mix_topics(mix)
    placed: dict[str, list[Article]] = {t: [] for t in topics}
    seen: set[int] = set()
    for art in articles:
        if art.id in seen:
            continue
        home = next((t for t in topics if t in art.topics), None)
        if home is not None:
            placed[home].append(art)
            seen.add(art.id)
    return [(t, arts) for t, arts in placed.items() if arts]
