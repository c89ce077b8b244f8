"""Standfirst: the outlet's own summary (a feed's description, a page's standfirst) as the blurb.

It is the blurb when it is one or two complete sentences of news that stand alone, within the
word budget: not a question, not a teaser cut with "…", not a headline in title case, not an
opening that points back ("It", "But", "The move"). Otherwise it is only evidence: `closest`
finds the body passage nearest to it, which the lede may prefer. The caller cleans it first
(credits, datelines, "Read more"), as it cleans a body.
Pure functions over strings. May import: .words, .sentences, .standalone.
"""

from __future__ import annotations

import re

from .sentences import Passage, eligible, passages, split_sentences
from .standalone import opens_dangling, points_back, stands_alone
from .words import terms

# A full stop and closing marks: English's, or with „…“ and « … » (French sets » off with a space).
_ENDS = (r"[.!][”\"’')]*$", r"[.!](?:\s?[”\"’')“»])*$")
MIN_WORDS = 8           # "Kenyan President unveils tree plan." is a headline, not a blurb


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def as_blurb(standfirst: str | None, *, title: str = "", max_words: int = 55, max_sentences: int = 2,
             language: str = "en") -> str | None:
    """The standfirst when it can be printed as the blurb, else None."""
    text = " ".join((standfirst or "").split())
    if not text or _key(text) == _key(title):
        return None
    sentences = split_sentences(text, language)
    words = len(text.split())
    if not 1 <= len(sentences) <= min(2, max_sentences) or not MIN_WORDS <= words <= max_words:
        return None
    for s in sentences:
        if not re.search(_ENDS[language != "en"], s) or s.rstrip("”\"’')").endswith(("...", "…")):
            return None             # a question, a teaser cut short, a fragment with no full stop
    tokens = re.findall(r"[A-Za-z][\w'’-]*", text)
    if sum(t[:1].isupper() for t in tokens) > 0.6 * len(tokens):
        return None                 # Title Case: a headline
    first = sentences[0]
    if opens_dangling(first, language) or points_back(first, language):
        return None
    if len(sentences) == 2 and not stands_alone(Passage([1], sentences[1], 0), first, language=language):
        return None
    return text


def closest(standfirst: str | None, body: str, *, within: int = 3, language: str = "en") -> int | None:
    """The paragraph number (among the body's first `within`) whose passage shares most terms with
    the standfirst, when it shares at least half of the standfirst's terms; else None."""
    wanted = set(terms(standfirst or ""))
    if not wanted:
        return None
    best, best_share = None, 0.5
    for p in passages(body, language):
        if p.paragraph >= within:
            break
        if not eligible(p, language):
            continue
        share = len(wanted & set(terms(p.text))) / len(wanted)
        if share > best_share:
            best, best_share = p.paragraph, share
    return best
