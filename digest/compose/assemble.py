"""Section assembly: every topic mix's page put together from sections rendered and inlined once.

The templates stay plain Jinja: digest.html includes _section.html (or topics/<slug>.html) once per
section, _contents.html includes _contents_section.html once per section, and the lead story is
_lead.html; the same for the text twin. Those are the *fragment* templates (FRAGMENT). A page is
rendered in two parts:
  the frame   the page with each fragment replaced by a marker (its masthead, contents heading,
              footer and head): rendered and inlined for every mix, and small;
  fragments   each rendered by its own template in the include's context and CSS-inlined on its
              own, once per distinct input (the `section` or `item` it shows), and kept for the run.
The page is the frame with its markers replaced by the fragments: the bytes the whole page gives
through Jinja and premailer (render.render_mix, the oracle; tests/test_render_every_mix.py), because
every selector of the stylesheet is a lone tag or class (inline.simple_selectors), so what premailer
does to an element does not depend on where it is, and lxml serializes an element the same wherever
it is. With any other stylesheet the page is rendered whole.

So a fragment template may read `section` (or `item`), the filters, and of `view` only what is the
same for the whole edition (newsletter, date, base_url, web_url): its output is kept per input.
May import: .inline (and jinja2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable

import jinja2
from markupsafe import Markup

from .inline import Inliner

FRAGMENT = re.compile(r"(?:topics/[^/]+|_section|_contents_section|_lead)\.(?:html|txt)\Z")
KEEP = 8192          # fragments kept per part (html, text): an edition has a few thousand at most


_FIELDS: dict[type, Callable | None] = {}


def _fields(kind: type) -> Callable | None:
    """A dataclass's fields as one tuple, in one call (None: not a dataclass)."""
    if kind not in _FIELDS:
        names = [f.name for f in dataclasses.fields(kind)] if dataclasses.is_dataclass(kind) else []
        _FIELDS[kind] = (operator.attrgetter(*names) if len(names) > 1 else
                         (lambda v, n=names[0]: (getattr(v, n),)) if names else None)
    return _FIELDS[kind]


def _frozen(value):
    """A view (dataclasses of plain values and lists) as nested tuples: hashable, equal when it shows the same."""
    kind = type(value)
    fields = _fields(kind)
    if fields is None:
        return tuple([_frozen(v) for v in value]) if kind is list else value
    out = [kind.__name__]
    for v in fields(value):
        if type(v) is list:
            v = tuple([_frozen(x) for x in v]) if v and _fields(type(v[0])) is not None else tuple(v)
        out.append(v)
    return tuple(out)


class _SlotLoader(jinja2.BaseLoader):
    """Serves each fragment template the real loader has as a one-line template that leaves a
    marker (`digest_slot`); every other template comes from the real loader."""

    def __init__(self, real: jinja2.BaseLoader):
        self.real = real
        self.exists: dict[str, bool] = {}

    def get_source(self, environment, template):
        if not FRAGMENT.match(template):
            return self.real.get_source(environment, template)
        if template not in self.exists:     # so that include ["topics/x.html", "_section.html"] picks the same
            try:
                self.real.get_source(environment, template)
                self.exists[template] = True
            except jinja2.TemplateNotFound:
                self.exists[template] = False
        if not self.exists[template]:
            raise jinja2.TemplateNotFound(template)
        return "{{ digest_slot(%r) }}" % template, None, lambda: True


class _FrameEnvironment(jinja2.Environment):
    """`env`'s settings, filters and globals over the slot loader; an include's choice among several
    templates (["topics/x.html", "_section.html"]) is made once per run, as its templates are loaded
    once (auto_reload is off for a run)."""

    def __init__(self, env: jinja2.Environment, loader: jinja2.BaseLoader):
        super().__init__(loader=loader, autoescape=env.autoescape, undefined=env.undefined,
                         trim_blocks=env.trim_blocks, lstrip_blocks=env.lstrip_blocks,
                         keep_trailing_newline=env.keep_trailing_newline, auto_reload=False, cache_size=400,
                         extensions=list(env.extensions))
        self.newstyle_gettext = getattr(env, "newstyle_gettext", False)   # how {% trans %} compiles: as env does
        self.filters.update(env.filters)
        self.tests.update(env.tests)
        self.globals.update(env.globals)
        self.chosen: dict[tuple, jinja2.Template] = {}

    def select_template(self, names, parent=None, globals=None):
        key = (tuple(n if isinstance(n, str) else id(n) for n in names), parent)
        chosen = self.chosen.get(key)
        if chosen is None:
            chosen = self.chosen[key] = super().select_template(names, parent, globals)
        return chosen


class Assembler:
    """Renders digest.html and digest.txt for one cleaned view's context at a time (see the module)."""

    def __init__(self, env: jinja2.Environment, inliner: Inliner):
        self.env, self.inliner = env, inliner
        assert env.loader is not None, "the renderer's environment loads templates"
        self.frame_env = _FrameEnvironment(env, _SlotLoader(env.loader))
        slot = jinja2.pass_context(lambda ctx, name: self._slot(ctx, name))
        self.frame_env.globals["digest_slot"] = slot
        self.nonce = secrets.token_hex(6)   # article text cannot forge a marker it cannot guess
        self.html_mark = re.compile(f"<!--slot-{self.nonce}-([0-9]+)-->")
        self.text_mark = re.compile(f"\x00slot-{self.nonce}-([0-9]+)\x00")
        self.kept: dict[str, OrderedDict[tuple, str]] = {"html": OrderedDict(), "txt": OrderedDict()}
        self.raw: dict[tuple, str] = {}     # this page's fragments rendered but not inlined yet
        self.same: OrderedDict[tuple[bytes, tuple[str, ...]], str] = OrderedDict()  # by what they render
        self.slots: list[tuple[str, tuple]] = []
        self.made = self.used = 0           # fragments rendered, and fragments put in a page
        self.keys: dict[int, tuple] = {}

    def _key(self, name: str, ctx: jinja2.runtime.Context) -> tuple:
        """The fragment's input as plain values: its template and the `section` or `item` it shows."""
        parts: list[object] = [name]
        for var in ("section", "item"):
            value = ctx.get(var)
            if value is not None:
                k = self.keys.get(id(value))
                if k is None:
                    k = self.keys[id(value)] = _frozen(value)
                parts.append(k)
        return tuple(parts)

    def _slot(self, ctx: jinja2.runtime.Context, name: str) -> str:
        part = name.rsplit(".", 1)[1]
        key = self._key(name, ctx)
        if key not in self.kept[part] and key not in self.raw:
            self.raw[key] = self.env.get_template(name).render(ctx.get_all())
            self.made += 1
        self.slots.append((part, key))
        self.used += 1
        n = len(self.slots) - 1
        return Markup(f"<!--slot-{self.nonce}-{n}-->") if part == "html" else f"\x00slot-{self.nonce}-{n}\x00"

    def render(self, context: dict, rewrap: Callable[[str], str], *, text: bool = True) -> tuple[str, str] | None:
        """(inlined html, text before its final strip, or "" without `text`) of one page; None when
        the stylesheet is not simple (then render.render_mix renders it whole). `rewrap` is applied
        to every text piece."""
        self.slots, self.keys, self.raw = [], {}, {}
        frame = self.frame_env.get_template("digest.html").render(context)
        html_slots = self.slots
        self.slots = []
        text_frame = self.frame_env.get_template("digest.txt").render(context) if text else ""
        text_slots = self.slots
        new = any(key not in self.kept["html"] for _, key in html_slots)
        where: dict[str, list[str]] = {}
        inlined = self.inliner.inline(frame, where if new else None)
        if not self.inliner.simple:
            return None
        if new and not self._inline_new(where, html_slots):
            return None
        html = self._fill(self.html_mark, inlined, html_slots, lambda s: s)
        text_out = self._fill(self.text_mark, text_frame, text_slots, rewrap) if text else ""
        for kept in self.kept.values():     # only now: every fragment of this page was just used
            while len(kept) > KEEP:
                kept.popitem(last=False)
        return html, text_out

    def _fill(self, mark: re.Pattern, frame: str, slots: list[tuple[str, tuple]], rewrap: Callable[[str], str]) -> str:
        pieces = mark.split(frame)
        out = [rewrap(pieces[0])]
        for i in range(1, len(pieces), 2):
            part, key = slots[int(pieces[i])]
            kept = self.kept[part]
            value = kept.get(key)
            if value is None:
                raw = self.raw[key]
                same = (_digest(raw), (part,))
                value = self.same.get(same)
                if value is None:
                    value = self.same[same] = rewrap(raw)
                    if len(self.same) > KEEP:
                        self.same.popitem(last=False)
                kept[key] = value
            else:
                kept.move_to_end(key)
            out.append(value)
            out.append(rewrap(pieces[i + 1]))
        return "".join(out)

    def _inline_new(self, where: dict[str, list[str]], slots: list[tuple[str, tuple]]) -> bool:
        """Inline this page's new html fragments, each inside the tags its marker sits in (`where`:
        the frame's comments and their ancestors). Fragments that render the same (a section whose
        stories are numbered differently, where the section does not show the numbers) are inlined once
        and kept once."""
        kept = self.kept["html"]
        for n, (_, key) in enumerate(slots):
            if key in kept:
                continue
            ancestors = where.get(f"slot-{self.nonce}-{n}")
            if ancestors is None:
                return False
            raw = self.raw[key]
            same = (_digest(raw), tuple(ancestors))
            done = self.same.get(same)
            if done is None:
                done = self.inliner.inline_fragment(raw, self.inliner.css or "", ancestors)
                if done is None:
                    return False
                self.same[same] = done
                if len(self.same) > KEEP:
                    self.same.popitem(last=False)
            kept[key] = done
        return True


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
