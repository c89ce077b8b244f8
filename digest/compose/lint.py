"""Lint a rendered message before it is sent: the problems that silently hurt delivery.

Pure: strings in, a LintReport out; stdlib only. Run it on personalized output (the default);
pass personalized=False to check a Rendered that still holds its PLACEHOLDERS markers.
May import: nothing from digest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

CLIP_BYTES = 102 * 1024      # Gmail shows "[Message clipped]" from here on
LONG_HEADLINE = 100          # characters; an editor's title is never cut, so the preview says so
NEAR_CLIP_BYTES = 90 * 1024
_ABSOLUTE = re.compile(r"(?i)^(https?://|mailto:)")
_MARKER = re.compile(r"%%[A-Z_]+%%")
_TEMPLATE_LEFTOVER = re.compile(r"\{\{|\{%|\{#")
_FONT_SIZE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)px", re.I)
MIN_FONT_PX = 14             # smaller text is hard to read on a phone


@dataclass
class LintReport:
    size_bytes: int
    warnings: list[str] = field(default_factory=list)
    ok: bool = True


class _Collector(HTMLParser):
    """Collects <a href> values with their link texts, and <img> tags that lack an alt attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.texts: list[str] = []        # the text of each <a href>, in step with hrefs
        self.imgs_without_alt: list[str] = []
        self._in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and "href" in values:
            self.hrefs.append((values["href"] or "").strip())
            self.texts.append("")
            self._in_link = True
        elif tag == "img" and "alt" not in values:   # alt="" is fine: a decorative image
            self.imgs_without_alt.append(values.get("src") or "(no src)")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False

    def handle_data(self, data: str) -> None:
        if self._in_link:
            self.texts[-1] += data


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def lint(html: str, text: str | None, *, personalized: bool = True, headlines: Sequence[str] = ()) -> LintReport:
    """Warn about Gmail clipping, relative links, one link text leading to two places, text under
    14px, images without alt, a missing text part, leftover template syntax or (once personalized)
    unsubstituted %%MARKERS%%, and headlines over LONG_HEADLINE characters (a warning only: the
    headline is printed as it is)."""
    size = len(html.encode("utf-8"))
    warnings: list[str] = []
    if size >= CLIP_BYTES:
        warnings.append(f"HTML is {size / 1024:.1f} KiB: Gmail clips messages of 102 KiB or more; "
                        "send fewer stories or trim the templates.")
    elif size >= NEAR_CLIP_BYTES:
        warnings.append(f"HTML is {size / 1024:.1f} KiB, close to Gmail's 102 KiB clipping limit.")

    collector = _Collector()
    collector.feed(html)
    collector.close()
    for href in collector.hrefs:
        if not _ABSOLUTE.match(href) and (personalized or not _MARKER.fullmatch(href)):
            warnings.append(f"Link {_short(href)!r} is not absolute: mail clients resolve no base URL; "
                            "use an http(s):// or mailto: address.")
    places: dict[str, set[str]] = {}
    for label, href in zip(collector.texts, collector.hrefs):
        places.setdefault(" ".join(label.split()), set()).add(href)
    for label, hrefs in places.items():
        if len(hrefs) > 1:
            warnings.append(f"Link text {_short(label or '(empty)')!r} leads to {len(hrefs)} different places: "
                            "a screen reader lists links by their text; give each destination its own text.")
    small = sorted({float(px) for px in _FONT_SIZE.findall(html) if float(px) < MIN_FONT_PX})
    if small:
        warnings.append(f"Text at {', '.join(f'{px:g}px' for px in small)}: below {MIN_FONT_PX}px is hard to read "
                        f"on a phone; use at least {MIN_FONT_PX}px.")
    for src in collector.imgs_without_alt:
        warnings.append(f"Image {_short(src)!r} has no alt attribute: add alt text (alt=\"\" if decorative).")

    if text is None or not text.strip():
        warnings.append("The plain-text part is missing or empty: spam filters penalise HTML-only mail.")

    for part, body in (("HTML", html), ("text", text or "")):
        leftover = _TEMPLATE_LEFTOVER.search(body)
        if leftover:
            context = body[leftover.start(): leftover.start() + 30]
            warnings.append(f"The {part} part has leftover template syntax near {context!r}.")
        if personalized:
            markers = sorted(set(_MARKER.findall(body)))
            if markers:
                warnings.append(f"The {part} part still holds unsubstituted markers: {', '.join(markers)}; "
                                "run render.personalize on it.")
    for headline in headlines:
        if len(headline) > LONG_HEADLINE:
            warnings.append(f"Headline {_short(headline)!r} is {len(headline)} characters, over {LONG_HEADLINE}: "
                            "it wraps to many lines on a phone; shorten it with `digest articles edit ID "
                            "--headline TEXT` if you want.")
    return LintReport(size_bytes=size, warnings=warnings, ok=not warnings)
