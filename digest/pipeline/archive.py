"""What the subscriber web app reads: the archive of sent editions per topic (its pages and Atom
feeds), the web version of one topic's digest, and the article pages the digest links to.
May import: config, db, models, compose.render, selection.select, selection.versions,
compose.views, and .bodies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..compose import render
from ..compose.views import EditionView
from ..config import Config
from ..db import Database
from ..models import Article, Window
from ..selection import select
from ..selection.versions import also_label
from .bodies import article_url, edition_view, render_group


@dataclass
class ArchiveEntry:
    """One topic's share of one sent edition: what the web archive and the Atom feed show."""
    key: str
    date: dt.date
    topic: str
    slug: str
    since: dt.datetime
    until: dt.datetime
    view: EditionView
    since_seq: int | None = None       # a special edition's window, in ingest order
    until_seq: int | None = None


def archive(db: Database, cfg: Config, *, key: str | None = None, topic: str | None = None,
            limit: int = 30) -> list[ArchiveEntry]:
    """Sent editions, newest first, split per topic (only topics with articles in the window).

    An edition's window is the one a regular subscriber of its frequency got: one day (or week)
    up to the latest cutoff of the edition's sent deliveries. A special edition's is what it sent:
    from the first start of its windows to their last end, in ingest order.
    """
    topics = [db.topics.get(topic)] if topic else db.topics.all()
    entries = []
    for edition in db.editions.sent(key, limit=limit):
        until = edition.until
        if until is None:       # not reached: a sent edition has the end of its windows
            continue
        since = until - select.FIRST_WINDOW.get(edition.frequency, select.FIRST_WINDOW["daily"])
        seqs = {"since_seq": edition.since_seq, "until_seq": edition.until_seq} if edition.title else {}
        for t in topics:
            arts = db.articles.between([t.name], since, until, **seqs)
            if arts:
                # The web page lists every story: it is where the email's "N more" links lead.
                view = edition_view(cfg, edition.key, edition.date, t.name, arts, at=until, since=since,
                                    cap=len(arts), special=edition.title)
                entries.append(ArchiveEntry(edition.key, edition.date, t.name, t.slug, since, until, view,
                                            **seqs))
    return entries


def archive_html(db: Database, cfg: Config, entry: ArchiveEntry) -> str:
    """The web version of one topic's digest in one edition, rendered exactly like the email."""
    body = render_group(db, cfg, entry.key, entry.date, Window(entry.topic, entry.since, entry.until,
                                                               entry.since_seq, entry.until_seq))
    # No subscriber here: the footer's links go to a page that explains where the personal links are.
    html, _ = render.personalize(body.rendered, unsubscribe_url=f"{cfg.base_url}/manage",
                                 preferences_url=f"{cfg.base_url}/manage", email="you", name=None)
    return html


@dataclass
class ArticlePage:
    """What /articles/<id> shows: the article, and the other reports of the same story."""
    article: Article
    paragraphs: list[str]              # the body, or only the blurb when the article lives elsewhere
    elsewhere: str | None              # the article's own URL, when it has one
    others: list[tuple[str, str, str]] = field(default_factory=list)   # (outlet or byline, headline, url)


def _byline(a: Article) -> str:
    """The outlet, else "By <author>", else how "Also reported by" names it."""
    if a.source:
        return a.source
    return f"By {a.author}" if a.author else also_label(a)


def article_page(db: Database, cfg: Config, article_id: int) -> ArticlePage:
    """The page of one article: the digest links here when an article has no URL of its own (every
    page-as-text article). An article published elsewhere gets its blurb and a link to the original,
    not a copy of someone else's text. Raises NotFound."""
    art = db.articles.get(article_id)
    members = db.articles.cluster(art.cluster_id) if art.cluster_id is not None else []
    others = [(_byline(o), o.headline, article_url(cfg, o)) for o in members if o.id != art.id]
    paragraphs = [art.summary] if art.url else [p.strip() for p in art.body.split("\n\n") if p.strip()]
    return ArticlePage(art, paragraphs, art.url, others)


def template_filters() -> dict:
    """The filters the web pages' templates use beside speech's dates in the page's language."""
    return {"host": lambda url: (urlsplit(url).hostname or url).removeprefix("www.")}
