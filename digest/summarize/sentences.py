"""Sentences: split news prose into sentences, group them into passages that are quoted whole, and
judge whether a passage may appear in a blurb at all (digest.summarize.standalone judges whether
it stands on its own there).

A passage is one sentence, or several when a quotation runs across them ("… sooner. The honest
conclusion is …”") or a bare quotation carries on the one before (“We support the railway,” he
said. “We would also like to be paid for it.”): cutting one would change what was said.
Pure functions over strings. May import: nothing from digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations whose full stop rarely ends a sentence.
_ABBREV = frozenset("""
mr mrs ms dr prof st sen rep gov gen col lt sgt capt cmdr adm maj rev fr hon pres supt insp det
jr sr messrs mme mlle jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
thurs fri sat sun no nos vs v etc approx est dept univ assn bros ave blvd rd mt ft fig vol ed eds
pp op cf al gen inc corp co ltd plc
""".split())
# Dotted abbreviations ("U.S.", "p.m.", "Inc.") end a sentence only before a typical sentence opener.
OPENERS = frozenset("""
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
        return next_word in OPENERS                   # "U.S." mid-sentence vs "the U.S. The ..."
    if bare in _ABBREV:
        return False                                  # "Mr. Smith", "Sept. 4"
    return True


def split_paragraphs(text: str) -> list[list[str]]:
    """Sentences, paragraph by paragraph. Paragraph breaks (newlines) always end a sentence."""
    out: list[list[str]] = []
    for para in re.split(r"\s*\n\s*", text or ""):
        para = " ".join(para.split())
        sents, start = [], 0
        for m in _BOUNDARY.finditer(para):
            if _is_real_boundary(para[start:m.start() + len(m.group(1))], para[m.end():]):
                sents.append(para[start:m.end()].strip())
                start = m.end()
        if para[start:].strip():
            sents.append(para[start:].strip())
        if sents:
            out.append(sents)
    return out


def split_sentences(text: str) -> list[str]:
    """Split news prose into sentences (the numbering `Summary.sentences` refers to)."""
    return [s for para in split_paragraphs(text) for s in para]


# ---- quotations ---------------------------------------------------------------------------------

QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
SPEECH = re.compile(r"\b(?:said|says|say|saying|told|tells|tell|added|adds|according to|asked|asks|warned|warns|"
                    r"argued|argues|wrote|writes|insisted|insists|claimed|claims|explained|explains|stated|states|"
                    r"announced|announces|urged|urges|called|calls|described|describes|admitted|admits|suggested|"
                    r"suggests|declared|declares|noted|notes|replied|replies|responded|acknowledged|maintained|"
                    r"predicted|promised|pledged|vowed|accused|conceded|confirmed|recalled|joked|added)\b", re.I)


def open_quote(text: str) -> bool:
    """Does `text` leave a quotation open (or close one it did not open)?"""
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1


def quotations(text: str) -> list[str]:
    """The quoted stretches of a passage, without their marks."""
    return [q.strip("“”\"") for q in QUOTED.findall(text)]


def outside_quotes(text: str) -> str:
    return QUOTED.sub(" ", text)


def _bare_quote(sentence: str) -> bool:
    """A sentence that is all quotation, with no one saying it: it carries on the quote before."""
    s = sentence.strip()
    return s[:1] in "“\"" and not SPEECH.search(outside_quotes(s)) and len(outside_quotes(s).split()) <= 1


@dataclass
class Passage:
    indices: list[int]          # sentence numbers, as in split_sentences
    text: str
    paragraph: int

    @property
    def words(self) -> int:
        return len(self.text.split())


def passages(text: str) -> list[Passage]:
    """The body's sentences grouped into passages (see the module docstring), in article order.
    A quotation still open at the end of a paragraph stays open: that passage is unbalanced and
    `eligible` keeps it out."""
    out: list[Passage] = []
    n = 0
    for p, sents in enumerate(split_paragraphs(text)):
        current: Passage | None = None
        for s in sents:
            carry_on = current is not None and (open_quote(current.text) or
                                                (_bare_quote(s) and quotations(current.text)))
            if carry_on and current is not None:
                current.indices.append(n)
                current.text += " " + s
            else:
                current = Passage([n], s, p)
                out.append(current)
            n += 1
    return out


# ---- may a passage appear in a blurb at all? ----------------------------------------------------

_BOILERPLATE = re.compile(
    r"contributed (?:to )?(?:this )?report|^read (?:more|the full)|^click here|^sign up|^subscribe"
    r"|all rights reserved|^copyright|^©|^follow (?:us|him|her)|^photo(?:graph)?:|^image:"
    r"|^\(?(?:reporting|writing|editing|additional reporting) by|^this (?:article|story) "
    r"(?:was|has been|first)|^related:|^advertisement$|^watch:|^listen:",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von))*[,.]?\s*$|"
                     r"^by\s+[A-Z][\w.'’-]+\s+[A-Z][\w.'’-]+(?:,|\s+and\s)", re.IGNORECASE)
# A photo caption: it ends on a credit "(Name / Agency)" or opens with "Photo:".
_CAPTION = re.compile(r"\([^()]*/[^()]*\)\.?$|^(?:photo|image|pictured|file photo)\b", re.IGNORECASE)
_ENDS_CLEANLY = re.compile(r"[.!?…][\"'”’)\]]*$")


def unpunctuated_sentence(p: Passage) -> bool:
    """A sentence that lost its full stop (feeds and copied pages do that): long, in sentence case,
    with a verb-like word. A heading or a venue line is short or in Title Case."""
    words = p.text.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) >= 8 and lower >= len(words) / 2 and not _ENDS_CLEANLY.search(p.text.strip()) \
        and p.text.lstrip("“\"‘'")[:1].isupper() and not p.text.rstrip().endswith((")", ":"))


def listing(text: str) -> bool:
    """A line-up, a results table or a list of names ("Man City: James, Mills (Wright-Phillips 83),
    Dunne, ..."): many commas, few lowercase words."""
    parts = re.split(r"[,;]", text)
    words = text.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(parts) >= 5 and lower < 0.3 * len(words)


def eligible(p: Passage) -> bool:
    """Can this passage appear in a blurb? Not boilerplate, a byline, a caption, a dateline or
    heading (no full stop), a list of names, nor half of a quotation."""
    s = p.text.strip()
    if p.words < 4 or open_quote(s) or not (_ENDS_CLEANLY.search(s) or unpunctuated_sentence(p)) or listing(s):
        return False
    return not (_BOILERPLATE.search(s) or _BYLINE.match(s) or _CAPTION.search(s))
