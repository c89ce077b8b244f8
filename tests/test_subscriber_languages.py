"""Who gets which language (README, Languages): a subscriber's own language, set by `subscribers
add/set --language` or a CSV's `language` column, else the newsletter's [digest] language. One
edition goes to an English, a German and a French reader of the same topics over a real SMTP
server on 127.0.0.1, each message framed in its reader's language (the catalogs' msgids, as
tests/test_languages.py reads them).
"""

from __future__ import annotations

import json

from conftest import SEEDS, parse
from digest import i18n

# Frame strings every demo edition prints, as msgids: each reader must see them in their language.
FRAME = ("In this edition", "Top story", "Unsubscribe")


def said(language: str, msgid: str) -> str:
    return i18n.translations(language).gettext(msgid)


def stored(run) -> None:
    assert run("init").exit_code == 0
    r = run("articles", "ingest", SEEDS)
    assert r.exit_code == 0, r


def show(run, email: str) -> dict:
    r = run("subscribers", "show", email, "--json")
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def test_one_edition_speaks_each_readers_language(run, smtp_env):
    stored(run)
    readers = {"en@example.org": "en", "de@example.org": "de", "fr@example.org": "fr"}
    for email, language in readers.items():
        extra = [] if language == "en" else ["--language", language]
        r = run("subscribers", "add", email, "--topic", "Europe", "--topic", "World", *extra)
        assert r.exit_code == 0, r
    assert show(run, "en@example.org")["language"] is None      # the newsletter's
    assert show(run, "de@example.org")["language"] == "de"
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    received = {rcpts[0]: parse(data) for rcpts, data in smtp_env.messages}
    assert set(received) == set(readers)
    for email, language in readers.items():
        msg = received[email]
        text_part, html_part = msg.get_body(("plain",)), msg.get_body(("html",))
        assert text_part["Content-Language"] == language and html_part["Content-Language"] == language, email
        html, text = html_part.get_content(), text_part.get_content()
        assert f'<html lang="{language}">' in html, email
        for msgid in FRAME:
            assert said(language, msgid) in html, (email, msgid)
            if language != "en":
                assert said(language, msgid) != msgid and msgid not in html, (email, msgid)
        assert said(language, "In this edition") in text or language == "en", email
    # One body per (topic mix, language): the ledger's mix names the language that is not the newsletter's.
    mixes = {d["email"]: d["mix"] for d in json.loads(run("deliveries", "list", "--json").stdout)}
    assert mixes == {"en@example.org": "Europe+World", "de@example.org": "Europe+World@de",
                     "fr@example.org": "Europe+World@fr"}

    first = len(smtp_env.messages)
    r = run("send", "--yes")
    assert r.exit_code == 0, r
    assert len(smtp_env.messages) == first, "a second send sent again"


def test_the_newsletters_language_is_the_fallback(run, smtp_env, monkeypatch):
    monkeypatch.setenv("DIGEST_LANGUAGE", "de")
    stored(run)
    run("subscribers", "add", "plain@example.org", "--topic", "World")
    run("subscribers", "add", "en@example.org", "--topic", "World", "--language", "en")
    assert run("send", "--yes").exit_code == 0
    received = {rcpts[0]: parse(data) for rcpts, data in smtp_env.messages}
    assert received["plain@example.org"].get_body(("html",))["Content-Language"] == "de"
    assert received["en@example.org"].get_body(("html",))["Content-Language"] == "en"


def test_set_and_clear_a_language_and_preview_shows_it(run, tmp_path):
    stored(run)
    run("subscribers", "add", "ada@example.org", "--topic", "Europe")
    r = run("subscribers", "set", "ada@example.org", "--language", "FR-fr")
    assert r.exit_code == 0 and "language = fr" in r.stderr, r
    out = tmp_path / "ada.html"
    r = run("preview", "--subscriber", "ada@example.org", "--format", "html", "--out", out)
    assert r.exit_code == 0 and "Language: fr" in r.stderr, r
    html = out.read_text()
    assert '<html lang="fr">' in html and said("fr", "In this edition") in html
    r = run("subscribers", "set", "ada@example.org", "--language", "")
    assert r.exit_code == 0, r
    assert show(run, "ada@example.org")["language"] is None
    r = run("preview", "--subscriber", "ada@example.org", "--format", "html", "--out", out)
    assert "Language: en (the newsletter's)" in r.stderr and '<html lang="en">' in out.read_text()


def test_an_unknown_language_is_refused_with_what_was_meant(run):
    stored(run)
    r = run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--language", "dee")
    assert r.exit_code != 0
    assert "'dee' is not a language digest ships: did you mean de?" in r.stderr, r
    r = run("subscribers", "add", "ada@example.org", "--topic", "Europe", "--language", "xx")
    assert r.exit_code != 0 and "'xx' is not a language digest ships" in r.stderr, r
    assert "en, de, es, fr" in r.stderr, r
    assert run("subscribers", "show", "ada@example.org").exit_code != 0     # nothing was written
    run("subscribers", "add", "ada@example.org", "--topic", "Europe")
    r = run("subscribers", "set", "ada@example.org", "--language", "frr")
    assert r.exit_code != 0 and "did you mean fr?" in r.stderr, r


def test_a_csv_language_column_with_one_bad_row(run, tmp_path):
    stored(run)
    csv = tmp_path / "people.csv"
    csv.write_text("email,topics,language\n"
                   "de@example.org,Europe,de\n"
                   "bad@example.org,Europe,klingon\n"
                   "fr@example.org,World,fr_FR\n"
                   "none@example.org,World,\n")
    r = run("subscribers", "import", csv)
    assert r.exit_code != 0, r
    assert "people.csv:3: language = 'klingon' is not a language digest ships" in r.stderr, r
    assert "3 new" in r.stderr and "1 failed" in r.stderr, r
    assert show(run, "de@example.org")["language"] == "de"
    assert show(run, "fr@example.org")["language"] == "fr"
    assert show(run, "none@example.org")["language"] is None
    assert run("subscribers", "show", "bad@example.org").exit_code != 0

    r = run("subscribers", "export")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split(",")[-1] == "language"
    assert "de@example.org,,Europe,daily,,,active,de" in lines
    # Import fills an empty language, and keeps one on file unless --overwrite.
    csv.write_text("email,topics,language\nnone@example.org,World,es\nde@example.org,Europe,fr\n")
    run("subscribers", "import", csv)
    assert show(run, "none@example.org")["language"] == "es"
    assert show(run, "de@example.org")["language"] == "de"


def test_a_mix_key_names_a_language_only_when_it_is_not_the_newsletters():
    from digest.models import Subscriber
    from digest.selection import select
    fr = Subscriber(1, "a@example.org", None, "active", ["World", "Europe"], language="fr")
    assert select.subscriber_mix(fr, "en") == "Europe+World@fr" and select.subscriber_mix(fr, "fr") == "Europe+World"
    assert select.mix_topics("Europe+World@fr") == ["Europe", "World"] == select.mix_topics("Europe+World")
    assert select.mix_language("Europe+World@fr") == "fr" and select.mix_language("Europe+World") is None
    assert select.mix_topics("Tech@Home") == ["Tech@Home"]      # an "@" of a topic's own is no language
