"""Plain values passed between stages, and the words of the domain defined once: frequencies,
subscriber and delivery statuses, and the opt-out set. No I/O here.

digest.db hands back Topic, Article, Subscriber, Edition, Delivery...; render's values are in digest.compose.views.
May import: records (its two records, re-exported).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field

from .records import Batch as Batch  # a fleet's unit of work and a worker's hold on it
from .records import BatchFence as BatchFence
from .records import BounceRecord as BounceRecord  # re-exported: what the store records about feeds and bounces
from .records import EditionCounts as EditionCounts  # what `digest editions` reads of the fleet
from .records import FeedState as FeedState
from .records import HeldBatch as HeldBatch

FREQUENCIES = ("daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained", "suppressed")
# An address in one of these states asked (or its mailbox told us) not to be mailed: nothing but
# the subscriber's own request (a confirmation, their preference page) brings it back. "complained":
# they reported a digest as spam (an ARF feedback report from their mailbox provider).
OPTED_OUT = ("unsubscribed", "bounced", "complained", "suppressed")
DELIVERY_STATUSES = ("pending", "sending", "sent", "deferred", "bounced", "failed", "uncertain")
# A delivery not yet finished: planned, claimed by a sender, or deferred and awaiting a retry.
UNFINISHED = ("pending", "deferred", "sending")


@functools.lru_cache(maxsize=1024)      # an edition slugs the same topic names for every mix
def slugify(name: str) -> str:
    """A topic's name as it appears in URLs and anchors: "Middle East" -> "middle-east"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "topic"


@dataclass
class ParsedArticle:
    """What ingest reads from one file or JSON line, before it is stored."""

    title: str
    body: str                      # paragraphs separated by blank lines; no caption/sources/bio
    labels: list[str]              # category labels as written ("Eastern Europe", "World", ...)
    caption: str | None = None
    sources: str | None = None     # "... contributed to this report."
    author: str | None = None
    bio: str | None = None
    url: str | None = None
    source: str | None = None      # publication name, if known
    published: dt.datetime | None = None
    origin: str | None = None      # file path or feed URL it came from
    description: str | None = None     # the outlet's standfirst (a feed's description, a JSON `description`)
    language: str | None = None    # as the source says it ("de"); None: not said, ingest detects it
    removed: list = field(default_factory=list)    # what the body cleaner took out (readers.clean.Removed)
    notes: list[str] = field(default_factory=list)     # warnings about how the file was read


@dataclass
class FeedSpec:
    """One configured feed: a URL or a path, plus labels given to all its entries (e.g. ["World"])."""
    url: str
    labels: list[str] = field(default_factory=list)
    topic: str | None = None       # files the entries whose labels map to no topic

    @property
    def is_remote(self) -> bool:
        return urllib.parse.urlsplit(self.url).scheme in ("http", "https")


@dataclass
class Topic:
    id: int
    name: str
    slug: str
    aliases: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)   # language -> its name there ("de": "Politik")

    def label(self, language: str | None) -> str:
        """The topic's name in `language` (its label there), or its own name."""
        return self.labels.get(language or "", self.name)


@dataclass
class Article:
    id: int
    title: str
    body: str
    topics: list[str]              # topic names
    labels: list[str]
    headline: str                  # what the digest prints (override if set, else machine)
    summary: str
    url: str | None = None
    source: str | None = None
    published: dt.datetime | None = None
    ingested_at: dt.datetime | None = None
    caption: str | None = None
    sources: str | None = None
    author: str | None = None
    bio: str | None = None
    cluster_id: int | None = None
    headline_override: str | None = None
    summary_override: str | None = None
    description: str | None = None     # the outlet's standfirst, as given
    removed: list[dict] = field(default_factory=list)   # {kind, text, why} the body cleaner took out
    summary_source: str = "lede"       # where the machine's blurb came from: "lede" | "standfirst"
    priority: int | None = None    # an editor's rank within its topic, 1 first (None: the machine's score)
    lead: bool = False             # an editor pinned it as the lead of the next edition that carries it
    language: str | None = None    # the article's ("de"), read from its source or detected; None: stored before m018


@dataclass
class Subscriber:
    id: int
    email: str
    name: str | None
    status: str                    # one of SUBSCRIBER_STATUSES
    topics: list[str]              # topic names
    frequency: str = "daily"       # daily, weekly
    timezone: str | None = None
    created_at: dt.datetime | None = None
    send_at: str | None = None     # their own local time of day, "HH:MM"; None: the edition's
    language: str | None = None    # their email frame's language (digest.i18n); None: the newsletter's


@dataclass
class TopicUsage:
    """What a topic holds: subscribers (all, active) and articles not removed."""
    topic: Topic
    subscribers: int
    active: int
    articles: int


@dataclass
class MachineSummary:
    """What the machine wrote for one article, and whether an editor overrode it."""
    id: int
    title: str
    body: str
    source: str | None
    headline: str
    summary: str
    sentences: list[int]
    has_override: bool
    description: str | None = None
    summary_source: str = "lede"
    language: str | None = None


@dataclass
class BodyIndex:
    """What the store counts of one body: its paragraphs' fingerprints and its distinct terms."""
    fingerprints: set[int]
    terms: set[str]


@dataclass
class StoryRef:
    """An article and the story (cluster) it is in, without its text."""
    id: int
    cluster_id: int | None


@dataclass
class ArticleText:
    """The words and dates clustering compares, and the story it was last put in."""
    id: int
    title: str
    body: str
    published: dt.datetime | None
    ingested_at: dt.datetime
    cluster_id: int | None = None


@dataclass
class Removal:
    """An article an admin asked to remove: when it was removed already, and the sent editions
    that carried it (their archives keep it)."""
    id: int
    title: str
    removed_at: dt.datetime | None
    editions: list[str]


@dataclass
class OnFile:
    """What an import finds on file for one address."""
    id: int
    status: str
    name: str | None
    frequency: str
    timezone: str | None
    send_at: str | None
    topic_ids: set[int]
    language: str | None = None


@dataclass
class ImportChange:
    """What one row of an import does, or would do, to the list."""
    line: int
    email: str
    action: str                               # add | update | unchanged | skip
    subscriber_id: int | None = None
    values: dict = field(default_factory=dict)     # columns to write (every one for "add")
    topics: list[int] = field(default_factory=list)    # topic ids to subscribe to
    replace_topics: bool = False              # --overwrite: `topics` become the whole subscription
    kept: dict = field(default_factory=dict)  # field -> (on file, in the row): left as it was
    reason: str | None = None                 # why skipped: the opt-out on file


# ---- editions and the delivery ledger -------------------------------------------------------

@dataclass
class Edition:
    id: int
    key: str                       # e.g. "daily-2026-11-25"
    frequency: str
    date: dt.date
    until: dt.datetime | None = None     # a sent edition: the latest end of its windows
    title: str | None = None       # a special edition's (its Subject); None: a regular edition
    since_seq: int | None = None   # a sent edition: its windows in ingest order, first start to last end
    until_seq: int | None = None
    failed: int = 0                # with failed deliveries: how many, and how many may go again
    requeueable: int = 0


@dataclass(frozen=True)
class Window:
    """One topic mix over one window of the store: every delivery that shares it shares one body."""
    mix: str
    since: dt.datetime | None
    until: dt.datetime
    since_seq: int | None = None   # the window in ingest order, when the delivery fixed it
    until_seq: int | None = None


@dataclass(slots=True)
class Delivery:
    """One (edition, subscriber) row of the ledger: pending -> sending -> sent | deferred | bounced |
    failed | uncertain."""
    id: int
    edition_id: int
    subscriber_id: int
    status: str
    mix: str
    since: dt.datetime | None
    until: dt.datetime
    message_id: str
    since_seq: int | None = None
    until_seq: int | None = None
    attempts: int = 0
    last_reply: str | None = None
    next_attempt_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    email: str | None = None       # the subscriber's, when read with the row
    name: str | None = None
    edition_key: str | None = None
    relay: str | None = None       # the relay that last answered for it (the one that sent it, once sent)
    bounced_at: dt.datetime | None = None     # when a hard bounce came back for it, as listings read it

    @property
    def window(self) -> Window:
        return Window(self.mix, self.since, self.until, self.since_seq, self.until_seq)


@dataclass
class Settled:
    """A delivery whose outcome was just recorded: what the audience policy needs to know."""
    delivery_id: int
    status: str
    soft: bool


@dataclass
class LeaseHolder:
    owner: str
    expires_at: dt.datetime

