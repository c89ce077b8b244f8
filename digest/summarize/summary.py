"""Summary: the blurb under a headline. The lede (the body's first real passage), then more
passages that stand on their own, up to `max_sentences` sentences and `max_words` words in all,
in article order. A quotation split over sentences is one passage: it fits whole or stays out.

Which further passage is best is decided by centrality (TextRank similarity over TF-IDF terms,
document frequencies from our own article store) with a redundancy guard against the lede. It
comes from near the top (`near_top`), names people as the article first named them (.people),
and a feature's scene-setting opening gives way to its news (`choose_lede`).
Pure functions over strings. May import: .languages, .people, .sentences, .standalone, .words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .languages import rules
from .people import Person, introduce, people, stranger
from .sentences import SPEECH, Passage, eligible, passages, unpunctuated_sentence
from .standalone import opens_dangling, points_back, stands_alone
from .words import DocFreq, terms

MAX_WORDS = 55          # defaults of [summary] max_words / max_sentences (digest.config)
MAX_SENTENCES = 2
DUPLICATE = 0.6         # above this overlap with the blurb so far a passage only repeats it
NEAR_BONUS = 0.15       # a passage close behind the lede usually carries the story on
RANK_PASSAGES = 100     # passages from the lede on that rank() compares (it is quadratic); a BBC article has 13
FACT_BONUS = 0.1        # ... and one with a number or a named actor tells the reader more
NEAR_PARAGRAPHS = 4     # a second passage comes from the lede's paragraph and the three after it (three cost
                        # 1.3 ROUGE-1 on the BBC dev set, four 0.5: the fourth is often the nut paragraph),
NEAR_SHARE = 0.25       # or from the first quarter of the body's words: deeper down it answers other questions


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
          max_words: int = MAX_WORDS, language: str = "en") -> tuple[str, list[int]]:
    """(blurb, sentence indices) of `body`, read in `language`: see the module docstring."""
    found = [p for p in passages(body, language) if eligible(p, language)]
    if not found:
        return "", []
    # The people rules read English names and speech verbs: in German every noun is capitalised.
    cast = people(body) if rules(language) is None else {}
    top = first_quarter(found)
    lede = choose_lede(found, language)
    # A blurb is the lede and a passage or two near it: beyond RANK_PASSAGES no passage is
    # considered, so one enormous article costs what a long one does.
    found = found[found.index(lede):found.index(lede) + RANK_PASSAGES]
    shown = {0: _introduced(lede, "", cast)}          # index into found -> the passage as the blurb shows it
    if shown[0].words > max_words:
        return clip_words(shown[0].text, max_words), lede.indices
    if max_sentences > 1 and len(found) > 1:
        score, red = rank([p.text for p in found], df)
        following = {k: nxt.text for k, nxt in enumerate(found[1:])}
        while sum(len(p.indices) for p in shown.values()) < max_sentences:
            pick = _next_pick(found, shown, score, red, following, cast, top,
                              room=max_sentences - sum(len(p.indices) for p in shown.values()),
                              words=max_words - sum(p.words for p in shown.values()), language=language)
            if pick is None:
                break
            shown[pick[0]] = pick[1]
    chosen = [shown[k] for k in sorted(shown)]
    text = " ".join(p.text + ("." if unpunctuated_sentence(p, language) else "") for p in chosen)
    return text, [i for p in chosen for i in p.indices]


def _next_pick(found: list[Passage], shown: dict[int, Passage], score: list[float], red: list[list[float]],
               following: dict[int, str], cast: dict[str, Person], top: set[int], *, room: int,
               words: int, language: str = "en") -> tuple[int, Passage] | None:
    """(index, passage as shown) of the best further passage that fits and stands alone, or None."""
    in_blurb = [found[k] for k in shown]
    context = " ".join(shown[k].text for k in sorted(shown))
    picks = []
    for k, p in enumerate(found):
        if k in shown or not near_top(p, found[0], top) or len(p.indices) > room \
                or max(red[k][c] for c in shown) >= DUPLICATE:
            continue
        q = _introduced(p, context, cast)
        adjacent = _adjacent(p, in_blurb)
        if q.words > words or stranger(q.text, context, cast) \
                or not stands_alone(q, context, following.get(k, ""), adjacent=adjacent, language=language):
            continue
        bonus = (NEAR_BONUS if adjacent else 0.0) + (FACT_BONUS if tells_facts(p.text) else 0.0)
        picks.append((score[k] + bonus, -k, k, q))
    best = max(picks, default=None, key=lambda t: t[:2])
    return None if best is None else (best[2], best[3])


def _introduced(p: Passage, context: str, cast: dict[str, Person]) -> Passage:
    """`p` with the people it calls by surname named in full (digest.summarize.people)."""
    text = introduce(p.text, context, cast) if cast else p.text
    return p if text == p.text else Passage(list(p.indices), text, p.paragraph)


def first_quarter(found: list[Passage]) -> set[int]:
    """The first sentence indices of the passages that start within the first quarter
    (NEAR_SHARE) of the body's words."""
    total = sum(p.words for p in found)
    top, before = set(), 0
    for p in found:
        if before >= total * NEAR_SHARE:
            break
        top.add(p.indices[0])
        before += p.words
    return top


def near_top(p: Passage, lede: Passage, top: set[int]) -> bool:
    """Is `p` close enough to the top to carry the lede on: in the lede's paragraph or the three
    after it, or starting in the first quarter of the body's words (`first_quarter`)?"""
    return p.paragraph < lede.paragraph + NEAR_PARAGRAPHS or p.indices[0] in top


_NAMED = re.compile(r"(?<=[a-z,;]\s)[A-Z][a-z]+|\d")


def tells_facts(text: str) -> bool:
    """Does the passage carry a number or a named actor (a capitalised name after its first word)?"""
    return _NAMED.search(text) is not None


def choose_lede(found: list[Passage], language: str = "en") -> Passage:
    """The first real passage of the body, unless it points at something it never says: after
    skipped lines (a venue, a kick-off time) a "But …" is the middle of a text, so the blurb starts
    at the first passage that stands alone; an opening like "Another front … is about to be
    opened." gives way to the next paragraph's first sentence when that one stands alone."""
    first = found[0]
    if scene_setter(first.text):
        news = next((p for p in found[1:NEWS_WITHIN + 1] if names_actor_and_event(p.text)
                     and not opens_dangling(p.text, language)), None)
        if news is not None:
            return news
    if not opens_dangling(first.text, language):
        return first
    if first.indices[0] > 0:
        return next((p for p in found if stands_alone(p, "", language=language)),
                    next((p for p in found if not opens_dangling(p.text, language)), first))
    if points_back(first.text, language):
        nxt = next((p for p in found if p.paragraph > first.paragraph), None)
        if nxt is not None and nxt.paragraph == first.paragraph + 1 and nxt.indices[0] == first.indices[-1] + 1 \
                and stands_alone(nxt, "", language=language):
            return nxt
    return first


NEWS_WITHIN = 4         # a feature's news comes within a few passages of its opening, or not at all
SCENE_WORDS = 8
_CONDITIONAL = re.compile(r"^[“\"‘']?(?:if|unless|imagine|suppose|picture|had|were|what if)\b", re.IGNORECASE)
_ACTOR = re.compile(r"(?<=\s)(?!(?:I|I'm|I've)\b)[A-Z][\w'’-]+")
_VERB_LIKE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|did|could|can|may|must|[a-z]{3,}(?:ed|es|s))\b")


def scene_setter(text: str) -> bool:
    """A feature's opening that carries no news: a question, a conditional, or a few words with
    no named actor and no one reporting ("Barely a shot was fired.", "Here we go again.")."""
    s = text.strip()
    if s.rstrip("”\"’'").endswith("?") or _CONDITIONAL.match(s):
        return True
    return len(s.split()) <= SCENE_WORDS and not _ACTOR.search(s) and not SPEECH.search(s) \
        and not re.search(r"\d", s)


def names_actor_and_event(text: str) -> bool:
    """Does the sentence name someone (a capitalised name after its first word, or a number of
    people) doing something (a verb), as news does?"""
    s = text.strip()
    return not s.rstrip("”\"’'").endswith("?") and bool(_ACTOR.search(s) or re.search(r"\d", s)) \
        and bool(_VERB_LIKE.search(s)) and len(s.split()) > SCENE_WORDS


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

