"""Template filters: the words, dates and numbers the email templates print around the news
(`longdate`, `intro`, `more`, `meta`, `number`, "Also reported by", `breakable`...). Dates are
spelled out here so that the process locale cannot change the output.
May import: .views.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap

from markupsafe import Markup, escape

from .views import EditionView, ItemView, SectionView

TEXT_WIDTH = 78
_BREAKABLE = re.compile(r"[^\S\u00a0\u202f]+")                       # any whitespace but the no-break spaces
_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})         # no-break spaces, as text prints them

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ---- filters (named in templates; dates are spelled out here so the locale cannot change output)

def longdate(value: dt.date) -> str:
    """Tuesday, 25 November 2026"""
    return f"{_DAYS[value.weekday()]}, {value.day} {_MONTHS[value.month - 1]} {value.year}"


def shortdate(value: dt.date | dt.datetime) -> str:
    """25 Nov 2026 (a datetime shows its own calendar date; no timezone conversion here)."""
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}"


@functools.lru_cache(maxsize=8192)
def wrap(value: str, width: int = TEXT_WIDTH, indent: str = "", subsequent: str | None = None) -> str:
    """Wrap each blank-line-separated paragraph; long words (URLs) are never broken, only moved
    to a line of their own. A no-break space ("4\u00a0min\u00a0read") is never a place to break; it
    is printed as a plain space."""
    wrapper = textwrap.TextWrapper(width=width, initial_indent=indent,
                                   subsequent_indent=indent if subsequent is None else subsequent,
                                   break_long_words=False, break_on_hyphens=False)
    paragraphs = re.split(r"\n\s*\n", str(value).strip())
    # str.split() would split at a no-break space too; textwrap breaks only at ASCII spaces.
    filled = (wrapper.fill(" ".join(_BREAKABLE.split(p.strip()))) for p in paragraphs if p.strip())
    return "\n\n".join(filled).translate(_PLAIN_SPACES)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def intro(view: EditionView) -> str:
    """14 stories in Europe, Politics and World · 4 min read"""
    n = view.stories
    where = f" in {_and(view.topics)}" if view.topics else ""
    # no-break spaces keep "4 min read" on one line
    return f"{n} stor{'y' if n == 1 else 'ies'}{where} · {view.minutes}\u00a0min\u00a0read"


def more(section: SectionView) -> str:
    """4 more Europe stories: one link text per topic, so no two such links share a text."""
    return f"{section.more} more {section.topic} stor{'y' if section.more == 1 else 'ies'}"


def meta(item: ItemView, brief: bool = False) -> str:
    """Reuters · 24 Nov 2026 · also in 2 sources (the byline stands in for an unknown outlet). A
    brief's is shorter, "Reuters · 24\u00a0Nov": it follows the lede on its last line, under the
    edition's dated masthead."""
    who = item.source or (f"By {item.author}" if item.author else "")
    when = shortdate(item.published) if item.published else ""
    if brief and when:
        when = when.rsplit(" ", 1)[0].replace(" ", "\u00a0")
    n = len(item.also)
    also = f"also in {n} source{'' if n == 1 else 's'}" if n else ""
    return " · ".join(bit for bit in (who, when, also) if bit)


def number(item: ItemView) -> str:
    """' 1.' to '99.' with a figure space (U+2007) for the missing tens digit so the entries of the contents line up
    under each other."""
    return f"{item.number:>2}.".replace(" ", "\u2007")


def also_refs(item: ItemView) -> list[tuple[str, str]]:
    """The text twin's reference labels for the other versions: 3a, 3b, ... (outlets first, then
    the versions named by their headline)."""
    return [(f"{item.number}{_letters(i)}", url) for i, (_, url) in enumerate([*item.also, *item.also_as])]


def also_text(item: ItemView) -> str:
    """Mountain Post [3a] and Radio Nord [3b]"""
    return _and([f"{name} [{ref}]" for (name, _), (ref, _) in zip(item.also, also_refs(item))])


def also_as_text(item: ItemView) -> str:
    """"Fund agreed at dawn" [3b]: the versions without an outlet, by their headline."""
    refs = also_refs(item)[len(item.also):]
    return _and([f'"{headline}" [{ref}]' for (headline, _), (ref, _) in zip(item.also_as, refs)])


def _letters(i: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[i % 26] * (i // 26 + 1)


_LONG_WORD = re.compile(r"\S{31,}")


@functools.lru_cache(maxsize=8192)
def breakable(value: str) -> Markup:
    """HTML-escaped text where a word too long for a phone's line (a URL, a long compound) may
    break: a <wbr> every 20 characters. Instead of CSS overflow-wrap, which many clients ignore."""
    text = str(value)
    out, pos = [], 0
    for m in _LONG_WORD.finditer(text):
        out.append(escape(text[pos:m.start()]))
        word = m.group(0)
        out.append(Markup("<wbr>").join(escape(word[i:i + 20]) for i in range(0, len(word), 20)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


CONTENTS_FROM = 3   # "In this edition" is shown from this many stories in the body on


def has_contents(view: EditionView) -> bool:
    return (1 if view.lead else 0) + sum(len(s.items) for s in view.sections) >= CONTENTS_FROM


FILTERS = dict(longdate=longdate, shortdate=shortdate, wrap=wrap, intro=intro, more=more, meta=meta, number=number,
               also_refs=also_refs, also_text=also_text, also_as_text=also_as_text, breakable=breakable,
               has_contents=has_contents)
