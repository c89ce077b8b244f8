"""Page-as-text articles: category labels on line 1, the title (often repeated on the next line), a
photo caption, body paragraphs, a sources line ("... contributed to this report."), an author
name and a bio. Caption, sources and bio are kept apart from the body. Page-as-text names an
author and no outlet, so its source stays empty: a reporter is never shown as another outlet.
Labels are read only from a line that holds labels (see is_labels_line); a file whose first line
is its title ("title, blank line, body") keeps that title, and says it had no labels.
May import: errors, models, .clean and .dates.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from ..errors import ParseError
from ..models import ParsedArticle
from .clean import is_junk_title
from .dates import date_from_name, date_from_text, take_stamp

# Multi-word category labels we know even before an admin adds them as aliases; a label line is
# split on single spaces, so these tell "Eastern Europe" from "Eastern" + "Europe".
KNOWN_LABELS = {
    "eastern europe", "western europe", "central europe", "european union", "middle east", "north america",
    "south america", "latin america", "central america", "united states", "united kingdom", "asia pacific",
    "climate change", "human rights", "foreign policy", "science and technology", "arts and culture",
}

SOURCES_RE = re.compile(r"\b(contributed to this report|contributed reporting|contributed to this story)\b", re.I)
CAPTION_HINT = re.compile(r"\((?:[^()]*/[^()]*|photo[^()]*|[A-Z][\w .'-]+)\)\s*$|^(?:photo|image|pictured)\b", re.I)


def split_labels(line: str, vocabulary: AbstractSet[str]) -> list[str]:
    """Labels written with commas ("Eastern Europe, Politics") are those; else the greedy longest match
    of known labels (up to 4 words), unknown words standing alone. Repeats dropped."""
    if "," in line:
        parts = [" ".join(p.split()) for p in line.split(",")]
        return list(dict.fromkeys(p for p in parts if p))
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


# Section names that are labels wherever they appear, before an admin adds any topic or alias.
SECTIONS = frozenset("""world news politics europe business science technology tech health culture arts sport sports
opinion economy climate environment international national local uk us asia africa americas government elections
parliament middle east education travel media entertainment lifestyle markets finance""".split())


def looks_like_labels(line: str) -> bool:
    """Short, capitalised words and no punctuation, or commas between such words ("Europe, Politics")."""
    words = line.replace(",", " ").split()
    return 0 < len(words) <= 12 and all(w[:1].isupper() or w in ("and", "&") for w in words) \
        and not re.search(r"[.:;!?\"“”]", line) and all(p.strip() for p in line.split(","))


def is_labels_line(line: str, vocabulary: AbstractSet[str], *, title_repeated: bool) -> bool:
    """Is the first line category labels rather than a title? It must look like labels (short,
    capitalised, no punctuation) and, unless a repeated title follows it as in the seeds, hold a
    known topic, alias or section name ("Harbour Library Reopens" does not)."""
    if not looks_like_labels(line):
        return False
    if title_repeated:
        return True
    known = {v.lower() for v in vocabulary} | KNOWN_LABELS | SECTIONS
    labels = split_labels(line, vocabulary)
    unknown = [x for x in labels if x.lower() not in known]
    # "Harbour Library Reopens After Flood Repairs" holds an alias (Library) but reads as a title:
    # a function word, or more than one word that is no known label.
    return len(unknown) <= 1 and len(unknown) < len(labels) and not any(
        w.lower() in _TITLE_WORDS for w in line.split())


_TITLE_WORDS = frozenset("""a an the of to in on at for from by with after before over into as is are was were be
has have will says said amid against under after than""".split())


def parse_text(text: str, *, origin: str, vocabulary: AbstractSet[str] = frozenset()) -> ParsedArticle:
    """Parse one page-as-text article. Raises ParseError naming `origin` when it cannot."""
    if "\x00" in text:
        raise ParseError(f"{origin}: binary file, not an article")
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    blocks = [ln for ln in lines if ln]
    if not blocks:
        raise ParseError(f"{origin}: empty file, no title found")
    labels: list[str] = []
    notes: list[str] = []
    first_blank = not lines[0]
    if len(blocks) > 1 and blocks[0] != blocks[1] and is_labels_line(
            blocks[0], vocabulary, title_repeated=len(blocks) > 2 and blocks[1] == blocks[2]):
        labels = split_labels(blocks.pop(0), vocabulary)
    elif len(blocks) > 1:
        notes.append(f"{origin}: no labels line (the first line{' after the blank' if first_blank else ''} "
                     "is read as the title); it is filed by --topic or the folder's topic, else under none")
    if not blocks:
        raise ParseError(f"{origin}: no title found")
    title = blocks.pop(0)
    if is_junk_title(title):
        raise ParseError(f"{origin}:{_line_of(lines, title)}: the title {title[:60]!r} is only markup or "
                         "unexpanded entities, no words", "Give the title as plain text.")
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
    named = date_from_name(origin)
    published = date_from_text(body, caption=caption, stamp=stamp, reference=named) or named
    return ParsedArticle(title=title, body=body, labels=labels, caption=caption, sources=sources,
                         author=author, bio=bio, source=None, published=published, origin=origin, notes=notes)


def _line_of(lines: list[str], text: str) -> int:
    return next((n for n, ln in enumerate(lines, 1) if ln == text), 1)
