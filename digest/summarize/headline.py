"""Headlines: the editor's title, cleaned and whole; a machine headline only when there is none.

An editor's title is never shortened or reworded: only spacing, a final full stop and a trailing
site name that is the article's own outlet (" | BBC News" on a BBC page) or one configured in
[summary] site_names are taken off. "Blunkett row should end - Blair" keeps its "- Blair": an
attribution is part of the title. Where a short form is needed, edition.short_form cuts it;
`digest preview` warns about a very long headline (digest.compose.lint) and never rewrites it.
The machine's rewrites are English: an untitled German, French or Spanish article gets its lede
sentence, shortened at a word boundary.
Pure functions over strings. May import: .edition, .languages, .machine_headline, .sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .edition import short_form
from .languages import rules
from .machine_headline import HEADLINE_MAX, headline_from_body
from .sentences import eligible, passages, split_sentences

# " | BBC News", " - Reuters", " — The Guardian": a separator and a name at the very end.
_SITE_SUFFIX = re.compile(r"\s+(?:\||-|–|—|::|·)\s+([^|–—]{2,60})$")
# A final full stop that belongs to an abbreviation or an ellipsis stays ("U.S.", "Inc.", "...").
_KEEP_STOP = re.compile(r"(?:\b[A-Z]\.|\.\.\.|\b(?:Inc|Corp|Co|Ltd|Jr|Sr|St|No|etc)\.)$")


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[^\w&]+", " ", name.lower()).split())


def _is_outlet(name: str, outlets: Iterable[str | None]) -> bool:
    """Is `name` one of `outlets`? "BBC News" matches the outlet "BBC News" and the feed title
    "BBC News - World", and the outlet "BBC" matches "BBC News": one is a word-prefix of the other."""
    n = _norm(name)
    for outlet in outlets:
        o = _norm(outlet or "")
        if len(o) >= 2 and (n == o or n.startswith(o + " ") or o.startswith(n + " ")):
            return True
    return False


def clean_title(title: str | None, *, outlet: str | None = None, site_names: Iterable[str] = ()) -> str:
    """The title as the headline: spacing collapsed, no final full stop, no trailing site name of
    the article's own outlet or a configured one. Never a word fewer otherwise."""
    text = " ".join((title or "").split())
    m = _SITE_SUFFIX.search(text)
    if m and m.start() > 0 and _is_outlet(m.group(1), [outlet, *site_names]):
        text = text[:m.start()].rstrip()
    if text.endswith(".") and not _KEEP_STOP.search(text):
        text = text[:-1].rstrip()
    return text


def make_headline(title: str | None, body: str, *, outlet: str | None = None,
                  site_names: Iterable[str] = (), language: str = "en") -> str:
    """The editor's title, cleaned and whole; with no title, a headline written from the lede."""
    cleaned = clean_title(title, outlet=outlet, site_names=site_names)
    if cleaned or rules(language) is None:
        return cleaned or headline_from_body(body)
    found = [p for p in passages(body, language) if eligible(p, language)]
    sentences = split_sentences(found[0].text if found else body, language)
    lede = sentences[0].rstrip(".") if sentences else ""
    words = short_form(lede, HEADLINE_MAX).split()
    if words and words[-1].endswith("…"):            # "… delegaciones de…": never on a function word
        words[-1] = words[-1][:-1]
        while len(words) > 1 and words[-1].lower().strip(",;:") in _FUNCTION_WORDS:
            words.pop()
        words[-1] = words[-1].rstrip(",;:") + "…"
    return " ".join(words)


_FUNCTION_WORDS = frozenset("""der die das den dem des ein eine einer einen und oder mit von vom zu zum zur im am in
auf für bei aus nach über um de du des la le les l un une et ou à au aux en pour par sur dans d el los las una y o a
al del con por para sobre""".split())
