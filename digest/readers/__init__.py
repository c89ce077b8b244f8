"""digest.readers: articles read from outside into ParsedArticle values. No database here.

  text    page-as-text (.txt)           jsonl   JSON Lines (.jsonl, .json)
  feeds   RSS and Atom (files or URLs)  dates   an article's date from its own words
  watch   watched folders: which files are new, and where they go once read
  language  an article's language, as its source tags it or detected
This file reads any one file (read_path), walks folders (expand_paths), names an article
(identity) and maps its labels to topics (map_topics).
`source` is the outlet (a publication, a wire); `author` is the byline.
May import: errors, models, and the modules of digest.readers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

from ..errors import ParseError
from ..models import ParsedArticle
from . import feeds
from .jsonl import KNOWN_FIELDS, parse_json_article
from .text import parse_text, split_labels  # noqa: F401  (split_labels: tests read labels alone)

SUFFIXES = {".txt", ".jsonl", ".json", ".xml", ".rss", ".atom"}   # the last three: feeds


def read_path(path: Path, vocabulary: AbstractSet[str] = frozenset()) -> Iterator[ParsedArticle | ParseError | str]:
    """Yield every article in a file, or a ParseError per bad file/line: one bad one never stops the
    rest; a str is a warning about the file (JSON fields it does not read, named once per file)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield ParseError(f"{path}: cannot read ({exc.strerror})")
        return
    if path.suffix.lower() in feeds.SUFFIXES or feeds.looks_like_feed(raw[:512]):
        try:
            articles, errors = feeds.parse(raw, origin=str(path))
        except ParseError as exc:
            yield exc
            return
        yield from articles
        yield from errors
        return
    if raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith((b"<!doctype html", b"<html")):
        yield ParseError(f"{path}: a web page (HTML), not an article file or a feed",
                         "Save the article as text, or give the address of the site's RSS or Atom feed.")
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield ParseError(f"{path}: not UTF-8 text (binary file?)")
        return
    if path.suffix in (".jsonl", ".json"):
        unread: dict[str, int] = {}
        yield from _json_lines(path, text, unread)
        if unread:
            names = ", ".join(f'"{k}" (line {n})' for k, n in sorted(unread.items()))
            yield (f"{path}: field{'s' if len(unread) > 1 else ''} {names} not read "
                   f"(known fields: {', '.join(KNOWN_FIELDS)})")
        return
    try:
        yield parse_text(text, origin=str(path), vocabulary=vocabulary)
    except ParseError as exc:
        yield exc


def _json_lines(path: Path, text: str, unread: dict[str, int]) -> Iterator[ParsedArticle | ParseError]:
    """The articles of a JSON Lines file; fields not read are gathered in `unread` (name -> first line)."""
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ParseError(f"{where}: invalid JSON ({exc.msg})")
            continue
        except (ValueError, RecursionError) as exc:    # a 5,000-digit number, [[[[...]]]] nested too deep
            yield ParseError(f"{where}: invalid JSON ({exc.__class__.__name__}: {str(exc)[:80]})")
            continue
        if isinstance(obj, dict):
            for key in obj:
                if key not in KNOWN_FIELDS:
                    unread.setdefault(key, n)
        try:
            yield parse_json_article(obj, origin=where)
        except ParseError as exc:
            yield exc


def expand_paths(paths: list[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked for .txt/.jsonl files in name order (skipping README/hidden files)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix in SUFFIXES and not f.name.startswith((".", "README"))\
                        and "done" not in f.relative_to(p).parts[:-1]:
                    yield f
        else:
            yield p


def identity(art: ParsedArticle) -> tuple[str, str]:
    """(guid, checksum): the guid finds the same article again (URL, else title, else the body's
    first paragraph); the checksum sees edits."""
    if art.url:
        guid = "url:" + art.url.strip()
    elif any(ch.isalpha() for ch in art.title):
        guid = "title:" + re.sub(r"\W+", " ", art.title.lower()).strip()
    else:
        # No title, or one with no letters ("???", "2026", "—"), does not tell one article from another:
        # the title as written and the opening words of the body do.
        opening = " ".join(re.sub(r"\W+", " ", art.body.lower()).split()[:40])
        guid = "text:" + " ".join(art.title.split()) + " | " + opening
    fields = [art.title, art.body, art.labels, art.caption, art.sources, art.author, art.bio,
              art.url, art.source, art.published.isoformat() if art.published else None]
    if art.description:             # only when given: the checksums of articles without one stay as they were
        fields.append(art.description)
    if art.language:                # the same: a language the source gives is part of the article
        fields.append(art.language)
    content = json.dumps(fields)
    return guid, hashlib.sha256(content.encode()).hexdigest()


def map_topics(labels: list[str], aliases: dict[str, str]) -> list[str]:
    """Category labels -> topic names through aliases (lower-cased keys). Unknown labels map to nothing."""
    topics: list[str] = []
    for label in labels:
        topic = aliases.get(label.lower())
        if topic and topic not in topics:
            topics.append(topic)
    return topics
