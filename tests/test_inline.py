"""The CSS inliner's shortcut for pages that differ only in their texts (the frames of one edition's
topic mixes): the bytes are premailer's whole-page result for every page, whatever the texts hold."""

from __future__ import annotations

import random

from lxml import etree

from digest.compose.inline import Inliner, _text_out, premailer_inline

CSS = "<style>p { color: #222 } .lead { font-weight: bold } a { color: #06c }\n@media (max-width: 600px) { .lead { font-size: 18px !important } }</style>"
TRICKY = ["Rates &amp; rents", "x &lt; y &gt; z", "&#39;quoted&#39; and &#34;double&#34;", "&nbsp;&zwnj;&middot;",
          "é ü “curly” — 😀", "a > b", "&#x2019;s", "tab\there\nnew line", "&amp;nbsp; stays", "100% &amp; 2 &lt; 3",
          "  padded  ", "\u00a0lead space"]


def page(subject: str, dateline: str, items: list[str]) -> str:
    rows = "".join(f'<tr><td><p class="lead">{t}</p></td></tr>\n' for t in items)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{CSS}<title>{subject}</title></head>"
            f"<body><table role=\"presentation\">\n<tr><td><p>{dateline}</p></td></tr>\n{rows}</table>"
            f"<!--[if mso]><table><tr><td><![endif]--><p><a href=\"https://example.com/a?b=1&amp;c=2\">Link</a></p>"
            f"</body></html>")


def lxml_text(text: str) -> str:
    doc = etree.fromstring(f"<html><body><p>{text}</p></body></html>", etree.HTMLParser())
    out = etree.tostring(doc.find("body/p"), method="html", encoding="utf-8", with_tail=False).decode("utf-8")
    return out[len("<p>"):-len("</p>")]


def test_a_text_is_written_back_as_lxml_writes_it():
    rnd = random.Random(5)
    alphabet = list("ab &;<>\"'#x0123456789\u00a0\u200c\u2019é😀\t\n") + ["&amp;", "&lt;", "&gt;", "&#39;", "&#34;",
                                                                       "&nbsp;", "&middot;", "&#x2014;"]
    samples = TRICKY + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 30))) for _ in range(400)]
    for text in samples:
        if "<" in text.replace("&lt;", ""):
            continue                # a bare "<" is markup, never a text Jinja's autoescape gives
        assert _text_out(text) == lxml_text(text), repr(text)


def test_pages_that_differ_in_their_texts_inline_as_premailer_inlines_each():
    inliner = Inliner()
    rnd = random.Random(7)
    for n in range(40):
        texts = rnd.sample(TRICKY, 4)
        html = page(texts[0], texts[1], texts[2:] * (1 + n % 3))
        assert inliner.inline(html) == premailer_inline(html), texts
    assert len(inliner.shapes) == 3          # one shape per number of stories: the rest came from them


def test_a_page_with_other_tags_or_attributes_is_a_shape_of_its_own():
    inliner = Inliner()
    first = page("One", "Monday", ["a"])
    other = first.replace('href="https://example.com/a?b=1&amp;c=2"', 'href="https://example.com/other"')
    for html in (first, other, first.replace('class="lead"', 'class="lead" align="left"')):
        assert inliner.inline(html) == premailer_inline(html)
    assert len(inliner.shapes) == 3


def test_comments_and_their_ancestors_are_given_on_a_shape_met_before():
    inliner = Inliner()
    first, second = {}, {}
    inliner.inline(page("One", "Monday <!--slot-x-1-->", ["a"]), first)
    inliner.inline(page("Two", "Tuesday <!--slot-x-1-->", ["b"]), second)
    assert second == first and first["slot-x-1"] == ["html", "body", "table", "tr", "td", "p"]
