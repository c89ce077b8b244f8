"""Machine headlines: a headline written from the lede, for an article that has no title.

Only used when there is no editor's title (JSON Lines and feed items without one). The lede's
attribution is split off first ("…, regional officials said" -> "Regional officials:"), the
clause is put in headline style (.headlinese), and the longest head of it that makes a headline
is kept: a complete clause (a verb before any "that"/"which"), within HEADLINE_MAX characters
with the attribution, keeping the lede's number and place when they fit, and never ending on a
word that leaves it hanging ("…Plant Meant", "…Forecasts Across"). Among those, the head whose
words the article keeps coming back to wins (they are the ones a title reuses).
Pure functions over strings. May import: .words, .sentences, .headlinese, .tense.
"""

from __future__ import annotations

import re

from .headlinese import PARTICIPLES, compress, drop_appositive
from .sentences import eligible, passages, split_sentences
from .tense import present_tense
from .words import STOPWORDS, stem

HEADLINE_MAX = 70

_SAY = (r"(?:has\s+|have\s+)?(?:said|says|say|warned|warns|announced|announces|reported|reports|claimed|"
        r"claims|insisted|insists|believes|believe|predicted|predicts|estimated|estimates|revealed|confirmed|"
        r"forecast|forecasts)")
_WHEN = r"(?:\s+(?:late |early )?on\s+\w+|\s+(?:last|this)\s+\w+|\s+today|\s+yesterday)?"
_ATTRIBUTION = [   # (pattern, which group holds the clause), most specific first
    re.compile(r"^according to\s+(?P<who>[^,]{2,60}),\s+(?P<clause>.{15,})$", re.I),
    re.compile(r"^(?P<clause>.{15,}?),?\s+according to\s+(?P<who>[^,]{2,80}?)" + _WHEN + r"[.!]?$", re.I),
    re.compile(r"^(?P<clause>.{15,}),\s+(?:said|says|say)\s+(?P<who>[^,]{2,60}?)(?:,[^,]{0,80})?[.!]?$"),
    re.compile(r"^(?P<clause>.{15,}),\s+(?P<who>[^,]{2,60}?)\s+" + _SAY + _WHEN + r"[.!]?$"),
    re.compile(r"^(?P<who>[A-Z][^,]{1,60}?)\s+" + _SAY + _WHEN + r"(?:\s+that)?\s+(?P<clause>.{15,})$"),
]
# A speaker phrase ends where its description starts: "a study published on Wednesday".
_SPEAKER_END = re.compile(r",|\s+(?:who|which|that|published|released|produced|based|led|quoted|cited|"
                          r"in an?|on|at|for|from|to)(?:\s+|$)")
_NOT_A_SPEAKER = re.compile(r"\b(?:has|have|had|is|are|was|were|will|would|who|which|that|\w+ed)\b|^(?:it|he|she|"
                            r"they|we|i|this|that)$|^(?:say|says|said)\b", re.I)
_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&]{1,7})\)")
_PRONOUN_SUBJECT = re.compile(r"^(?:it|they|he|she)\s+(?=(?:would|will|is|are|was|were|had|has|have|plans|"
                              r"intends|expects|hopes|could|may|might|aims)\b)", re.I)

# Words a headline cannot end on: function words, and words that need what follows them.
_END_BAD = (STOPWORDS - {"out", "up", "down", "off", "back", "says", "said", "say", "new", "year",
                         "years", "one", "two", "told"}) | frozenset("""meant designed aimed set due expected
used forced allowed able likely poised ready bound known based linked tied related according compared owing
thanks subject prone close unable unlikely amid despite via per across toward towards upon within without among
including such like plus mr mrs ms dr yet even just still also only already whether
beside besides beneath underneath behind beyond below above around along alongside inside outside onto past opposite
unlike near throughout""".split())
_CUT_BEFORE = frozenset("""once as after while when amid despite but because following until before since
though although unless whereas if so which who whose whom what how why whether where that according marking
saying ahead yet including with in on at for over under from by to into against during and or than about across
among amongst between through throughout toward towards within without via per near beyond behind below above
around along like unlike plus""".split())
# "held on to", "stepped up": a verb and its particle stay together.
_PARTICLE = frozenset("on up out off down over back".split())
_CLAUSE_MARK = frozenset("that which who whose where when while because after as if although though".split())
_VERBS = frozenset("""is are was were be been has have had will would can could may might must should do does did
get gets got go goes went come comes came face faces need needs want wants make makes made take takes took
give gives gave win wins won lose loses lost cut cuts hit hits rise rises rose fall falls fell grow grows grew
see sees saw become becomes became break breaks broke run runs ran say says said tell tells told leave leaves
left keep keeps kept lead leads led meet meets met build builds built send sends sent spend spends spent
bring brings brought beat beats quit quits shut shuts strike strikes struck fight fights fought catch catches
caught let lets set sets put puts pay pays paid hold holds held find finds found sell sells sold buy buys
bought begin begins began seek seeks sought stand stands stood lend lends lent bid bids think thinks thought
feel feels felt hear hears heard mean means meant read reads swing swings swung leap leaps leapt passes
approves backs plans warns calls opens ends joins signs agrees faces seeks launches needs""".split())
# A clause or participle phrase inside the subject, up to the main verb: "Film [that follows a group
# of youths] won", "Defences [protecting 4 million people in the delta] to need", "Stars [including
# A, B and C] paid".
_SUBJECT_CLAUSE = re.compile(
    r"^((?:[\w'’.&-]+\s+){0,3}?[\w'’.&-]+)\s+(?:(?:who|which|that|whose)\s+[^,]{3,90}?|[a-z]+ing\s+[^,]{3,90}?"
    r"|including\s+.{3,90}?)"
    r"\s+(?=(?:to|will|would|has|have|had|is|are|was|were|could|can|may|might|must|should)\s+[a-z]|"
    r"(?:" + "|".join(sorted(_VERBS - {"is", "are", "was", "were", "be", "been"})) + r")\b|[a-z]{3,}ed\s)")


# "… after the UK firm | announced": after a subordinator, the "-ed" word is that clause's own verb.
_SUBORDINATE = frozenset("after when as because while since before until if once".split())
_NUMBER = re.compile(r"\d")
_PLACE = re.compile(r"\b(?:in|at|near|across|from|off)\s+(?:[a-z]+\s+)?([A-Z][\w'’-]+)")


def headline_from_body(body: str) -> str:
    """A headline from the lede of `body` (see the module docstring); "" for an empty body."""
    found = [p for p in passages(body) if eligible(p)]
    # A lede that is a quotation or a question ("Do you have it in your heart?") is no headline.
    plain = [p for p in found if p.text[:1] not in "“\"‘'" and not split_sentences(p.text)[0].endswith("?")]
    sents = split_sentences((plain or found)[0].text) if found else split_sentences(body)
    if not sents:
        return ""
    lede = sents[0]
    speaker, clause = split_attribution(drop_appositive(lede), body)
    text = compress(clause, body)
    room = HEADLINE_MAX - (len(speaker) + 2 if speaker else 0)
    head = best_head(text, lede, body, room)
    inner = _SUBJECT_CLAUSE.match(text)
    if inner and not has_verb(head.split()):
        # "Film that follows … suburb won award": the subject's own clause left no room for the verb.
        shorter = best_head(_SUBJECT_CLAUSE.sub(r"\1 ", text, count=1), lede, body, room)
        if has_verb(shorter.split()):
            head = shorter
    if speaker and not has_verb(head.split()):
        # A long speaker ("Governmental Chilean Copper Commission") left no room for a whole
        # clause: the clause matters more than who said it.
        alone = best_head(text, lede, body, HEADLINE_MAX)
        if has_verb(alone.split()):
            return alone
    if speaker and head and not re.search(r"\b" + re.escape(speaker.lower()) + r"\b", head.lower()):
        # "Bank: Norvik Bank to cut jobs" says the speaker twice
        return f"{speaker}: {head}"
    return head


def split_attribution(sentence: str, body: str) -> tuple[str | None, str]:
    """(who says it, what they say) of a lede: "X said that Y", "Y, X said", "Y, according to X".
    When Y's subject is the speaker ("Acme said it will cut jobs") the claim is the speaker's own
    act: ("", "Acme will cut jobs")."""
    s = " ".join(sentence.split()).rstrip(".")
    for pattern in _ATTRIBUTION:
        m = pattern.match(s)
        if not m:
            continue
        acronym = _ACRONYM.search(m.group("who"))     # "the British Chamber of Commerce (BCC)" -> "BCC"
        who = acronym.group(1) if acronym else m.group("who")
        who = _SPEAKER_END.split(re.sub(r"\s*\([^)]*\)", "", who), 1)[0].strip()
        who = re.sub(r"^(?:the|a|an)\s+", "", who, flags=re.I)
        if not who or _NOT_A_SPEAKER.search(who) or len(who) > 40:
            continue
        clause = m.group("clause").strip(" ,")
        own = _PRONOUN_SUBJECT.match(clause)
        if own:
            return None, m.group("who").strip() + " " + clause[own.end():]
        short = compress(who, body)
        if short.islower() or short[1:].islower():      # "influential survey" -> "Survey"
            short = short.split()[-1]
        return (short[:1].upper() + short[1:]) or None, clause
    return None, s


def has_verb(words: list[str], *, strict: bool = False) -> bool:
    """Does the main clause of `words` have a verb (before any "that", "which", "while"...)?
    `strict`: one that is surely a verb, not an "-ing" word ("Mobile gaming industry")."""
    for k, w in enumerate(words):
        low = w.lower().strip(",;:“”\"'")
        if k and low in _CLAUSE_MARK:
            return False
        prev = words[k - 1].lower() if k else ""
        if low in _VERBS or low in PARTICIPLES.values() or (low == "to" and k + 1 < len(words) and words[k + 1].islower()):
            return True
        if k and w.islower() and len(low) > 3 and prev not in ("the", "a", "an", "of", "its", "their") and (
                low.endswith("ed")
                or not strict and low.endswith("ing") and not (prev.endswith("s") and prev.islower())  # "Economy performing"
                or k >= 2 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ics", "ness"))):
            return True
    return False


# A phrase is not whole when it ends on a degree word or a superlative with no noun ("Japan's
# biggest", "music rather"), or on a verb that needs what it proves or suggests.
_DEGREE = frozenset("rather less least much very too quite somewhat".split())
_NEEDS_OBJECT = frozenset("""proves prove suggests suggest shows show means mean reveals reveal includes include
become becomes became remain remains seem seems intend intends take takes took make makes made give gives gave put puts""".split())
_MODAL = frozenset("to will would can could may might must should".split())
_TRANSITIVE = frozenset("""select target abide announce repay receive refuse undergo bag decide meet reveal unveil
launch create offer provide include buy sell sign hire acquire face seek make take give put get hold set release
""".split())


def _object_cut(words: list[str]) -> bool:
    """"… to receive", "… could undergo": a verb that needs an object ends the head."""
    return len(words) > 2 and words[-2].lower() in _MODAL and words[-1].lower() in _TRANSITIVE


_NOT_SUPERLATIVE = frozenset("""interest interests protest contest harvest forest request arrest test quest invest
suggest digest honest modest manifest west east chest nest rest guest pest priest best""".split())


def _ends_badly(words: list[str]) -> bool:
    last = words[-1].strip(",;:")
    low = last.lower()
    if low in _END_BAD:       # "… in May", "… for US" end on a name; "… Scorsese's The" does not
        return not (last == "May" or last.isupper() and len(last) > 1) or len(words) == 1
    if last.islower() and (low in _DEGREE or low in _NEEDS_OBJECT
                           or low.endswith("est") and len(low) > 4 and low not in _NOT_SUPERLATIVE):
        return True
    if _clause_cut(words) or low == "new" and len(words) > 1 and words[-2].lower() in STOPWORDS:
        return True             # "… sales of new" leaves its noun behind
    return last.endswith("ing") and last.islower() and len(words) > 1 and words[-2].lower() in STOPWORDS


def _clause_cut(words: list[str]) -> bool:
    """Does a "that"-clause start after the main verb and stop before its own verb ("…has forecast
    that country's economic growth")?"""
    for k in range(len(words) - 1, 0, -1):
        if words[k].lower() == "that":
            return has_verb(words[:k]) and not any(_plain_verb(w) for w in words[k + 1:])
    return False


def _plain_verb(word: str) -> bool:
    """A word that is surely a verb: a known one, a participle, or a lower-case "-ed" ("landlords"
    in "proves that small landlords" is no verb, as has_verb's plural rule would have it)."""
    low = word.lower().strip(",;:")
    return low in _VERBS or low in PARTICIPLES.values() or (word.islower() and low.endswith("ed") and len(low) > 4)


def _loose_end(word: str) -> bool:
    """Mid-phrase words a cut between any two words may strand: "London's", "originally", "following"."""
    w = word.strip(",;:")
    return w.endswith(("'s", "’s", "ly")) or (w.islower() and w.endswith(("ing", "ed")))


def _balanced(text: str) -> bool:
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0 and text.count("(") == text.count(")")


def best_head(text: str, lede: str, body: str, limit: int) -> str:
    """The head of `text` (cut at a clause or phrase boundary) that makes the best headline."""
    words = text.split()
    if not words:
        return ""
    counts: dict[str, int] = {}
    for t in re.findall(r"[a-z0-9]+", body.lower()):
        counts[stem(t)] = counts.get(stem(t), 0) + 1
    number = _NUMBER.search(lede) is not None
    place = _PLACE.search(lede)
    options = []
    for end in range(len(words), 0, -1):
        nxt = words[end].lower() if end < len(words) else ""
        last = words[end - 1]
        # A reduced relative clause can go too: "cars | equipped with ...", "lawyers | defending ...".
        participle = nxt.endswith(("ed", "ing")) and len(nxt) > 4 and last.islower() and last.lower() not in STOPWORDS \
            and not _SUBORDINATE.intersection(w.lower() for w in words[max(0, end - 4):end])
        if end < len(words) and not (last.endswith((",", ";", ":")) or nxt in _CUT_BEFORE or nxt in ("—", "–", "-")
                                     or participle):
            continue
        if nxt in _PARTICLE and (last.lower().endswith("ed") or last.lower() in PARTICIPLES.values()):
            continue            # "stepped | up", "held | on to"
        if nxt and last.islower() and last.endswith(("ed", "ing")) and nxt in _CUT_BEFORE:
            continue            # "plans aimed | at ...": the phrase completes it
        if nxt == "than" and (last.lower().endswith("er") or last.lower() in ("more", "less")):
            continue            # "sales were better | than expected": a comparative needs its "than"
        head = " ".join(words[:end]).strip(" ,;:—–-")
        cut = head.split()
        if len(head) > limit or not cut or _ends_badly(cut) or not _balanced(head):
            continue
        keeps = (not number or _NUMBER.search(head) is not None) + (not place or place.group(1) in head)
        verb = has_verb(cut)
        options.append((verb, verb and has_verb(cut, strict=True), not _object_cut(cut), keeps,
                         _expected_overlap(cut, counts) if verb else len(head), head))
    best = max(options, default=None)
    if best is None or not best[0]:         # no complete clause fits: as much of the lede as fits
        whole = _word_cut(words, limit)
        longest = max((o[5] for o in options), key=len, default="")
        return longest if len(longest) >= len(whole) / 2 else whole
    present = present_tense(best[5], body)
    return present if len(present) <= limit else best[5]


def _word_cut(words: list[str], limit: int) -> str:
    """Last resort: the longest run of whole words that fits and does not end badly."""
    out: list[str] = []
    for w in words:
        if len(" ".join(out + [w])) > limit:
            break
        out.append(w)
    while len(out) > 1 and (_ends_badly(out) or not _balanced(" ".join(out)) or _loose_end(out[-1])):
        out.pop()
    return " ".join(out).strip(" ,;:—–-")


# A title reuses the article's key words: the chance that a word of the lead makes the title grows
# with how often the article repeats it (names more so). Measured on BBC news: a word said once
# is in the title ~8% of the time, one repeated 5+ times ~30-50%, a function word ~4%, a
# lower-case "-ing" or "-ly" word about half as often as other words. _TITLE_WORDS is below the
# titles' 5 words: it weighs each extra word of the head more, as a short title is the rule.
_TITLE_WORDS = 2.0
_LOW_VALUE = 0.04
_ING_LY = 0.5


def _expected_overlap(words: list[str], counts: dict[str, int]) -> float:
    """Expected unigram F1 of `words` against a title of _TITLE_WORDS words (repeats count once)."""
    best: dict[str, float] = {}
    n = 0
    for i, word in enumerate(words):
        for t in re.findall(r"[a-z0-9]+", word.lower()):
            n += 1
            if t in STOPWORDS:
                key, p = t, _LOW_VALUE
            else:
                key, c = stem(t), counts.get(stem(t), 1)
                p = min(0.68, 0.11 * c) if word[:1].isupper() and i else min(0.5, 0.055 * c)
                if word.islower() and t.endswith(("ing", "ly")):
                    p *= _ING_LY
            best[key] = max(best.get(key, 0.0), p)
    return 2 * sum(best.values()) / (n + _TITLE_WORDS)
