"""Near-duplicate story detection: group articles that report the same event.

Pure functions over plain values: no database, no I/O. Imports only digest.summarize (for its
tokenizer), so "the same words" means the same thing in both places.

Two reports of one event share its specifics: names, numbers and phrases ("reassurance force",
"26 nations"). Two stories on one topic share only the topic's vocabulary ("Ukraine", "Kyiv",
"Russian"). So documents are compared by TF-IDF cosine over words *and* adjacent-word pairs,
with idf from the batch being clustered, and grouped by single link above a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from digest.summarize import terms

DEFAULT_THRESHOLD = 0.18   # rewrites score ~0.25-0.35, same-topic stories < 0.1 (see tests)
TITLE_WEIGHT = 2          # a title states the event; count its terms twice


@dataclass
class Doc:
    id: int
    title: str
    body: str


def _features(doc: Doc) -> dict[str, int]:
    """Term and term-pair counts of title + body."""
    counts: dict[str, int] = {}
    for text, weight in ((doc.title or "", TITLE_WEIGHT), (doc.body or "", 1)):
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


def similarity(a: Doc, b: Doc) -> float:
    """Cosine in [0, 1] between two documents, weighted as if they were the whole batch."""
    va, vb = _vectors([_features(a), _features(b)])
    return _cosine(va, vb)


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


def cluster(docs: list[Doc], threshold: float | None = None) -> list[list[int]]:
    """Groups of ids reporting the same event (singletons included); each group sorted,
    groups ordered by their first id.

    Average link, strongest pairs first: two groups merge only if their documents are similar
    on average, so a saga (Yukos in court, Yukos sold, Yukos sues) cannot chain into one group
    through a string of pairwise resemblances."""
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    feats = [_features(d) for d in docs]
    vecs = _vectors(feats)
    sims = {p: _cosine(vecs[p[0]], vecs[p[1]]) for p in _candidate_pairs(feats)}
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
