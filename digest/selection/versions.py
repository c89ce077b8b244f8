"""The versions of one story: where each one links, and how the email names the others ("Also
reported by" an outlet, "Also reported as" a headline of the newsroom's own). Plain values.
May import: config, models.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from ..config import Config
from ..models import Article


def article_url(cfg: Config, art: Article) -> str:
    return art.url or f"{cfg.base_url}/articles/{art.id}"


@functools.lru_cache(maxsize=4096)      # every mix that carries a story asks again
def _host(url: str) -> str | None:
    return urlsplit(url).hostname


def outlet(cfg: Config, a: Article) -> str | None:
    """The outlet that names a version of a story: its `source`, else its own link's domain. None for
    the newsroom's own page (no source, no link but one on base_url)."""
    domain = _host(a.url) if a.url else None
    if domain and domain == _host(cfg.base_url):
        domain = None
    return a.source or (domain.removeprefix("www.") if domain else None)


def also_reported(cfg: Config, lead: Article, others: list[Article]) -> tuple[list, list]:
    """("Also reported by" outlets, "Also reported as" headlines) of a story's other versions: one
    without an outlet is named by its headline, unless the lead is the newsroom's own too (the same
    newsroom telling one story twice adds nothing for the reader)."""
    by, as_headline = [], []
    for o in others:
        name = outlet(cfg, o)
        if name:
            by.append((name, article_url(cfg, o)))
        elif outlet(cfg, lead):
            as_headline.append((o.headline, article_url(cfg, o)))
    return by, as_headline


def also_label(a: Article) -> str:
    """How an article's web page names another version of a story: its outlet (JSON Lines `source`,
    a feed's title, a watched folder's configured source), else its link's domain, else its own
    headline. Never the author: a reporter is not an outlet. (The email's line: also_reported.)"""
    domain = urlsplit(a.url).hostname if a.url else None
    return a.source or (domain.removeprefix("www.") if domain else None) or a.headline
