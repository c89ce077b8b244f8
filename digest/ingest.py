"""Ingest: read article files into ParsedArticle values. No database here.

Formats:
- page-as-text (.txt): category labels on line 1, the title (often repeated on the next line), a
  photo caption, body paragraphs, a sources line ("... contributed to this report."), an author
  name and a bio. Caption, sources and bio are kept apart from the body.
- JSON Lines (.jsonl): one article object per line (title, body, labels|topics, url, source,
  published, caption, sources, author, bio). The title may be missing: the digest then writes a
  headline from the lede.
- RSS and Atom files (.xml, .rss, .atom, or any file whose content opens a feed): read by
  digest.feeds, one article per entry.
`source` is the outlet (a publication, a wire); `author` is the byline. Page-as-text names an
author and no outlet, so its source stays empty: a reporter is never shown as another outlet.
May import: models, errors, and feeds (for feed files, imported where it is used: feeds may
import this module).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import ParseError
from .models import ParsedArticle

SUFFIXES = {".txt", ".jsonl", ".json", ".xml", ".rss", ".atom"}   # the last three: feeds (digest.feeds)

# Multi-word category labels we know even before an admin adds them as aliases; a label line is
# split on single spaces, so these tell "Eastern Europe" from "Eastern" + "Europe".
KNOWN_LABELS = {
    "eastern europe", "western europe", "central europe", "european union", "middle east", "north america",
    "south america", "latin america", "central america", "united states", "united kingdom", "asia pacific",
    "climate change", "human rights", "foreign policy", "science and technology", "arts and culture",
}

SOURCES_RE = re.compile(r"\b(contributed to this report|contributed reporting|contributed to this story)\b", re.I)
DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
CAPTION_HINT = re.compile(r"\((?:[^()]*/[^()]*|photo[^()]*|[A-Z][\w .'-]+)\)\s*$|^(?:photo|image|pictured)\b", re.I)


def split_labels(line: str, vocabulary: set[str]) -> list[str]:
    """Greedy longest match of known labels (up to 4 words); unknown words stand alone. Repeats dropped."""
    words = line.split()
    vocab = {v.lower() for v in vocabulary} | KNOWN_LABELS
    labels: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(4, len(words) - i), 0, -1):
            candidate = " ".join(words[i:i + n])
            if n == 1 or candidate.lower() in vocab:
                break
        if candidate.lower() not in (label.lower() for label in labels):
            labels.append(candidate)
        i += n
    return labels


def looks_like_labels(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 12 and all(w[:1].isupper() or w in ("and", "&") for w in words) \
        and not re.search(r"[.:;!?\"“”,]", line)


def parse_text(text: str, *, origin: str, vocabulary: set[str] = frozenset()) -> ParsedArticle:
    """Parse one page-as-text article. Raises ParseError naming `origin` when it cannot."""
    if "\x00" in text:
        raise ParseError(f"{origin}: binary file, not an article")
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    blocks = [ln for ln in lines if ln]
    if not blocks:
        raise ParseError(f"{origin}: empty file, no title found")
    labels: list[str] = []
    if looks_like_labels(blocks[0]) and len(blocks) > 1:
        labels = split_labels(blocks.pop(0), vocabulary)
    if not blocks:
        raise ParseError(f"{origin}: no title found")
    title = blocks.pop(0)
    if len(title) > 300 or title.endswith((".", "”.", '."')) and len(title.split()) > 25:
        raise ParseError(f"{origin}: no title found (first line after the labels reads like body text)")
    if blocks and blocks[0] == title:
        blocks.pop(0)
    blocks, stamp = take_stamp(blocks)
    caption = None
    # A caption is a single line right after the title that credits a photo: "(Name / Agency)".
    if blocks and CAPTION_HINT.search(blocks[0]):
        caption = blocks.pop(0)
    sources = author = bio = None
    idx = next((i for i in range(len(blocks) - 1, -1, -1) if SOURCES_RE.search(blocks[i])), None)
    if idx is not None:
        sources = blocks[idx]
        tail = blocks[idx + 1:]
        blocks = blocks[:idx]
        if tail:
            if len(tail[0].split()) <= 5 and not tail[0].endswith("."):
                author = tail.pop(0)
            bio = "\n\n".join(tail) or None
    body = "\n\n".join(blocks)
    if not body:
        raise ParseError(f"{origin}: no body text after the title")
    named = _date_from_name(origin)
    published = date_from_text(body, caption=caption, stamp=stamp, reference=named) or named
    return ParsedArticle(title=title, body=body, labels=labels, caption=caption, sources=sources,
                         author=author, bio=bio, source=None, published=published, origin=origin)


# ---- the article's date: its own text first (issue 12, item 11) ---------------------------------
# A "Published ..." line, then a dateline ("BRUSSELS, Nov. 20 (Reuters) — ..."), then the photo
# caption's date; only without any of them the date in the file's name, then the ingest time.
# A date alone (no time of day) is read as 06:00 UTC, as a date in a file name is.

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], 1) for m in names}
# Capitalised ("Nov.", "November") or in capitals ("NOV."), never "may" the verb.
_MON = r"(?P<mon>" + "|".join(sorted({v for m in _MONTHS for v in (m.capitalize(), m.upper())}, key=len,
                                     reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_RES = [
    re.compile(r"\b(?P<year>\d{4})-(?P<num>[01]\d)-(?P<day>[0-3]\d)"
               r"(?:[T ](?P<hh>[0-2]\d):(?P<mm>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d\d:?\d\d)?)?"),
    re.compile(r"\b" + _MON + r"\s+" + _DAY + r"\b(?:,?\s+(?P<year>\d{4})\b)?"),
    re.compile(r"\b" + _DAY + r"\s+" + _MON + r"(?:,?\s+(?P<year>\d{4})\b)?"),
]
STAMP_RE = re.compile(r"^(?:first\s+)?(?:published|posted)(?:\s+on)?\s*:?\s+", re.I)
# "BRUSSELS, Nov. 20 (Reuters) — ...", "KYIV, Ukraine, Nov. 20 – ...", "Nov. 20, 2026 -- ...": a place
# in capitals, or the date itself, opens the body and a dash closes the dateline.
_DATELINE = re.compile(r"^(?P<head>(?:[A-Z][A-Z'’.-]+\b|" + _MON + r"\s)[^\n—–]{0,78}?)\s*(?:—|–|--|\s-\s)")


def find_date(text: str, reference: dt.datetime | None = None) -> dt.datetime | None:
    """The first calendar date written in `text` (2026-11-20, Nov. 20, 2026, 20 November 2026,
    Nov. 20), as an aware datetime; a date without a year takes the year that puts it nearest
    `reference` (the date in the file's name, else now)."""
    found = []
    for pattern in _DATE_RES:
        m = pattern.search(text)
        if m:
            found.append(m)
    for m in sorted(found, key=lambda m: m.start()):
        got = _to_datetime(m, reference or dt.datetime.now(dt.timezone.utc))
        if got is not None:
            return got
    return None


def _to_datetime(m: re.Match, reference: dt.datetime) -> dt.datetime | None:
    parts = m.groupdict()
    month = int(parts["num"]) if parts.get("num") else _MONTHS[parts["mon"].lower()]
    day = int(parts["day"])
    hour, minute, tz = 6, 0, dt.timezone.utc
    if parts.get("hh") and parts.get("tz"):
        hour, minute = int(parts["hh"]), int(parts["mm"])
        if parts["tz"][0] in "+-":
            sign = -1 if parts["tz"][0] == "-" else 1
            digits = parts["tz"][1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        if parts.get("year"):
            return dt.datetime(int(parts["year"]), month, day, hour, minute, tzinfo=tz).astimezone(dt.timezone.utc)
        # No year: the one that puts the date nearest the reference ("Dec. 30" read on 2 January
        # is last year's).
        candidates = []
        for year in (reference.year - 1, reference.year, reference.year + 1):
            try:
                candidates.append(dt.datetime(year, month, day, hour, minute, tzinfo=tz))
            except ValueError:          # 29 February in a year without one
                continue
        return min(candidates, key=lambda d: abs(d - reference)) if candidates else None
    except (ValueError, OverflowError):
        return None


def take_stamp(blocks: list[str]) -> tuple[list[str], str | None]:
    """A "Published Nov. 20, 2026" line is metadata, not body text: (the blocks without it, it)."""
    for i, block in enumerate(blocks):
        if STAMP_RE.match(block) and len(block.split()) <= 12 and find_date(block):
            return blocks[:i] + blocks[i + 1:], block
    return blocks, None


def date_from_text(body: str, *, caption: str | None = None, stamp: str | None = None,
                   reference: dt.datetime | None = None) -> dt.datetime | None:
    """The article's date from its own words: the "Published" stamp, the dateline that opens the
    body, or the caption's date, in that order."""
    if stamp and (found := find_date(stamp, reference)):
        return found
    m = _DATELINE.match(body.lstrip())
    if m and (found := find_date(m.group("head"), reference)):
        return found
    if caption and (found := find_date(caption, reference)):
        return found
    return None


def _date_from_name(origin: str) -> dt.datetime | None:
    m = DATE_IN_NAME.search(Path(origin).name)
    if not m:
        return None
    try:
        return dt.datetime.fromisoformat(m.group(1)).replace(hour=6, tzinfo=dt.timezone.utc)
    except ValueError:
        return None


TEXT_FIELDS = ("title", "body", "content", "url", "source", "caption", "sources", "author", "bio", "published")
LABEL_FIELDS = ("labels", "topics", "categories")


def _check_fields(obj: dict, origin: str) -> None:
    """Every field we read has the type we expect, else ParseError `FILE:LINE: field "x" must be ...`:
    JSON from elsewhere can hold anything, and nothing of a wrong type may reach the store."""
    for name in TEXT_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ParseError(f'{origin}: field "{name}" must be a string (got {_json_type(value)})')
        _check_unicode(value, name, origin)
    for name in LABEL_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            _check_unicode(value, name, origin)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            for x in value:
                _check_unicode(x, name, origin)
        else:
            raise ParseError(f'{origin}: field "{name}" must be a string or a list of strings (got {_json_type(value)})')


def _check_unicode(value: str, name: str, origin: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError(f'{origin}: field "{name}" is not valid text (it holds an unpaired surrogate, '
                         r"such as \ud800)") from None


def _json_type(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__)


def parse_json_article(obj: object, *, origin: str) -> ParsedArticle:
    if not isinstance(obj, dict):
        raise ParseError(f"{origin}: expected a JSON object per line (got {_json_type(obj)})")
    _check_fields(obj, origin)
    title = (obj.get("title") or "").strip()
    body = (obj.get("body") or obj.get("content") or "").strip()
    if not body:
        raise ParseError(f"{origin}: no body text", "Give each line a `body` (the title is optional).")
    labels = obj.get("labels") or obj.get("topics") or obj.get("categories") or []
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(";") if x.strip()]
    published = None
    if obj.get("published"):
        try:
            published = dt.datetime.fromisoformat(obj["published"].replace("Z", "+00:00"))
            if published.tzinfo is None:
                published = published.replace(tzinfo=dt.timezone.utc)
            published = published.astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):
            raise ParseError(f'{origin}: field "published" is not an ISO-8601 date: {obj["published"]!r}') from None
    opt = lambda name: (obj.get(name) or "").strip() or None  # noqa: E731  (blank is absent: "  " is no URL)
    published = published or date_from_text(body, caption=opt("caption"))
    return ParsedArticle(
        title=title, body=body, labels=[x.strip() for x in labels if x.strip()], caption=opt("caption"),
        sources=opt("sources"), author=opt("author"), bio=opt("bio"), url=opt("url"),
        source=opt("source"), published=published, origin=origin)


def read_path(path: Path, vocabulary: set[str] = frozenset()) -> Iterator[ParsedArticle | ParseError]:
    """Yield every article in a file, or a ParseError per bad file/line: one bad one never stops the rest."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield ParseError(f"{path}: cannot read ({exc.strerror})")
        return
    from . import feeds
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
            try:
                yield parse_json_article(obj, origin=where)
            except ParseError as exc:
                yield exc
        return
    try:
        yield parse_text(text, origin=str(path), vocabulary=vocabulary)
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
    content = json.dumps([art.title, art.body, art.labels, art.caption, art.sources, art.author, art.bio,
                          art.url, art.source, art.published.isoformat() if art.published else None])
    return guid, hashlib.sha256(content.encode()).hexdigest()


def map_topics(labels: list[str], aliases: dict[str, str]) -> list[str]:
    """Category labels -> topic names through aliases (lower-cased keys). Unknown labels map to nothing."""
    topics: list[str] = []
    for label in labels:
        topic = aliases.get(label.lower())
        if topic and topic not in topics:
            topics.append(topic)
    return topics
