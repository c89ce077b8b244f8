"""Headlinese: the rewrites that turn a news sentence into headline style.

"Shares in Google have fallen 6.7%" -> "Google shares fall 6.7%"; "Acme Corp will cut its
forecast" -> "Acme Corp to cut forecast"; articles, auxiliaries, times ("on Tuesday"), asides and
job descriptions ("Real Madrid midfielder") go; people are called by surname when the article
does so itself. Every rewrite drops or swaps words: none adds a fact.
Pure functions over strings. May import: .words, .sentences, .tense.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .sentences import OPENERS as _OPENERS
from .tense import progressive
from .words import STOPWORDS


def compress(sentence: str, body: str) -> str:
    """`sentence` (a clause of the lede) in headline style; `body` says which names it uses."""
    s = sentence
    for pattern, repl in _HEADLINESE:
        s = pattern.sub(repl, s).strip()
    s = _NAME_AFTER.sub(r"\1 ", _APPOSITIVE.sub(r"\1 ", _TIME.sub("", s)))
    s = _ADVERB.sub(_drop_adverb, _ASIDE_AFTER_NAME.sub(r"\1 ", _ASIDE_CLAUSE.sub(r"\1 ", s, count=1), count=1))
    s = _ROLE.sub("", _surnames(" ".join(s.split()), body))
    s = _TITLE_BEFORE_NAME.sub(_drop_title, s, count=1)
    s = _DESCRIPTOR.sub(_drop_descriptor, _OPENING_TITLE.sub(_drop_opening_title, s, count=1))
    s = _name_subject(s[:1].upper() + s[1:], body)
    return " ".join(s.split()).strip(" ,;:")


def drop_appositive(sentence: str) -> str:
    """"General Motors, the world's largest car maker, has said ..." -> "General Motors has said ..."."""
    return _APPOSITIVE.sub(r"\1 ", sentence, count=1)


# Irregular past participles and the past tense a headline uses instead ("has won" -> "won").
PARTICIPLES = {w: w for w in """won made sold lost cut hit put set bought paid held told found left kept led met
built sent spent brought beat quit shut struck fought caught bid let split""".split()}
PARTICIPLES.update(fallen="fell", risen="rose", taken="took", given="gave", grown="grew", shown="showed",
                    seen="saw", become="became", chosen="chose", driven="drove", written="wrote",
                    beaten="beat", broken="broke", begun="began", frozen="froze", stolen="stole",
                    withdrawn="withdrew", overtaken="overtook", thrown="threw", drawn="drew", run="ran")

# Rewrites that turn a first sentence into headlinese, applied in order.
_HEADLINESE: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\s*\([^)]*\)"), ""),                                       # asides in brackets
    (re.compile(r"\s*[—–]\s*[^—–]{1,60}?\s*[—–]\s*|\s+-\s+[^-]{1,60}?\s+-\s+"), " "),  # dashed asides
    (re.compile(r"[.!?]+(?=[”\"’']*$)"), ""),                              # the full stop
    (re.compile(r"^(?:after|as|despite|following|amid|while|speaking|according to|when|although|though|"
                r"having)\b[^,]{0,80},\s+", re.IGNORECASE), ""),             # leading clause
    (re.compile(r"\b(?:has|have|had|is|are|was|were) been\s+"), ""),        # "has been named" -> "named"
    (re.compile(r"\b(?:is|are|was|were) being\s+(?=\w+(?:ed|en)\b)"), ""),  # "is being launched" -> "launched"
    (re.compile(r"\b(?:has|have)\s+(?=\w+ed\b)"), ""),                      # "has signed" -> "signed"
    (re.compile(r"\b(?:is|are)\s+(?=to\b)"), ""),                           # "is to play" -> "to play"
    (re.compile(r"\bwill\s+(?!not\b)"), "to "),                              # "will play" -> "to play"
    (re.compile(r"\b(is|are)\s+(\w+ing)\b(?! to\b)"), lambda m: progressive(m.group(1), m.group(2))),
    (re.compile(r"\b(?:is|are|was|were)\s+(?=\w+(?:ing|ed|en)\b)"), ""),    # "is planning" -> "planning"
    (re.compile(r"\b(?:is|are)\s+(?:set|due|expected|poised|planning|preparing|about)\s+to\b"), "to"),
    (re.compile(r"\b(?:has|have|had)\s+(" + "|".join(PARTICIPLES) + r")\b"),
     lambda m: PARTICIPLES[m.group(1)]),                                  # "has fallen" -> "fell"
    (re.compile(r"\b(?:its|their|his)\s+(?=\S)"), ""),                    # "cut its forecast" -> "cut forecast"
    (re.compile(r"\s*\b(?:in|during|for|since)\s+(?:19|20)\d\d\b"), ""),     # "in 2004": the year is implied
    (re.compile(r"\b(?:is|are)\s+(?!to\b|a\b|an\b|the\b|not\b|no\b|being\b)(?=[a-z])"), ""),  # "X is unlikely"
    (re.compile(r"^Shares in ((?:[A-Z][\w&'’.-]*\s+){1,3})(?:have|has)?\s*"), r"\1shares "),  # "X shares fell"
    (re.compile(r"^((?:[A-Z][\w&.-]*\s+){0,2}[A-Z][\w&.-]*)['’]s\s+(?=[a-z])"), r"\1 "),   # "UK's jobless" -> "UK jobless"
    (re.compile(r"\b[Mm]ore than\b"), "over"),
    (re.compile(r"\b(in|at|near|off|across)\s+(?:the\s+)?[A-Z][\w-]+['’]s\s+(?:(?:north|south|east|west)(?:ern|-eastern|"
                r"-western)?\s+|central\s+)?([A-Z][\w-]+)\s+(?:region|province|state|district|county|area)\b"),
     r"\1 \2"),                                                           # "in Ukraine's southern Odesa region" -> "in Odesa"
    (re.compile(r"\b(?:the|a|an)\s+"), ""),                                 # headlines drop articles
    (re.compile(r"^(?:The|A|An)\s+(?=\S)"), ""),
]


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
    name = max(names, key=lambda n: names[n], default="")
    return name + " " + head[m.end():] if name else head


# "Real Madrid midfielder Beckham ..." -> "Beckham ...": headlines name the person, not the post.
_ROLE = re.compile(r"^(?:[A-Z][\w'’.-]*\s+){0,3}(?i:boss|coach|manager|midfielder|striker|defender|"
                   r"winger|goalkeeper|captain|chairman|chief|star|singer|rapper|actor|actress|"
                   r"director|president|minister|secretary|champion|player|comedian|presenter|author|"
                   r"writer|veteran|sprinter|runner|flanker|scrum-half|fly-half|centre|lock|prop|hooker|"
                   r"batsman|bowler|forward|keeper|full-back|legend|tycoon|founder|musician)\s+(?=[A-Z])")
_NAME_PAIR = re.compile(r"(?<!and )(?<!& )(?<!of )(?<!Sir )(?<![-\w])([A-Z][a-z]+) ([A-Z][a-z'’-]+)\b(?! [A-Z])")
# "at US media giant TimeWarner" -> "at TimeWarner": the same for firms, clubs, shows and bands,
# anywhere in the sentence (see _drop_descriptor for when it is left alone).
_DESCRIPTOR = re.compile(
    r"\b(?:[A-Z][\w'’-]*\s+)?(?:(?!(?:with|of|in|on|at|for|from|by|to|and|as|over|against|about|after|before|into|under|"
    r"between|behind|beyond|among|amid|like|than|via)\s)[a-z][\w'’-]*\s+){0,2}"
    r"(?:giant|firm|group|"
    r"company|maker|chain|retailer|bank|carrier|airline|operator|winemaker|brewer|club|side|team|band|"
    r"festival|comedy|film|show|soap|drama|singer|star|rapper|actor|actress|director|boss|chief|executive|"
    r"minister|champion|player|coach|manager|striker|midfielder|defender|winger|goalkeeper|captain|"
    r"chairman|conglomerate|network|broadcaster|regulator|watchdog|developer|publisher|studio)\s+(?=[A-Z])")
# Times headlines leave out: "on Tuesday", "last week", "in October".
_TIME = re.compile(r"\s*\b(?:(?:on|last|this|next|earlier this|later this)\s+(?:Monday|Tuesday|Wednesday|"
                   r"Thursday|Friday|Saturday|Sunday|week|month|year|weekend)|(?:in|during)\s+(?:January|"
                   r"February|March|April|May|June|July|August|September|October|November|December)"
                   r"(?:\s+\d{4})?|yesterday|today)\b(?!\s*['’]s)|\s*\bthis\s+(?:year|week|month|season)['’]s\b",
                   re.IGNORECASE)
# "McDonald's, the world's largest restaurant chain, is to ..." -> "McDonald's is to ...".
_APPOSITIVE = re.compile(r"^((?:(?:[A-Z][\w'’.&-]*|and|&)\s*){1,6}),\s+[^,]{3,90},\s+(?=[a-z])")
# The main clause goes on past an aside between commas after a name: "Emilio Botin, chairman of
# Spain's biggest bank, faces", "Cell chip, which will drive the new console, is", "Smith, 34, was".
_ASIDE_CLAUSE = re.compile(r"\b([\w'’.&-]+),\s+(?:who|which|whose)\s+[^,]{3,80},\s+(?=[a-z])")
_ASIDE_AFTER_NAME = re.compile(r"\b([A-Z][\w'’.&-]*),\s+(?:[a-z][^,]{3,70}|\d{1,3}),\s+(?=[a-z])")
# "rose sharply", "narrowly avoided": an adverb of manner next to its verb says little a title keeps.
_ADVERB = re.compile(r"\s+\b([a-z]{3,}ly)\b(?=\s+(?!\d|£|\$|€)\S)")
_KEEP_LY = frozenset("""only likely unlikely early daily weekly monthly yearly quarterly family rally ally supply reply
assembly monopoly holy ugly nearly roughly friendly elderly lonely costly deadly lively fly july italy
""".split())


def _drop_adverb(m: re.Match) -> str:
    word = m.group(1)
    return m.group(0) if word in _KEEP_LY or word.endswith(("ply", "bly")) and len(word) < 6 else ""


# "World's biggest confectionery firm, Cadbury Schweppes, reported ..." -> "Cadbury Schweppes reported ...".
_NAME_AFTER = re.compile(r"^[^,]{3,60}?\b[a-z][^,]*,\s+((?:[A-Z][\w'’.&-]*\s*){1,4}),\s+(?=[a-z])")


# "World number one Federer added", "Italy skipper Bortolami said", "Movie monster Godzilla got":
# a title or description in lower case between the sentence's start and the name it describes.
_TITLE_BEFORE_NAME = re.compile(
    r"^(?:[A-Z][\w'’.-]*\s+){0,2}(?P<desc>(?:(?:number one|no 1|[a-z][\w'’-]*)\s+){1,3})"
    r"(?=[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}\s+[a-z])")


# "Teenager Sania Mirza", "Broadcaster Chris Evans": one capitalised word of a person's post.
_OPENING_TITLE = re.compile(r"^(?P<desc>[A-Z][a-z]+)\s+(?=[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}\s+[a-z])")
_POSTS = frozenset("""teenager broadcaster bookmaker comedian singer rapper actor actress director striker
midfielder defender winger goalkeeper captain skipper coach manager boss sprinter hurdler chancellor president
novelist author writer presenter chef veteran tycoon billionaire entrepreneur designer producer""".split())


def _drop_opening_title(m: re.Match) -> str:
    return "" if m.group("desc").lower() in _POSTS else m.group(0)


def _drop_title(m: re.Match) -> str:
    """Only a description ending on a noun of one ("British hurdler", "Cable firms"): no function
    word, verb or adverb in it ("Police say Smith", "Tests showed Jones" keep theirs)."""
    desc = m.group("desc").split()
    if desc[-2:] in (["number", "one"], ["no", "1"]):
        return ""
    for w in desc:
        if w in STOPWORDS or w.endswith(("ed", "ly", "ing")) and "-" not in w:
            return m.group(0)
    last = desc[-1]
    return "" if last in _DESCRIPTION or last.endswith("s") and last[:-1] in _DESCRIPTION else m.group(0)


# Nouns that describe a person, a firm or a work before its name (plurals too: "Greek sprinters").
_DESCRIPTION = frozenset("""boss coach manager midfielder striker defender winger goalkeeper captain skipper
chairman chief star singer rapper actor actress director president minister secretary champion player comedian
presenter author writer veteran sprinter runner hurdler flanker scrum-half fly-half centre prop hooker batsman
bowler forward keeper full-back legend tycoon founder musician duo trio band group host operator insurer firm
company giant maker carmaker retailer bank carrier airline chain brewer club side team festival thriller movie
film blockbuster drama comedy show soap monster format market broadcaster regulator watchdog developer publisher
studio network label designer artist novelist playwright poet photographer producer songwriter composer boxer
golfer cyclist swimmer jockey trainer athlete jumper skier skater international rival holder winner
entrepreneur billionaire magnate businessman businesswoman chef icon idol model outfit""".split())


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
        before = m.string[:m.start()].split()
        if before and before[-1][:1].isupper() and before[-1].lower() not in STOPWORDS:
            return m.group(0)         # "John Arne Riise": the pair is the end of a longer name
        if first.lower() in STOPWORDS or first in _OPENERS or alone(first, last) < 1:
            return m.group(0)
        return last
    return _NAME_PAIR.sub(repl, sentence)
