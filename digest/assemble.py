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
May import: inline (and jinja2).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict

import jinja2
from lxml import etree
from markupsafe import Markup

from .inline import Inliner

FRAGMENT = re.compile(r"(?:topics/[^/]+|_section|_contents_section|_lead)\.(?:html|txt)\Z")
KEEP = 2048          # fragments kept per run and part (a few KB each): sections, not mixes


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


class Assembler:
    """Renders digest.html and digest.txt for one cleaned view's context at a time (see the module)."""

    def __init__(self, env: jinja2.Environment, inliner: Inliner):
        self.env, self.inliner = env, inliner
        self.frame_env = env.overlay(loader=_SlotLoader(env.loader), cache_size=400)
        slot = jinja2.pass_context(lambda ctx, name: self._slot(ctx, name))
        self.frame_env.globals = {**env.globals, "digest_slot": slot}
        self.nonce = secrets.token_hex(6)   # article text cannot forge a marker it cannot guess
        self.html_mark = re.compile(f"<!--slot-{self.nonce}-([0-9]+)-->")
        self.text_mark = re.compile(f"\x00slot-{self.nonce}-([0-9]+)\x00")
        self.kept: dict[str, OrderedDict[bytes, str]] = {"html": OrderedDict(), "txt": OrderedDict()}
        self.raw: dict[bytes, str] = {}     # this page's fragments rendered but not inlined yet
        self.slots: list[tuple[str, bytes]] = []
        self.keys: dict[int, bytes] = {}

    def _key(self, name: str, ctx) -> bytes:
        parts = []
        for var in ("section", "item"):
            value = ctx.get(var)
            if value is not None:
                k = self.keys.get(id(value))
                if k is None:
                    k = self.keys[id(value)] = hashlib.blake2b(repr(value).encode(), digest_size=16).digest()
                parts.append(k)
        return hashlib.blake2b(name.encode() + b"\0" + b"".join(parts), digest_size=16).digest()

    def _slot(self, ctx, name: str) -> str:
        part = name.rsplit(".", 1)[1]
        key = self._key(name, ctx)
        if key not in self.kept[part] and key not in self.raw:
            self.raw[key] = self.env.get_template(name).render(ctx.get_all())
        self.slots.append((part, key))
        n = len(self.slots) - 1
        return Markup(f"<!--slot-{self.nonce}-{n}-->") if part == "html" else f"\x00slot-{self.nonce}-{n}\x00"

    def render(self, context: dict, rewrap) -> tuple[str, str] | None:
        """(inlined html, text before its final strip) of one page; None when the stylesheet is not
        simple (then render.render_mix renders it whole). `rewrap` is applied to every text piece."""
        self.slots, self.keys, self.raw = [], {}, {}
        frame = self.frame_env.get_template("digest.html").render(context)
        html_slots = self.slots
        self.slots = []
        text_frame = self.frame_env.get_template("digest.txt").render(context)
        text_slots = self.slots
        inlined = self.inliner.inline(frame)
        if not self.inliner.simple:
            return None
        if any(key not in self.kept["html"] for _, key in html_slots) and not self._inline_new(frame, html_slots):
            return None
        html = self._fill(self.html_mark, inlined, html_slots, lambda s: s)
        text = self._fill(self.text_mark, text_frame, text_slots, rewrap)
        return html, text

    def _fill(self, mark: re.Pattern, frame: str, slots: list[tuple[str, bytes]], rewrap) -> str:
        pieces = mark.split(frame)
        out = [rewrap(pieces[0])]
        for i in range(1, len(pieces), 2):
            part, key = slots[int(pieces[i])]
            kept = self.kept[part]
            value = kept.get(key)
            if value is None:
                value = kept[key] = rewrap(self.raw[key])
                if len(kept) > KEEP:
                    kept.popitem(last=False)
            else:
                kept.move_to_end(key)
            out.append(value)
            out.append(rewrap(pieces[i + 1]))
        return "".join(out)

    def _inline_new(self, frame: str, slots: list[tuple[str, bytes]]) -> bool:
        """Inline this page's new html fragments, each inside the tags its marker sits in."""
        root = etree.fromstring(frame.strip(), etree.HTMLParser())
        where = {}
        for c in root.iter(etree.Comment):
            m = self.html_mark.fullmatch(f"<!--{c.text}-->")
            if m:
                where[int(m.group(1))] = [a.tag for a in reversed(list(c.iterancestors()))]
        kept = self.kept["html"]
        for n, (_, key) in enumerate(slots):
            if key in kept:
                continue
            if n not in where:
                return False
            done = self.inliner.inline_fragment(self.raw[key], self.inliner.css or "", where[n])
            if done is None:
                return False
            kept[key] = done
            if len(kept) > KEEP:
                kept.popitem(last=False)
        return True
