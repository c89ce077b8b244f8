"""Sentences: split news prose into sentences, group them into passages that are quoted whole, and
judge whether a passage may appear in a blurb at all (digest.summarize.standalone judges whether
it stands on its own there).

A passage is one sentence, or several when a quotation runs across them ("… sooner. The honest
conclusion is …”") or a bare quotation carries on the one before (“We support the railway,” he
said. “We would also like to be paid for it.”): cutting one would change what was said.
A language with its own words (.languages: de, fr, es) is split by its abbreviations, ordinals
("am 6. Dezember") and quotation marks („…“, « … »); every other language by the English rules.
Pure functions over strings. May import: .languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .languages import UPPER, Rules, rules

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


_QUOTE_MARKS = "\"'“‘„«»(["
_OPENS_QUOTE = "\"“‘„«»"


@lru_cache(maxsize=8)
def _boundary(r: Rules) -> re.Pattern[str]:
    """A candidate boundary in `r`'s language: the stop, closing marks (French sets them off with a
    space: "pas. »"), whitespace, then a capital, a digit or an opening mark ("¿", "„", "«")."""
    closers = re.escape(r.closers)
    return re.compile(r"([.!?…]+)((?:\s?[" + closers + r"])*)\s+(?=[" + re.escape(_QUOTE_MARKS) + r"¿¡]?\s?(?:"
                      + UPPER + r"|[0-9¿¡]))")


def _is_boundary_in(r: Rules, before: str, after: str) -> bool:
    """`_is_real_boundary` with the abbreviations and ordinals of `r`'s language."""
    tok = _TOKEN_BEFORE.search(before)
    word = (tok.group(1) if tok else "").lstrip(_QUOTE_MARKS + "¿¡")
    rest = after.lstrip(_QUOTE_MARKS + "¿¡ ")
    next_word = rest.split(None, 1)[0] if rest else ""
    if not word.endswith("."):
        return True
    bare = word.rstrip(".").lower()
    if re.fullmatch(r"[^\W\d_]", bare) or bare in r.abbrev or bare in ("mr", "mrs", "ms"):
        return False                                  # "z. B.", "M. Dupont", "p. ej.", "Dr. Keller", "EE. UU."
    opener = next_word in r.openers or re.match(r"[LDJ]['’]", next_word) is not None
    if "." in bare or bare in r.ends_before_opener:
        return opener                                 # "Vinel S.A. a racheté" vs "S.A. Les syndicats"
    if r.ordinals and bare.isdigit() and len(bare) <= 3:
        return opener                                 # "am 6. Dezember", "zum 3. Mal" vs "Platz 3. Der"
    return True


def split_paragraphs(text: str, language: str = "en") -> list[list[str]]:
    """Sentences, paragraph by paragraph. Paragraph breaks (newlines) always end a sentence."""
    out: list[list[str]] = []
    r = rules(language)
    pattern = _boundary(r) if r else _BOUNDARY
    for para in re.split(r"\s*\n\s*", text or ""):
        para = " ".join(para.split())
        sents, start = [], 0
        for m in pattern.finditer(para):
            before, after = para[start:m.start() + len(m.group(1))], para[m.end():]
            if _is_boundary_in(r, before, after) if r else _is_real_boundary(before, after):
                sents.append(para[start:m.end()].strip())
                start = m.end()
        if para[start:].strip():
            sents.append(para[start:].strip())
        if sents:
            out.append(sents)
    return out


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split news prose into sentences (the numbering `Summary.sentences` refers to)."""
    return [s for para in split_paragraphs(text, language) for s in para]


# ---- quotations ---------------------------------------------------------------------------------

QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
SPEECH = re.compile(r"\b(?:said|says|say|saying|told|tells|tell|added|adds|according to|asked|asks|warned|warns|"
                    r"argued|argues|wrote|writes|insisted|insists|claimed|claims|explained|explains|stated|states|"
                    r"announced|announces|urged|urges|called|calls|described|describes|admitted|admits|suggested|"
                    r"suggests|declared|declares|noted|notes|replied|replies|responded|acknowledged|maintained|"
                    r"predicted|promised|pledged|vowed|accused|conceded|confirmed|recalled|joked|added)\b", re.I)


def open_quote(text: str, language: str = "en") -> bool:
    """Does `text` leave a quotation open (or close one it did not open)?"""
    r = rules(language)
    if r is None:
        return text.count("“") != text.count("”") or text.count('"') % 2 == 1
    closing = {o: c for o, c in r.quotes}
    ends = {c for _, c in r.quotes}
    stack: list[str] = []
    for ch in text:
        if stack and ch == closing[stack[-1]]:
            stack.pop()
        elif ch in closing:
            stack.append(ch)
        elif ch in ends:
            return True
    return bool(stack)


@lru_cache(maxsize=8)
def _quoted(r: Rules) -> re.Pattern[str]:
    return re.compile("|".join(f"{re.escape(o)}[^{re.escape(c)}]*{re.escape(c)}?" for o, c in r.quotes))


def quotations(text: str, language: str = "en") -> list[str]:
    """The quoted stretches of a passage, without their marks."""
    r = rules(language)
    if r is None:
        return [q.strip("“”\"") for q in QUOTED.findall(text)]
    return [q.strip(_OPENS_QUOTE + "“” ") for q in _quoted(r).findall(text)]


def outside_quotes(text: str, language: str = "en") -> str:
    r = rules(language)
    return (_quoted(r) if r else QUOTED).sub(" ", text)


def _bare_quote(sentence: str, language: str = "en") -> bool:
    """A sentence that is all quotation, with no one saying it: it carries on the quote before."""
    s = sentence.strip()
    r = rules(language)
    outside = outside_quotes(s, language)
    return s[:1] in (_OPENS_QUOTE if r else "“\"") and not (r.speech if r else SPEECH).search(outside) \
        and len(outside.split()) <= 1


@dataclass
class Passage:
    indices: list[int]          # sentence numbers, as in split_sentences
    text: str
    paragraph: int

    @property
    def words(self) -> int:
        return len(self.text.split())


def passages(text: str, language: str = "en") -> list[Passage]:
    """The body's sentences grouped into passages (see the module docstring), in article order.
    A quotation still open at the end of a paragraph stays open: that passage is unbalanced and
    `eligible` keeps it out."""
    out: list[Passage] = []
    n = 0
    for p, sents in enumerate(split_paragraphs(text, language)):
        current: Passage | None = None
        for s in sents:
            carry_on = current is not None and (open_quote(current.text, language) or
                                                (_bare_quote(s, language) and quotations(current.text, language)))
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


@lru_cache(maxsize=8)
def _ends_cleanly(r: Rules | None) -> re.Pattern[str]:
    return re.compile(r"[.!?…](?:\s?[" + re.escape(r.closers) + r"])*$") if r else _ENDS_CLEANLY


def unpunctuated_sentence(p: Passage, language: str = "en") -> bool:
    """A sentence that lost its full stop (feeds and copied pages do that): long, in sentence case,
    with a verb-like word. A heading or a venue line is short or in Title Case."""
    words = p.text.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) >= 8 and lower >= len(words) / 2 and not _ends_cleanly(rules(language)).search(p.text.strip()) \
        and p.text.lstrip("“\"‘'„«» ")[:1].isupper() and not p.text.rstrip().endswith((")", ":"))


def listing(text: str) -> bool:
    """A line-up, a results table or a list of names ("Man City: James, Mills (Wright-Phillips 83),
    Dunne, ..."): many commas, few lowercase words."""
    parts = re.split(r"[,;]", text)
    words = text.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(parts) >= 5 and lower < 0.3 * len(words)


def eligible(p: Passage, language: str = "en") -> bool:
    """Can this passage appear in a blurb? Not boilerplate, a byline, a caption, a dateline or
    heading (no full stop), a list of names, nor half of a quotation."""
    s = p.text.strip()
    if p.words < 4 or open_quote(s, language) or listing(s) \
            or not (_ends_cleanly(rules(language)).search(s) or unpunctuated_sentence(p, language)):
        return False
    return not (_BOILERPLATE.search(s) or _BYLINE.match(s) or _CAPTION.search(s))
