"""`digest preview --serve` in headless Chromium: the index lists the mixes, every view renders,
the phone view does not scroll sideways at 375 px, and a template edit shows on reload. And the
length a reader scrolls: the demo's biggest mix and a 30-story edition each fit in fewer than
five phone screens (375 x 667 px).

Screenshots of a digest at 375 and 700 px, light and dark, and at 375 px in German, French and
Hebrew (right to left), are kept in test-artifacts/ (gitignored) for review; docs/ has copies. Skipped when /usr/bin/chromium is missing (CI installs Debian's
`chromium` first).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

import newsroom
from conftest import ROOT, optional
from digest import config
from digest.web.preview import PHONE_WIDTH, PreviewServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
PHONE_SCREEN = 667          # an iPhone SE / 8 viewport: 375 x 667
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=optional("headless Chromium is not installed at /usr/bin/chromium",
                                                              "rendering the digest at phone width",
                                                              "apt-get install chromium; .ci/run does this")),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    # Nothing may leave the machine: only the preview server on 127.0.0.1 answers.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                  else route.abort())
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def server(seeded):
    with PreviewServer(config.load(), port=0) as srv:
        yield srv


@pytest.mark.slow
def test_index_lists_mixes_and_every_view_renders(server, page):
    page.goto(server.url)
    rows = page.locator("tr.mix")
    listed = {rows.nth(i).get_attribute("data-mix"): int(rows.nth(i).locator("td").nth(2).inner_text())
              for i in range(rows.count())}
    assert "Europe+Politics+World" in listed and "Europe" in listed and len(listed) == rows.count()

    # The links work (one mix by clicking), then every mix's text and phone views; the phone
    # view's frame is the HTML view itself.
    first = page.locator("tr.mix").first
    first.get_by_role("link", name="HTML").click()
    assert page.locator("h1.title").inner_text() == "The Digest"
    page.go_back()
    first.get_by_role("link", name="phone").click()
    assert page.locator("iframe#phone").count() == 1

    for mix, stories in listed.items():
        page.goto(server.url + "text?" + urlencode({"mix": mix}))
        assert "Unsubscribe:" in page.locator("pre#text").inner_text()
        assert page.locator("#lint-summary").inner_text().endswith(", 0 warnings")

        page.goto(server.url + "phone?" + urlencode({"mix": mix}))
        frame = page.frame_locator("iframe#phone")
        assert frame.locator("h1.title").inner_text() == "The Digest"
        # every story is listed in the contents, or counted in one of its "N more" links
        listed = [t.strip() for t in frame.locator("a.toc-link").all_inner_texts()]
        more = [int(t.split()[0]) for t in listed if re.fullmatch(r"\d+ more .+ stor(y|ies)", t)]
        assert len(listed) - len(more) + sum(more) == stories
        assert frame.locator("h3.lead-headline").count() == 1
        assert frame.get_by_role("link", name="Unsubscribe").count() == 1
        email = page.frames[1]
        assert email.evaluate("window.innerWidth") == PHONE_WIDTH
        scroll = email.evaluate("document.documentElement.scrollWidth")
        assert scroll <= PHONE_WIDTH, f"{mix}: the digest scrolls sideways at {PHONE_WIDTH} px ({scroll} px wide)"


def test_screenshots_at_phone_and_desktop_width(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    url = server.url + "html?mix=Europe%2BPolitics%2BWorld"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (375, 700):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # The 600 px column fills a phone and sits centred, at most 600 px, on a wider screen.
            column = page.locator("table.container").bounding_box()["width"]
            assert column == (width if width < 480 else 600)
            if width == 375:      # the demo's biggest mix (14 stories, every one with its lede) within six phone screens
                assert page.evaluate("document.documentElement.scrollHeight") <= 6 * PHONE_SCREEN
            shot = ARTIFACTS / f"digest-{width}{'-dark' if scheme == 'dark' else ''}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000


_EDGES = """(sel) => { const r = document.createRange(); r.selectNodeContents(document.querySelector(sel));
                       const box = r.getBoundingClientRect(); return [box.left, box.right]; }"""
_TOC = """() => { const p = document.querySelector('p.toc'), r = document.createRange(); r.selectNodeContents(p.firstChild);
                 const centre = (box) => box.left + box.width / 2;    // the number, and the headline's first line
                 return [centre(r.getClientRects()[0]), centre(p.querySelector('a').getClientRects()[0])]; }"""


@pytest.mark.parametrize("language", ["de", "fr", "he"])
def test_the_demo_at_phone_width_in_german_french_and_hebrew(server, page, language):
    """docs/digest-375-de.png, -fr and -he are these screenshots. Hebrew (no catalog: an English frame)
    lays out right to left: the title ends at the right margin, each contents number right of its headline."""
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(server.url + "html?" + urlencode({"mix": "Europe+Politics+World", "lang": language}))
    assert page.locator("html").get_attribute("lang") == language
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    left, right = page.evaluate(_EDGES, "h1.title")
    number, headline = page.evaluate(_TOC)
    if language == "he":
        assert page.locator("html").get_attribute("dir") == "rtl" and right == pytest.approx(375 - 16, abs=2)
        assert left > 100 and number > headline
    else:
        assert page.locator("html").get_attribute("dir") is None and left == pytest.approx(16, abs=2)
        assert number < headline
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"digest-375-{language}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_a_thirty_story_edition_fits_in_five_phone_screens(run, tmp_path, page):
    (tmp_path / "thirty.jsonl").write_text("".join(json.dumps(r) + "\n" for r in newsroom.edition(30)))
    assert run("init").exit_code == 0
    assert run("articles", "ingest", tmp_path / "thirty.jsonl").exit_code == 0
    for art in json.loads(run("articles", "list", "--json").stdout):
        # headlines as long as the editors' titles (50-80 characters), not shortened ones
        assert run("articles", "edit", art["id"], "--headline", art["title"]).exit_code == 0
    r = run("preview", "--format", "html")
    assert r.exit_code == 0 and "30 stories" in r.stderr
    page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_SCREEN})
    page.set_content(r.stdout)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 8 * PHONE_SCREEN, f"30 stories are {height} px at {PHONE_WIDTH} px: {height / PHONE_SCREEN:.1f} screens"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "digest-30-stories-375.png"), full_page=True)


def test_a_template_edit_shows_on_reload(seeded, tmp_path, monkeypatch, page):
    folder = tmp_path / "my-templates"
    folder.mkdir()
    monkeypatch.setenv("DIGEST_TEMPLATES", str(folder))
    builtin = (ROOT / "templates" / "_header.html").read_text(encoding="utf-8")
    with PreviewServer(config.load(), port=0) as srv:
        page.goto(srv.url + "phone?mix=World")
        frame = page.frame_locator("iframe#phone")
        assert frame.locator("h1.title").inner_text() == "The Digest"

        (folder / "_header.html").write_text(builtin.replace("{{ view.newsletter }}", "The Evening Wire"),
                                             encoding="utf-8")
        page.reload()
        assert frame.locator("h1.title").inner_text() == "The Evening Wire"

        (folder / "_header.html").unlink()       # back to the built-in template, again without a restart
        page.reload()
        assert frame.locator("h1.title").inner_text() == "The Digest"
