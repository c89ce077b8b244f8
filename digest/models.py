"""Plain values passed between stages. No I/O here, no imports from other digest modules.

store returns Article/Topic/Subscriber/Delivery; render takes an EditionView and returns Rendered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


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


@dataclass
class Topic:
    id: int
    name: str
    slug: str
    aliases: list[str] = field(default_factory=list)


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


@dataclass
class Subscriber:
    id: int
    email: str
    name: str | None
    status: str                    # pending, active, unsubscribed, bounced, suppressed
    topics: list[str]              # topic names
    frequency: str = "daily"       # daily, weekly
    timezone: str | None = None
    created_at: dt.datetime | None = None


# ---- render's input and output -------------------------------------------------------------

@dataclass
class ItemView:
    """One story in the digest. `also` lists other sources carrying the same story."""

    headline: str
    summary: str
    url: str                       # absolute URL: the headline links here
    source: str | None = None      # the outlet (a publication, a wire, a feed's title)
    author: str | None = None      # the byline ("By ..."), never an outlet
    published: dt.date | dt.datetime | None = None
    also: list[tuple[str, str]] = field(default_factory=list)   # (other version's outlet or headline, absolute url)
    number: int = 0                # place in the edition, 1 = the lead; numbers the contents and the text twin
    in_body: bool = True           # False: listed in the contents only (a long edition's lesser stories)


@dataclass
class SectionView:
    topic: str                     # display name, e.g. "Europe"
    slug: str                      # e.g. "europe"
    items: list[ItemView]
    more: int = 0                  # stories of this topic beyond the per-topic cap
    more_url: str | None = None    # where they are: the edition's web page, at this topic


@dataclass
class EditionView:
    """Everything one topic mix's digest shows. Per-subscriber values are placeholders (see render.PLACEHOLDERS)."""

    newsletter: str                # e.g. "The Digest"
    edition_key: str               # e.g. "daily-2026-11-25"
    date: dt.date
    subject: str
    preheader: str
    sections: list[SectionView]
    topics: list[str]              # the mix, display names
    base_url: str                  # absolute, no trailing slash
    postal_address: str
    web_url: str | None = None     # web version of this edition, if any
    lead: ItemView | None = None   # the edition's best story: opens the body; the subject and preheader are its
    stories: int = 0               # stories in the edition, those past the per-topic cap included
    minutes: int = 0               # reading time of what the message shows


@dataclass
class Rendered:
    html: str                      # inlined, contains placeholders
    text: str                      # wrapped at 78, contains placeholders
    subject: str
    preheader: str


# Per-subscriber values are left in the rendered body as these markers and substituted per message
# (send never re-renders). Values are inserted already escaped for the part they land in.
PLACEHOLDERS = {
    "unsubscribe_url": "%%UNSUBSCRIBE_URL%%",
    "preferences_url": "%%PREFERENCES_URL%%",
    "email": "%%EMAIL%%",
    "name": "%%NAME%%",
}
