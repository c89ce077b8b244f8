"""Tests for digest.compose.render: escaping, CSS inlining, the text twin, template overrides, size, markers.

Golden files: tests/golden/digest.html and tests/golden/digest.txt hold the rendered output of
`golden_view()`. After an intended template or render change, refresh them on purpose with

    DIGEST_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py -k golden

and review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from digest.compose.render import Renderer, environment, personalize, render_mix
from digest.compose.views import PLACEHOLDERS, EditionView, ItemView, SectionView

GOLDEN = Path(__file__).parent / "golden"
BASE = "https://digest.example.com"
# Read at import: the autouse fixture in conftest.py clears DIGEST_* variables before each test.
UPDATE_GOLDEN = os.environ.get("DIGEST_UPDATE_GOLDEN") == "1"
URL_ONLY = re.compile(r"\s*\S*https?://\S+\s*")


# ---- test data: invented stories ----------------------------------------------------------

def item(n: int, **kw) -> ItemView:
    values = dict(
        headline=f"Harbour authority approves a tidal barrier for the old docks, plan {n}",
        summary=(f"Council engineers say barrier {n} will protect four thousand homes from winter "
                 "surges. Work starts in spring and should finish before the 2029 storm season."),
        url=f"{BASE}/a/{1000 + n}",
        source="Coastal Herald",
        published=dt.date(2026, 11, 24),
        number=n,
    )
    values.update(kw)
    return ItemView(**values)


def edition(sections: list[SectionView], **kw) -> EditionView:
    values = dict(
        newsletter="The Morning Digest", edition_key="daily-2026-11-25", date=dt.date(2026, 11, 25),
        subject="The Morning Digest: tidal barriers, glacier maps and a new ferry route",
        preheader="A tidal barrier for the old docks, new glacier maps and a ferry route to the islands.",
        sections=sections, topics=[s.topic for s in sections], base_url=BASE,
        postal_address="The Morning Digest\n4 Lighthouse Lane\nCork T12 AB34, Ireland",
    )
    values.update(kw)
    return EditionView(**values)


def golden_view() -> EditionView:
    lead = ItemView("Survey teams publish the most detailed glacier maps yet",
                    "Drone flights over two summers charted ice thickness to within a metre, which "
                    "hydrologists say will sharpen forecasts for river levels downstream.",
                    f"{BASE}/a/3001", author="Ines Moreau", published=dt.date(2026, 11, 25), number=1)
    europe = SectionView("Europe", "europe", [
        ItemView("Alpine towns share one snow-clearing fleet this winter",
                 "Nine municipalities pooled their ploughs and salt stores after two mild winters left "
                 "budgets stretched. Officials expect to save a fifth of last year's costs.",
                 f"{BASE}/a/2001", source="Valley Times", published=dt.date(2026, 11, 24),
                 also=[("Mountain Post", "https://mountainpost.example.org/snow-fleet"),
                       ("Radio Nord", "https://radionord.example.net/news/4411")], number=2),
        ItemView("A new ferry route links three islands to the mainland",
                 "The service runs twice a day and cuts the crossing from four hours to ninety minutes.",
                 f"{BASE}/a/2002", source="Island Gazette", published=dt.datetime(2026, 11, 25, 7, 15), number=3),
    ])
    world = SectionView("World", "world", [
        ItemView("Reef survey finds coral recovering faster than feared",
                 "Divers counted young coral on nine of twelve reefs bleached two years ago.",
                 f"{BASE}/a/3002", number=4)],
        more=4, more_url=f"{BASE}/archive/daily-2026-11-25#world")
    return edition([europe, world], web_url=f"{BASE}/archive/daily-2026-11-25", lead=lead, stories=8, minutes=1)


# ---- a tiny DOM summary via the stdlib parser ----------------------------------------------

class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.by_tag_text: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3", "p", "a", "style", "title"):
            self.stack.append(tag)
            self.by_tag_text.setdefault(tag, []).append("")

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for tag in set(self.stack):
            self.by_tag_text[tag][-1] += data

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def squash(s: str) -> str:
    return " ".join(s.split())


# ---- HTML ------------------------------------------------------------------------------------

def test_article_markup_is_escaped_text_not_elements():
    evil = item(1, headline="Mayor says <script>alert(1)</script> was a typo",
                summary="Readers saw <img src=x onerror=alert(1)> in the feed & wrote in.",
                source="<b>Wire</b>")
    rendered = render_mix(edition([SectionView("Europe", "europe", [evil])]))
    dom = Tags(rendered.html)
    assert dom.all("script") == []
    assert dom.all("img") == []
    assert not any("onerror" in attrs for _, attrs in dom.tags)
    assert not any(t == "b" for t, _ in dom.tags)
    text = squash("".join(dom.text))
    assert "Mayor says <script>alert(1)</script> was a typo" in text
    assert "Readers saw <img src=x onerror=alert(1)> in the feed & wrote in." in text
    # the plain-text part is not HTML: it carries the words verbatim
    assert "<script>alert(1)</script>" in rendered.text


def test_css_inlined_media_kept_classes_kept_no_size_attributes():
    html = render_mix(golden_view()).html
    dom = Tags(html)
    styled = [a for _, a in dom.tags if a.get("style")]
    assert len(styled) > 20
    h3 = [a for a in dom.all("h3") if a["class"] == "headline"][0]
    assert "font-size:19px" in h3["style"]
    style = "".join(dom.by_tag_text["style"])
    assert "@media screen and (max-width:480px)" in style
    assert "@media (prefers-color-scheme:dark)" in style and "!important" in style
    # premailer must not have copied CSS widths/heights into attributes
    assert not any("height" in a for _, a in dom.tags)
    assert all(t == "table" and a["width"] == "100%" for t, a in dom.tags if "width" in a)


def test_document_shell():
    html = render_mix(golden_view()).html
    assert html.startswith("<!DOCTYPE html>")
    dom = Tags(html)
    assert dom.all("html")[0]["lang"] == "en"
    metas = {a.get("name"): a.get("content") for a in dom.all("meta")}
    assert metas["viewport"] == "width=device-width, initial-scale=1"
    assert metas["color-scheme"] == metas["supported-color-schemes"] == "light dark"
    assert any("charset" in a for a in dom.all("meta"))
    assert dom.by_tag_text["title"] == ["The Morning Digest: tidal barriers, glacier maps and a new ferry route"]
    assert "<!--[if mso]>" in html and "max-width:600px" in html
    # the hidden preheader is the first thing in <body>
    body = html.split("<body", 1)[1].split(">", 1)[1].lstrip()
    assert body.startswith('<div class="preheader"')
    pre = re.search(r'<div class="preheader" style="([^"]*)"', body).group(1)
    for rule in ("display:none", "max-height:0", "overflow:hidden", "mso-hide:all"):
        assert rule in pre
    assert dom.by_tag_text["h1"] == ["The Morning Digest"]
    assert "Wednesday, 25 November 2026 · 8 stories in Europe and World · 1 min read" in squash("".join(dom.text))


def contents(html: str) -> list[tuple[str, str]]:
    """(text, href) of every link in the "In this edition" box."""
    box = re.search(r'<td class="contents".*?</td>', html, re.S).group(0)
    dom = Tags(box)
    return [(squash(t), a["href"]) for t, a in zip(dom.by_tag_text["a"], dom.all("a"))]


def body_headlines(html: str) -> list[tuple[str, str]]:
    """(headline, href) of every story in the body, in order: the lead, then the sections."""
    return [(squash(Tags(m.group(2)).by_tag_text["a"][0]), Tags(m.group(2)).all("a")[0]["href"])
            for m in re.finditer(r'<h3 class="(lead-headline|headline|brief-headline)"[^>]*>(.*?)</h3>', html, re.S)]


def test_opening_contents_lead_sections_and_footer():
    view = golden_view()
    html = render_mix(view).html
    dom = Tags(html)
    assert dom.by_tag_text["h2"] == ["In this edition", "Top story", "Europe", "World"]
    stories = [view.lead] + [i for s in view.sections for i in s.items]
    # the body: the lead first, then every section's stories; each headline is its story's link
    assert body_headlines(html) == [(i.headline, i.url) for i in stories]
    # the contents: every headline of the body, in body order, each linking where its headline
    # does, and the topic's "more" line
    assert contents(html) == [(i.headline, i.url) for i in stories] + [
        ("4 more World stories", f"{BASE}/archive/daily-2026-11-25#world")]
    links = dict(zip((squash(t) for t in dom.by_tag_text["a"]), (a["href"] for a in dom.all("a"))))
    assert links["Unsubscribe"] == PLACEHOLDERS["unsubscribe_url"]
    assert links["Manage your topics"] == PLACEHOLDERS["preferences_url"]
    assert links["View in your browser"] == f"{BASE}/archive/daily-2026-11-25"
    assert links["4 more World stories"] == f"{BASE}/archive/daily-2026-11-25#world"
    text = squash("".join(dom.text))
    assert "You receive this because you subscribed to Europe, World." in text
    assert "4 Lighthouse Lane" in text
    assert "read more" not in html.lower()


def test_meta_line_outlet_or_byline_date_and_other_sources():
    dom_text = squash("".join(Tags(render_mix(golden_view()).html).text))
    assert "Valley Times · 24 Nov 2026 · also in 2 sources" in dom_text      # outlet, clustered
    assert "Island Gazette · 25 Nov 2026" in dom_text
    assert "By Ines Moreau · 25 Nov 2026" in dom_text                         # no outlet: the byline
    both = item(1, source="Coastal Herald", author="Ann Byrne", also=[("Shore Daily", f"{BASE}/x")])
    text = render_mix(edition([SectionView("Europe", "europe", [both])])).text
    assert "Coastal Herald · 24 Nov 2026 · also in 1 source" in text and "Ann Byrne" not in text


def test_headings_outrank_headlines_and_no_text_under_14px():
    html = render_mix(golden_view()).html
    size = lambda cls: int(re.search(rf'class="{cls}" style="[^"]*font-size:(\d+)px', html).group(1))  # noqa: E731
    assert size("topic") > size("headline") >= 18
    assert size("title") > size("lead-headline") > size("topic")
    assert re.search(r'class="topic" style="[^"]*font-weight:bold', html)
    sizes = [float(px) for px in re.findall(r"font-size:\s*(\d+(?:\.\d+)?)px", html)]
    assert sizes and min(sizes) >= 14


def test_dark_mode_has_no_bright_bars():
    css = render_mix(golden_view()).html.split("@media (prefers-color-scheme:dark)", 1)[1].split("</style>")[0]

    def luminance(hex6: str) -> float:
        r, g, b = (int(hex6[i:i + 2], 16) / 255 for i in (0, 2, 4))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    borders = re.findall(r"border[a-z-]*-color:#([0-9a-f]{6})", css)
    assert borders and all(luminance(c) < 0.35 for c in borders), borders


def test_link_texts_are_unique_per_destination():
    twins = [item(1, headline="Live: storm updates", url=f"{BASE}/a/1", also=[("Shore Daily", f"{BASE}/s/1")]),
             item(2, headline="Live: storm updates", url=f"{BASE}/a/2", also=[("Shore Daily", f"{BASE}/s/2")])]
    html = render_mix(edition([SectionView("Europe", "europe", twins)], web_url=f"{BASE}/archive/x")).html
    dom = Tags(html)
    places: dict[str, set[str]] = {}
    for text, a in zip(dom.by_tag_text["a"], dom.all("a")):
        places.setdefault(squash(text), set()).add(a["href"])
    assert all(len(hrefs) == 1 for hrefs in places.values()), places
    assert {"Live: storm updates", "Live: storm updates (2)", "Shore Daily", "Shore Daily (2)"} <= set(places)


def test_only_given_topics_get_sections():
    view = edition([SectionView("Politics", "politics", [item(1)])])
    rendered = render_mix(view)
    assert Tags(rendered.html).by_tag_text["h2"] == ["Politics"]
    assert "Europe" not in rendered.html and "World" not in rendered.html
    assert "Europe" not in rendered.text


def test_also_reported_by():
    html = render_mix(golden_view()).html
    also = re.search(r'<p class="also"[^>]*>(.*?)</p>', html, re.S).group(1)
    dom = Tags(also)
    assert squash("".join(dom.text)) == "Also reported by Mountain Post, Radio Nord"
    assert [a["href"] for a in dom.all("a")] == ["https://mountainpost.example.org/snow-fleet",
                                                  "https://radionord.example.net/news/4411"]
    assert html.count('class="also"') == 1     # only the item that has other sources


def test_a_brief_shows_its_headline_and_lede_in_the_body_and_is_whole_in_the_text():
    view = golden_view()
    ferry = view.sections[0].items[1]
    ferry.brief = "A brief's lede, the first sentence only."     # what edition_view does from COMPACT_FROM stories on
    html = render_mix(view).html
    assert (ferry.headline, ferry.url) in contents(html)
    assert ferry.headline in [h for h, _ in body_headlines(html)]
    assert re.search(r'<h3 class="brief-headline"[^>]*><a class="headline-link" href="' + re.escape(ferry.url), html)
    brief = re.search(r'<p class="brief"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert squash(Tags(brief).text[0]) == "A brief's lede, the first sentence only."
    assert "Island Gazette" in brief and "2026" not in brief      # the meta ends the lede's line, without the year
    assert ferry.summary not in html
    assert squash(ferry.summary) in squash(render_mix(view).text)   # the text twin has no screen to fill


def test_long_words_may_break_in_html_only():
    word = "Donaudampfschifffahrtsgesellschaftskapitaensmuetze"
    rendered = render_mix(edition([SectionView("Europe", "europe", [item(1, summary=f"The {word} is back.")])]))
    assert "<wbr>" in rendered.html and word not in rendered.html
    assert word in rendered.text


def test_relative_and_unsafe_article_urls_become_absolute():
    view = edition([SectionView("Europe", "europe", [
        item(1, url="/a/relative"), item(2, url="javascript:alert(1)")])])
    hrefs = [a["href"] for a in Tags(render_mix(view).html).all("a")]
    assert f"{BASE}/a/relative" in hrefs
    assert not any(h.startswith("javascript:") for h in hrefs)


# ---- plain text ------------------------------------------------------------------------------

def test_a_wrapped_dateline_keeps_n_min_read_on_one_line():
    wrapped = 0
    for extra in range(8, 30):        # the line reaches 78 columns at each word of its end in turn
        view = golden_view()
        view.topics = ["Europe", "W" * extra]
        view.minutes = 12
        for text in (render_mix(view).text, Renderer().render(view).text):
            dateline = text.split("\n\n", 1)[0].split("\n")[1:]      # under the newsletter's name
            wrapped += len(dateline) > 1
            assert not any(line.rstrip().endswith(("min", "12")) for line in dateline), dateline
            assert any(line.endswith("12 min read") for line in dateline), dateline
            assert "\u00a0" not in text                                # printed as plain spaces
    assert wrapped                                                      # some of them did wrap


def test_text_twin_mirrors_the_html_and_is_wrapped():
    long_url = f"{BASE}/a/" + "a-very-long-slug-that-goes-on-" * 4
    view = golden_view()
    view.sections[1].items.append(item(9, url=long_url, also=[("Far Source", long_url + "?ref=x")], number=5))
    text = render_mix(view).text
    flat = squash(text)
    assert text.startswith("The Morning Digest\nWednesday, 25 November 2026 · 8 stories in Europe and World"
                           " · 1 min read\n\nView in your browser:\nhttps://digest.example.com/archive/daily-")
    # the numbered contents, grouped like the HTML
    head = text.split("\nTop story\n=========", 1)[0]
    assert re.findall(r"^ ?(\d+)\. ", head, re.M) == ["1", "2", "3", "4", "5"]
    assert "In this edition" in head and " +  4 more World stories" in head
    # numbered items, each followed by its numbered link references
    stories = [view.lead] + [i for s in view.sections for i in s.items]
    for it in stories:
        assert f"\n{it.number}. " in text
        assert squash(it.headline) in flat and squash(it.summary) in flat
        assert f"[{it.number}] {it.url}" in text or f"[{it.number}]\n{it.url}" in text
    for section in view.sections:
        assert f"{section.topic}\n{'=' * len(section.topic)}" in text
    assert "Also reported by Mountain Post [2a] and Radio Nord [2b]." in text
    assert "[2a] https://mountainpost.example.org/snow-fleet" in text
    assert "4 more World stories:\nhttps://digest.example.com/archive/daily-2026-11-25#world" in text
    assert "read more" not in text.lower()
    assert f"\n{PLACEHOLDERS['unsubscribe_url']}\n" in text
    assert PLACEHOLDERS["preferences_url"] in text
    assert "You receive this because you subscribed to Europe, World." in text
    for line in text.splitlines():
        assert len(line) <= 78 or URL_ONLY.fullmatch(line), line


# ---- personalisation and markers ----------------------------------------------------------

def test_personalize_escapes_for_html_and_not_for_text():
    rendered = render_mix(golden_view())
    html, text = personalize(rendered, unsubscribe_url="https://digest.example.com/u/abc?x=1&y=2",
                             preferences_url="https://digest.example.com/p/abc",
                             email='o"brien@example.org', name="Ann <B>")
    assert 'href="https://digest.example.com/u/abc?x=1&amp;y=2"' in html
    assert "o&quot;brien@example.org" in html
    assert "https://digest.example.com/u/abc?x=1&y=2" in text and 'o"brien@example.org' in text
    for marker in PLACEHOLDERS.values():
        assert marker not in html and marker not in text
    assert rendered.html.count(PLACEHOLDERS["unsubscribe_url"]) == 1   # the Rendered is untouched


def test_personalize_is_a_single_pass():
    rendered = render_mix(golden_view())
    html, text = personalize(rendered, unsubscribe_url="https://digest.example.com/u/1",
                             preferences_url="https://digest.example.com/p/1",
                             email="%%UNSUBSCRIBE_URL%%@example.org", name=None)
    assert "%%UNSUBSCRIBE_URL%%@example.org" in text


def test_markers_in_article_text_are_neutralised():
    evil = item(1, headline="Reader writes %%EMAIL%% in a letter",
                summary="Then %%UNSUBSCRIBE_URL%% and {{ secret }} appear here.",
                url=f"{BASE}/a/%%NAME%%", source="%%NAME%% Weekly",
                also=[("%%PREFERENCES_URL%%", f"{BASE}/b")])
    clean = render_mix(edition([SectionView("Europe", "europe", [item(2)])]))
    rendered = render_mix(edition([SectionView("Europe", "europe", [evil, item(2)])]))
    for marker in PLACEHOLDERS.values():   # only the template's own markers are present
        assert rendered.html.count(marker) == clean.html.count(marker)
        assert rendered.text.count(marker) == clean.text.count(marker)
    assert "{{" not in rendered.html and "{{" not in rendered.text
    html, text = personalize(rendered, unsubscribe_url="https://digest.example.com/u/9",
                             preferences_url="https://digest.example.com/p/9",
                             email="zoe@example.org", name="Zoe")
    assert text.count("zoe@example.org") == clean.text.count(PLACEHOLDERS["email"])
    assert "Reader writes %%EMAIL%% in a letter" in text.replace("\u200b", "")
    assert f"{BASE}/a/%25%25NAME%25%25" in html


# ---- templates are data ----------------------------------------------------------------------

def test_per_topic_override_from_a_template_dir(tmp_path):
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "europe.html").write_text(
        '<tr><td class="section"><h2 class="topic">{{ section.topic }} in brief</h2>\n'
        '{% for item in section.items %}<p class="blurb"><a class="link" href="{{ item.url }}">'
        '{{ item.headline }}</a></p>{% endfor %}</td></tr>\n')
    view = golden_view()
    dom = Tags(render_mix(view, template_dirs=[tmp_path]).html)
    assert dom.by_tag_text["h2"] == ["In this edition", "Top story", "Europe in brief", "World"]
    assert [squash(h) for h in dom.by_tag_text["h3"]] == [view.lead.headline, view.sections[1].items[0].headline]


def test_configured_dir_is_searched_before_builtin(tmp_path):
    (tmp_path / "_header.html").write_text(
        '<tr><td class="masthead"><h1 class="title">Custom masthead for {{ view.newsletter }}</h1></td></tr>\n')
    env = environment([tmp_path])
    assert env.loader.searchpath[0] == str(tmp_path)
    assert env.loader.searchpath[-1].endswith("templates")
    html = render_mix(golden_view(), env=env).html
    assert Tags(html).by_tag_text["h1"] == ["Custom masthead for The Morning Digest"]
    assert "Alpine towns" in html                   # everything else still comes from the built-ins


def test_environment_is_strict_and_escapes_html_only():
    env = environment()
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape("digest.html") and not env.autoescape("digest.txt")
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nope }}").render()


# ---- size, determinism, golden files ------------------------------------------------------

def test_thirty_stories_stay_under_gmail_clip():
    from digest.compose.lint import lint

    sections = [SectionView(name, name.lower(), [
        item(10 * k + n, also=[("Shore Daily", f"https://shore.example.org/{k}/{n}")]) for n in range(10)])
        for k, name in enumerate(["Europe", "World", "Politics"])]
    rendered = render_mix(edition(sections))
    assert len(rendered.html.encode()) < 102 * 1024
    html, text = personalize(rendered, unsubscribe_url=f"{BASE}/u/1", preferences_url=f"{BASE}/p/1",
                             email="ada@example.org", name="Ada")
    report = lint(html, text)
    assert report.ok, report.warnings


def test_eight_full_stories_stay_under_30_kib():
    # the heaviest 8-story body: every story in it with its blurb, an outlet, a byline and a second source
    stories = [item(n, also=[("Shore Daily", f"https://shore.example.org/{n}")], author="Ann Byrne") for n in range(1, 9)]
    view = edition([SectionView("Europe", "europe", stories[1:5]), SectionView("World", "world", stories[5:])],
                   lead=stories[0], web_url=f"{BASE}/archive/daily-2026-11-25", stories=8, minutes=2)
    html = render_mix(view).html
    assert html.count('class="blurb"') + html.count('class="lead-blurb"') == 8
    assert len(html.encode()) < 30 * 1024, f"{len(html.encode()) / 1024:.1f} KiB"


def test_no_tracking_pixel_and_no_rewritten_links():
    html = render_mix(golden_view()).html
    assert "<img" not in html
    hrefs = {a["href"] for a in Tags(html).all("a")}
    view = golden_view()
    assert {i.url for s in view.sections for i in s.items} | {view.lead.url} <= hrefs


def test_render_is_deterministic():
    first, second = render_mix(golden_view()), render_mix(golden_view())
    assert first == second


@pytest.mark.parametrize("part", ["html", "txt"])
def test_golden(part):
    rendered = render_mix(golden_view())
    actual = rendered.html if part == "html" else rendered.text
    path = GOLDEN / f"digest.{part}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), "no golden file yet: run with DIGEST_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; if intended, refresh with DIGEST_UPDATE_GOLDEN=1 and review the diff")
