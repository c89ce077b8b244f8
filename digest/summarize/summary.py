"""Summary: the blurb under a headline. The lede (the body's first real passage), then more
passages that stand on their own, up to `max_sentences` sentences and `max_words` words in all,
in article order. A quotation split over sentences is one passage: it fits whole or stays out.

Which further passage is best is decided by centrality (TextRank similarity over TF-IDF terms,
document frequencies from our own article store) with a redundancy guard against the lede.
Pure functions over strings. May import: .words, .sentences, .standalone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .sentences import Passage, eligible, passages, unpunctuated_sentence
from .standalone import opens_dangling, points_back, stands_alone
from .words import DocFreq, terms

MAX_WORDS = 55          # defaults of [summary] max_words / max_sentences (digest.config)
MAX_SENTENCES = 2
DUPLICATE = 0.6         # above this overlap with the blurb so far a passage only repeats it
NEAR_BONUS = 0.15       # a passage close behind the lede usually carries the story on
RANK_PASSAGES = 100     # passages from the lede on that rank() compares (it is quadratic); a BBC article has 13


def _weights(sent_terms: list[list[str]], df: DocFreq | None) -> list[dict[str, float]]:
    """Each passage's distinct terms weighted by sqrt(idf). Without a DocFreq, each passage of the
    article counts as a document. The square root was tuned on BBC data: full idf over-rewards
    rare names at the expense of what the article keeps coming back to."""
    if df is None:
        df = DocFreq()
        for ts in sent_terms:
            df.n_docs += 1
            for t in set(ts):
                df.df[t] = df.df.get(t, 0) + 1
    return [{t: math.sqrt(df.term_idf(t)) for t in set(ts)} for ts in sent_terms]


def rank(texts: list[str], df: DocFreq | None) -> tuple[list[float], list[list[float]]]:
    """Centrality and pairwise redundancy of passages.

    Similarity is TextRank's (Mihalcea & Tarau 2004): shared weight over the sum of log lengths.
    On an undirected graph the random walk's stationary distribution is proportional to weighted
    degree, so the degree is used directly instead of iterating PageRank (same ranking, 2x faster).
    Redundancy is the cosine of the weighted term sets, in [0, 1]."""
    w = _weights([terms(s) for s in texts], df)
    n = len(w)
    log_len = [math.log(max(len(v), 2)) for v in w]
    norm = [math.sqrt(sum(x * x for x in v.values())) or 1.0 for v in w]
    degree = [0.0] * n
    red = [[0.0] * n for _ in range(n)]
    for i in range(n):
        wi = w[i]
        for j in range(i + 1, n):
            wj = w[j]
            small, big = (wi, wj) if len(wi) <= len(wj) else (wj, wi)
            shared = [x for t, x in small.items() if t in big]
            if not shared:
                continue
            s = sum(shared) / (log_len[i] + log_len[j])
            degree[i] += s
            degree[j] += s
            red[i][j] = red[j][i] = sum(x * x for x in shared) / (norm[i] * norm[j])
    top = max(degree, default=0.0) or 1.0
    return [d / top for d in degree], red


@dataclass
class Summary:
    headline: str
    summary: str             # the lede and at most max_sentences - 1 more passages, in article order
    sentences: list[int] = field(default_factory=list)   # indices into split_sentences(body)


def blurb(body: str, *, df: DocFreq | None = None, max_sentences: int = MAX_SENTENCES,
          max_words: int = MAX_WORDS) -> tuple[str, list[int]]:
    """(blurb, sentence indices) of `body`: see the module docstring."""
    found = [p for p in passages(body) if eligible(p)]
    if not found:
        return "", []
    lede = choose_lede(found)
    if lede.words > max_words:
        return clip_words(lede.text, max_words), lede.indices
    chosen = [lede]
    # A blurb is the lede and a passage or two near it: beyond RANK_PASSAGES no passage is
    # considered, so one enormous article costs what a long one does.
    found = found[found.index(lede):found.index(lede) + RANK_PASSAGES]
    rest = found[1:]
    if max_sentences > 1 and rest:
        score, red = rank([p.text for p in found], df)
        words = lede.words
        following = {id(p): nxt.text for p, nxt in zip(found, found[1:])}
        while sum(len(p.indices) for p in chosen) < max_sentences:
            room = max_sentences - sum(len(p.indices) for p in chosen)
            context = " ".join(p.text for p in sorted(chosen, key=lambda p: p.indices[0]))
            picks = [(score[k + 1] + (NEAR_BONUS if _adjacent(p, chosen) else 0.0), k, p)
                     for k, p in enumerate(rest)
                     if p not in chosen and words + p.words <= max_words and len(p.indices) <= room
                     and max(red[k + 1][found.index(c)] for c in chosen) < DUPLICATE
                     and stands_alone(p, context, following.get(id(p), ""), adjacent=_adjacent(p, chosen))]
            if not picks:
                break
            _, _, best = max(picks, key=lambda t: (t[0], -t[1]))
            chosen.append(best)
            words += best.words
    chosen.sort(key=lambda p: p.indices[0])
    text = " ".join(p.text + ("." if unpunctuated_sentence(p) else "") for p in chosen)
    return text, [i for p in chosen for i in p.indices]


def choose_lede(found: list[Passage]) -> Passage:
    """The first real passage of the body, unless it points at something it never says: after
    skipped lines (a venue, a kick-off time) a "But …" is the middle of a text, so the blurb starts
    at the first passage that stands alone; an opening like "Another front … is about to be
    opened." gives way to the next paragraph's first sentence when that one stands alone."""
    first = found[0]
    if not opens_dangling(first.text):
        return first
    if first.indices[0] > 0:
        return next((p for p in found if stands_alone(p, "")),
                    next((p for p in found if not opens_dangling(p.text)), first))
    if points_back(first.text):
        nxt = next((p for p in found if p.paragraph > first.paragraph), None)
        if nxt is not None and nxt.paragraph == first.paragraph + 1 and nxt.indices[0] == first.indices[-1] + 1 \
                and stands_alone(nxt, ""):
            return nxt
    return first


def _adjacent(p: Passage, chosen: list[Passage]) -> bool:
    """Does `p` directly follow a passage already in the blurb, in the article?"""
    return any(p.indices[0] == c.indices[-1] + 1 for c in chosen)


def clip_words(text: str, max_words: int) -> str:
    """Last resort for a lede longer than the budget: cut at the last comma or dash that fits."""
    words = text.split()[:max_words]
    cut_text = " ".join(words)
    cut = max(cut_text.rfind(", "), cut_text.rfind(" — "), cut_text.rfind("; "))
    if cut > len(cut_text) // 3:
        cut_text = cut_text[:cut]
    return cut_text.rstrip(",;:—– ") + "…"

