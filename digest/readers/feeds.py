"""Feeds: RSS and Atom (URLs or local files) into ParsedArticle values. No database here.

`fetch` asks only for what changed: over HTTP it sends the ETag and Last-Modified it was given
and treats 304 as "nothing new"; for a local file the checksum of its bytes plays the ETag's
part. A feed that cannot be fetched or parsed raises ParseError naming the feed and the reason;
the caller logs it and tries again next time. Entries become articles: title, the content (or
summary) stripped of HTML as the body, link as url, published, categories as labels; the feed's
title is the outlet (`source`) and the entry's author the byline. An entry without a title is
kept: the digest writes its headline from the lede. An entry's summary beside its content is
the outlet's standfirst (`description`), unless it only repeats the body's first paragraph. An
entry's language is its own xml:lang (on its content, summary or title), else the feed's
(`<language>` in RSS, `xml:lang` in Atom).
May import: errors, models, .clean, .language, and digest.__version__.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser

from .. import __version__
from ..errors import ParseError
from ..models import FeedSpec, ParsedArticle
from .clean import is_junk_title
from .language import normalize

USER_AGENT = f"digest/{__version__} (+feed reader)"
TIMEOUT = 20.0
SUFFIXES = {".xml", ".rss", ".atom"}
_FEED_START = (b"<?xml", b"<rss", b"<feed", b"<rdf:rdf")


def looks_like_feed(head: bytes) -> bool:
    """Whether a file's first bytes open an RSS or Atom document (whatever the file is called)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_FEED_START)


def is_url(location: str) -> bool:
    return urllib.parse.urlsplit(str(location)).scheme in ("http", "https")


@dataclass
class Fetched:
    """The outcome of one fetch. `entries` is None when nothing changed (304, same file)."""
    entries: list[ParsedArticle] | None
    etag: str | None = None
    modified: str | None = None
    errors: list[ParseError] = field(default_factory=list)    # entries that could not be read


# ---- HTML to text ----------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table",
          "section", "article", "figure", "figcaption", "pre", "hr"}
_SKIP = {"script", "style", "noscript", "template"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = [[]]
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.paragraphs.append([])

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.paragraphs.append([])

    def handle_data(self, data):
        if not self.skipping:
            self.paragraphs[-1].append(data)


def html_to_text(markup: str | None) -> str:
    """Paragraphs of plain text (blank-line separated), entities decoded, scripts and styles dropped."""
    if not markup:
        return ""
    if "<" not in markup:
        return "\n\n".join(" ".join(p.split()) for p in html.unescape(markup).split("\n\n") if p.strip())
    parser = _Text()
    parser.feed(markup)
    parser.close()
    paras = [" ".join("".join(p).split()) for p in parser.paragraphs]
    return "\n\n".join(p for p in paras if p)


# ---- fetching --------------------------------------------------------------------------------

def fetch(spec: FeedSpec, *, etag: str | None = None, modified: str | None = None,
          base_dir: Path | None = None, timeout: float = TIMEOUT) -> Fetched:
    """Fetch and parse one feed; raises ParseError("<feed>: <reason>") when it cannot."""
    if spec.is_remote:
        data, headers = _get(spec.url, etag, modified, timeout)
        if data is None:
            return Fetched(None, etag, modified)
        new_etag, new_modified = headers.get("ETag"), headers.get("Last-Modified")
    else:
        data = _read_file(spec.url, base_dir)
        new_etag, new_modified = "sha256:" + hashlib.sha256(data).hexdigest(), None
        if etag == new_etag:
            return Fetched(None, etag, modified)
        headers = {}
    entries, errors = parse(data, origin=spec.url, labels=spec.labels, headers=headers)
    return Fetched(entries, new_etag, new_modified, errors)


def _get(url: str, etag: str | None, modified: str | None, timeout: float) -> tuple[bytes | None, dict]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept":
                                                   "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"})
    if etag:
        request.add_header("If-None-Match", etag)
    if modified:
        request.add_header("If-Modified-Since", modified)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None, {}
        raise ParseError(f"{url}: the server answered {exc.code} {exc.reason}",
                         "Check the feed URL; it is tried again at the next ingest.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ParseError(f"{url}: cannot fetch ({reason})",
                         "Check the URL and the network; it is tried again at the next ingest.") from None


def _read_file(location: str, base_dir: Path | None) -> bytes:
    parts = urllib.parse.urlsplit(location)
    path = Path(urllib.parse.unquote(parts.path)) if parts.scheme == "file" else Path(location)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{location}: cannot read the feed file ({exc.strerror})",
                         "Check [ingest] feeds in digest.toml.") from None


def parse(data: bytes, *, origin: str, labels: Sequence[str] = (), headers: dict | None = None
          ) -> tuple[list[ParsedArticle], list[ParseError]]:
    """Entries of an RSS/Atom document as articles, plus an error per entry that has no title or text."""
    doc = feedparser.parse(data, response_headers={k.lower(): v for k, v in (headers or {}).items()})
    if not doc.entries and (doc.bozo or not doc.get("version")):
        reason = getattr(doc.get("bozo_exception"), "getMessage", lambda: None)() or doc.get("bozo_exception") \
            or "no RSS or Atom elements"
        raise ParseError(f"{origin}: not a valid RSS or Atom feed ({reason})",
                         "Check that the URL or file is a feed, not a web page.")
    source = html_to_text(doc.feed.get("title")) or None
    language = normalize(doc.feed.get("language"))
    articles, errors = [], []
    for n, entry in enumerate(doc.entries, 1):
        try:
            articles.append(entry_article(entry, origin=origin, source=source, labels=list(labels), language=language))
        except ParseError as exc:
            errors.append(ParseError(f"{origin}: entry {n}: {exc.message}"))
    return articles, errors


def entry_article(entry: Any, *, origin: str, source: str | None, labels: list[str],
                  language: str | None = None) -> ParsedArticle:
    title = html_to_text(entry.get("title"))
    title = " ".join(title.split())
    contents = entry.get("content") or []
    # Prefer the full content; an Atom <content> may come in several types, HTML first.
    content = next((c.get("value") for c in contents if "html" in (c.get("type") or "")), None) \
        or (contents[0].get("value") if contents else None)
    body = html_to_text(content or entry.get("summary") or entry.get("description"))
    if title and is_junk_title(title):
        raise ParseError(f"the title {title[:60]!r} is only markup or unexpanded entities, no words")
    if not body:
        raise ParseError(f'"{title}" has no text (no content or summary)' if title else "no title and no text")
    tags = [t.get("term") or t.get("label") for t in entry.get("tags") or []]
    found = [re.sub(r"\s+", " ", t).strip() for t in tags if t] + labels
    seen: set[str] = set()
    unique = []
    for x in found:
        if x and x.lower() not in seen:
            seen.add(x.lower())
            unique.append(x)
    return ParsedArticle(title=title, body=body, labels=unique, url=entry.get("link") or None,
                         source=source, author=entry.get("author") or None,
                         published=_published(entry), origin=origin,
                         description=_standfirst(entry, body) if content else None,
                         language=_language(entry, contents) or language)


def _language(entry: Any, contents: list) -> str | None:
    """The entry's own xml:lang: on its content, else its summary, else its title."""
    details = [*contents, entry.get("summary_detail") or {}, entry.get("title_detail") or {}]
    return next((normalize(d.get("language")) for d in details if normalize(d.get("language"))), None)


def _standfirst(entry: Any, body: str) -> str | None:
    """The entry's summary when it is more than the body's first paragraph repeated (or cut short)."""
    text = " ".join(html_to_text(entry.get("summary") or entry.get("description")).split())
    key = re.sub(r"\W+", " ", text.lower()).strip()
    first = re.sub(r"\W+", " ", body.split("\n\n", 1)[0].lower()).strip()
    if not key or first.startswith(key) or key.startswith(first):
        return None
    return text


def _published(entry: Any) -> dt.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.timezone.utc)
