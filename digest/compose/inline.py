"""CSS inlining that does premailer's work once per kind of element, not once per page.

premailer re-parses the stylesheet and re-matches every rule on every page (about 10-50 ms a page).
When every selector of the stylesheet is a lone tag or a lone class (templates/_styles.css is
written so), what premailer does to an element depends on that element alone: its tag and its
attributes. So `Inliner` asks premailer once for each (tag, attributes) it has not met, on a whole
page, remembers what premailer made of every element of it, and from then on only parses and
serializes with lxml (premailer's own parser and serializer) and looks the elements up: the same
bytes as premailer, in well under a millisecond. A stylesheet with any other selector (descendant,
sibling, pseudo-class, id) makes an element's result depend on its context: then every page goes
through premailer whole.
May import: nothing from digest (lxml and premailer only).
"""

from __future__ import annotations

import copy
import html as htmlmod
import logging
import re

from lxml import etree
from premailer import Premailer

_SIMPLE = re.compile(r"[A-Za-z][A-Za-z0-9]*|\.[A-Za-z_][A-Za-z0-9_-]*")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
MEMO_LIMIT = 20_000      # kinds of element remembered; a page meets a few dozen
# What premailer reads or writes on an element: the rules match on the tag and the class, merge
# into the style, and turn some properties into these attributes (_style_to_basic_html_attributes).
# Any other attribute (href, alt, role) is copied through untouched, so it is not part of the kind.
SHAPING = frozenset({"class", "style", "align", "valign", "bgcolor", "width", "height"})


def _kind(el: etree._Element) -> tuple:
    return (el.tag, tuple((k, v if k in SHAPING else None) for k, v in el.attrib.items()))


def premailer_inline(html: str) -> str:
    """The whole-page inliner (the oracle). keep_style_tags + strip_important=False: the @media rules
    (dark mode, narrow screens) need the <style> block, the classes and their !important to beat the
    inlined styles."""
    return _premailer().transform(html, pretty_print=False)


def _premailer() -> Premailer:
    return Premailer(remove_classes=False, strip_important=False, allow_network=False,
                     disable_basic_attributes=["width", "height"], keep_style_tags=True,
                     cssutils_logging_level=logging.CRITICAL)


def _top_level(css: str) -> str:
    """The stylesheet without its @-blocks (@media ...{...}): premailer inlines only these rules."""
    out, depth, i = [], 0, 0
    while i < len(css):
        if depth == 0 and css[i] == "@":
            j = css.index("{", i) if "{" in css[i:] else len(css)
            depth, i = 1, j + 1
            while i < len(css) and depth:
                depth += {"{": 1, "}": -1}.get(css[i], 0)
                i += 1
            continue
        out.append(css[i])
        i += 1
    return "".join(out)


def simple_selectors(css: str) -> bool:
    """Every inlinable rule's selectors are a lone tag or a lone class."""
    for rule in _top_level(_COMMENT.sub("", css)).split("}"):
        if "{" not in rule:
            if rule.strip():
                return False
            continue
        for selector in rule.split("{", 1)[0].split(","):
            if not _SIMPLE.fullmatch(selector.strip()):
                return False
    return True


class Inliner:
    """premailer_inline, memoized per element kind; one per stylesheet (see the module)."""

    def __init__(self):
        self.memo: dict[tuple, list | None] = {}
        self.css: str | None = None
        self.simple = False
        self.learned = 0         # pages sent through premailer to learn from
        self.shapes: dict[str, _Shape | None] = {}   # by the page with its texts masked (_masked)

    def inline(self, html: str, comments: dict[str, list[str]] | None = None) -> str:
        """premailer_inline(html). With `comments`, also fills it with every comment's text and the
        tags of its ancestors, outermost first (where assemble puts a fragment): one parse for both.
        A page whose tags are those of a page inlined before, with other texts between them (the
        next topic mix's frame: its subject, dateline, counts), is that page's result with these
        texts in it, as lxml writes them (see _Shape): no parse."""
        probe, texts = _masked(html.strip())
        shape = self.shapes.get(probe)
        if shape is not None:
            if comments is not None:
                comments.update(shape.comments)
            return shape.fill(texts)
        out = self._inline(html, comments)
        if self.simple and probe not in self.shapes:
            if len(self.shapes) >= SHAPES_KEPT:
                self.shapes.clear()
            self.shapes[probe] = _Shape.learn(self, probe, texts, out)
        return out

    def _inline(self, html: str, comments: dict[str, list[str]] | None) -> str:
        stripped = html.strip()
        tree = etree.fromstring(stripped, etree.HTMLParser()).getroottree()
        page = tree.getroot()
        if comments is not None:
            for c in page.iter(etree.Comment):
                comments[c.text or ""] = [str(a.tag) for a in reversed(list(c.iterancestors()))]
        if not self._apply(tree, page):
            return premailer_inline(html)
        # premailer's own serialization (its transform's last lines)
        root = tree if stripped.startswith(tree.docinfo.doctype) else page
        return etree.tostring(root, method="html", pretty_print=False, encoding="utf-8").decode("utf-8")

    def inline_fragment(self, fragment: str, css: str, ancestors: list[str]) -> str | None:
        """What `inline` makes of `fragment` inside elements of the tags `ancestors` (outermost
        first, from the page's <html>) under this stylesheet: the bytes between the innermost
        ancestor's tags. None when the stylesheet is not simple (then only the whole page can be
        inlined) or the fragment does not parse into that place whole."""
        inner = ancestors[2:] if ancestors[:2] == ["html", "body"] else None
        if inner is None:
            return None
        page_html = ("<!DOCTYPE html><html><head><style>" + css + "</style></head><body>"
                     + "".join(f"<{t}>" for t in inner) + fragment + "".join(f"</{t}>" for t in reversed(inner))
                     + "</body></html>")
        tree = etree.fromstring(page_html, etree.HTMLParser()).getroottree()
        if not self._apply(tree, tree.getroot()):
            return None
        el = tree.getroot().find("body")
        if el is None:
            return None
        for tag in inner:
            kids = [k for k in el if isinstance(k.tag, str)]
            if len(kids) != 1 or kids[0].tag != tag:
                return None
            el = kids[0]
        out = etree.tostring(el, method="html", pretty_print=False, encoding="utf-8", with_tail=False).decode("utf-8")
        assert isinstance(el.tag, str), "body, or a child kept above for its str tag"
        start, end = f"<{el.tag}>", f"</{el.tag}>"
        if not (out.startswith(start) and out.endswith(end)):
            return None
        return out[len(start):len(out) - len(end)]

    def _apply(self, tree: etree._ElementTree, page: etree._Element) -> bool:
        """Give every element of the page what premailer would, learning kinds not met yet; False
        when premailer must see the page whole (a stylesheet that is not simple, or one it reshapes)."""
        css = "\n".join(s.text or "" for s in page.iter("style"))
        if css != self.css:
            self.css, self.simple, self.memo = css, simple_selectors(css), {}
        if not self.simple:
            return False
        elements = [el for el in page.iter() if isinstance(el.tag, str)]
        keys = [_kind(el) for el in elements]
        if any(k not in self.memo for k in keys) and not self._learn(tree, elements, keys):
            return False
        for el, key in zip(elements, keys):
            after = self.memo[key]
            if after is not None:
                before = dict(el.attrib)
                el.attrib.clear()
                el.attrib.update([(k, before[k] if v is None else v) for k, v in after])
        return True

    def _learn(self, tree: etree._ElementTree, elements: list, keys: list[tuple]) -> bool:
        """Run premailer on a copy of the page and remember what it made of each element; False
        if it added or dropped elements (then nothing is remembered)."""
        if len(self.memo) > MEMO_LIMIT:
            self.memo = {}
        done = copy.deepcopy(tree)
        _premailer().transform(done.getroot())
        after = [el for el in done.getroot().iter() if isinstance(el.tag, str)]
        if len(after) != len(elements) or any(a.tag != b.tag for a, b in zip(after, elements)):
            return False
        for key, el, old in zip(keys, after, elements):
            items = [(k, None if k not in SHAPING and old.get(k) == v else v) for k, v in el.attrib.items()]
            if any(v is None and k in SHAPING for k, v in items) or any(
                    k not in SHAPING and v is not None for k, v in items):
                return False        # premailer changed an attribute it is not known to change
            self.memo[key] = None if tuple(items) == key[1] else items
        self.learned += 1
        return True


# ---- pages that differ only in their texts
_TAGS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_PROBE = "\ue000%d\ue001"                       # private-use characters: a text's place in a page
_PROBED = re.compile("\ue000([0-9]+)\ue001")
SHAPES_KEPT = 1024       # page shapes remembered: an edition's frames come in a few hundred


def _masked(html: str) -> tuple[str, list[str]]:
    """The page with every text between tags that is not blank (and not a stylesheet) replaced by a
    numbered probe, and those texts: pages with equal tags and attributes give equal probes."""
    pieces = _TAGS.split(html)
    texts: list[str] = []
    for i in range(0, len(pieces), 2):
        text = pieces[i]
        if text.strip() and not (i and pieces[i - 1][:7].lower() in ("<style>", "<style ", "<script")):
            pieces[i] = _PROBE % len(texts)
            texts.append(text)
    return "".join(pieces), texts


def _text_out(text: str) -> str:
    """A text between tags as lxml's HTML serializer writes it back: entities decoded, then only
    &, < and > escaped (UTF-8 out; tests/test_inline.py checks it against lxml)."""
    if "&" in text:
        text = htmlmod.unescape(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Shape:
    """One page shape's inlined result, cut where its texts go; `learn` keeps it only if putting
    the learning page's own texts back gives exactly the bytes inlining that page gave."""

    def __init__(self, pieces: list[str], comments: dict[str, list[str]]):
        self.pieces, self.comments = pieces, comments

    def fill(self, texts: list[str]) -> str:
        pieces = self.pieces
        out = [pieces[0]]
        for i, text in enumerate(texts):
            out.append(_text_out(text))
            out.append(pieces[i + 1])
        return "".join(out)

    @classmethod
    def learn(cls, inliner: Inliner, probe: str, texts: list[str], expected: str) -> _Shape | None:
        comments: dict[str, list[str]] = {}
        split = _PROBED.split(inliner._inline(probe, comments))
        if split[1::2] != [str(i) for i in range(len(texts))]:
            return None         # the parser moved or merged a text: this shape is inlined whole
        shape = cls(split[0::2], comments)
        return shape if shape.fill(texts) == expected else None
