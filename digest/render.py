"""Render stage: an EditionView in, a Rendered (inlined HTML + wrapped plain text) out.

Pure: plain values in, plain values out; no database, no network, no clock. Rendering and CSS
inlining happen once per topic mix (`render_mix`); per subscriber only the PLACEHOLDERS markers
are substituted (`personalize`), so send never re-renders.

Templates are data (see templates/): digest.html + digest.txt, partials starting with `_`, one CSS
source (_styles.css) and optional per-topic overrides topics/<slug>.html / topics/<slug>.txt.
May import: assemble, inline, views, resources (to find the built-in templates).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html as htmlmod
import re
import textwrap
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jinja2
from markupsafe import Markup, escape

from . import assemble, inline, resources
from .views import PLACEHOLDERS, EditionView, ItemView, Rendered, SectionView

TEXT_WIDTH = 78

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_URL_LINE = re.compile(r"\s*\S*https?://\S+\s*")   # the checker's "URL-only line" shape
_MARKER = re.compile("|".join(re.escape(m) for m in PLACEHOLDERS.values()))


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
    to a line of their own."""
    wrapper = textwrap.TextWrapper(width=width, initial_indent=indent,
                                   subsequent_indent=indent if subsequent is None else subsequent,
                                   break_long_words=False, break_on_hyphens=False)
    paragraphs = re.split(r"\n\s*\n", str(value).strip())
    return "\n\n".join(wrapper.fill(" ".join(p.split())) for p in paragraphs if p.strip())


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


def meta(item: ItemView) -> str:
    """Reuters · 24 Nov 2026 · also in 2 sources (the byline stands in for an unknown outlet)."""
    who = item.source or (f"By {item.author}" if item.author else "")
    when = shortdate(item.published) if item.published else ""
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


def environment(template_dirs: list[str | Path] | None = None) -> jinja2.Environment:
    """Configured dirs are searched first, the built-in templates/ last, so an owner can override
    any single file (or add topics/<slug>.html) without copying the rest."""
    search = [str(d) for d in (template_dirs or [])] + [str(resources.folder("templates"))]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(longdate=longdate, shortdate=shortdate, wrap=wrap, intro=intro, more=more, meta=meta,
                       number=number, also_refs=also_refs, also_text=also_text, also_as_text=also_as_text, breakable=breakable, has_contents=has_contents)
    return env


# ---- making article-derived values safe before any template sees them

@functools.lru_cache(maxsize=8192)
def _no_markers(text: str) -> str:
    """Put a zero-width space inside every '%%', so article text can never be taken for a
    per-subscriber marker (the templates only ever place markers, never next to article text, and
    personalize substitutes in a single left-to-right pass). '{{', '{%' and '{#' get the same
    treatment: checkers read them as unrendered template tags."""
    return re.sub(r"%(?=%)|\{(?=[{%#])", lambda m: m.group(0) + "\u200b", text)


@functools.lru_cache(maxsize=8192)
def _safe_url(url: str, base_url: str) -> str:
    """Absolute http(s) only: relative URLs are resolved against base_url, other schemes
    (javascript:, data:) fall back to base_url. A lone '%' is percent-encoded, which also
    defuses markers (valid URLs never contain '%%')."""
    url = (url or "").strip()
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        url = urljoin(base_url + "/", url)
    elif scheme not in ("http", "https"):
        url = base_url
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url)


def _clean_item(item: ItemView, base: str) -> ItemView:
    headline, summary, url, source, author, also = _clean_fields(
        item.headline, item.summary, item.url, item.source, item.author, tuple(item.also), base)
    also_as = _clean_fields(item.headline, "", "", None, None, tuple(item.also_as), base)[5] if item.also_as else ()
    return ItemView(headline=headline, summary=summary, url=url, source=source, author=author,
                    published=item.published, also=list(also), also_as=list(also_as), number=item.number,
                    in_body=item.in_body)


@functools.lru_cache(maxsize=8192)
def _clean_fields(headline: str, summary: str, url: str, source: str | None, author: str | None,
                  also: tuple[tuple[str, str], ...], base: str) -> tuple:
    # A story is in many mixes: clean its text once.
    return (_no_markers(headline), _no_markers(summary), _safe_url(url, base),
            _no_markers(source) if source else None, _no_markers(author) if author else None,
            tuple((_no_markers(name), _safe_url(u, base)) for name, u in also))


def _unique_link_texts(view: EditionView) -> None:
    """No two links of a message may share a text and lead to different places (a screen reader's
    list of links shows only the text): a repeated headline or outlet name going elsewhere gets
    " (2)", " (3)". The footer's fixed link texts are claimed first."""
    used = {"View in your browser": view.web_url or "", "Manage your topics": PLACEHOLDERS["preferences_url"],
            "Unsubscribe": PLACEHOLDERS["unsubscribe_url"]}

    def claim(text: str, url: str) -> str:
        label, n = text, 1
        while used.setdefault(label, url) != url:
            n += 1
            label = f"{text} ({n})"
        return label

    items = ([view.lead] if view.lead else []) + [i for s in view.sections for i in s.items]
    for item in items:
        item.headline = claim(item.headline, item.url)
    for item in items:
        item.also = [(claim(name, url), url) for name, url in item.also]
        item.also_as = [(claim(headline, url), url) for headline, url in item.also_as]


def _clean_view(view: EditionView) -> EditionView:
    base = view.base_url.rstrip("/")
    sections = [dataclasses.replace(s, topic=_no_markers(s.topic), items=[_clean_item(i, base) for i in s.items],
                                    more_url=_safe_url(s.more_url, base) if s.more_url else None)
                for s in view.sections]
    clean = dataclasses.replace(
        view, sections=sections, base_url=base,
        subject=_no_markers(view.subject), preheader=_no_markers(view.preheader),
        topics=[_no_markers(t) for t in view.topics],
        web_url=_safe_url(view.web_url, base) if view.web_url else None,
        lead=_clean_item(view.lead, base) if view.lead else None,
    )
    _unique_link_texts(clean)
    return clean


# ---- rendering

def _rewrap_long_lines(text: str) -> str:
    """Safety net for literal template lines: rewrap any line over 78 that is not a lone URL,
    keeping its indentation."""
    out = []
    for line in text.split("\n"):
        if len(line) > TEXT_WIDTH and not _URL_LINE.fullmatch(line):
            indent = line[: len(line) - len(line.lstrip())]
            line = wrap(line, indent=indent)
        out.append(line)
    return "\n".join(out)


def render_mix(view: EditionView, *, template_dirs: list[str | Path] | None = None,
               env: jinja2.Environment | None = None, inliner: inline.Inliner | None = None) -> Rendered:
    """Render digest.html and digest.txt once for one topic mix. Per-subscriber values appear only
    as PLACEHOLDERS markers; fill them in with `personalize`. A given `env` wins over template_dirs.
    Without `inliner` the page goes through premailer whole: the oracle that Renderer is tested against."""
    env = env or environment(template_dirs)
    clean = _clean_view(view)
    context = {"view": clean, "subscriber": dict(PLACEHOLDERS)}
    raw = env.get_template("digest.html").render(context)
    html = inliner.inline(raw) if inliner is not None else inline.premailer_inline(raw)
    text = _rewrap_long_lines(env.get_template("digest.txt").render(context)).strip() + "\n"
    return Rendered(html=html, text=text, subject=view.subject, preheader=view.preheader)


class Renderer:
    """render_mix for every mix of an edition (or of a run), the same bytes, at a fraction of the
    cost: one template environment, each section rendered and inlined once and every page put
    together from them (assemble.Assembler), CSS inlined per kind of element (inline.Inliner)."""

    def __init__(self, template_dirs: list[str | Path] | None = None, env: jinja2.Environment | None = None):
        if env is None:
            env = environment(template_dirs)
            env.auto_reload = False     # a run renders thousands of mixes: no stat() per include
        self.env = env
        self.inliner = inline.Inliner()
        self.assembler = assemble.Assembler(env, self.inliner)

    def render(self, view: EditionView, *, text: bool = True) -> Rendered:
        """render_mix(view); without `text`, the html only (its text is "": a size check needs no more)."""
        context = {"view": _clean_view(view), "subscriber": dict(PLACEHOLDERS)}
        got = self.assembler.render(context, _rewrap_long_lines, text=text)
        if got is None:         # a stylesheet premailer must see whole
            return render_mix(view, env=self.env, inliner=self.inliner)
        html, body = got
        return Rendered(html=html, text=body.strip() + "\n" if text else "", subject=view.subject,
                        preheader=view.preheader)


def personalize(rendered: Rendered, *, unsubscribe_url: str, preferences_url: str, email: str,
                name: str | None) -> tuple[str, str]:
    """Substitute the markers in one pass (so a value that itself looks like a marker is never
    substituted again). Values are HTML-escaped in the html, raw in the text."""
    values = {PLACEHOLDERS["unsubscribe_url"]: unsubscribe_url,
              PLACEHOLDERS["preferences_url"]: preferences_url,
              PLACEHOLDERS["email"]: email,
              PLACEHOLDERS["name"]: name or ""}
    html = _MARKER.sub(lambda m: htmlmod.escape(values[m.group(0)], quote=True), rendered.html)
    text = _MARKER.sub(lambda m: values[m.group(0)], rendered.text)
    return html, text
