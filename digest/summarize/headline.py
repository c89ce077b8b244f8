"""Headlines: the editor's title, cleaned and whole; a machine headline only when there is none.

An editor's title is never shortened or reworded: only spacing, a final full stop and a trailing
site name that is the article's own outlet (" | BBC News" on a BBC page) or one configured in
[summary] site_names are taken off. "Blunkett row should end - Blair" keeps its "- Blair": an
attribution is part of the title. Where a short form is needed, edition.short_form cuts it;
`digest preview` warns about a very long headline (digest.compose.lint) and never rewrites it.
Pure functions over strings. May import: .machine_headline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .machine_headline import headline_from_body

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
                  site_names: Iterable[str] = ()) -> str:
    """The editor's title, cleaned and whole; with no title, a headline written from the lede."""
    cleaned = clean_title(title, outlet=outlet, site_names=site_names)
    return cleaned or headline_from_body(body)
