"""Words: the tokenizer, a light stemmer, stopwords and document frequencies.

Shared by every other part of the summarizer and by digest.selection.cluster, so "the same word" means the
same thing everywhere. Pure functions over strings. May import: nothing from digest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves said says say mr mrs ms one two new year years told
""".split())

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_stem_cache: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper: enough to join 'profits'/'profit', 'rising'/'rise'.
    Cached because news vocabulary repeats heavily."""
    s = _stem_cache.get(word)
    if s is None:
        s = word.replace("’", "'")
        if s.endswith("'s"):
            s = s[:-2]
        for suf, rep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
            if s.endswith(suf) and len(s) - len(suf) >= 3 and not s.endswith("ss"):
                s = s[: len(s) - len(suf)] + rep
                break
        _stem_cache[word] = s
    return s


def terms(text: str) -> list[str]:
    """Content terms of a text: lowercased, stemmed, stopwords dropped."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


class DocFreq:
    """Document frequencies over our own article store, for TF-IDF weights."""

    def __init__(self, n_docs: int = 0, df: dict[str, int] | None = None):
        self.n_docs = n_docs
        self.df: dict[str, int] = dict(df or {})

    def add(self, text: str) -> None:
        self.n_docs += 1
        for t in set(terms(text)):
            self.df[t] = self.df.get(t, 0) + 1

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> DocFreq:
        d = cls()
        for text in texts:
            d.add(text)
        return d

    def idf(self, term: str) -> float:
        """Smoothed idf; `term` may be a raw word ('Ukraine') or an already-normalised term."""
        key = term if term in self.df else stem(term.lower())
        return self.term_idf(key)

    def term_idf(self, key: str) -> float:
        # +1 smoothing keeps unseen terms finite and never lets a term weigh zero
        return math.log((1 + self.n_docs) / (1 + self.df.get(key, 0))) + 1.0
