"""Machine-written headlines and summaries, plus the small text helpers the digest needs.

Pure functions over plain strings: no database, no files, no network, no imports from other digest
modules. Summaries are extractive (whole sentences from the body, in article order); headlines come
from the title when there is one, else from a compressed first sentence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

HEADLINE_MAX = 60

# ---- words --------------------------------------------------------------------------------------

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


def _stem(word: str) -> str:
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
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


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
    def from_texts(cls, texts) -> "DocFreq":
        d = cls()
        for text in texts:
            d.add(text)
        return d

    def idf(self, term: str) -> float:
        """Smoothed idf; `term` may be a raw word ('Ukraine') or an already-normalised term."""
        key = term if term in self.df else _stem(term.lower())
        return self._idf(key)

    def _idf(self, key: str) -> float:
        # +1 smoothing keeps unseen terms finite and never lets a term weigh zero
        return math.log((1 + self.n_docs) / (1 + self.df.get(key, 0))) + 1.0


# ---- sentences ----------------------------------------------------------------------------------

# Abbreviations whose full stop rarely ends a sentence.
_ABBREV = frozenset("""
mr mrs ms dr prof st sen rep gov gen col lt sgt capt cmdr adm maj rev fr hon pres supt insp det
jr sr messrs mme mlle jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
thurs fri sat sun no nos vs v etc approx est dept univ assn bros ave blvd rd mt ft fig vol ed eds
pp op cf al gen inc corp co ltd plc
""".split())
# Dotted abbreviations ("U.S.", "p.m.", "Inc.") end a sentence only before a typical sentence opener.
_OPENERS = frozenset("""
The A An He She It They We I You But And In On At As This That These Those There His Her Its Their
Our Mr Mrs Ms Dr Some Many Most Officials Police However Meanwhile Still Yet So If When While After
Before Last Next Earlier Later Now Then Also For Since Although Though Despite What Who Why How
""".split())

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then
# something that can open a sentence. Text glued without a space (3.5, "time.She") never matches.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def _is_real_boundary(before: str, after: str) -> bool:
    tok = _TOKEN_BEFORE.search(before)
    word = tok.group(1) if tok else ""
    word = word.lstrip("\"'“‘([")
    next_word = after.split(None, 1)[0].strip("\"'“‘([") if after.strip() else ""
    bare = word.rstrip(".").lower()
    if not word.endswith("."):
        return True                                   # "!" or "?" or a closing quote after them
    if re.fullmatch(r"[A-Za-z]", bare):               # initials: "J. R. R. Tolkien"
        return False
    if "." in bare or bare in ("inc", "corp", "co", "ltd", "plc", "jr", "sr", "etc"):
        return next_word in _OPENERS                  # "U.S." mid-sentence vs "the U.S. The ..."
    if bare in _ABBREV:
        return False                                  # "Mr. Smith", "Sept. 4"
    return True


def split_sentences(text: str) -> list[str]:
    """Split news prose into sentences. Paragraph breaks (newlines) always end a sentence."""
    out: list[str] = []
    for para in re.split(r"\s*\n\s*", text or ""):
        para = " ".join(para.split())
        start = 0
        for m in _BOUNDARY.finditer(para):
            if _is_real_boundary(para[start:m.start() + len(m.group(1))], para[m.end():]):
                out.append(para[start:m.end()].strip())
                start = m.end()
        if para[start:].strip():
            out.append(para[start:].strip())
    return out


# ---- which sentences may appear in a summary ----------------------------------------------------

_BOILERPLATE = re.compile(
    r"contributed (?:to )?(?:this )?report|^read (?:more|the full)|^click here|^sign up|^subscribe"
    r"|all rights reserved|^copyright|^©|^follow (?:us|him|her)|^photo(?:graph)?:|^image:"
    r"|^\(?(?:reporting|writing|editing|additional reporting) by|^this (?:article|story) "
    r"(?:was|has been|first)|^related:|^advertisement$|^watch:|^listen:",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von))*[,.]?\s*$|"
                     r"^by\s+[A-Z][\w.'’-]+\s+[A-Z][\w.'’-]+(?:,|\s+and\s)", re.IGNORECASE)
_ENDS_CLEANLY = re.compile(r"[.!?…][\"'”’)\]]*$")


def _eligible(sentence: str) -> bool:
    """Can this sentence stand in a summary? Not boilerplate, not a byline, not a fragment."""
    s = sentence.strip()
    if len(s.split()) < 4 or not _ENDS_CLEANLY.search(s):
        return False                      # headings, names, captions without a full stop
    if s.count("“") != s.count("”"):
        return False                      # the tail or head of a quote split into sentences
    if _BOILERPLATE.search(s) or _BYLINE.match(s):
        return False
    return True


# ---- ranking ------------------------------------------------------------------------------------

FIRST_BONUS = 0.1       # the lead is always a candidate, and a slight favourite
REDUNDANCY = 0.25       # MMR weight against overlap with sentences already chosen
DUPLICATE = 0.7         # above this overlap a sentence only repeats one already chosen


def _weights(sent_terms: list[list[str]], df: DocFreq | None) -> list[dict[str, float]]:
    """Each sentence's distinct terms weighted by sqrt(idf). Without a DocFreq, each sentence of
    the article counts as a document. The square root was tuned on BBC data: full idf
    over-rewards rare names at the expense of what the article keeps coming back to."""
    if df is None:
        df = DocFreq()
        for ts in sent_terms:
            df.n_docs += 1
            for t in set(ts):
                df.df[t] = df.df.get(t, 0) + 1
    return [{t: math.sqrt(df._idf(t)) for t in set(ts)} for ts in sent_terms]


def _rank(sentences: list[str], df: DocFreq | None) -> tuple[list[float], list[list[float]]]:
    """Centrality and pairwise redundancy of sentences.

    Similarity is TextRank's (Mihalcea & Tarau 2004): shared weight over the sum of log lengths.
    On an undirected graph the random walk's stationary distribution is proportional to weighted
    degree, so the degree is used directly instead of iterating PageRank (same ranking, 2x faster).
    Redundancy is the cosine of the weighted term sets, in [0, 1] for the MMR step."""
    w = _weights([terms(s) for s in sentences], df)
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
            overlap = sum(shared)
            s = overlap / (log_len[i] + log_len[j])
            degree[i] += s
            degree[j] += s
            red[i][j] = red[j][i] = sum(x * x for x in shared) / (norm[i] * norm[j])
    top = max(degree) or 1.0
    score = [d / top for d in degree]
    score[0] += FIRST_BONUS
    return score, red


def _select(score: list[float], red: list[list[float]], lengths: list[int], max_sentences: int,
            max_words: int) -> list[int]:
    """MMR: repeatedly take the best-scoring sentence that still fits the word budget, penalised
    by its overlap with what is already chosen; whole sentences only, never a cut one."""
    chosen: list[int] = []
    words = 0
    while len(chosen) < max_sentences:
        fitting = [i for i in range(len(score)) if i not in chosen and words + lengths[i] <= max_words
                   and all(red[i][j] < DUPLICATE for j in chosen)]
        if not fitting:
            break
        best = max(fitting, key=lambda i: score[i] - REDUNDANCY * max((red[i][j] for j in chosen), default=0.0))
        chosen.append(best)
        words += lengths[best]
    if len(chosen) < 2 <= len(score):      # a long first pick crowded the rest out: best pair that fits
        pairs = [(score[i] + score[j], i, j) for i in range(len(score)) for j in range(i + 1, len(score))
                 if lengths[i] + lengths[j] <= max_words and red[i][j] < DUPLICATE]
        if pairs:
            chosen = list(max(pairs)[1:])
    return sorted(chosen)


@dataclass
class Summary:
    headline: str            # <= 60 chars
    summary: str             # 2-3 sentences, <= max_words words, in article order
    sentences: list[int] = field(default_factory=list)   # indices into split_sentences(body)


def summarize(title: str | None, body: str, *, df: DocFreq | None = None, max_sentences: int = 3,
              max_words: int = 70) -> Summary:
    """Headline plus an extractive summary of `body` (never the caption, sources or bio)."""
    sentences = split_sentences(body)
    cands = [i for i, s in enumerate(sentences) if _eligible(s)]
    headline = make_headline(title, body)
    if not cands:
        return Summary(headline, "", [])
    texts = [sentences[i] for i in cands]
    lengths = [len(t.split()) for t in texts]
    picked = _select(*_rank(texts, df), lengths, max_sentences, max_words)
    if not picked:    # every sentence is longer than the budget: shorten the shortest one
        k = min(range(len(cands)), key=lambda k: lengths[k])
        return Summary(headline, _clip_words(texts[k], max_words), [cands[k]])
    return Summary(headline, " ".join(texts[k] for k in picked), [cands[k] for k in picked])


def _clip_words(sentence: str, max_words: int) -> str:
    """Last resort for a single over-long sentence: cut at the last comma/dash that fits."""
    words = sentence.split()[:max_words]
    text = " ".join(words)
    cut = max(text.rfind(", "), text.rfind(" — "), text.rfind("; "))
    if cut > len(text) // 3:
        text = text[:cut]
    return text.rstrip(",;:—– ") + "…"


# ---- headlines ----------------------------------------------------------------------------------

# "Macron: ...", "Fed chief Powell: ..." -- a short, capitalised speaker before a colon.
_SPEAKER = re.compile(r"^(?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*:\s+(?=\S)")
# Where a headline's trailing clause can go, strongest first: punctuation, then a conjunction
# starting a clause, then a preposition starting a phrase.
_CUTS = (
    r"\s+[—–-]+\s+|[—–]|:\s+|;\s+|,\s+|\s+\|\s+",
    r"\s+(?=(?:once|as|after|while|when|amid|despite|but|because|following|until|before|since|"
    r"though|although|unless|whereas|if|so|which|who|where|that|according|marking|saying|ahead of)\b)",
    r"\s+(?=(?:with|in|on|at|for|over|under|from|by|to|into|against|during|and|or|than|of)\b)",
)
_CUT_PENALTY = 12       # characters a weaker boundary must win by to be preferred
# Words a headline cannot end on; particles stay ("Miners Walk Out", "Talks Break Down").
_DANGLING = re.compile(r"(?:\s+(?:" + "|".join(sorted(STOPWORDS - {"out", "up", "down", "off"})) + r"))+$",
                       re.IGNORECASE)


def _tidy(text: str) -> str:
    """Collapse spaces, drop edge punctuation and a final full stop (but not an initial's)."""
    text = " ".join(text.split()).strip(" ,;:—–-|")
    return text if re.search(r"\b[A-Z]\.$|\.\.\.$", text) else text.rstrip(".")


def _balanced(text: str) -> bool:
    return (text.count("“") == text.count("”") and text.count("(") == text.count(")")
            and text.count('"') % 2 == 0)


def _cuts(text: str, limit: int, min_len: int):
    """(penalty, prefix) for every clause boundary whose prefix fits; the whole text if it fits."""
    if len(text) <= limit:
        yield 0, text
    for strength, pattern in enumerate(_CUTS):
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            head = _DANGLING.sub("", _tidy(text[:m.start()]))
            if min_len <= len(head) <= limit and _balanced(head):
                yield _CUT_PENALTY * (strength + 1), head


def _word_cut(text: str, limit: int) -> str:
    """Cut at a word boundary, never mid-word nor mid-name, and drop dangling function words."""
    space = text.rfind(" ", 0, limit + 1)
    head = text if len(text) <= limit else text[:space] if space > 0 else text[:limit]
    words = text.split()
    title_case = sum(w[:1].isupper() for w in words) > len(words) / 2
    # In sentence case a run of capitals is a name: "... defender Vincent | Candela" backs off.
    while (not title_case and " " in head and text[len(head):].lstrip()[:1].isupper()
           and head.rsplit(" ", 1)[1][:1].isupper()):
        head = head.rsplit(" ", 1)[0]
    head = _DANGLING.sub("", _tidy(head)) or text[:limit]
    while not _balanced(head) and " " in head:
        head = _DANGLING.sub("", _tidy(head[: head.rfind(" ")]))
    return head


def _shorten(options: list[tuple[str, float]], limit: int = HEADLINE_MAX) -> str:
    """The best way to fit one of `options` (text, chars of it worth little) into `limit`:
    as much content as possible, cut at the strongest boundary, never mid-word."""
    best, best_score = None, -math.inf
    for text, filler in options:
        min_len = min(24, len(text) // 3)
        for penalty, head in _cuts(text, limit, min_len):
            score = len(head) - filler - penalty
            if score > best_score:
                best, best_score = head, score
    return best or _word_cut(options[-1][0], limit)


def make_headline(title: str | None, body: str) -> str:
    """A headline of at most 60 characters, from the title if any, else from the body."""
    title = _tidy(title or "")
    if not title:
        return headline_from_body(body)
    if len(title) <= HEADLINE_MAX:
        return title
    m = _SPEAKER.match(title)
    # A speaker prefix is worth half its length: kept when a clean cut allows, else dropped.
    options = [(title, m.end() / 2), (title[m.end():], 0.0)] if m else [(title, 0.0)]
    return _shorten(options)


# Irregular past participles and the past tense a headline uses instead ("has won" -> "won").
_PARTICIPLES = {w: w for w in """won made sold lost cut hit put set bought paid held told found left kept led met
built sent spent brought beat quit shut struck fought caught bid let split""".split()}
_PARTICIPLES.update(fallen="fell", risen="rose", taken="took", given="gave", grown="grew", shown="showed",
                    seen="saw", become="became", chosen="chose", driven="drove", written="wrote",
                    beaten="beat", broken="broke", begun="began", frozen="froze", stolen="stole",
                    withdrawn="withdrew", overtaken="overtook", thrown="threw", drawn="drew", run="ran")

# Rewrites that turn a first sentence into headlinese, applied in order.
_HEADLINESE = [
    (re.compile(r"\s*\([^)]*\)"), ""),                                       # asides in brackets
    (re.compile(r"\s*[—–]\s*[^—–]{1,60}?\s*[—–]\s*|\s+-\s+[^-]{1,60}?\s+-\s+"), " "),  # dashed asides
    (re.compile(r"[.!?]+(?=[”\"’']*$)"), ""),                              # the full stop
    (re.compile(r",\s+(?:(?:he|she|they|it|officials|police|analysts)\s+(?:said|says?|added|noted|warned)"
                r"|(?:said|says|according to)\b[^,]*|[^,]{0,60}\b(?:said|says|say|reports?|reported))$",
                re.IGNORECASE), ""),                                         # trailing attribution
    (re.compile(r"^(?:after|as|despite|following|amid|while|speaking|according to|when|although|though|"
                r"having)\b[^,]{0,80},\s+", re.IGNORECASE), ""),             # leading clause
    (re.compile(r"\b(?:has|have|had|is|are|was|were) been\s+"), ""),        # "has been named" -> "named"
    (re.compile(r"\b(?:has|have)\s+(?=\w+ed\b)"), ""),                      # "has signed" -> "signed"
    (re.compile(r"\b(?:is|are)\s+(?=to\b)"), ""),                           # "is to play" -> "to play"
    (re.compile(r"\bwill\s+(?!not\b)"), "to "),                              # "will play" -> "to play"
    (re.compile(r"\b(?:is|are|was|were)\s+(?=\w+(?:ing|ed|en)\b)"), ""),    # "is planning" -> "planning"
    (re.compile(r"\b(?:is|are)\s+(?:set|due|expected|poised|planning|preparing|about)\s+to\b"), "to"),
    (re.compile(r"\b(?:has|have|had)\s+(" + "|".join(_PARTICIPLES) + r")\b"),
     lambda m: _PARTICIPLES[m.group(1)]),                                  # "has fallen" -> "fell"
    (re.compile(r"\b(?:its|their|his)\s+(?=\S)"), ""),                    # "cut its forecast" -> "cut forecast"
    (re.compile(r"\s*\b(?:in|during|for|since)\s+(?:19|20)\d\d\b"), ""),     # "in 2004": the year is implied
    (re.compile(r"\b(?:said|says|announced|revealed|confirmed)(?:\s+that)?\s+(?:it|they)\s+(?:would|will|to|was|is)\s+"),
     "to "),                                                                 # "X said it would Y" -> "X to Y"
    (re.compile(r"\b(?:is|are)\s+(?!to\b|a\b|an\b|the\b|not\b|no\b|being\b)(?=[a-z])"), ""),  # "X is unlikely"
    (re.compile(r"^Shares in ((?:[A-Z][\w&'’.-]*\s+){1,3})(?:have|has)?\s*"), r"\1shares "),  # "X shares fell"
    (re.compile(r"^((?:[A-Z][\w&.-]*\s+){0,2}[A-Z][\w&.-]*)['’]s\s+(?=[a-z])"), r"\1 "),   # "UK's jobless" -> "UK jobless"
    (re.compile(r"\b[Mm]ore than\b"), "over"),
    (re.compile(r"\b(?:the|a|an)\s+"), ""),                                 # headlines drop articles
    (re.compile(r"^(?:The|A|An)\s+(?=\S)"), ""),
]
_SAYS_THAT = re.compile(r"^[^,]{0,60}?\b(?:says|said|has said|announced|reported|warned|claimed|"
                        r"insisted|revealed|confirmed)(?:\s+on\s+\w+)?(?:\s+that)?\s+", re.IGNORECASE)


def headline_from_body(body: str) -> str:
    """Compress the first usable sentence into headline length and headline style."""
    sents = [s for s in split_sentences(body) if _eligible(s)] or split_sentences(body)
    if not sents:
        return ""
    s = sents[0]
    for pattern, repl in _HEADLINESE:
        s = pattern.sub(repl, s).strip()
    said = _SAYS_THAT.match(s)
    if said and len(s) - said.end() > 25:      # "Macron says 26 nations ..." -> "26 nations ..."
        s = s[said.end():]
    s = _APPOSITIVE.sub(r"\1 ", _TIME.sub("", s))
    s = _DESCRIPTOR.sub(_drop_descriptor, _ROLE.sub("", _surnames(_tidy(s), body)))
    s = _name_subject(s[:1].upper() + s[1:], body)
    head = _ADVERB_END.sub("", _shorten([(s, 0.0)]))     # "... coach even" (cut before "if")
    return _present_tense(_trim_tail(head, body))


_ADVERB_END = re.compile(r"(?:\s+(?:even|just|still|also|only|already|now|then|yet|both|either))+$", re.IGNORECASE)


# "Williams said", "said Ferguson", "Smith told BBC Sport": who is speaking.
_SPEAKER_NAME = re.compile(r"(?<!\d )\b([A-Z][a-z][\w'’-]+) (?:said|says|added|told|admitted|insisted)\b|"
                          r"\b(?:said|says|added|admitted|insisted) ([A-Z][a-z][\w'’-]+)\b")


def _name_subject(head: str, body: str) -> str:
    """A lead that opens on "He"/"She" (sport, profiles) names the person the article is about:
    the one it quotes most."""
    m = re.match(r"(?:He|She)\s+", head)
    if not m:
        return head
    names: dict[str, int] = {}
    for pair in _SPEAKER_NAME.findall(body):
        name = pair[0] or pair[1]
        if name.lower() not in STOPWORDS and name not in _OPENERS:
            names[name] = names.get(name, 0) + 1
    name = max(names, key=names.get, default="")
    return name + " " + head[m.end():] if name else head


# Headlines tell news in the present: "Shares fall", "Chelsea win". Only past forms that cannot
# be a passive participle ("found dead", "sold to") are turned, and only the first one.
_PRESENT = {"fell": "fall", "rose": "rise", "won": "win", "took": "take", "gave": "give", "grew": "grow",
            "saw": "see", "became": "become", "broke": "break", "began": "begin", "drew": "draw",
            "ran": "run", "overtook": "overtake", "withdrew": "withdraw", "threw": "throw"}
_PAST = re.compile(r"(?<=\S )(" + "|".join(_PRESENT) + r")\b(?!['’])")     # not "won't"


def _present_tense(head: str) -> str:
    m = _PAST.search(head)
    if not m:
        return head
    words = head[:m.start()].split()
    # The subject is the word before the verb, or the first word in "Profits at Barclays rose".
    subject = words[0] if len(words) > 2 and words[1].lower() in ("at", "of", "in", "for", "from") else words[-1]
    plural = (subject[1:].islower() and subject.endswith("s") and not subject.endswith(("ss", "us"))
              or subject.lower() in ("they", "we"))
    verb = _PRESENT[m.group(1)]
    verb = verb if plural else verb + ("es" if verb.endswith(("sh", "ch")) else "s")
    out = head[:m.start()] + verb + head[m.end():]
    return out if len(out) <= HEADLINE_MAX else head


# A title reuses the article's key words: the chance that a word of the lead makes the title grows
# with how often the article repeats it (names more so). Measured on BBC news: a word said once
# is in the title ~8% of the time, one repeated 5+ times ~30-50%, a function word ~4%.
_TITLE_WORDS = 4.0
_LOW_VALUE = 0.04
_TOKEN = re.compile(r"[a-z0-9]+")
# Where a trailing phrase may be dropped: before a preposition or a conjunction.
_TAIL_START = frozenset("""of in on at for from by with over under after before as and or but while when
where which who that than against during amid despite because since until following about into""".split())
_PREDICATE = frozenset("could would will may might can should must is are was were".split())
# "held on to", "stepped up": a verb and its particle stay together.
_PARTICLE = frozenset("on up out off down over back".split())


def _title_chance(word: str, counts: dict[str, int], first: bool) -> list[tuple[str, float]]:
    out = []
    for t in _TOKEN.findall(word.lower()):
        if t in STOPWORDS:
            out.append((t, _LOW_VALUE))
            continue
        c = counts.get(_stem(t), 1)
        name = word[:1].isupper() and not first
        out.append((_stem(t), min(0.68, 0.11 * c) if name else min(0.5, 0.05 + 0.055 * c)))
    return out


def _expected_overlap(chances: list[list[tuple[str, float]]]) -> float:
    """Expected unigram F1 against a title of _TITLE_WORDS words (repeats count once)."""
    best: dict[str, float] = {}
    n = 0
    for word in chances:
        for key, p in word:
            n += 1
            best[key] = max(best.get(key, 0.0), p)
    return 2 * sum(best.values()) / (n + _TITLE_WORDS)


def _trim_tail(head: str, body: str) -> str:
    """Drop a trailing phrase ('... for damages after arrival') when its words are ones the
    article never comes back to: they make a headline longer without making it more on topic."""
    words = head.split()
    if len(words) <= 3:
        return head
    counts: dict[str, int] = {}
    for t in _TOKEN.findall(body.lower()):
        k = _stem(t)
        counts[k] = counts.get(k, 0) + 1
    chances = [_title_chance(w, counts, i == 0) for i, w in enumerate(words)]
    best, best_score = head, _expected_overlap(chances)
    for end in range(3, len(words)):
        nxt = words[end].lower()
        if nxt not in _TAIL_START or (nxt in _PARTICLE and words[end - 1].lower() in _PARTICIPLES.values()):
            continue
        if nxt in _PARTICLE and words[end - 1].lower().endswith("ed"):
            continue
        if words[end - 1].endswith(("ed", "ing")) and words[end - 1].islower():
            continue        # "plans aimed | at ...", "attendant fighting | for ...": the phrase completes it
        if _PREDICATE.intersection(w.lower() for w in words[end:]):
            continue        # "Fixed line phone | in your home could be endangered": the verb is in the tail
        cut = _tidy(" ".join(words[:end]))
        if _DANGLING.search(cut) or not _balanced(cut):
            continue
        score = _expected_overlap(chances[:end])
        if score > best_score:
            best, best_score = cut, score
    return best


# "Real Madrid midfielder Beckham ..." -> "Beckham ...": headlines name the person, not the post.
_ROLE = re.compile(r"^(?:[A-Z][\w'’.-]*\s+){0,3}(?i:boss|coach|manager|midfielder|striker|defender|"
                   r"winger|goalkeeper|captain|chairman|chief|star|singer|rapper|actor|actress|"
                   r"director|president|minister|secretary|champion|player|comedian|presenter|author|"
                   r"writer|veteran|sprinter|runner|flanker|scrum-half|fly-half|centre|lock|prop|hooker|"
                   r"batsman|bowler|forward|keeper|full-back|legend|tycoon|founder|musician)\s+(?=[A-Z])")
_NAME_PAIR = re.compile(r"(?<!and )(?<!& )(?<!of )(?<!Sir )\b([A-Z][a-z]+) ([A-Z][a-z'’-]+)\b(?! [A-Z])")
# "at US media giant TimeWarner" -> "at TimeWarner": the same for firms, clubs, shows and bands,
# anywhere in the sentence (see _drop_descriptor for when it is left alone).
_DESCRIPTOR = re.compile(
    r"\b(?:[A-Z][\w'’-]*\s+)?(?:(?!(?:with|of|in|on|at|for|from|by|to|and|as|over)\s)[a-z][\w'’-]*\s+){0,2}"
    r"(?:giant|firm|group|"
    r"company|maker|chain|retailer|bank|carrier|airline|operator|winemaker|brewer|club|side|team|band|"
    r"festival|comedy|film|show|soap|drama|singer|star|rapper|actor|actress|director|boss|chief|executive|"
    r"minister|champion|player|coach|manager|striker|midfielder|defender|winger|goalkeeper|captain|"
    r"chairman|conglomerate|network|broadcaster|regulator|watchdog|developer|publisher|studio)\s+(?=[A-Z])")
# Times headlines leave out: "on Tuesday", "last week", "in October".
_TIME = re.compile(r"\s*\b(?:(?:on|last|this|next|earlier this|later this)\s+(?:Monday|Tuesday|Wednesday|"
                   r"Thursday|Friday|Saturday|Sunday|week|month|year|weekend)|(?:in|during)\s+(?:January|"
                   r"February|March|April|May|June|July|August|September|October|November|December)"
                   r"(?:\s+\d{4})?|yesterday|today)\b(?!\s*['’]s)", re.IGNORECASE)
# "McDonald's, the world's largest restaurant chain, is to ..." -> "McDonald's is to ...".
_APPOSITIVE = re.compile(r"^((?:[A-Z][\w'’.&-]*\s*){1,4}),\s+[^,]{3,70},\s+")


def _drop_descriptor(m: re.Match) -> str:
    """Keep the descriptor after a capitalised word ('Premiership side Chelsea', 'Real Madrid star
    Beckham' mid-sentence): dropping it there would glue two names together."""
    before = m.string[:m.start()].rstrip()
    last = before.rsplit(None, 1)[-1] if before else ""
    return m.group(0) if last[:1].isupper() or last[:1].isdigit() else ""   # "200m champion X" too


def _surnames(sentence: str, body: str) -> str:
    """Headlines call people by surname: 'Paula Radcliffe' -> 'Radcliffe' when the article
    itself goes on to use the second name alone (so 'Time Warner' or 'New York' stay whole)."""
    words = [w.strip(".,;:!?\"'“”‘’()") for w in body.split()]

    def alone(first: str, last: str) -> int:
        return sum(1 for k, w in enumerate(words) if w == last and (k == 0 or words[k - 1] != first)
                   and not (k + 1 < len(words) and words[k + 1][:1].isupper()))

    def repl(m: re.Match) -> str:
        first, last = m.group(1), m.group(2)
        if first.lower() in STOPWORDS or first in _OPENERS or alone(first, last) < 1:
            return m.group(0)
        return last
    return _NAME_PAIR.sub(repl, sentence)


# ---- edition-level helpers ----------------------------------------------------------------------

def edition_subject(headlines: list[str], limit: int = 78) -> str:
    """'Lead headline and 4 more', within `limit` characters."""
    heads = [h.strip() for h in headlines if h and h.strip()]
    if not heads:
        return "Your digest"
    more = f" and {len(heads) - 1} more" if len(heads) > 1 else ""
    room = limit - len(more)
    lead = heads[0] if len(heads[0]) <= room else _word_cut(heads[0], room - 1) + "…"
    return lead + more


def preheader(summaries: list[str], limit: int = 140) -> str:
    """Hidden preview line: the first sentence of each top blurb, as many as fit."""
    parts: list[str] = []
    for text in summaries:
        sents = split_sentences(text or "")
        if not sents:
            continue
        candidate = " ".join(parts + [sents[0]])
        if len(candidate) > limit:
            if not parts:
                parts.append(_word_cut(sents[0], limit - 1) + "…")
            break
        parts.append(sents[0])
    return " ".join(parts)


def article_score(*, age_hours: float, words: int, sources: int) -> float:
    """Ordering key within a section: fresh, substantial stories carried by many sources first.
    Recency halves every 24 hours; length and source count help with diminishing returns."""
    recency = 0.5 ** (max(age_hours, 0.0) / 24.0)
    length = min(math.log1p(max(words, 0)) / math.log1p(800), 1.0)
    reach = math.log2(1 + max(sources, 1))
    return recency * (0.5 + 0.5 * length) * reach
