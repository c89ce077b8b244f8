"""Near-duplicate story detection: group articles that report the same event.

Pure functions over plain values: no database, no I/O.

Two reports of one event share its specifics: names, numbers and phrases ("reassurance force",
"26 nations"). Two stories on one topic share only the topic's vocabulary, and two stories from
one outlet may share whole paragraphs of boilerplate (a wire footer, a standard background
paragraph). So documents are compared on what distinguishes them:
- TF-IDF cosine over words and adjacent-word pairs, idf from the batch being clustered;
- the title and the lede (first paragraph) state the event, so they weigh more: they count three
  and two times in the whole text, and the score is the mean of that cosine and the cosine of
  title + lede alone (on BBC news, a saga's episodes share names all through the body, but their
  ledes tell different events);
- a paragraph that recurs in several articles (`boilerplate`; the store counts paragraphs by
  `fingerprints`, so ingest knows them without reading old bodies) counts not at all;
- only articles published within `window` of each other can be the same story;
- groups merge by average linkage, never single: a saga (Yukos in court, Yukos sold, Yukos
  sues) cannot chain into one story through a string of pairwise resemblances.
May import: summarize.words (its tokenizer, so "the same words" means the same thing in both places).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from digest.summarize.words import terms

DEFAULT_THRESHOLD = 0.27   # measured on hand-labelled BBC pairs and the tests' rewrites; see cluster()
WINDOW = dt.timedelta(hours=48)
TITLE_WEIGHT = 3
LEDE_WEIGHT = 2
BOILERPLATE_DOCS = 3      # a paragraph found in this many articles is boilerplate, not news


@dataclass
class Doc:
    id: int
    title: str
    body: str
    published: dt.datetime | None = None     # publication (else ingest) time, for the window


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", body or "") if p.strip()]


def paragraph_key(paragraph: str) -> str:
    """The same paragraph whatever its spacing, case and punctuation."""
    return " ".join(re.findall(r"\w+", paragraph.lower()))


def key_fingerprint(key: str) -> int:
    """A paragraph key as a signed 64-bit integer, what the store counts (a key can be a whole
    paragraph long; 8 bytes of BLAKE2b make a collision between two paragraphs negligible)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def fingerprints(body: str) -> set[int]:
    """The fingerprints of a body's paragraphs (empty ones left out: they are never boilerplate)."""
    return {key_fingerprint(k) for k in (paragraph_key(p) for p in paragraphs(body)) if k}


def boilerplate(bodies: Iterable[str], min_docs: int = BOILERPLATE_DOCS) -> set[str]:
    """Keys of the paragraphs that occur in at least `min_docs` of `bodies`."""
    seen: dict[str, int] = {}
    for body in bodies:
        for key in {paragraph_key(p) for p in paragraphs(body)}:
            seen[key] = seen.get(key, 0) + 1
    return {k for k, n in seen.items() if n >= min_docs and k}


def _features(doc: Doc, common: AbstractSet[str | int]) -> tuple[dict[str, int], dict[str, int]]:
    """Term and term-pair counts of (the whole text, weighted; the title and lede alone), leaving
    out boilerplate paragraphs."""
    own = [p for p in paragraphs(doc.body) if not _is_common(paragraph_key(p), common)]
    parts = [(doc.title or "", TITLE_WEIGHT)] + [(p, LEDE_WEIGHT if k == 0 else 1) for k, p in enumerate(own)]
    return _counts(parts), _counts([(doc.title or "", 1), (own[0] if own else "", 1)])


def _is_common(key: str, common: AbstractSet[str | int]) -> bool:
    return bool(common) and (key in common or key_fingerprint(key) in common)


def _counts(parts: list[tuple[str, int]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for text, weight in parts:
        ts = terms(text)
        for f in ts + [a + " " + b for a, b in zip(ts, ts[1:])]:
            counts[f] = counts.get(f, 0) + weight
    return counts


def _vectors(feats: list[dict[str, int]]) -> list[dict[str, float]]:
    """Unit-length sublinear TF-IDF vectors, idf from this batch (smoothed, never zero)."""
    n = len(feats)
    df: dict[str, int] = {}
    for f in feats:
        for t in f:
            df[t] = df.get(t, 0) + 1
    vecs = []
    for f in feats:
        v = {t: (1 + math.log(c)) * (math.log((n + 1) / (df[t] + 1)) + 1) for t, c in f.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})
    return vecs


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b[t] for t, x in a.items() if t in b)


def _similarities(feats: list[tuple[dict[str, int], dict[str, int]]],
                  pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], float]:
    whole, head = _vectors([f[0] for f in feats]), _vectors([f[1] for f in feats])
    return {(i, j): (_cosine(whole[i], whole[j]) + _cosine(head[i], head[j])) / 2 for i, j in pairs}


def similarity(a: Doc, b: Doc, common: AbstractSet[str | int] = frozenset()) -> float:
    """Score in [0, 1] between two documents, weighted as if they were the whole batch."""
    return _similarities([_features(a, common), _features(b, common)], [(0, 1)])[(0, 1)]


BLOCK_KEYS = 12           # each document's rarest shared features used as blocking keys


def _candidate_pairs(feats: list[dict[str, int]]) -> set[tuple[int, int]]:
    """Blocking: compare only documents that share one of each other's rarest features.
    Rewrites of an event share its specifics (names, figures, phrases), which are exactly the
    features few other documents have; this keeps a batch of thousands near-linear."""
    n = len(feats)
    if n <= 200:
        return {(i, j) for i in range(n) for j in range(i + 1, n)}
    df: dict[str, int] = {}
    for f in feats:
        for t in f:
            df[t] = df.get(t, 0) + 1
    postings: dict[str, list[int]] = {}
    for i, f in enumerate(feats):
        shared = sorted((df[t], t) for t in f if df[t] > 1)
        for _, t in shared[:BLOCK_KEYS]:
            postings.setdefault(t, []).append(i)
    pairs = set()
    for ids in postings.values():
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                pairs.add((ids[x], ids[y]))
    return pairs


def _within(a: Doc, b: Doc, window: dt.timedelta | None) -> bool:
    if window is None or a.published is None or b.published is None:
        return True
    return abs(a.published - b.published) <= window


def cluster(docs: list[Doc], threshold: float | None = None, *, window: dt.timedelta | None = WINDOW,
            common: AbstractSet[str | int] | None = None) -> list[list[int]]:
    """Groups of ids reporting the same event (singletons included); each group sorted, groups
    ordered by their first id. `common` holds boilerplate paragraph keys (see `boilerplate`) or
    their fingerprints (`key_fingerprint`, as the store counts them); by default they are found in
    `docs` themselves. A pair further apart than `window` counts as
    dissimilar, so it also pulls down the average of any groups it would join."""
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if common is None:
        common = boilerplate(d.body for d in docs)
    feats = [_features(d, common) for d in docs]
    pairs = [p for p in _candidate_pairs([f[0] for f in feats]) if _within(docs[p[0]], docs[p[1]], window)]
    sims = _similarities(feats, pairs)
    group = {i: [i] for i in range(len(docs))}       # member -> its group's member list
    for (i, j), s in sorted(sims.items(), key=lambda kv: (-kv[1], kv[0])):
        if s < threshold:
            break
        a, b = group[i], group[j]
        if a is b:
            continue
        mean = sum(sims.get((min(x, y), max(x, y)), 0.0) for x in a for y in b) / (len(a) * len(b))
        if mean >= threshold:
            a.extend(b)
            for k in b:
                group[k] = a
    seen, out = set(), []
    for members in group.values():
        if id(members) not in seen:
            seen.add(id(members))
            out.append(sorted(docs[k].id for k in members))
    return sorted(out, key=lambda g: g[0])
