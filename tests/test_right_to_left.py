"""Right to left (README, Languages): a language CLDR writes right to left (Hebrew, Arabic, Persian,
Urdu; Babel says which) is accepted for the newsletter and for a subscriber although digest has no
catalog for it. Its frame is English, and its email and pages lay out right to left: `dir="rtl"` on
<html>, <body> and the email's tables, each cell aligned right, the contents' hanging indent on the
right, each story in its own direction. One edition goes to a Hebrew and an English reader over a
real SMTP server on 127.0.0.1; the Hebrew reader's pages and confirmation mail over real HTTP.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import SEEDS, parse
from digest import config, i18n
from digest.errors import ConfigError
from test_web import client, db, link, server  # noqa: F401  (fixtures)

RTL = ("ar", "fa", "he", "ur")


def test_babel_says_which_languages_are_written_right_to_left():
    for language in RTL:
        assert i18n.direction(language) == "rtl" and i18n.accepted(language), language
    for language in ("en", *i18n.shipped(), "frr", "klingon", ""):
        assert i18n.direction(language) == "ltr", language
    listed = i18n.right_to_left()
    assert set(RTL) <= set(listed) and not set(i18n.shipped()) & set(listed)
    # no catalog: the English msgids, and English dates and numbers alike
    assert i18n.frame("he") == "en" and i18n.translations("he").gettext("In this edition") == "In this edition"
    assert i18n.number(1200, "ar") == "1,200"


def test_the_newsletter_may_be_written_right_to_left(tmp_path):
    assert config.load(env={"DIGEST_LANGUAGE": "he"}).language == "he"
    assert config.load(env={"DIGEST_LANGUAGE": "ar-EG"}).language == "ar"
    toml = tmp_path / "digest.toml"
    toml.write_text('[digest]\nlanguage = "fa"\n', encoding="utf-8")
    assert config.load(toml, env={}).language == "fa"
    with pytest.raises(ConfigError) as err:       # a left-to-right language still needs its catalog
        config.load(env={"DIGEST_LANGUAGE": "frr"})
    assert "did you mean fr?" in str(err.value) and "written right to left" in err.value.hint


def _rtl_email(html: str) -> None:
    assert '<html lang="he" dir="rtl">' in html and re.search(r'<body dir="rtl"', html)
    assert re.search(r'<table role="presentation" class="page" dir="rtl"', html)
    assert re.search(r'<table role="presentation" class="container" dir="rtl"', html)
    cells = re.findall(r'<td class="([^"]+)"[^>]*>', html)
    framed = [c for c in cells if c != "page-cell"]
    assert framed and all(c.endswith(" rtl") for c in framed), cells
    assert re.search(r'<td class="masthead rtl" style="[^"]*direction:rtl; text-align:right"[^>]*align="right"', html)
    toc = re.findall(r'<p class="toc toc-rtl" style="([^"]+)"', html)
    assert toc and all("padding-left:0" in s and "padding-right:22px" in s for s in toc)
    assert re.search(r'<h3 class="lead-headline"[^>]* dir="auto"', html) and re.search(r'<p class="lead-blurb"[^>]* dir="auto"', html)


def test_a_hebrew_reader_gets_a_right_to_left_email_and_an_english_one_does_not(run, smtp_env):
    assert run("init").exit_code == 0
    assert run("articles", "ingest", SEEDS).exit_code == 0
    r = run("subscribers", "add", "he@example.org", "--topic", "Europe", "--topic", "World", "--language", "he-IL")
    assert r.exit_code == 0, r
    assert run("subscribers", "add", "en@example.org", "--topic", "Europe", "--topic", "World").exit_code == 0
    assert json.loads(run("subscribers", "show", "he@example.org", "--json").stdout)["language"] == "he"
    assert run("send", "--yes").exit_code == 0
    got = {rcpts[0]: parse(data) for rcpts, data in smtp_env.messages}
    he_html, en_html = (got[e].get_body(("html",)) for e in ("he@example.org", "en@example.org"))
    assert he_html["Content-Language"] == "he" and got["he@example.org"].get_body(("plain",))["Content-Language"] == "he"
    html = he_html.get_content()
    _rtl_email(html)
    assert "In this edition" in html and "Unsubscribe" in html          # the frame falls back to English
    english = en_html.get_content()
    assert '<html lang="en">' in english and "rtl" not in english and 'dir="' not in english
    mixes = {d["email"]: d["mix"] for d in json.loads(run("deliveries", "list", "--json").stdout)}
    assert mixes == {"he@example.org": "Europe+World@he", "en@example.org": "Europe+World"}


def test_an_arabic_newsletters_preview_is_right_to_left(seeded, run, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGEST_LANGUAGE", "ar")
    out = tmp_path / "ar.html"
    r = run("preview", "--format", "html", "--out", out)
    assert r.exit_code == 0, r
    html = out.read_text()
    assert '<html lang="ar" dir="rtl">' in html and '<td class="footer rtl"' in html
    r = run("preview", "--language", "en", "--format", "html", "--out", out)
    assert "rtl" not in out.read_text()


def test_a_hebrew_readers_pages_and_confirmation_mail_are_right_to_left(db, server, client, smtp_env):  # noqa: F811
    assert db("subscribers", "set", "ada@example.org", "--language", "he").exit_code == 0
    for purpose in ("unsubscribe", "preferences"):
        page = client.get(server.url(link(purpose, "ada@example.org"))).text
        assert '<html lang="he" dir="rtl">' in page and "border-inline-start" in page, purpose
        assert "Unsubscribe" in page or "Save preferences" in page       # English words, laid out right to left
    bob = client.get(server.url(link("preferences", "bob@example.org"))).text
    assert '<html lang="en">' in bob and 'dir="rtl"' not in bob
    assert '<html lang="ar" dir="rtl">' in client.get(server.url("/nowhere?lang=ar")).text
    assert '<html lang="en">' in client.get(server.url("/nowhere?lang=klingon")).text

    r = db("subscribers", "add", "new@example.org", "--topic", "World", "--confirm", "--language", "fa")
    assert r.exit_code == 0, r
    msg = parse(smtp_env.messages[-1][1])
    html = msg.get_body(("html",)).get_content()
    assert '<html lang="fa" dir="rtl">' in html and '<body dir="rtl"' in html
    assert msg["Subject"] == "Confirm your subscription to The Digest"
