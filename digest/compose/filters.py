"""Template filters: the words, dates and numbers the email templates print around the news
(`longdate`, `intro`, `more`, `meta`, `number`, "Also reported by", `breakable`...). Dates are
spelled out here (through digest.i18n, in the edition's language) so that the process locale cannot
change the output.
May import: .views, i18n, plural.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap

from markupsafe import Markup, escape

from .. import i18n, plural
from .views import EditionView, ItemView, SectionView

TEXT_WIDTH = 78
_BREAKABLE = re.compile(r"[^\S\u00a0\u202f]+")                       # any whitespace but the no-break spaces
_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})         # no-break spaces, as text prints them

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


def _glued(text: str) -> str:
    """No-break spaces for plain ones: "4 min read" never wraps."""
    return text.replace(" ", "\u00a0")


class Words:
    """The filters that speak: words, dates and counts in one language (digest.i18n's catalog for
    it, through gettext and ngettext; the English strings are the msgids)."""

    def __init__(self, language: str = i18n.DEFAULT):
        self.language = language
        self.t = i18n.translations(language)

    def num(self, n: int) -> str:
        return i18n.number(n, self.language)

    def and_(self, names: list[str]) -> str:
        if len(names) == 1:
            return names[0]
        # TRANSLATORS: the last two of a list of names: "Europe, Politics and World"
        return self.t.gettext("%(rest)s and %(last)s") % {"rest": ", ".join(names[:-1]), "last": names[-1]}

    def longdate(self, value: dt.date) -> str:
        """Tuesday, 25 November 2026 / Dienstag, 25. November 2026"""
        return i18n.long_date(value, self.language)

    def shortdate(self, value: dt.date | dt.datetime, year: bool = True) -> str:
        """25 Nov 2026 (a datetime shows its own calendar date; no timezone conversion here)."""
        return i18n.short_date(value if type(value) is dt.date else value.date(),  # type: ignore[union-attr]
                               self.language, year=year)

    def intro(self, view: EditionView) -> str:
        """14 stories in Europe, Politics and World · 4 min read"""
        n = view.stories
        if view.topics:
            stories = plural.ngettext("%(num)s story in %(topics)s", "%(num)s stories in %(topics)s", n, self.t)
        else:
            stories = plural.ngettext("%(num)s story", "%(num)s stories", n, self.t)
        # TRANSLATORS: reading time of the whole email, in minutes (kept on one line)
        minutes = self.t.gettext("%(minutes)s min read") % {"minutes": self.num(view.minutes)}
        return stories % {"num": self.num(n), "topics": self.and_(view.topics)} + " · " + _glued(minutes)

    def more(self, section: SectionView) -> str:
        """4 more Europe stories: one link text per topic, so no two such links share a text."""
        # TRANSLATORS: the link to a topic's stories past the email's cap; the topic is its display name
        return plural.ngettext("%(num)s more %(topic)s story", "%(num)s more %(topic)s stories", section.more,
                               self.t) % {"num": self.num(section.more), "topic": section.topic}

    def meta(self, item: ItemView, brief: bool = False) -> str:
        """Reuters · 24 Nov 2026 · also in 2 sources (the byline stands in for an unknown outlet). A
        brief's is shorter, "Reuters · 24\u00a0Nov": it follows the lede on its last line, under the
        edition's dated masthead."""
        who = item.source or (self.t.gettext("By %(author)s") % {"author": item.author} if item.author else "")
        when = ""
        if item.published:
            when = _glued(self.shortdate(item.published, year=False)) if brief else self.shortdate(item.published)
        n = len(item.also)
        # TRANSLATORS: other outlets that carry the same story (they are linked under the blurb)
        also = plural.ngettext("also in %(num)s source", "also in %(num)s sources", n, self.t) % {
            "num": self.num(n)} if n else ""
        return " · ".join(bit for bit in (who, when, also) if bit)

    def quoted(self, text: str) -> str:
        # TRANSLATORS: the quotation marks around a headline: „…“ in German, « … » in French
        return self.t.pgettext("quoted headline", '"%(headline)s"') % {"headline": text}

    def also_text(self, item: ItemView) -> str:
        """Mountain Post [3a] and Radio Nord [3b]"""
        return self.and_([f"{name} [{ref}]" for (name, _), (ref, _) in zip(item.also, also_refs(item))])

    def also_as_text(self, item: ItemView) -> str:
        """"Fund agreed at dawn" [3b]: the versions without an outlet, by their headline."""
        refs = also_refs(item)[len(item.also):]
        return self.and_([f"{self.quoted(headline)} [{ref}]" for (headline, _), (ref, _) in zip(item.also_as, refs)])

    def filters(self) -> dict:
        return dict(longdate=self.longdate, shortdate=self.shortdate, intro=self.intro, more=self.more,
                    meta=self.meta, also_text=self.also_text, also_as_text=self.also_as_text, quoted=self.quoted)


def number(item: ItemView) -> str:
    """' 1.' to '99.' with a figure space (U+2007) for the missing tens digit so the entries of the contents line up
    under each other."""
    return f"{item.number:>2}.".replace(" ", "\u2007")


def also_refs(item: ItemView) -> list[tuple[str, str]]:
    """The text twin's reference labels for the other versions: 3a, 3b, ... (outlets first, then
    the versions named by their headline)."""
    return [(f"{item.number}{_letters(i)}", url) for i, (_, url) in enumerate([*item.also, *item.also_as])]


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


def for_language(language: str = i18n.DEFAULT) -> dict:
    """Every filter the email templates name, its words in `language`."""
    return dict(wrap=wrap, number=number, also_refs=also_refs, breakable=breakable, has_contents=has_contents,
                **Words(language).filters())


FILTERS = for_language()
