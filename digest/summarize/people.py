"""People: who an article names, and how it first introduced them.

A blurb is read without the article, so "Walsh added that Swanson surfaced…" (US house style, no
honorific) leaves the reader asking who Walsh is. `people(body)` finds the persons an article names
in full ("Police spokesman Dan Pfannes said…") and later by surname alone; `introduce` then rewrites
a passage's first bare mention of such a person into the article's first full mention, or says it
cannot be done safely (two people share the surname, or the mention is not a plain name).
Pure functions over strings. May import: .sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sentences import OPENERS, SPEECH, outside_quotes

HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Lord|Lady|Rep|Sen|Gov|Gen|Col|Capt|Rev|Judge)"
# "Dan Pfannes", "Maria de la Cruz" is too rare to chase: a given name and a surname, both capitalised.
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_FULL = re.compile(r"(?<![\w'’-])(" + _NAME + r"(?:\s+[A-Z]\.|\s+" + _NAME + r")?)\s+"
                   r"((?:Mc|Mac|O['’]|De|Di|Van)?[A-Z][a-z]\w*)\b(?![\w-])(?!['’](?!s\b))(?!\s+[A-Z])")
# What makes a full name a person, not a firm or a place: a speech verb or an age right after it,
# "he"/"she" later in its sentence, a job title before it, or the surname used with an honorific.
_SPEECH_AFTER = re.compile(r"^(?:,\s+\d{1,3},|\s+(?:has\s+|had\s+)?" + SPEECH.pattern[2:-2] + r"\b)")
_ROLE_NOUNS = frozenset("""spokesman spokeswoman spokesperson chief executive director minister secretary senator
governor mayor president chairman chairwoman chair commissioner officer inspector detective sergeant coach manager
captain analyst economist professor lawyer attorney judge sheriff leader founder head editor researcher
scientist deputy lieutenant general colonel superintendent prosecutor negotiator ambassador envoy official
councillor councilman councilwoman representative trustee administrator spokesperson owner boss""".split())
_ROLE_MODIFIERS = frozenset("""deputy vice assistant acting former chief police interim senior junior team club
party state federal finance foreign health defence defense home prime general executive press campaign""".split())
_NOT_GIVEN = frozenset("""The A An In On At For From By With And But Of To As Its His Her Their Our This That
North South East West New Old Great United Royal National Federal State City County General Both Other Until
January February March April May June July August September October November December Monday Tuesday Wednesday
Thursday Friday Saturday Sunday Radio Church Team Club Group Bank""".split())
# "in Las Vegas Microsoft said": after these a capitalised pair is a place, not a given name.
_PLACE_BEFORE = frozenset("in at near across into inside outside of".split())


_TITLES = frozenset("""Chancellor President Senator Governor Mayor Prime Minister Secretary Judge Justice Captain
Coach Professor General Colonel Sheriff Detective Officer Inspector Police Chief""".split())


_FIRM_AFTER = re.compile(r"^['’]?s?,?\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,3}(?:company|firm|group|maker|giant|carrier|"
                         r"bank|club|chain|retailer|airline|brand|label|studio|network)\b")


@dataclass(frozen=True)
class Person:
    given: str
    surname: str
    role: str          # the words before the name at its first full mention ("Police spokesman"), or ""
    role_opens: bool   # that mention opened its sentence (so the role's first capital is the sentence's)
    sure: bool = True  # the article shows it is a person (it speaks, has an age, an honorific, a title)

    @property
    def full(self) -> str:
        return f"{self.given} {self.surname}"


@dataclass
class _Evidence:
    """What the whole body says once, so each candidate name is judged by set look-ups."""
    lower: set[str]            # every word that appears in lower case
    honoured: set[str]         # surnames used with an honorific ("Mr Walsh")
    speaking: set[str]         # capitalised words followed by a speech verb ("Walsh said")

    @classmethod
    def of(cls, body: str) -> _Evidence:
        return cls(set(re.findall(r"\b[a-z][\w'’-]*", body)),
                   set(re.findall(r"\b" + HONORIFIC + r"\.?\s+([A-Z][\w'’-]+)", body)),
                   set(re.findall(r"\b([A-Z][\w'’-]+)\s+(?:said|says|told|added|admitted)\b", body)))


def _is_person(body: str, ev: _Evidence, surname: str, start: int, end: int) -> bool:
    after = body[end:end + 70]
    if surname in ev.honoured or _SPEECH_AFTER.match(after) or after.startswith(", who ") \
            or re.match(r"^[^.;]{0,60}\b(?:he|she)\b", after):
        return True
    before = body[max(0, start - 30):start].split()
    if before and before[-1].lower().strip(",") in _ROLE_NOUNS:
        return True
    # The surname alone speaking ("Pfannes said"), when the full name is not a sentence's first
    # words ("Both Boeing and Airbus…" is no person).
    opens = not before or before[-1].endswith((".", "!", "?", "”", '"'))
    return not opens and surname in ev.speaking


def _role_before(body: str, start: int) -> tuple[str, bool]:
    """The job title right before a name ("Police spokesman", "deputy governor") and whether that
    mention opened its sentence. Capitalised words that may continue an earlier name ("Bank of
    England deputy governor") are dropped unless the title opens the sentence."""
    words = body[max(0, start - 80):start].split()
    run: list[str] = []
    for w in reversed(words[-3:]):
        if not re.fullmatch(r"[\w'’-]+", w) or not (w[:1].isupper() or w.lower() in _ROLE_NOUNS
                                                   or w.lower() in _ROLE_MODIFIERS):
            break
        run.insert(0, w)
    if not run or run[-1].lower() not in _ROLE_NOUNS:
        return "", False
    k = len(words) - len(run)
    opens = k == 0 or words[k - 1].endswith((".", "!", "?"))
    if not opens:
        while run and run[0][:1].isupper():
            run.pop(0)
    return " ".join(run), opens and bool(run)


def people(body: str) -> dict[str, Person]:
    """Surname -> the person the article names in full (`sure` when the article shows it is a
    person); a surname two people share maps to nobody, and is never rewritten."""
    found: dict[str, Person] = {}
    clash: set[str] = set()
    text = outside_quotes(body)
    ev = _Evidence.of(text)
    for m in _FULL.finditer(text):
        given, surname = m.group(1), m.group(2)
        first = given.split()[0]
        if " " in given and (first in _NOT_GIVEN or first in OPENERS or first.lower() in _ROLE_NOUNS
                             or first in _TITLES):
            given = given.split()[1]            # "Chancellor Gordon Brown": the title is no given name
        honour = ""
        if re.fullmatch(HONORIFIC, given.split()[0]) and " " in given:
            honour, given = given.split()[0], given.split()[1]      # "Sir Alex Ferguson"
        if given in _NOT_GIVEN or given in OPENERS or surname in clash:
            continue
        if surname in found:
            if found[surname].given != given:
                clash.add(surname)      # "Anna Berg and Lars Berg": a bare "Berg" is nobody we can name
                found[surname] = Person("", surname, "", False, False)
            continue
        prev = text[max(0, m.start() - 12):m.start()].split()
        if prev and prev[-1].lower() in _PLACE_BEFORE:
            continue
        if given.split()[-1].lower() in ev.lower or surname.lower() in ev.lower:
            continue            # "Joy Church", "World Bank": a common word is no name
        sure = _is_person(text, ev, surname, m.start(), m.end())
        role, opens = (honour, False) if honour else _role_before(text, m.start())
        found[surname] = Person(given, surname, role, opens, sure)
    followers = _followers(text)
    return {k: p for k, p in found.items() if p.sure or not p.given or _could_be_given(p, followers)}


def _followers(text: str) -> dict[str, set[str]]:
    """Each capitalised word -> the words right after it ("" at a comma or full stop), read once."""
    out: dict[str, set[str]] = {}
    for word, nxt in re.findall(r"\b([A-Z][\w'’-]*)(?=(\s+[\w'’-]+|))", text):
        out.setdefault(word, set()).add(nxt.strip())
    return out


def _could_be_given(p: Person, followers: dict[str, set[str]]) -> bool:
    """Could an unproven pair be a person's name? Not "Leicester City Burnley" (two words before the
    surname) nor "Berlin Games" ("Berlin" also stands alone: a place, a firm)."""
    return re.fullmatch(_NAME, p.given) is not None and followers.get(p.given, set()) <= {p.surname}


_MENTION = re.compile(r"(?:\b" + HONORIFIC + r"\.?\s+)?\b([A-Z](?:\w|['’](?!s\b))*(?:-[A-Z]\w*)?)\b")


def bare_mentions(text: str, cast: dict[str, Person]) -> list[re.Match]:
    """The first mention of each known person by surname alone (or "Mr X"), outside quotations,
    that `text` itself does not introduce first."""
    out, seen = [], set()
    for m in _MENTION.finditer(text):
        surname = m.group(1)
        if surname not in cast or surname in seen or _inside_quote(text, m.start()):
            continue
        before = text[:m.start()]
        if cast[surname].full in before:
            seen.add(surname)           # introduced earlier in this text
            continue
        # A quotation's close before the name ("…very hard," Hartono told) is speech, not a nickname.
        if re.search(r"(?:\b[A-Z][\w'’.-]*\s+|(?<![,.!?])[-\"“”'‘’]\s*)$", before) \
                and not re.search(HONORIFIC + r"\.?\s+$", before) \
                or re.match(r"[-'’]?\s*[A-Z&]|-", text[m.end():m.end() + 2]):
            continue                    # part of a longer name: "Mittal Steel", "T-Mobile", "Marion \"Suge\" Knight"
        seen.add(surname)
        if not _FIRM_AFTER.match(text[m.end():]):     # "Ford, the US car company": a firm that shares a name
            out.append(m)
    return out


def stranger(text: str, context: str, cast: dict[str, Person]) -> str | None:
    """A surname `text` uses alone that the article gives in full elsewhere but `introduce` could
    not vouch for as a person ("…while Kronberg and Dorival clocked…"), and the blurb so far
    (`context`) does not name in full; else None. Such a passage stays out."""
    for m in bare_mentions(text, cast):
        person = cast[m.group(1)]
        if not introduced(person, context):
            return m.group(0)
    return None


def introduced(person: Person, context: str) -> bool:
    return bool(person.given) and person.full in context


def introduce(text: str, context: str, cast: dict[str, Person]) -> str:
    """`text` with every person it calls by surname alone (and the blurb so far, `context`, has not
    introduced) named as the article first named them: "Pfannes said" -> "Police spokesman Dan
    Pfannes said". The job title comes along only where its capitals read right."""
    taken = -1
    for m in reversed(bare_mentions(text, {k: p for k, p in cast.items() if p.sure})):
        if taken >= 0 and m.end() > taken:
            continue            # overlaps a mention already rewritten
        taken = m.start()
        person = cast[m.group(1)]
        if introduced(person, context):
            continue
        at_start = text[:m.start()].strip(" “\"‘'(") == ""
        if person.role and (at_start or not person.role_opens) \
                and person.role.split()[-1].lower() not in text.lower():     # not "chairman … resigned as chairman"
            name = f"{person.role} {person.full}"
            name = name[:1].upper() + name[1:] if at_start else name
        else:
            name = person.full
        text = text[:m.start()] + name + text[m.end():]
    return text


def _inside_quote(text: str, pos: int) -> bool:
    before = text[:pos]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1
