"""What render takes and returns: the view of one topic mix's digest (EditionView, SectionView,
ItemView), the Rendered body, and the placeholders left in it for each subscriber's values.
Plain values, no I/O.
May import: nothing from digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class ItemView:
    """One story in the digest. `also` lists other sources carrying the same story."""

    headline: str
    summary: str
    url: str                       # absolute URL: the headline links here
    source: str | None = None      # the outlet (a publication, a wire, a feed's title)
    author: str | None = None      # the byline ("By ..."), never an outlet
    published: dt.date | dt.datetime | None = None
    also: list[tuple[str, str]] = field(default_factory=list)   # (other version's outlet, absolute url)
    # Other versions with no outlet of their own (the newsroom's pages): (their headline, absolute url)
    also_as: list[tuple[str, str]] = field(default_factory=list)
    number: int = 0                # place in the edition, 1 = the lead; numbers the contents and the text twin
    brief: str | None = None       # a long edition's lesser story: its lede sentence, shown in its stead, tighter


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
    left_out: str | None = None    # stale stories left out of the window, said for the preview (freshness)
    special: str | None = None     # a special edition's title, under the masthead (and its Subject)


@dataclass
class Rendered:
    html: str                      # inlined, contains placeholders
    text: str                      # wrapped at 78, contains placeholders
    subject: str
    preheader: str
    language: str = "en"           # the frame's: the message's Content-Language


# Per-subscriber values are left in the rendered body as these markers and substituted per message
# (send never re-renders). Values are inserted already escaped for the part they land in.
PLACEHOLDERS = {
    "unsubscribe_url": "%%UNSUBSCRIBE_URL%%",
    "preferences_url": "%%PREFERENCES_URL%%",
    "email": "%%EMAIL%%",
    "name": "%%NAME%%",
}
