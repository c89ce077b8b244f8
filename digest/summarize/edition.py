"""Edition helpers: the Subject line and the preheader (the order of stories: digest.selection.ranking).

The Subject is the lead story's headline, then " and N more" only when it all fits in 78
characters; a headline longer than that is cut at a word boundary with "…", never inside a name,
a number or a quotation; its words are in the frame's language (a gettext catalog, given). Pure
functions over strings. May import: .sentences, .words, plural.
"""

from __future__ import annotations

import gettext
import re

from .. import plural
from .sentences import split_sentences
from .words import STOPWORDS

SUBJECT_MAX = 78

# Words a cut may not leave at the end: "… Sooner Than", "… Ready to".
_FUNCTION = frozenset(STOPWORDS - {"out", "up", "down", "off", "over", "says", "said", "new"})
_NUMBER = re.compile(r"^[$€£¥]?\d[\d.,]*(?:%|bn|m|k)?$")
_UNIT = re.compile(r"^(?:%|percent|per|cent|million|billion|trillion|thousand|bn|m|km|kilometers?|kilometres?|"
                   r"miles?|tons?|tonnes?|meters?|metres?|a\.m\.|p\.m\.|[$€£¥])", re.IGNORECASE)


def _capital(word: str) -> bool:
    w = word.lstrip("“\"‘'(")
    return w[:1].isupper()


def _cut_allowed(before: str, after: str, title_case: bool) -> bool:
    """May a cut fall between the words `before` and `after`?"""
    if _NUMBER.match(before.strip(",")) and _UNIT.match(after) or _NUMBER.match(after) and \
            re.match(r"^[$€£¥]$|^(?:No|Nos|Art|Section)\.?$", before):
        return False                                    # "€90 | billion", "No. | 10"
    if _capital(before) and _capital(after) and not re.search(r"[,:;.!?”\"]$", before):
        # In sentence case a run of capitals is a name. In Title Case every word has a capital,
        # so a name cannot be told from its neighbours: cut only where a lowercase word follows.
        return False
    return not title_case or not _capital(after) or re.search(r"[,:;.!?”\"—–-]$", before) is not None


def _balanced(text: str) -> bool:
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0 and text.count("(") == text.count(")")


def short_form(text: str, limit: int) -> str:
    """`text` itself when it fits in `limit`, else its longest head that does, with "…" after it:
    cut at a word boundary, never inside a name, a number or a quotation, and never on a function
    word. Text with no allowed cut at all is cut at the last word boundary that fits."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = text.split(" ")
    caps = sum(_capital(w) for w in words if w.lower() not in _FUNCTION)
    title_case = caps >= 0.8 * max(1, sum(1 for w in words if w.lower() not in _FUNCTION))
    fallback = None
    for k in range(len(words) - 1, 0, -1):
        head = " ".join(words[:k])
        if len(head) + 1 > limit:
            continue
        fallback = fallback or head
        if not _cut_allowed(words[k - 1], words[k], title_case) or not _balanced(head):
            continue
        trimmed = words[:k]
        while len(trimmed) > 1 and trimmed[-1].lower().strip(",:;—–-") in _FUNCTION:
            trimmed.pop()
        if trimmed[-1].lower().strip(",:;—–-") not in _FUNCTION:
            return " ".join(trimmed).rstrip(",:;—–- ") + "…"
    head = fallback or text[:limit - 1]
    return head.rstrip(",:;—–- ") + "…"


def edition_subject(headlines: list[str], limit: int = SUBJECT_MAX,
                    translations: gettext.NullTranslations | None = None) -> str:
    """The Subject line: the lead headline (first), plus " and N more" only if that fits in `limit`;
    a lead headline longer than `limit` is shortened by short_form. `translations`: the frame's
    catalog (None: English)."""
    t = translations or gettext.NullTranslations()
    count = sum(1 for h in headlines if h and not h.isspace())
    if not count:
        return t.gettext("Your digest")
    lead = " ".join(next(h for h in headlines if h and not h.isspace()).split())
    if count > 1:
        n = count - 1
        # TRANSLATORS: the Subject line: the top story's headline and how many stories follow it
        whole = plural.ngettext("%(headline)s and %(num)s more", "%(headline)s and %(num)s more", n, t) % {
            "headline": lead, "num": n}
        if len(whole) <= limit:
            return whole
    if len(lead) <= limit:
        return lead
    return short_form(lead, limit)


def preheader(summaries: list[str], limit: int = 140, language: str = "en") -> str:
    """Hidden preview line: the first sentence of each top blurb (in `language`), as many as fit."""
    parts: list[str] = []
    for text in summaries:
        sents = split_sentences(text or "", language)
        if not sents:
            continue
        candidate = " ".join(parts + [sents[0]])
        if len(candidate) > limit:
            if not parts:
                parts.append(short_form(sents[0], limit))
            break
        parts.append(sents[0])
    return " ".join(parts)
