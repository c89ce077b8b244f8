"""Standalone: does a passage need something the blurb does not give the reader?

A blurb is read without the article, so a passage after the lede may not open by pointing back
("It", "But", "The measure"), name a thing or a person the blurb never introduced ("the group",
"Mr X", "he"), quote someone without naming them, or say what the article's next sentence takes
back ("But …"). The rules are deliberately cautious: a passage left out costs a sentence, a
passage that needs the article costs the reader.
German, French and Spanish passages are judged by the same rules with their own words
(.languages): "Jedoch …", "Cette décision …", "Sin embargo …", "Frau Keller", "a déclaré Dupont".
Pure functions over strings. May import: .languages, .words, .sentences.
"""

from __future__ import annotations

import re

from .languages import UPPER, Rules, rules
from .sentences import OPENERS, SPEECH, Passage, outside_quotes, quotations
from .words import terms

# Words that open a sentence by pointing at something before it.
DANGLING = frozenset("""
it its he his him she her hers they them their this that these those there then but and or nor however also
meanwhile still yet so instead such both neither either others another furthermore moreover nevertheless
nonetheless thus therefore hence besides likewise similarly indeed although though whereas now here
""".split())
_DANGLING_PHRASE = re.compile(
    r"^(?:as a result|in addition|on the other hand|at the same time|that said|even so|by contrast|in contrast|"
    r"for example|for instance|in turn|in response|after that|on top of that|as well as|not only|"
    r"since then|by then|until then|back then|even then|before that|at the time|at that time|in that case|"
    r"the\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
    r"the\s+(?:former|latter|same|other|latest|first|second|last)\s*(?:[,.;]|(?:said|says|is|was|has|had|will|"
    r"would|were|are|can|could|did|does|do)\b))", re.IGNORECASE)
# "The measure", "The deal": a thing the blurb has not named yet.
REFERENCE_NOUNS = frozenset("""
move measure measures decision plan plans proposal proposals bill deal report study comments comment remarks
announcement agreement ruling findings figures figure results survey statement change changes scheme project
programme program law legislation case incident attack vote talks meeting visit warning offer bid idea
policy process step data research document letter request verdict judgement judgment sale merger takeover
purchase acquisition claim claims allegations charges row dispute news event action response appeal
episode accident problem problems issue issues situation outcome result system method methods approach
""".split())
_CONTRAST = re.compile(r"^[“\"‘']?(?:but|however|yet|still|nevertheless|nonetheless|that said|even so|although|"
                       r"though|not so|in fact)\b", re.IGNORECASE)
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Lord|Lady|Rep|Sen|Gov|Gen|Col|Capt|Rev|Judge)"
# "Mr. Petkevičius": a person called by surname alone, which needs an earlier introduction.
_SURNAME_ONLY = re.compile(r"\b" + _HONORIFIC + r"\.?\s+([A-Z][\w'’-]+)\b(?!\s+[A-Z])")
# Someone named in full: two capitalised words ("Femke Ravensbergen", "Oleh Kiper") or a title and a name.
_PERSON = re.compile(r"\b[A-Z][a-z][\w'’-]*\s+(?:[A-Z]\.?\s+)?[A-Z][\w'’-]*[a-z]|\b" + _HONORIFIC + r"\.?\s+[A-Z]")
_PRONOUN = re.compile(r"\b(?:he|she|him|his|her|hers)\b", re.IGNORECASE)
_PRONOUN_SPEAKER = re.compile(r"\b(?:he|she|they)\s+(?:\w+\s+)?" + SPEECH.pattern[2:-2] + r"\b|"
                              r"\b(?:said|says|added|told)\s+(?:he|she|they)\b", re.IGNORECASE)
# Subjects that say things without being anyone in particular.
_ANONYMOUS = frozenset("""officials analysts experts critics police economists investors observers residents witnesses
sources researchers scientists campaigners fans aides diplomats officers authorities organisers organizers
some many others one""".split())


def named_speaker(outside: str) -> bool:
    """Does the text outside the quotation marks name who is speaking (a person, a firm, a body)?"""
    tokens = re.findall(r"[\w'’.-]+", outside)
    for k, tok in enumerate(tokens):
        if not tok[:1].isupper():
            continue
        low = tok.lower().rstrip(".")
        if k == 0 and (tok in OPENERS or low in _ANONYMOUS):
            continue
        if low not in _ANONYMOUS and tok not in ("I", "We", "You"):
            return True
    return False


def opens_dangling(text: str, language: str = "en") -> bool:
    """Does the text open on a word that needs something before it ("It", "But", "The measure")?"""
    r = rules(language)
    s = text.lstrip("“\"‘'( " + ("„«»¿¡" if r else ""))
    words = re.findall(r"[\w'’-]+", s.lower())
    if not words:
        return False
    if r is not None:
        return words[0] in r.dangling or bool(r.dangling_phrase.match(s) or r.reference.match(s))
    if words[0] in DANGLING or words[0].split("'")[0].split("’")[0] in DANGLING or _DANGLING_PHRASE.match(s):
        return True
    return words[0] == "the" and len(words) > 1 and words[1] in REFERENCE_NOUNS


# Things a reader knows without being told which ("the government", "the economy") and words that
# make the phrase define itself ("the first", "the number of", "the man who").
_KNOWN = frozenset("""
government economy country world public market markets industry sector year week month day weekend morning
evening night time end start beginning rest past future news police army military president opposition
state city capital region nation people population media internet web net law courts first second third
last next latest biggest largest smallest highest lowest most least best worst only same whole entire main
top new former current recent previous early late final following way case fact idea chance risk lead
move two three four five six seven eight nine ten other others average prospect prospects
""".split())
_SELF_DEFINING = frozenset("of who which that whose where when than to for in".split())
# ... but "were the latest", "did the same": with no noun after them they point back.
_NEEDS_NOUN = frozenset("first second third last next latest former latter same other others previous following".split())
_DEFINITE = re.compile(r"\b[Tt]he\s+([a-z][\w'’-]*)(?:\s+([\w'’-]+))?")


def unresolved(text: str, context: str) -> str | None:
    """The first "the <thing>" in `text` that neither the context nor the phrase itself says which
    ("the group", "the paper-backup rule" when the blurb never named them), else None."""
    known = set(terms(context))
    for m in _DEFINITE.finditer(outside_quotes(text)):
        word, after = m.group(1), (m.group(2) or "").lower()
        if word in _NEEDS_NOUN and not after:
            return "the " + word
        if word in _KNOWN or after in _SELF_DEFINING or word.endswith("est"):
            continue
        if any(t in known for t in terms(word)) or not terms(word):
            continue
        return "the " + word
    return None


# Openings that look like pointers but are not: "It is unlikely that", "There is no doubt",
# "This year's", "Still basking in ...".
_NOT_POINTING = re.compile(r"^(?:(?:It|There)\s+(?:is|was|are|were|has|had|will|would|seems|seemed|used|may|might|"
                           r"could|can)\b|(?:This|That|Next|Last)\s+(?:year|week|month|season|summer|winter|spring|"
                           r"autumn|fall|weekend|morning|afternoon|evening|time)\b|(?:Still|Yet|So)\s+\w+ing\b)")


def points_back(text: str, language: str = "en") -> bool:
    """Does a first sentence open by pointing at something it never says ("Another front…",
    "But…", "This…")? Expletive and time openings do not count."""
    r = rules(language)
    if r is not None:
        s = text.lstrip("“\"‘'( „«»¿¡")
        return opens_dangling(s, language) and not r.not_pointing.match(s)
    s = text.lstrip("“\"‘'( ")
    defined = re.match(r"the\s+\w+\s+(\w+)", s, re.IGNORECASE)        # "The decision to keep rates ..."
    return opens_dangling(s) and not _NOT_POINTING.match(s) and not (
        defined and defined.group(1).lower() in _SELF_DEFINING)


# "The point of all this", "this was", "despite these": a demonstrative standing for what came before.
_POINTING_PRONOUN = re.compile(r"\ball (?:this|that|these|those)\b|\b(?:this|these|those)\s+(?:is|was|are|were|has|"
                               r"had|will|would|means|meant|comes|came)\b|\b(?:of|about|despite|after|before|like|"
                               r"to|with)\s+(?:this|these|those)\s*[,.;:]", re.IGNORECASE)


def stands_alone(p: Passage, context: str, following: str = "", *, adjacent: bool = False,
                 language: str = "en") -> bool:
    """May `p` follow `context` (the blurb so far) in a blurb? It needs nothing the blurb lacks: no
    opening pointer, no thing or person the blurb has not introduced ("the group", "Mr X", "he"),
    a quotation only with its named speaker, and nothing the article's next sentence takes back
    ("But ..."). A "he" or "she" may point back into the context only when `p` directly follows
    it in the article (`adjacent`): anywhere else it means whoever the skipped text was about."""
    r = rules(language)
    if r is not None:
        return _stands_alone_in(r, p.text, context, following)
    text = p.text
    if opens_dangling(text) or _CONTRAST.match(following.strip()) or unresolved(text, context) \
            or _POINTING_PRONOUN.search(outside_quotes(text)):
        return False
    for m in _SURNAME_ONLY.finditer(text):
        introduced = re.search(r"[A-Z][\w'’-]+\s+" + re.escape(m.group(1)), context + " " + text[:m.start()])
        if not introduced:
            return False
    outside = outside_quotes(text)
    pronoun = _PRONOUN.search(outside)
    if pronoun and not _PERSON.search(outside[:pronoun.start()]) and not (adjacent and _PERSON.search(context)):
        return False
    if any(len(q.split()) >= 4 for q in quotations(text)):
        if not SPEECH.search(outside):
            return False
        if not named_speaker(outside) and not pronoun:
            return False
    return not (refers_back(outside, context, adjacent=adjacent) or stranger_speaks(outside, context))


# "this sale", "those talks": a demonstrative and a noun the blurb has not named. Times and
# "those who/affected" define themselves.
_DEMONSTRATIVE = re.compile(r"\b(?:this|these|those)\s+([a-z][\w'’-]*)")
_TIME_NOUNS = frozenset("""year years week weeks month months season seasons summer winter spring autumn fall
weekend morning afternoon evening night time century decade quarter month's year's week's""".split())
# "the move", "the plan" anywhere: which move? Allowed when the blurb already named one.
_BACK_NOUNS = frozenset("""move measure decision plan proposal bill deal report study comments remarks
announcement agreement ruling findings statement scheme project programme legislation incident attack vote talks
meeting visit warning offer bid verdict sale merger takeover purchase acquisition claim allegations row dispute
appeal episode accident outcome""".split())
# Lower case only: "the Sale wing" is a club. "On the move" is an idiom, not a move.
_THE_NOUN = re.compile(r"(?<!\bon )\b(?:[Tt]he|[Tt]hat)\s+(" + "|".join(sorted(_BACK_NOUNS)) + r")\b(?!\s+(?:of|to|for|by|"
                       r"on|that|which|who|in|with|against|from|over)\b)(?!['’]s)")
# "Two other firms", "the only other woman": others besides one the blurb must have named. "Many
# other viruses", "other areas" compare with a kind, not with a thing said before.
_OTHER = re.compile(r"\b(?:the|two|three|four|five|six|seven|eight|nine|ten|several|\d+|only)\s+other\b(?!\s+than\b)"
                    r"(?!\s+(?:hand|day|way|side)\b)", re.IGNORECASE)
_HOWEVER = re.compile(r",\s*(?:however|though|nevertheless|nonetheless|meanwhile|instead|in turn)\s*[,.]",
                      re.IGNORECASE)
# A time relative to something the blurb may not have said: "next morning", "the following day".
# "Next week" and "the previous year" are anchored to the reader's today and to a year named.
_RELATIVE_TIME = re.compile(r"\b(?:(?:the\s+)?next\s+(?:morning|day|evening|night)|the\s+(?:following|previous|same)"
                            r"\s+(?:day|morning|evening|night)|the\s+following\s+(?:week|month)|that\s+(?:night|day|"
                            r"morning|evening|afternoon)|(?:(?:a|an|one|two|three|four|five|a few|several|\d+)\s+)?"
                            r"(?:hours?|days?|weeks?|months?|years?)\s+later|"
                            r"the\s+(?:day|night)\s+before|later\s+that|earlier\s+that)\b", re.IGNORECASE)


# "roughly 60% had been reconnected": a share of something the sentence does not name.
_BARE_SHARE = re.compile(r"\d%\s+(?:had|have|has|were|was|are|is|will|would|could|said|say)\b")


def refers_back(outside: str, context: str, *, adjacent: bool = False) -> str | None:
    """The first phrase anywhere in `outside` (a passage without its quotations) that points at
    something the blurb so far (`context`) has not said, else None."""
    known = set(terms(context))
    for m in _DEMONSTRATIVE.finditer(outside):
        word = m.group(1).lower()
        if m.group(0).lower().startswith("those") and word in ("with", "without", "aged", "over", "under", "living",
                                                               "on", "at", "most", "still"):
            continue            # "those with unauthorised copies": defined on the spot
        if word in _TIME_NOUNS or word in _SELF_DEFINING or word.endswith("ed") or word in DANGLING \
                or re.match(r"\s*(?:" + "|".join(_SELF_DEFINING) + r")\b", outside[m.end():]):
            continue            # "those who", "those people who": the phrase says who
        if not (adjacent and any(t in known for t in terms(word))):
            return m.group(0)
    for m in _THE_NOUN.finditer(outside):
        if not any(t in known for t in terms(m.group(1))):
            return m.group(0)
    for pattern in (_OTHER, _HOWEVER):
        found = pattern.search(outside)
        if found:
            return found.group(0)
    found = _RELATIVE_TIME.search(outside) or _BARE_SHARE.search(outside)
    return found.group(0) if found else None


# "Schulberg told the magazine", "…, said Menatep": one capitalised word speaking, that the blurb
# never named. A descriptor before it ("watchdog BaFin told") introduces it; acronyms are bodies.
_LONE_SPEAKER = re.compile(r"(?:^\s*|[,;]\s+|\band\s+)[“\"‘']?([A-Z][a-z][\w'’-]+)\s+(?:has\s+|had\s+)?(?:said|says|"
                           r"told|tells|added|adds|insisted|admitted|argued|warned|claimed|believes|explained)\b|"
                           r"\b(?:said|says|added)\s+([A-Z][a-z][\w'’-]+)\s*[.,]")


def stranger_speaks(outside: str, context: str) -> str | None:
    """A lone surname or name speaking that the blurb has not introduced, else None."""
    for m in _LONE_SPEAKER.finditer(outside):
        name = m.group(1) or m.group(2)
        if name in OPENERS or name.lower() in _ANONYMOUS or name.lower() in DANGLING:
            continue
        if not re.search(r"\b" + re.escape(name) + r"\b", context):
            return name
    return None


def _stands_alone_in(r: Rules, text: str, context: str, following: str) -> bool:
    """`stands_alone` in a language with its own words: no opening pointer, nothing the next
    sentence takes back, no "jedoch"/"cependant"/"sin embargo" or relative time, no demonstrative
    and noun the blurb has not named ("diese Entscheidung"), nobody called by honorific and surname
    or speaking by surname alone unless the blurb named them, and a quotation only with a speaker."""
    outside = outside_quotes(text, r.code)
    if opens_dangling(text, r.code) or r.contrast.match(following.strip().lstrip("„«»\"¿¡ ")) \
            or r.anywhere.search(outside):
        return False
    if any(m.group(1).lower() not in r.time_nouns for m in r.demonstrative.finditer(outside)):
        return False
    for m in re.finditer(r"\b" + r.reference.pattern.lstrip("^"), outside, re.IGNORECASE):
        if m.start() and m.group(0).split()[-1].split("'")[-1].split("’")[-1].lower() not in context.lower():
            return False                              # "… salue l'annonce": which one?
    for m in r.honorific.finditer(text):
        if not re.search(UPPER + r"[\w'’-]+\s+" + re.escape(m.group(1)), context + " " + text[:m.start()]):
            return False
    for m in r.lone_speaker.finditer(outside):
        name = m.group(1) or m.group(2)
        if name not in r.openers and not re.search(r"\b" + re.escape(name) + r"\b", context):
            return False
    if any(len(q.split()) >= 4 for q in quotations(text, r.code)):
        tokens = re.findall(r"[\w'’.-]+", outside)
        named = any(t[:1].isupper() and (k or t not in r.openers) for k, t in enumerate(tokens))
        if not (r.speech.search(outside) and named):
            return False
    return True
