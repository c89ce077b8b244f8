"""Ingest: read article files into ParsedArticle values. No database here.

Formats:
- page-as-text (.txt): category labels on line 1, the title (often repeated on the next line), a
  photo caption, body paragraphs, a sources line ("... contributed to this report."), an author
  name and a bio. Caption, sources and bio are kept apart from the body.
- JSON Lines (.jsonl): one article object per line (title, body, labels|topics, url, source,
  published, caption, sources, author, bio). The title may be missing: the digest then writes a
  headline from the lede.
`source` is the outlet (a publication, a wire); `author` is the byline. Page-as-text names an
author and no outlet, so its source stays empty: a reporter is never shown as another outlet.
May import: models, errors.
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

SUFFIXES = {".txt", ".jsonl", ".json"}

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
    return ParsedArticle(title=title, body=body, labels=labels, caption=caption, sources=sources,
                         author=author, bio=bio, source=None, published=_date_from_name(origin), origin=origin)


def _date_from_name(origin: str) -> dt.datetime | None:
    m = DATE_IN_NAME.search(Path(origin).name)
    if not m:
        return None
    try:
        return dt.datetime.fromisoformat(m.group(1)).replace(hour=6, tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def parse_json_article(obj: object, *, origin: str) -> ParsedArticle:
    if not isinstance(obj, dict):
        raise ParseError(f"{origin}: expected a JSON object per line")
    title = str(obj.get("title") or "").strip()
    body = str(obj.get("body") or obj.get("content") or "").strip()
    if not body:
        raise ParseError(f"{origin}: no body text", "Give each line a `body` (the title is optional).")
    labels = obj.get("labels") or obj.get("topics") or obj.get("categories") or []
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(";") if x.strip()]
    published = None
    if obj.get("published"):
        try:
            published = dt.datetime.fromisoformat(str(obj["published"]).replace("Z", "+00:00"))
            if published.tzinfo is None:
                published = published.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise ParseError(f"{origin}: `published` is not an ISO-8601 date: {obj['published']!r}") from None
    return ParsedArticle(
        title=title, body=body, labels=[str(x) for x in labels], caption=obj.get("caption"),
        sources=obj.get("sources"), author=obj.get("author"), bio=obj.get("bio"), url=obj.get("url"),
        source=_text_or_none(obj.get("source")), published=published, origin=origin)


def _text_or_none(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def read_path(path: Path, vocabulary: set[str] = frozenset()) -> Iterator[ParsedArticle | ParseError]:
    """Yield every article in a file, or a ParseError per bad file/line: one bad one never stops the rest."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield ParseError(f"{path}: cannot read ({exc.strerror})")
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
                yield parse_json_article(json.loads(line), origin=where)
            except json.JSONDecodeError as exc:
                yield ParseError(f"{where}: invalid JSON ({exc.msg})")
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
    elif art.title.strip():
        guid = "title:" + re.sub(r"\W+", " ", art.title.lower()).strip()
    else:
        lede = art.body.strip().split("\n", 1)[0]
        guid = "lede:" + hashlib.sha256(re.sub(r"\W+", " ", lede.lower()).strip().encode()).hexdigest()[:32]
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
