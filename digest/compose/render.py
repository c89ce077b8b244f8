"""Render stage: an EditionView in, a Rendered (inlined HTML + wrapped plain text) out.

Pure: plain values in, plain values out; no database, no network, no clock. Rendering and CSS
inlining happen once per topic mix (`render_mix`); per subscriber only the PLACEHOLDERS markers
are substituted (`personalize`), so send never re-renders.

Templates are data (see templates/): digest.html + digest.txt, partials starting with `_`, one CSS
source (_styles.css) and optional per-topic overrides topics/<slug>.html / topics/<slug>.txt.
The frame's words are in one language (digest.i18n): Jinja's i18n extension with that catalog, and
the filters that speak (filters.Words) in the same language; `<html lang>` follows it, and a language
written right to left gets `dir="rtl"` and the stylesheet's mirrored classes (even framed in English).
May import: .assemble, .filters, .inline, .views, i18n, resources (to find the built-in templates).
"""

from __future__ import annotations

import dataclasses
import functools
import html as htmlmod
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jinja2
import markupsafe

from .. import i18n, resources
from . import assemble, filters, inline
from .views import PLACEHOLDERS, EditionView, ItemView, Rendered

_URL_LINE = re.compile(r"\s*\S*https?://\S+\s*")   # the checker's "URL-only line" shape
_MARKER = re.compile("|".join(re.escape(m) for m in PLACEHOLDERS.values()))


def environment(template_dirs: Sequence[str | Path] | None = None,
                language: str = i18n.DEFAULT) -> jinja2.Environment:
    """Configured dirs are searched first, the built-in templates/ last, so an owner can override
    any single file (or add topics/<slug>.html) without copying the rest. The frame speaks `language`:
    `_()`, `ngettext()`, `pgettext()` and {% trans %} in the templates read its catalog."""
    search = [str(d) for d in (template_dirs or [])] + [str(resources.folder("templates"))]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension, at run time
    env.globals["language"] = language
    env.globals["direction"] = i18n.direction(language)     # dir="rtl" and the mirrored classes when "rtl"
    env.globals["rtl"] = " rtl" if env.globals["direction"] == "rtl" else ""      # the cells' extra class
    # and a story's headline and blurb, and the frame's sentences, keep their own direction: an English
    # story, or the English frame of a language without a catalog, reads left to right (its full stop last)
    env.globals["auto"] = markupsafe.Markup(' dir="auto"') if env.globals["rtl"] else ""
    env.filters.update(filters.for_language(language))
    return env


def language_of(env: jinja2.Environment) -> str:
    return str(env.globals.get("language", i18n.DEFAULT))


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
    headline, summary, url, source, author, also, brief = _clean_fields(
        item.headline, item.summary, item.url, item.source, item.author, tuple(item.also), base, item.brief)
    also_as = (_clean_fields(item.headline, "", "", None, None, tuple(item.also_as), base)[5]
               if item.also_as else ())
    return ItemView(headline=headline, summary=summary, url=url, source=source, author=author,
                    published=item.published, also=list(also), also_as=list(also_as), number=item.number,
                    brief=brief)


@functools.lru_cache(maxsize=8192)
def _clean_fields(headline: str, summary: str, url: str, source: str | None, author: str | None,
                  also: tuple[tuple[str, str], ...], base: str, brief: str | None = None) -> tuple:
    # A story is in many mixes: clean its text once.
    return (_no_markers(headline), _no_markers(summary), _safe_url(url, base),
            _no_markers(source) if source else None, _no_markers(author) if author else None,
            tuple((_no_markers(name), _safe_url(u, base)) for name, u in also),
            None if brief is None else _no_markers(brief))


def _unique_link_texts(view: EditionView, language: str) -> None:
    """No two links of a message may share a text and lead to different places (a screen reader's
    list of links shows only the text): a repeated headline or outlet name going elsewhere gets
    " (2)", " (3)". The footer's fixed link texts (in the frame's language) are claimed first."""
    _ = i18n.translations(language).gettext
    used = {_("View in your browser"): view.web_url or "", _("Manage your topics"): PLACEHOLDERS["preferences_url"],
            _("Unsubscribe"): PLACEHOLDERS["unsubscribe_url"]}

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


def _clean_view(view: EditionView, language: str = i18n.DEFAULT) -> EditionView:
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
    _unique_link_texts(clean, language)
    return clean


# ---- rendering

def _rewrap_long_lines(text: str) -> str:
    """Safety net for literal template lines: rewrap any line over 78 that is not a lone URL,
    keeping its indentation."""
    out = []
    for line in text.split("\n"):
        if len(line) > filters.TEXT_WIDTH and not _URL_LINE.fullmatch(line):
            indent = line[: len(line) - len(line.lstrip())]
            line = filters.wrap(line, indent=indent)
        out.append(line)
    return "\n".join(out)


def render_mix(view: EditionView, *, template_dirs: Sequence[str | Path] | None = None,
               env: jinja2.Environment | None = None, inliner: inline.Inliner | None = None,
               language: str = i18n.DEFAULT) -> Rendered:
    """Render digest.html and digest.txt once for one topic mix. Per-subscriber values appear only
    as PLACEHOLDERS markers; fill them in with `personalize`. A given `env` wins over template_dirs.
    Without `inliner` the page goes through premailer whole: the oracle that Renderer is tested against."""
    env = env or environment(template_dirs, language)
    clean = _clean_view(view, language_of(env))
    context = {"view": clean, "subscriber": dict(PLACEHOLDERS)}
    raw = env.get_template("digest.html").render(context)
    html = inliner.inline(raw) if inliner is not None else inline.premailer_inline(raw)
    text = _rewrap_long_lines(env.get_template("digest.txt").render(context)).strip() + "\n"
    return Rendered(html=html, text=text, subject=view.subject, preheader=view.preheader, language=language_of(env))


class Renderer:
    """render_mix for every mix of an edition (or of a run), the same bytes, at a fraction of the
    cost: one template environment, each section rendered and inlined once and every page put
    together from them (assemble.Assembler), CSS inlined per kind of element (inline.Inliner)."""

    def __init__(self, template_dirs: Sequence[str | Path] | None = None, env: jinja2.Environment | None = None,
                 language: str = i18n.DEFAULT):
        if env is None:
            env = environment(template_dirs, language)
            env.auto_reload = False     # a run renders thousands of mixes: no stat() per include
        self.env = env
        self.inliner = inline.Inliner()
        self.assembler = assemble.Assembler(env, self.inliner)

    def render(self, view: EditionView, *, text: bool = True) -> Rendered:
        """render_mix(view); without `text`, the html only (its text is "": a size check needs no more)."""
        language = language_of(self.env)
        context = {"view": _clean_view(view, language), "subscriber": dict(PLACEHOLDERS)}
        got = self.assembler.render(context, _rewrap_long_lines, text=text)
        if got is None:         # a stylesheet premailer must see whole
            return render_mix(view, env=self.env, inliner=self.inliner)
        html, body = got
        return Rendered(html=html, text=body.strip() + "\n" if text else "", subject=view.subject,
                        preheader=view.preheader, language=language)


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
