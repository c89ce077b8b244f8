"""The editor's preview: `digest preview` (lint summary, --open) and the `--serve` web pages, over
HTTP without a browser (tests/test_preview_browser.py drives the same server in Chromium).

Also the size claim end to end: 30 long stories still give an HTML part under Gmail's 102 KiB
clip in the message the SMTP server receives, and the preview warns when a template pushes a
digest over it.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from conftest import parse
from digest import config
from digest.compose.lint import CLIP_BYTES, lint
from digest.web.preview import PreviewServer

SUMMARY = re.compile(r"^lint: (\d+\.\d) KiB of 102 KiB, (\d+) warnings?$", re.M)


def lint_summary(stderr: str) -> tuple[float, int]:
    m = SUMMARY.search(stderr)
    assert m, f"no lint summary line in:\n{stderr}"
    return float(m.group(1)), int(m.group(2))


def untimed(data: bytes) -> bytes:
    """Signed unsubscribe/preferences tokens carry a timestamp: mask them to compare two renders."""
    return re.sub(rb"(news\.example\.com/[a-z]+/)[\w-]+\.[\w.-]+", rb"\1TOKEN", data)


def templates(tmp_path: Path, monkeypatch, **files: str) -> Path:
    """A configured template dir (searched before the built-in one) holding `files`."""
    folder = tmp_path / "my-templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    monkeypatch.setenv("DIGEST_TEMPLATES", str(folder))
    return folder


# ---- `digest preview`: the lint summary ----------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "text", "eml"])
def test_every_format_prints_a_lint_summary_on_stderr(run, seeded, fmt):
    r = run("preview", "--topic", "Europe", "--topic", "World", "--format", fmt)
    assert r.exit_code == 0, r
    size, warnings = lint_summary(r.stderr)
    assert warnings == 0 and "lint: warning" not in r.stderr
    run("preview", "--topic", "Europe", "--topic", "World", "--format", "html", "--out", "part.html")
    assert size == round(Path("part.html").stat().st_size / 1024, 1)   # the HTML part's size, whatever is printed
    assert "lint:" not in r.stdout                        # stdout stays the data


def test_relative_links_and_images_without_alt_get_one_line_each(run, seeded, tmp_path, monkeypatch):
    builtin = (Path(__file__).parent.parent / "templates" / "_header.html").read_text()
    templates(tmp_path, monkeypatch, _header__html=builtin.replace(
        "</td></tr>", '<a href="/about">About us</a><img src="https://news.example.com/logo.png"></td></tr>'))
    r = run("preview", "--topic", "World", "--format", "text")
    assert r.exit_code == 0, r
    lines = [l for l in r.stderr.splitlines() if l.startswith("lint: warning: ")]
    assert len(lines) == 2, r.stderr
    assert "'/about' is not absolute" in lines[0]
    assert "logo.png' has no alt" in lines[1]
    assert lint_summary(r.stderr)[1] == 2


def test_missing_text_part_is_flagged(run, seeded, tmp_path, monkeypatch):
    templates(tmp_path, monkeypatch, digest__txt="{# nothing: an owner broke the text twin #}\n")
    r = run("preview", "--topic", "World", "--format", "html")
    assert r.exit_code == 0, r
    assert re.search(r"^lint: warning: The plain-text part is missing or empty", r.stderr, re.M), r.stderr


def test_preview_warns_before_gmail_clips(run, seeded, tmp_path, monkeypatch):
    # A template that repeats every blurb pushes the same stories past 102 KiB: the editor is told.
    builtin = (Path(__file__).parent.parent / "templates" / "_item.html").read_text()
    assert '<p class="blurb"{{ auto }}>{{ item.summary|breakable }}</p>' in builtin
    assert '<p class="brief"{{ auto }}>{{ item.brief|breakable }}' in builtin      # a long edition's briefs
    templates(tmp_path, monkeypatch, _item__html=builtin.replace(
        '<p class="blurb"{{ auto }}>{{ item.summary|breakable }}</p>',
        '{% for _ in range(120) %}<p class="blurb">{{ item.summary }}</p>{% endfor %}').replace(
        '<p class="brief"{{ auto }}>{{ item.brief|breakable }}',
        '{% for _ in range(120) %}<p class="brief">{{ item.brief }}</p>{% endfor %}<p class="brief">'))
    r = run("preview", "--format", "html", "--out", "big.html")
    assert r.exit_code == 0, r
    size, warnings = lint_summary(r.stderr)
    assert size * 1024 >= CLIP_BYTES and warnings == 1
    assert re.search(r"^lint: warning: HTML is \d+\.\d KiB: Gmail clips", r.stderr, re.M), r.stderr
    assert Path("big.html").stat().st_size >= CLIP_BYTES


# ---- `digest preview --open` ---------------------------------------------------------------

def test_open_writes_the_html_and_hands_it_to_the_browser(run, seeded, tmp_path):
    # BROWSER is the standard hook of Python's webbrowser module: our "browser" records its argument.
    record = tmp_path / "browser-calls.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "BROWSER": str(browser), "TMPDIR": str(tmp_path / "tmp")}
    # A subprocess: webbrowser reads BROWSER once per process, as a user's shell would set it.
    r = subprocess.run([sys.executable, "-m", "digest.cli", "preview", "--topic", "Europe", "--open"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""                       # the page went to the browser, not the terminal
    calls = record.read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("file://")
    opened = Path(unquote(urlsplit(calls[0]).path))
    assert opened.parent == tmp_path / "tmp" and opened.suffix == ".html"
    assert f"Wrote {opened}" in r.stderr and SUMMARY.search(r.stderr)
    run("preview", "--topic", "Europe", "--format", "html", "--out", "expected.html")
    assert untimed(opened.read_bytes()) == untimed(Path("expected.html").read_bytes())

    r = subprocess.run([sys.executable, "-m", "digest.cli", "preview", "--topic", "World", "--open",
                        "--out", "world.html"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert record.read_text().splitlines()[1] == (tmp_path / "world.html").as_uri()


def test_serve_command_serves_until_ctrl_c(seeded):
    # SIGINT set back to default in the child: a pytest started in the background inherits it ignored.
    proc = subprocess.Popen([sys.executable, "-m", "digest.cli", "preview", "--serve", "--port", "0"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert url, first
        assert 'data-mix="Europe+Politics+World"' in httpx.get(url.group(0)).text
    finally:
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert rest.strip() == "Preview server stopped."       # no per-request log lines without -v


def test_serve_refuses_single_preview_options(run, seeded):
    r = run("preview", "--serve", "--topic", "Europe")
    assert r.exit_code == 2 and "--serve shows every topic mix" in r.stderr


# ---- `digest preview --serve` over plain HTTP ----------------------------------------------

@pytest.fixture
def server(seeded):
    with PreviewServer(config.load(), port=0) as srv:
        yield srv


def test_index_lists_every_subscriber_mix_and_every_topic(run, server):
    subs = json.loads(run("subscribers", "list", "--status", "active", "--json").stdout)
    mixes = {"+".join(sorted(s["topics"], key=str.lower)) for s in subs}
    topics = {t["name"] for t in json.loads(run("topics", "list", "--json").stdout)}
    page = httpx.get(server.url).text
    listed = re.findall(r'<tr class="mix" data-mix="([^"]+)">', page)
    assert len(listed) == len(set(listed))
    assert set(listed) == mixes | topics
    assert 'href="/phone?mix=Europe%2BWorld"' in page


def test_views_show_what_the_cli_previews(run, server):
    mix = {"mix": "Europe+World"}
    html = httpx.get(server.url + "html", params=mix)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["cache-control"] == "no-store"
    run("preview", "--topic", "Europe", "--topic", "World", "--format", "html", "--out", "cli.html")
    assert untimed(html.content) == untimed(Path("cli.html").read_bytes())

    text = httpx.get(server.url + "text", params=mix).text
    run("preview", "--topic", "World", "--topic", "Europe", "--format", "text", "--out", "cli.txt")
    from markupsafe import escape
    expected = f"<pre id='text'>{escape(Path('cli.txt').read_bytes().decode())}</pre>".encode()
    assert untimed(expected) in untimed(text.encode())
    assert re.search(r'id="lint-summary">\d+\.\d KiB of 102 KiB, 0 warnings<', text)

    phone = httpx.get(server.url + "phone", params=mix).text
    assert "<iframe id='phone'" in phone and "src='/html?mix=Europe%2BWorld'" in phone
    assert "iframe{width:375px" in phone

    eml = httpx.get(server.url + "eml", params=mix)
    msg = parse(eml.content)
    assert msg.get_content_type() == "multipart/alternative"


def test_unknown_topic_is_a_404_that_names_it(server):
    r = httpx.get(server.url + "text", params={"mix": "Atlantis"})
    assert r.status_code == 404
    assert "Atlantis" in r.text and "Error:" in r.text


def test_template_edits_show_on_the_next_request(seeded, tmp_path, monkeypatch):
    folder = templates(tmp_path, monkeypatch)
    with PreviewServer(config.load(), port=0) as srv:
        assert "Morning edition" not in httpx.get(srv.url + "html", params={"mix": "World"}).text
        builtin = (Path(__file__).parent.parent / "templates" / "_header.html").read_text()
        (folder / "_header.html").write_text(builtin.replace("{{ view.newsletter }}", "Morning edition"))
        assert "Morning edition" in httpx.get(srv.url + "html", params={"mix": "World"}).text


def test_a_busy_port_is_one_clear_error(run, seeded):
    with PreviewServer(config.load(), port=0) as srv:
        r = run("preview", "--serve", "--port", srv.port)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: Cannot listen on 127.0.0.1:{srv.port}") and "--port 0" in r.stderr


# ---- 30 long stories, through the real message --------------------------------------------

COMMON = ("council ministers agreed regional budget report delegates negotiated monitoring households "
          "winter reserves committee amendment coalition opposition ballots officials").split()
SYLLABLES = "ka lo mi ru te sa no vi da re po lu ge fa zo bi ne ta ho ri ex um".split()


def long_article(n: int, topic: str, rnd: random.Random) -> dict:
    """A distinct story (its own names and places, so clustering keeps it apart) of ~1,200 words,
    with a long title, source name and URL: the heavy end of what a digest item carries."""
    own = ["".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(3, 4))) for _ in range(90)]

    def sentence() -> str:
        words = [rnd.choice(own) if rnd.random() < 0.7 else rnd.choice(COMMON) for _ in range(rnd.randint(14, 26))]
        return " ".join(words).capitalize() + "."
    paragraphs = [" ".join(sentence() for _ in range(5)) for _ in range(12)]
    name, place, thing = own[0].capitalize(), own[1].capitalize(), own[2]
    return {
        "title": f"{name} and {place} officials publish a detailed {thing} plan after months of talks over "
                 f"{own[3]} and {own[4]} in the {topic.lower()} desk's longest report of the year",
        "body": "\n\n".join(paragraphs),
        "labels": [topic],
        "url": f"https://news.example.com/{topic.lower()}/2026/11/25/{own[0]}-{own[1]}-officials-publish-a-"
               f"detailed-{thing}-plan-after-months-of-talks?utm_source=digest&ref=long-url-{n:04d}",
        "source": f"Compass Wire Service International Desk ({place} bureau)",
        "published": "2026-11-25T06:00:00Z",
    }


def test_thirty_long_stories_stay_under_the_clip_in_the_sent_message(run, tmp_path, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_MAX_ITEMS_PER_TOPIC", "10")      # the heaviest case: no story behind "N more"
    monkeypatch.setenv("DIGEST_MAX_STORIES", "30")
    rnd = random.Random(30)
    lines = [json.dumps(long_article(n, topic, rnd)) for n, topic in
             enumerate(["Europe", "Politics", "World"] * 10)]
    (tmp_path / "long.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("init").exit_code == 0
    r = run("articles", "ingest", tmp_path / "long.jsonl")
    assert r.exit_code == 0 and "30 added" in r.stderr + r.stdout, r
    run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--topic", "Politics", "--topic", "World",
        "--name", "Ada Lovelace")
    assert run("send", "--yes").exit_code == 0

    [(rcpts, data)] = smtp_env.messages
    msg = parse(data)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert len(re.findall(r'class="toc-link"', html)) == 30        # every story listed in the contents
    assert len(re.findall(r"^\[\d+\]\s+https:", text, re.M)) == 30    # and told in full in the text twin
    size = len(html.encode("utf-8"))
    assert size < CLIP_BYTES, f"HTML part is {size / 1024:.1f} KiB"
    report = lint(html, text)
    assert report.ok, report.warnings

    # The preview of the same mix reports the same size (only the address and tokens differ); the
    # edition went out, so the preview is asked to show its stories again.
    preview = run("preview", "--topic", "Europe", "--topic", "Politics", "--topic", "World", "--format", "html",
                  "--include-sent")
    kib, warnings = lint_summary(preview.stderr)
    assert abs(kib - size / 1024) < 0.2
    # The titles are over 100 characters: printed whole, and the preview says so once for each.
    assert warnings == 30 and preview.stderr.count("characters, over 100") == 30


def test_the_preview_server_shows_each_language(server):
    index = httpx.get(server.url).text
    for lang in ("de", "es", "fr"):
        assert f'href="/?lang={lang}" hreflang="{lang}"' in index
    german_index = httpx.get(server.url, params={"lang": "de"}).text
    assert 'href="/phone?mix=Europe%2BWorld&amp;lang=de"' in german_index and "<strong>de</strong>" in german_index
    html = httpx.get(server.url + "html", params={"mix": "Europe+World", "lang": "de"}).text
    assert '<html lang="de">' in html and "In dieser Ausgabe" in html and "In this edition" not in html
    assert '<html lang="en">' in httpx.get(server.url + "html", params={"mix": "Europe+World"}).text
    phone = httpx.get(server.url + "phone", params={"mix": "Europe+World", "lang": "fr"}).text
    assert "src='/html?mix=Europe%2BWorld&amp;lang=fr'" in phone
    assert 'href="/text?mix=Europe%2BWorld&amp;lang=fr"' in phone                # the views keep the language
    assert 'href="/phone?mix=Europe%2BWorld&amp;lang=de" hreflang="de"' in phone  # and the switch keeps the view
    bad = httpx.get(server.url + "html", params={"mix": "Europe", "lang": "xx"})
    assert bad.status_code == 400 and "is not a language digest ships" in bad.text
