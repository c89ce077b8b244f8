"""The email's frame in the newsletter's language (README, Languages): the demo edition rendered in
German and French through the real CLI, templates and catalogs; the plural forms of the "N more"
links; the setting and its errors; and the catalogs complete against what `pybabel extract` finds.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from conftest import ROOT, parse
from digest import config, i18n, pipeline
from digest.compose.render import Renderer
from digest.compose.views import EditionView, ItemView, SectionView
from digest.db import Database
from digest.errors import ConfigError
from digest.summarize import split_sentences

LANGUAGES = [lang for lang in i18n.shipped() if lang != "en"]


def english_fragments() -> list[str]:
    """Every piece of English the frame can print: the msgids of a shipped catalog (the English
    strings), split at their placeholders, keeping the pieces that hold a word."""
    with i18n.catalog_path("de").open("rb") as po:
        catalog = read_po(po)
    pieces = set()
    for message in catalog:
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            pieces.update(p.strip(" .:,\"") for p in re.split(r"%\(\w+\)s", msgid or ""))
    return sorted(p for p in pieces if re.search(r"[A-Za-z]{2}", p))


class Visible(HTMLParser):
    """The text a reader sees in the HTML, without <title>, <style> and the hidden preheader."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "style") or dict(attrs).get("class") == "preheader" or self.skip:
            self.skip += tag not in ("br", "wbr", "meta", "img")

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def _flat(text: str) -> str:
    """Whitespace as one space, except the no-break spaces the frame chose."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def frame_only(text: str, stories: list[str]) -> str:
    """The email's words with the stories' own (English) text taken out: headlines, and every
    sentence of every blurb (a brief and the preheader are sentences of it)."""
    text = _flat(text)
    spans = [s for story in stories for s in [story, *split_sentences(story)]]
    for span in sorted({_flat(s) for s in spans if s.strip()}, key=len, reverse=True):
        text = text.replace(span, " ")
    return text


@pytest.fixture
def articles(seeded):
    """The stories' own text as the demo edition prints it (headline, blurb, brief)."""
    cfg = config.load()
    db = Database.open(cfg.db, create=False)
    try:
        view = pipeline.preview_message(db, cfg).body.view
    finally:
        db.close()
    items = [view.lead] if view.lead else []
    items += [i for s in view.sections for i in s.items]
    return [text for i in items for text in (i.headline, i.summary, i.brief or "")]


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_demo_edition_has_no_english_frame_in_german_and_french(articles, run, tmp_path, language):
    out = tmp_path / f"{language}.eml"
    r = run("preview", "--language", language, "--format", "eml", "--out", out)
    assert r.exit_code == 0, r
    msg = parse(out.read_bytes())
    text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text_part["Content-Language"] == language and html_part["Content-Language"] == language
    html, text = html_part.get_content(), text_part.get_content()
    assert f'<html lang="{language}">' in html

    english = english_fragments()
    assert {"In this edition", "Top story", "min read", "Manage your topics", "Unsubscribe"} <= set(english)
    for part, shown in (("html", Visible(html).out), ("text", [text])):
        frame = frame_only(" ".join(shown), articles)
        left = [e for e in english if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", frame)]
        assert left == [], f"{language} {part}: English frame strings {left} in: {frame[:600]}"

    today = dt.datetime.now(dt.timezone.utc).date()      # the edition's day in the configured zone (UTC)
    date_line = i18n.long_date(today, language)
    assert date_line in _flat(" ".join(Visible(html).out)) and date_line in _flat(text)
    words = {"de": ("In dieser Ausgabe", "Top-Thema", "Min.\u00a0Lesezeit", "Abmelden"),
             "fr": ("Au sommaire", "À la une", "min\u00a0de\u00a0lecture", "Se désabonner")}[language]
    for word in words:
        assert word in html, word


def test_dates_are_the_locales_own():
    day = dt.date(2026, 12, 6)
    assert i18n.long_date(day, "en") == "Sunday, 6 December 2026"
    assert i18n.long_date(day, "de") == "Sonntag, 6. Dezember 2026"
    assert i18n.long_date(day, "fr") == "dimanche 6 décembre 2026"
    assert i18n.long_date(day, "es") == "domingo, 6 de diciembre de 2026"
    assert [i18n.short_date(day, lang) for lang in ("en", "de", "fr")] == ["6 Dec 2026", "6. Dez. 2026", "6 déc. 2026"]
    assert i18n.number(1200, "de") == "1.200" and i18n.number(1200, "en") == "1,200"


def _view(hidden: list[int], stories: int) -> EditionView:
    base = "https://news.example.com"
    sections = [SectionView(topic, topic.lower(), [ItemView(f"Story {n}", "A blurb.", f"{base}/a/{n}", number=n)],
                            more=n, more_url=f"{base}/archive/x#{topic.lower()}")
                for topic, n in zip(("Europe", "Politics", "World"), hidden)]
    return EditionView(newsletter="The Digest", edition_key="daily-2026-12-06", date=dt.date(2026, 12, 6),
                       subject="Story 1", preheader="A blurb.", sections=sections, topics=["Europe"],
                       base_url=base, postal_address="1 Example Street", stories=stories, minutes=1)


MORE = {
    "en": ["1 more Europe story", "2 more Politics stories", "5 more World stories"],
    "de": ["1 weitere Meldung zu Europe", "2 weitere Meldungen zu Politics", "5 weitere Meldungen zu World"],
    "fr": ["1 autre article dans la rubrique Europe", "2 autres articles dans la rubrique Politics",
           "5 autres articles dans la rubrique World"],
}
ONE_STORY = {"en": "1 story in Europe", "de": "1 Meldung zu Europe", "fr": "Europe\u00a0: 1 article"}


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_hidden_stories_take_the_languages_plural_forms(language):
    rendered = Renderer(language=language).render(_view([1, 2, 5], stories=1))
    html, text = _flat(rendered.html), _flat(rendered.text)
    for line in MORE[language]:
        assert line in html and line in text, line
    assert ONE_STORY[language] in html.replace("&nbsp;", "\u00a0")
    assert rendered.language == language


def test_french_counts_zero_and_one_in_the_singular():
    t = i18n.translations("fr")
    forms = [t.ngettext("%(num)s story", "%(num)s stories", n) % {"num": n} for n in (0, 1, 2)]
    assert forms == ["0 article", "1 article", "2 articles"]
    de = i18n.translations("de")
    assert [de.ngettext("%(num)s story", "%(num)s stories", n) % {"num": n} for n in (0, 1)] == ["0 Meldungen",
                                                                                                  "1 Meldung"]


def _extracted() -> set[tuple[str | None, str]]:
    """What `pybabel extract -F babel.cfg` finds in the templates and the code: (context, msgid)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(ROOT, method_map, options_map):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def test_every_string_of_the_templates_and_code_is_in_every_catalog():
    extracted = _extracted()
    assert (None, "In this edition") in extracted and (None, "%(num)s more %(topic)s story") in extracted
    for language in LANGUAGES:
        with i18n.catalog_path(language).open("rb") as po:
            catalog = read_po(po, locale=language)
        missing = [(ctx, msgid) for ctx, msgid in sorted(extracted, key=str)
                   if catalog.get(msgid, context=ctx) is None]
        assert missing == [], f"{language}: not in {i18n.catalog_path(language)}; run `make messages` and translate"
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, f"{language}: {message.id!r} is untranslated or fuzzy"
            assert not list(message.check(catalog)), f"{language}: {message.id!r}: placeholders differ"


def test_the_language_setting_is_checked_once(tmp_path):
    assert config.load(env={}).language == "en"
    assert config.load(env={"DIGEST_LANGUAGE": "de-DE"}).language == "de"
    toml = tmp_path / "digest.toml"
    toml.write_text('[digest]\nlanguage = "fr"\n', encoding="utf-8")
    assert config.load(toml, env={}).language == "fr"
    assert config.load(toml, env={"DIGEST_LANGUAGE": "es"}).language == "es"
    with pytest.raises(ConfigError) as err:
        config.load(env={"DIGEST_LANGUAGE": "dee"})
    assert "DIGEST_LANGUAGE = 'dee'" in str(err.value) and "did you mean de?" in str(err.value)
    assert "de, es, fr" in err.value.hint
    toml.write_text('[digest]\nlanguage = "klingon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[digest\] language = 'klingon' is not a language digest ships\."):
        config.load(toml, env={})


def test_preview_refuses_an_unknown_language(seeded, run):
    r = run("preview", "--language", "frr")
    assert r.exit_code != 0 and "--language = 'frr'" in r.stderr and "did you mean fr?" in r.stderr


def test_catalogs_are_where_the_wheel_takes_them():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for language in LANGUAGES:
        assert i18n.catalog_path(language).is_file()
        assert f'"digest.locales.{language}.LC_MESSAGES"' in pyproject
    assert Path(i18n.FOLDER).parent == ROOT / "digest"
