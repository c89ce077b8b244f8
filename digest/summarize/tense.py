"""Tense: headlines tell a completed event in the present ("Allardyce signs Candela", "G7 backs plan").

Only the main verb is turned, and only when it is surely a past tense and not a passive participle
standing for "was/were ...": an irregular past that has no participle form ("fell", "won", "led"),
or a regular "-ed" verb right after its subject with an object after it ("signed Candela",
"backed plans", "jumped 76%"). "Koubek banned for three months", "Sideways named best film" and
"Spectators evacuated from" are passives and stay. The verb agrees with its subject: "Shares fall",
"Evans begins", "BBC and National Theatre lead".
Pure functions over strings. May import: .words.
"""

from __future__ import annotations

import re

from .words import STOPWORDS

# Irregular pasts whose participle differs, so they cannot be a passive ("was fell" is not English).
_PRESENT = {"fell": "fall", "rose": "rise", "won": "win", "took": "take", "gave": "give", "grew": "grow",
            "saw": "see", "became": "become", "broke": "break", "began": "begin", "drew": "draw",
            "ran": "run", "overtook": "overtake", "withdrew": "withdraw", "threw": "throw", "struck": "strike",
            "leapt": "leap", "swung": "swing", "led": "lead", "chose": "choose", "wrote": "write",
            "drove": "drive", "stole": "steal", "froze": "freeze", "sank": "sink", "slid": "slide",
            "soared": "soar", "shrank": "shrink", "sought": "seek", "told": "tell"}
_PAST = re.compile(r"(?<=\S )(" + "|".join(_PRESENT) + r")\b(?!['’])")     # not "won't"
_AUXILIARY = frozenset("was were is are be been being has have had got get gets to".split())
# "-ed" verbs a passive uses with a complement or a second object: "X named best film", "X fined
# £5m", "X voted best band". Left in the past: it cannot be told from the passive.
_PASSIVE_WITH_OBJECT = frozenset("""named voted elected appointed crowned dubbed called declared ranked rated
considered tipped nominated shortlisted awarded granted offered denied handed fined ordered asked urged
forced allowed expected required asked advised accused charged jailed sentenced banned cleared suspended
selected picked dropped linked tied based owned hailed labelled branded recalled dismissed sacked
released recommended invited estimated believed thought""".split())
_IRREGULAR_ED = {"shed": "shed", "fled": "flee", "bred": "breed", "fed": "feed", "sped": "speed", "bled": "bleed"}
_SUBJECT_LINK = frozenset("at of in for from on".split())
# Words after which an "-ed" word is no main verb: a subordinate clause ("after new Mini launched")
# or an adjective ("five uncapped players").
_NOT_MAIN = frozenset("""after before when while as since until once because if although though whether that
which who""".split())
_COUNTS = frozenset("two three four five six seven eight nine ten several many few".split())
_PLURAL_NOUNS = frozenset("they we people police children men women staff media data".split())


def present_tense(head: str, body: str = "") -> str:
    """`head` with its main past-tense verb in the present, agreeing with the subject; `body`
    tells a plural noun that opens the head ("Shares fell") from a name ("Williams won")."""
    m = _PAST.search(head)
    if m:
        before = head[:m.start()].split()
        if before and before[-1].lower() in _AUXILIARY:
            return head                      # "was struck by": a passive, not a past tense
        return head[:m.start()] + agree(_PRESENT[m.group(1)], before, body) + head[m.end():]
    words = head.split()
    k = _regular_past(words)
    if k is None:
        return head
    return " ".join(words[:k] + [agree(_stem_ed(words[k]), words[:k], body)] + words[k + 1:])


def progressive(aux: str, verb: str) -> str:
    """"is launching" -> "launches", "are joining" -> "join": headlines use the simple present."""
    low = verb.lower()
    if not low.endswith("ing") or len(low) < 6 or low.endswith(("thing", "morning", "evening", "during")) \
            or low in ("going", "being", "having", "seeing"):
        return f"{aux} {verb}"
    plain = _stem_ed(verb[:-3] + "ed")
    return plain if aux.lower() == "are" else agree(plain, ["it"])


def _regular_past(words: list[str]) -> int | None:
    """Where the main "-ed" verb with an object is, if the head has one (see the module docstring)."""
    for k, w in enumerate(words):
        low = w.lower()
        if k == 0 or not w.islower():
            continue
        if low in _NOT_MAIN:
            return None
        if low in _PRESENT or low.endswith("ing") and len(low) > 4 or low in _AUXILIARY:
            return None                      # a verb came first: this is not the main "-ed" one
        if not (low.endswith("ed") and len(low) > 4) or low in _IRREGULAR_ED:
            continue
        prev = words[k - 1].lower()
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if low in _PASSIVE_WITH_OBJECT or prev in STOPWORDS or prev in _COUNTS or prev[:1].isdigit() \
                or prev.endswith(("ly", ",")):
            return None
        obj = bool(nxt) and (nxt[:1].isupper() or nxt[:1].isdigit() or nxt[:1] in "£$€" or (
            nxt.islower() and nxt not in STOPWORDS and not nxt.endswith("ly")))
        return k if obj else None
    return None


# When "-ed" came after a silent "e": "cited", "raised", "secured", "settled", "decided" (not
# "opened", "visited", "developed", "claimed"). Tried in order on the word less its "-ed".
_ADDS_E = re.compile(r"(?:[^aeiou]at|[iu]at|uid|[^aeiou]ut|[^aeiou][aeiou][bdkm]|[^aeiou][aeiou]l|[^aeiou]in|[^aeiou](?:a|i|y)p"
                     r"|[^aeiou][aiou]r|[^aeiou]ot|uot|uir|^cre?at|[lp]et|[^s]s|c|v|(?<!z)z|u|[bcdfgkptz]l|[^n]g|[aeu]ng|"
                     r"^(?:c|un|inv|ign|exc|rec)it|^(?:ph|cl|z|h|t|at)on|^(?:h|c|sc|el)op)$")
_KEEPS_LL = frozenset("install recall befall enthrall forestall".split())


def _stem_ed(verb: str) -> str:
    """The plain form of a regular past: "signed" -> "sign", "cited" -> "cite", "stopped" -> "stop",
    "carried" -> "carry", "agreed" -> "agree", "cancelled" -> "cancel"."""
    low, base = verb.lower(), verb[:-2]
    if low.endswith("ied"):
        return verb[:-3] + "y"
    if low.endswith("eed"):
        return verb[:-1]
    if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "aeioudlszf":
        return base[:-1]                     # "stopped" -> "stop" ("added", "called", "passed" keep theirs)
    if base.endswith("ll") and len(base) >= 6 and base[-3] in "ea" and base.lower() not in _KEEPS_LL:
        return base[:-1]                     # "travelled" -> "travel"
    if base.lower() in ("focus", "bias", "us") or not _ADDS_E.search(base.lower()):
        return base + ("e" if base.lower() == "us" else "")
    return base + "e"


def agree(verb: str, before: list[str], body: str = "") -> str:
    """`verb` (plain form) agreeing with the subject in `before`: "Shares fall", "Evans begins"."""
    at = len(before) - 1
    for k, w in enumerate(before[1:], 1):      # "Profits at Barclays rose": the word before "at"
        if w.lower() in _SUBJECT_LINK:
            at = k - 1
            break
    subject = before[at] if before else ""
    low = subject.lower()
    if subject[:1].isupper() and not subject.isupper():
        # A capitalised word is a name ("Chris Evans", "Williams") unless it opens the head and the
        # article writes it in lower case, or never capitalised inside a sentence ("Shares fell").
        common = at == 0 and (not body or re.search(r"\b" + re.escape(low) + r"\b", body) is not None
                              or re.search(r"[a-z,] " + re.escape(subject) + r"\b", body) is None)
    else:
        common = not subject.isupper()
    plural = (common and low.endswith("s") and not low.endswith(("ss", "us", "is"))
              or low in _PLURAL_NOUNS
              or re.search(r" (?:and|&) ", " ".join(before[:at + 1][-4:])) is not None)   # "Stone and Muse win"
    if plural:
        return verb
    if verb.endswith(("sh", "ch", "ss", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"
